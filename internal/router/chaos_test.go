package router

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// The faults a failing region answers with.
var (
	mixedFaults = []error{
		&llmgate.Error{Code: llmgate.ERateLimited, UpstreamStatus: 429, RetryAfter: time.Second},
		&llmgate.Error{Code: llmgate.EUpstreamError, UpstreamStatus: 500},
		&llmgate.Error{Code: llmgate.EUpstreamUnavailable, UpstreamStatus: 503},
		&llmgate.Error{Code: llmgate.EUpstreamTimeout},
		&llmgate.Error{Code: llmgate.EUpstreamConnection},
	}
	downFaults = mixedFaults[1:]
)

// region is a fake upstream that fails a share of its attempts.
type region struct {
	failRate float64
	faults   []error
	rand     func() float64

	mu       sync.Mutex
	attempts int
	failed   int
}

func (g *region) answer() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.attempts++
	if g.rand() < g.failRate {
		err := g.faults[g.failed%len(g.faults)]
		g.failed++
		return err
	}
	return nil
}

func TestChaos(t *testing.T) {
	const requests = 2000
	tests := []struct {
		name    string
		east    *region
		step    time.Duration // fake time between requests
		workers int
		// threshold is Options.FailureThreshold; a high one keeps a flaky
		// region in rotation, so that retries carry the load.
		threshold int
	}{
		{"east fails half its attempts", &region{failRate: 0.5, faults: mixedFaults}, 50 * time.Millisecond, 1, 0},
		{"east fails half its attempts, breaker lenient", &region{failRate: 0.5, faults: mixedFaults}, 10 * time.Millisecond, 1, 20},
		{"east fails half its attempts without 429s, breaker lenient", &region{failRate: 0.5, faults: downFaults}, 50 * time.Millisecond, 1, 20},
		{"east fails half its attempts, concurrently", &region{failRate: 0.5, faults: mixedFaults}, 10 * time.Millisecond, 4, 20},
		{"east down", &region{failRate: 1, faults: downFaults}, 50 * time.Millisecond, 1, 0},
		{"east down, concurrently", &region{failRate: 1, faults: downFaults}, 50 * time.Millisecond, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regions := map[string]*region{"east": tt.east, "west": {rand: seeded(3)}}
			tt.east.rand = seeded(2)
			opts := Options{Rand: seeded(1), FailureThreshold: tt.threshold} // every other option at its default
			e := newEnv(t, []*Group{group("gpt-4o", RoundRobin, deps("east", "west")...)}, opts)
			start := e.clock.Now()

			var mu sync.Mutex
			attempts := 0
			var wg sync.WaitGroup
			for w := range tt.workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range requests / tt.workers {
						e.clock.Advance(tt.step)
						tried, err := e.do("gpt-4o", func(m *Member, _ AttemptInfo) error {
							return regions[m.Deployment.Name].answer()
						})
						if err != nil {
							t.Errorf("worker %d: request failed after %v: %v", w, tried, err)
							return
						}
						mu.Lock()
						attempts += len(tried)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()

			elapsed := e.clock.Now().Sub(start)
			east, west := regions["east"], regions["west"]
			t.Logf("%d requests, %d attempts over %v: east %d (%d failed), west %d",
				requests, attempts, elapsed, east.attempts, east.failed, west.attempts)
			if east.attempts+west.attempts != attempts {
				t.Errorf("regions saw %d attempts, requests made %d", east.attempts+west.attempts, attempts)
			}
			// The retry budget's bound (see Options.BudgetRatio).
			if bound := requests + int(max(10*(elapsed.Seconds()+1), 0.2*requests)); attempts > bound {
				t.Errorf("%d attempts, more than the budget's %d", attempts, bound)
			}
			if east.failed == 0 || east.attempts < 5 {
				t.Errorf("east was hardly tried: %d attempts, %d failed", east.attempts, east.failed)
			}
			if tt.east.failRate == 1 {
				// A dead region sees the faults that open its breaker, the
				// attempts other workers had started by then, and after that
				// only the half-open probes (each failed one doubles the
				// 30 s cooldown).
				probes := 0
				for at, cooldown := 30*time.Second, 30*time.Second; at <= elapsed; at += cooldown {
					probes++
					cooldown *= 2
				}
				if bound := 5 + tt.workers - 1 + probes; east.attempts > bound {
					t.Errorf("dead region got %d attempts, want at most %d (%d probes)", east.attempts, bound, probes)
				}
				if s := e.state(t, "east"); s.State == StateHealthy {
					t.Errorf("dead region reported %+v", s)
				}
			}
			for _, s := range e.r.Health() {
				if s.InFlight != 0 {
					t.Errorf("%s InFlight = %d after every request ended", s.Name, s.InFlight)
				}
			}
		})
	}
}

// TestDoConcurrentRace hammers one group from many goroutines with real
// time, so that the race detector sees picking, breaker transitions and the
// budget together.
func TestDoConcurrentRace(t *testing.T) {
	a, b, c := &Deployment{Name: "a"}, &Deployment{Name: "b"}, &Deployment{Name: "c"}
	groups := []*Group{
		group("rr", RoundRobin, a, b),
		group("lif", LeastInFlight, a, b, c),
		group("lat", LowestLatency, b, c),
		{Name: "prio", Strategy: Priority, Members: []*Member{{Deployment: a, Model: "m"}, {Deployment: c, Model: "m", Priority: 1}}},
	}
	groups[0].Fallbacks = []string{"lat"}
	r, err := New(groups, Options{FailureThreshold: 3, Cooldown: time.Millisecond, BackoffBase: -1, Rand: seeded(9)})
	if err != nil {
		t.Fatal(err)
	}
	fails := seeded(10)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				g := groups[(w+i)%len(groups)].Name
				err := r.Do(context.Background(), Route{Group: g}, func(_ context.Context, m *Member, _ AttemptInfo) error {
					if m.Deployment == a && fails() < 0.7 {
						return &llmgate.Error{Code: llmgate.EUpstreamUnavailable}
					}
					return nil
				})
				if c := llmgate.ErrorCodeOf(err); err != nil && !c.Retryable() {
					t.Errorf("%s: %v", g, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, s := range r.Health() {
		if s.InFlight != 0 {
			t.Errorf("%s InFlight = %d", s.Name, s.InFlight)
		}
	}
}
