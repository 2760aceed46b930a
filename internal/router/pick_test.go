package router

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

const picks = 10000

func TestWeightedRoundRobin(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
	}{
		{"1:2:7", []int{1, 2, 7}},
		{"equal", []int{1, 1, 1, 1}},
		{"zero and negative count as 1", []int{0, -3, 2}},
		{"single", []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Group{Name: "g"}
			total := 0
			for i, w := range tt.weights {
				g.Members = append(g.Members, &Member{Deployment: &Deployment{Name: string(rune('a' + i))}, Model: "m", Weight: w})
				total += max(w, 1)
			}
			e := newEnv(t, []*Group{g}, Options{})
			counts := map[string]int{}
			var first []string
			for i := range picks {
				tried, err := e.do("g", func(*Member, AttemptInfo) error { return nil })
				if err != nil {
					t.Fatal(err)
				}
				counts[tried[0]]++
				if i < total {
					first = append(first, tried[0])
				}
			}
			for i, w := range tt.weights {
				name := string(rune('a' + i))
				got, want := float64(counts[name])/picks, float64(max(w, 1))/float64(total)
				if math.Abs(got-want) > 0.02 {
					t.Errorf("%s got %.3f of picks, want %.3f±0.02", name, got, want)
				}
			}
			// Smooth: one cycle of total picks holds each member exactly
			// its weight.
			cycle := map[string]int{}
			for _, n := range first {
				cycle[n]++
			}
			for i, w := range tt.weights {
				if name := string(rune('a' + i)); cycle[name] != max(w, 1) {
					t.Errorf("first cycle %v: %s appears %d times, want %d", first, name, cycle[name], max(w, 1))
				}
			}
		})
	}
}

func TestLeastInFlight(t *testing.T) {
	ds := deps("a", "b", "c")
	e := newEnv(t, []*Group{group("g", LeastInFlight, ds...)}, Options{})

	// Idle members share evenly: ties go round robin.
	counts := map[string]int{}
	for range picks {
		tried, _ := e.do("g", func(*Member, AttemptInfo) error { return nil })
		counts[tried[0]]++
	}
	for _, n := range []string{"a", "b", "c"} {
		if c := counts[n]; c < picks/3-1 || c > picks/3+1 {
			t.Errorf("idle: %s got %d of %d", n, c, picks)
		}
	}

	// Attempts held open spread over the members.
	release := make(chan struct{})
	entered := make(chan string)
	var wg sync.WaitGroup
	held := map[string]int{}
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.r.Do(context.Background(), Route{Group: "g"}, func(_ context.Context, m *Member, _ AttemptInfo) error {
				entered <- m.Deployment.Name
				<-release
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
		held[<-entered]++
	}
	for _, n := range []string{"a", "b", "c"} {
		if held[n] != 2 {
			t.Errorf("held attempts %v, want 2 on each", held)
		}
		if s := e.state(t, n); s.InFlight != 2 {
			t.Errorf("%s InFlight = %d, want 2", n, s.InFlight)
		}
	}
	// With two more on a and one more on b, every new request goes to c.
	rel := []func(){ds[0].Hold(), ds[0].Hold(), ds[1].Hold()}
	for range 10 {
		if tried, _ := e.do("g", func(*Member, AttemptInfo) error { return nil }); tried[0] != "c" {
			t.Fatalf("picked %s with a and b busier than c", tried[0])
		}
	}
	close(release)
	wg.Wait()
	for _, f := range rel {
		f()
		f() // release is idempotent
	}
	for _, s := range e.r.Health() {
		if s.InFlight != 0 {
			t.Errorf("%s InFlight = %d after all ended", s.Name, s.InFlight)
		}
	}
}

func TestLowestLatency(t *testing.T) {
	ds := deps("fast", "mid", "slow")
	e := newEnv(t, []*Group{group("g", LowestLatency, ds...)}, Options{Rand: seeded(7)})
	latency := map[string]time.Duration{"fast": 10 * time.Millisecond, "mid": 50 * time.Millisecond, "slow": 100 * time.Millisecond}
	run := func() (map[string]int, []string) {
		counts := map[string]int{}
		var order []string
		for range picks {
			tried, err := e.do("g", func(m *Member, _ AttemptInfo) error {
				e.clock.Advance(latency[m.Deployment.Name])
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			counts[tried[0]]++
			order = append(order, tried[0])
		}
		return counts, order
	}

	counts, order := run()
	if got := map[string]bool{order[0]: true, order[1]: true, order[2]: true}; len(got) != 3 {
		t.Errorf("first picks %v: members without samples should be tried first", order[:3])
	}
	if share := float64(counts["fast"]) / picks; share < 0.85 {
		t.Errorf("fast got %.3f of picks, want >= 0.85 (%v)", share, counts)
	}
	for _, n := range []string{"mid", "slow"} {
		if share := float64(counts[n]) / picks; share < 0.02 {
			t.Errorf("%s got %.3f of picks, want >= 0.02 from exploration (%v)", n, share, counts)
		}
	}
	if s := e.state(t, "fast"); s.LatencyEWMA != 10*time.Millisecond {
		t.Errorf("fast LatencyEWMA = %v, want 10ms", s.LatencyEWMA)
	}

	// slow recovers: exploration finds it and it takes the traffic back.
	latency["slow"] = time.Millisecond
	counts, _ = run()
	if share := float64(counts["slow"]) / picks; share < 0.85 {
		t.Errorf("recovered member got %.3f of picks, want >= 0.85 (%v)", share, counts)
	}
	if share := float64(counts["fast"]) / picks; share < 0.02 {
		t.Errorf("fast got %.3f of picks after slow recovered, want >= 0.02 (%v)", share, counts)
	}
}

func TestPriorityTiers(t *testing.T) {
	a, b, c := &Deployment{Name: "a"}, &Deployment{Name: "b"}, &Deployment{Name: "c"}
	g := &Group{Name: "g", Strategy: Priority, Members: []*Member{
		{Deployment: c, Model: "m", Priority: 2},
		{Deployment: a, Model: "m", Priority: 1},
		{Deployment: b, Model: "m", Priority: 1},
	}}
	e := newEnv(t, []*Group{g}, Options{MaxAttempts: 1, FailureThreshold: 2, Cooldown: 10 * time.Second})
	down := map[string]bool{}
	run := func(n int) map[string]int {
		counts := map[string]int{}
		for range n {
			tried, _ := e.do("g", func(m *Member, _ AttemptInfo) error {
				if down[m.Deployment.Name] {
					return fail(llmgate.EUpstreamUnavailable)
				}
				return nil
			})
			for _, d := range tried {
				counts[d]++
			}
		}
		return counts
	}

	if got := run(picks); got["c"] != 0 || got["a"] != picks/2 || got["b"] != picks/2 {
		t.Errorf("all healthy: %v, want tier 1 only, evenly", got)
	}
	down["a"] = true
	run(4) // a fails twice and opens
	if s := e.state(t, "a"); s.State != StateOpen {
		t.Fatalf("a is %s, want open", s.State)
	}
	if got := run(1000); got["b"] != 1000 {
		t.Errorf("a open: %v, want every request on b", got)
	}
	down["b"] = true
	run(2)
	if got := run(1000); got["c"] != 1000 {
		t.Errorf("tier 1 open: %v, want every request on c", got)
	}
	// After the cooldown, tier 1 is probed and, healthy again, takes back
	// all the traffic.
	down["a"], down["b"] = false, false
	e.clock.Advance(10 * time.Second)
	if got := run(1000); got["c"] != 0 {
		t.Errorf("tier 1 recovered: %v, want nothing on c", got)
	}
}

// TestPickDoesNotAllocate guards the hot path.
func TestPickDoesNotAllocate(t *testing.T) {
	for _, s := range []Strategy{RoundRobin, LeastInFlight, LowestLatency, Priority} {
		t.Run(string(s), func(t *testing.T) {
			r, p := benchRouter(t, s)
			var tried triedSet
			tried.add(p.members[0])
			now := r.now()
			allocs := testing.AllocsPerRun(1000, func() {
				m, probe := p.pick(r, now, filter{tried: &tried})
				m.Deployment.release(probe)
			})
			if allocs != 0 {
				t.Errorf("pick allocates %.1f times", allocs)
			}
		})
	}
}

func benchRouter(tb testing.TB, s Strategy) (*Router, *pool) {
	tb.Helper()
	g := &Group{Name: "g", Strategy: s}
	for i, d := range deps("a", "b", "c", "d", "e") {
		g.Members = append(g.Members, &Member{Deployment: d, Model: "m", Weight: i + 1, Priority: i % 2})
		d.observe(time.Duration(i+1) * time.Millisecond)
	}
	r, err := New([]*Group{g}, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return r, r.pools["g"]
}

func BenchmarkPick(b *testing.B) {
	for _, s := range []Strategy{RoundRobin, LeastInFlight, LowestLatency, Priority} {
		b.Run(string(s), func(b *testing.B) {
			r, p := benchRouter(b, s)
			var tried triedSet
			b.ReportAllocs()
			for b.Loop() {
				m, probe := p.pick(r, r.now(), filter{tried: &tried})
				m.Deployment.release(probe)
			}
		})
	}
}
