package router

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleeper records the waits of a Router and moves its clock by them instead
// of sleeping.
type sleeper struct {
	clock  *fakeClock
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.sleeps = append(s.sleeps, d)
	s.mu.Unlock()
	s.clock.Advance(d)
	return ctx.Err()
}

func (s *sleeper) Sleeps() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.sleeps...)
}

// fixed returns a Rand that always returns v.
func fixed(v float64) func() float64 { return func() float64 { return v } }

// seeded returns a deterministic Rand that is safe for concurrent use.
func seeded(seed uint64) func() float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var mu sync.Mutex
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64()
	}
}

// env is a Router under test with its fake clock and sleeper.
type env struct {
	r     *Router
	clock *fakeClock
	sl    *sleeper
	deps  map[string]*Deployment
}

// newEnv builds a Router whose Now and Sleep are fake; opts' other fields are
// kept, and a nil Rand becomes fixed(1).
func newEnv(t testing.TB, groups []*Group, opts Options) *env {
	t.Helper()
	c := newClock()
	s := &sleeper{clock: c}
	opts.Now, opts.Sleep = c.Now, s.Sleep
	if opts.Rand == nil {
		opts.Rand = fixed(1)
	}
	r, err := New(groups, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{r: r, clock: c, sl: s, deps: make(map[string]*Deployment)}
	for _, d := range r.deps {
		e.deps[d.Name] = d
	}
	return e
}

// deps returns one deployment per name, of provider "p".
func deps(names ...string) []*Deployment {
	out := make([]*Deployment, len(names))
	for i, n := range names {
		out[i] = &Deployment{Name: n, Provider: "p"}
	}
	return out
}

// group returns a group over ds with weights 1 and priority 0.
func group(name string, s Strategy, ds ...*Deployment) *Group {
	g := &Group{Name: name, Strategy: s}
	for _, d := range ds {
		g.Members = append(g.Members, &Member{Deployment: d, Model: "m-" + name})
	}
	return g
}

func fail(code llmgate.ErrorCode) error {
	return &llmgate.Error{Code: code, Message: "injected"}
}

// state returns the Health entry of the deployment named name.
func (e *env) state(t testing.TB, name string) DeploymentState {
	t.Helper()
	for _, s := range e.r.Health() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no deployment %q in Health", name)
	return DeploymentState{}
}

// do runs one request on group, answering each attempt with answer, and
// returns the deployments tried in order and the result.
func (e *env) do(group string, answer func(m *Member, a AttemptInfo) error) ([]string, error) {
	var tried []string
	err := e.r.Do(context.Background(), Route{Group: group}, func(_ context.Context, m *Member, a AttemptInfo) error {
		tried = append(tried, m.Deployment.Name)
		return answer(m, a)
	})
	return tried, err
}

func codeOf(err error) llmgate.ErrorCode { return llmgate.ErrorCodeOf(err) }
