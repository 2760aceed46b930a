package main

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeClock is a clock that only moves when told to; SleepUntil jumps to
// the wake-up time, or returns at once when that time has passed.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return ctx.Err() == nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestScheduleCountsFromPlannedTime(t *testing.T) {
	// Requests every 100 ms; the second takes 250 ms and, run in line here
	// like a stalled target, delays the next ones. Their latency must
	// include the wait, counted from the planned time.
	clk := &fakeClock{now: time.Unix(1000, 0)}
	start := clk.Now()
	took := []time.Duration{10, 250, 10, 10, 10}
	var planned []time.Duration
	var run cellRun
	i := 0
	n := schedule(context.Background(), clk, start, 100*time.Millisecond, len(took), func(at time.Time) {
		planned = append(planned, at.Sub(start))
		clk.advance(took[i] * time.Millisecond)
		i++
		run.record(at, clk.Now(), time.Time{}, nil)
	})
	if n != len(took) {
		t.Fatalf("fired %d, want %d", n, len(took))
	}
	for k, p := range planned {
		if want := time.Duration(k) * 100 * time.Millisecond; p != want {
			t.Errorf("request %d planned at %v, want %v", k, p, want)
		}
	}
	// 0: 0→10; 1: 100→350; 2: planned 200, sent late at 350, done 360;
	// 3: planned 300, done 370; 4: on time at 400, done 410.
	want := []time.Duration{10, 250, 160, 70, 10}
	got := append([]time.Duration(nil), run.latency.d...)
	for k := range want {
		if got[k] != want[k]*time.Millisecond {
			t.Errorf("latency %d = %v, want %v", k, got[k], want[k]*time.Millisecond)
		}
	}
}

func TestScheduleStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := &fakeClock{now: time.Unix(0, 0)}
	n := schedule(ctx, clk, clk.Now(), time.Millisecond, 10, func(time.Time) { cancel() })
	if n != 1 {
		t.Fatalf("fired %d after cancel, want 1", n)
	}
}

func TestOpenLoopDropsBeyondInFlight(t *testing.T) {
	// Ten requests planned; each blocks until all ten have been planned, so
	// with room for two in flight eight are dropped and counted as errors.
	clk := &fakeClock{now: time.Unix(0, 0)}
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	done := make(chan *cellRun)
	go func() {
		done <- openLoop(context.Background(), clk, 10, time.Second, 2, func(context.Context) (time.Time, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			<-release
			return time.Time{}, nil
		})
	}()
	// The last planned time is 900 ms after the start; wait for the
	// scheduler to get there, then let the two in flight finish.
	deadline := time.Now().Add(5 * time.Second)
	for clk.Now().Sub(time.Unix(0, 0)) < 900*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not reach the last request")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	r := <-done
	if r.ok != 2 || r.errs != 8 || !errors.Is(r.err, errDropped) || calls != 2 {
		t.Fatalf("ok %d, errors %d (%v), calls %d; want 2, 8 (dropped), 2", r.ok, r.errs, r.err, calls)
	}
}

func TestClosedLoopCount(t *testing.T) {
	var mu sync.Mutex
	n := 0
	r := closedLoop(context.Background(), 4, time.Minute, 25, func(context.Context) (time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%5 == 0 {
			return time.Time{}, errStatus
		}
		return time.Time{}, nil
	})
	if n != 25 || r.ok != 20 || r.errs != 5 || r.latency.count() != 20 {
		t.Fatalf("calls %d, ok %d, errors %d, samples %d; want 25, 20, 5, 20", n, r.ok, r.errs, r.latency.count())
	}
}

// TestChatBody checks that every body has its size exactly, is valid JSON
// of the right shape, and that its prompt is its filler, repeated, with
// at most a few spaces at the end where a cut escape or character was.
func TestChatBody(t *testing.T) {
	for name, filler := range fillers {
		text, err := strconv.Unquote(`"` + filler + `"`)
		if err != nil {
			t.Fatalf("%s: the filler is not the text of a JSON string: %v", name, err)
		}
		for _, native := range []bool{false, true} {
			for _, stream := range []bool{false, true} {
				for _, size := range []int{1 << 10, 1<<10 + 1, 1<<10 + 2, 1<<10 + 3, 10 << 10, 100 << 10} {
					b := chatBody(native, stream, size, filler)
					if len(b) != size {
						t.Errorf("%s native %v stream %v: %d bytes, want %d", name, native, stream, len(b), size)
					}
					var v struct {
						Stream   *bool `json:"stream"`
						Provider any   `json:"provider"`
						Messages []struct {
							Content string `json:"content"`
						} `json:"messages"`
						Prompt struct {
							Messages []struct {
								Content string `json:"content"`
							} `json:"messages"`
						} `json:"prompt"`
					}
					if err := json.Unmarshal(b, &v); err != nil {
						t.Fatalf("%s native %v stream %v size %d: %v", name, native, stream, size, err)
					}
					if v.Stream == nil || *v.Stream != stream {
						t.Errorf("stream = %v, want %v", v.Stream, stream)
					}
					if (v.Provider != nil) != native {
						t.Errorf("native %v: provider present = %v", native, v.Provider != nil)
					}
					msgs := v.Messages
					if native {
						msgs = v.Prompt.Messages
					}
					prompt := strings.TrimRight(msgs[len(msgs)-1].Content, " ")
					if !utf8.ValidString(prompt) || !strings.HasPrefix(strings.Repeat(text, len(prompt)/len(text)+2), prompt) || len(prompt) < size/2 {
						t.Errorf("%s native %v stream %v size %d: the prompt is not the filler repeated: %.80q", name, native, stream, size, prompt)
					}
				}
			}
		}
	}
}

func TestReadStream(t *testing.T) {
	tests := []struct {
		name    string
		native  bool
		body    string
		content bool
		err     error
	}{
		{"openai", false, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n", true, nil},
		{"openai cut", false, "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n", true, errIncomplete},
		{"native", true, "event: delta\ndata: {\"delta\":{\"role\":\"assistant\"}}\n\nevent: delta\ndata: {\"delta\":{\"content\":\"Hi\"}}\n\nevent: done\ndata: {}\n\n", true, nil},
		{"native error", true, "event: error\ndata: {\"error\":{}}\n\n", false, errIncomplete},
		{"no content", false, "data: {\"choices\":[{\"delta\":{\"content\":\"\"}}]}\n\ndata: [DONE]\n\n", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := 0
			first, err := readStream(strings.NewReader(tt.body), tt.native, func() { called++ })
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got := !first.IsZero(); got != tt.content || called != map[bool]int{true: 1, false: 0}[tt.content] {
				t.Fatalf("content seen %v (callback %d times), want %v", got, called, tt.content)
			}
		})
	}
}

func TestNewUUID(t *testing.T) {
	u := newUUID()
	if len(u) != 36 || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) || strings.Count(u, "-") != 4 {
		t.Fatalf("newUUID() = %q, not a version 4 UUID", u)
	}
	if newUUID() == u {
		t.Fatal("two UUIDs are equal")
	}
}
