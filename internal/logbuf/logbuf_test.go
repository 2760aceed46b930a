package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is an out that records its writes.
type sink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	err    error
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	s.buf.Write(p)
	return len(p), s.err
}

func (s *sink) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String(), s.writes
}

func TestLinesLeaveTogetherAfterTheDelay(t *testing.T) {
	out := &sink{}
	w := New(out, 10*time.Millisecond, 1<<20)
	defer w.Close()
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if got, _ := out.snapshot(); got != "" {
		t.Fatalf("written before the delay: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, writes := out.snapshot()
		if strings.Count(got, "\n") == 100 {
			if writes != 1 {
				t.Errorf("100 lines took %d writes, want 1", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not written after the delay: %q", got)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLimitWritesAtOnce(t *testing.T) {
	out := &sink{}
	w := New(out, time.Hour, 64)
	defer w.Close()
	w.Write([]byte(strings.Repeat("a", 40) + "\n"))
	if got, _ := out.snapshot(); got != "" {
		t.Fatalf("written below the limit: %q", got)
	}
	w.Write([]byte(strings.Repeat("b", 40) + "\n"))
	if got, _ := out.snapshot(); got != strings.Repeat("a", 40)+"\n"+strings.Repeat("b", 40)+"\n" {
		t.Fatalf("the write that reached the limit did not write: %q", got)
	}
}

func TestCloseWritesTheRestThenWritesThrough(t *testing.T) {
	out := &sink{}
	w := New(out, time.Hour, 1<<20)
	w.Write([]byte("buffered\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.snapshot(); got != "buffered\n" {
		t.Fatalf("after Close: %q", got)
	}
	w.Write([]byte("after\n"))
	if got, _ := out.snapshot(); got != "buffered\nafter\n" {
		t.Fatalf("a write after Close was not written through: %q", got)
	}
}

func TestConcurrentWritesStayWhole(t *testing.T) {
	out := &sink{}
	w := New(out, time.Millisecond, 256)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "writer %d line %03d %s\n", g, i, strings.Repeat("x", g*7))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := out.snapshot()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var g, i int
		var x string
		if _, err := fmt.Sscanf(l, "writer %d line %d %s", &g, &i, &x); err != nil && g != 0 {
			t.Fatalf("a torn line: %q", l)
		}
		if g > 0 && x != strings.Repeat("x", g*7) {
			t.Fatalf("a torn line: %q", l)
		}
		seen[l] = true
	}
	if len(seen) != 8*500 {
		t.Errorf("%d distinct lines, want %d", len(seen), 8*500)
	}
}

func TestOutErrorIsReported(t *testing.T) {
	boom := errors.New("disk full")
	out := &sink{err: boom}
	w := New(out, time.Hour, 1<<20)
	w.Write([]byte("x\n"))
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush = %v, want %v", err, boom)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
}
