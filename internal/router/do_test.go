package router

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

const ms = time.Millisecond

func TestBackoffSchedule(t *testing.T) {
	tests := []struct {
		name       string
		rand       float64
		deps       []string
		maxAtt     int
		wantTried  []string
		wantSleeps []time.Duration
	}{
		{"full jitter at 1.0, capped", 1, []string{"a"}, 8,
			[]string{"a", "a", "a", "a", "a", "a", "a", "a"},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 1000 * ms, 1000 * ms}},
		{"full jitter at 0.5, capped", 0.5, []string{"a"}, 8,
			[]string{"a", "a", "a", "a", "a", "a", "a", "a"},
			[]time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms, 500 * ms}},
		{"jitter 0 never waits", 0, []string{"a"}, 4,
			[]string{"a", "a", "a", "a"}, nil},
		{"first failover to a fresh deployment does not wait", 1, []string{"a", "b"}, 5,
			[]string{"a", "b", "a", "b", "a"},
			[]time.Duration{100 * ms, 200 * ms, 400 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []*Group{group("g", RoundRobin, deps(tt.deps...)...)}, Options{
				Rand: fixed(tt.rand), MaxAttempts: tt.maxAtt, BackoffBase: 100 * ms, BackoffMax: time.Second,
				FailureThreshold: -1, BudgetRatio: 100,
			})
			tried, err := e.do("g", func(*Member, AttemptInfo) error { return fail(llmgate.EUpstreamError) })
			if codeOf(err) != llmgate.EUpstreamError {
				t.Errorf("err = %v, want the last upstream error", err)
			}
			if !slices.Equal(tried, tt.wantTried) {
				t.Errorf("tried %v, want %v", tried, tt.wantTried)
			}
			if got := e.sl.Sleeps(); !slices.Equal(got, tt.wantSleeps) {
				t.Errorf("sleeps %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	rateLimited := func(ra time.Duration) error {
		return &llmgate.Error{Code: llmgate.ERateLimited, Message: "slow down", RetryAfter: ra}
	}
	tests := []struct {
		name       string
		deps       []string
		request    time.Duration
		first      error // the first attempt's error; later attempts succeed
		wantTried  []string
		wantSleeps []time.Duration
		wantCode   llmgate.ErrorCode
	}{
		{"same deployment waits Retry-After", []string{"a"}, 0, rateLimited(3 * time.Second),
			[]string{"a", "a"}, []time.Duration{3 * time.Second}, ""},
		{"Retry-After on a 503 too", []string{"a"}, 0,
			&llmgate.Error{Code: llmgate.EUpstreamUnavailable, RetryAfter: 2 * time.Second},
			[]string{"a", "a"}, []time.Duration{2 * time.Second}, ""},
		{"backoff when longer than Retry-After", []string{"a"}, 0, rateLimited(50 * ms),
			[]string{"a", "a"}, []time.Duration{100 * ms}, ""},
		{"Retry-After beyond the request deadline ends the request", []string{"a"}, 2 * time.Second, rateLimited(3 * time.Second),
			[]string{"a"}, nil, llmgate.ERateLimited},
		{"another deployment does not wait", []string{"a", "b"}, 0, rateLimited(10 * time.Second),
			[]string{"a", "b"}, nil, ""},
		{"Retry-After longer than BackoffMax goes to the client", []string{"a"}, 0, rateLimited(7 * time.Second),
			[]string{"a"}, nil, llmgate.ERateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := group("g", RoundRobin, deps(tt.deps...)...)
			g.Timeouts.Request = tt.request
			e := newEnv(t, []*Group{g}, Options{BackoffBase: 100 * ms})
			n := 0
			tried, err := e.do("g", func(*Member, AttemptInfo) error {
				if n++; n == 1 {
					return tt.first
				}
				return nil
			})
			if codeOf(err) != tt.wantCode {
				t.Errorf("err = %v, want code %q", err, tt.wantCode)
			}
			if !slices.Equal(tried, tt.wantTried) {
				t.Errorf("tried %v, want %v", tried, tt.wantTried)
			}
			if got := e.sl.Sleeps(); !slices.Equal(got, tt.wantSleeps) {
				t.Errorf("sleeps %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

func TestRateLimitCooldown(t *testing.T) {
	e := newEnv(t, []*Group{group("g", RoundRobin, deps("a", "b")...), group("solo", RoundRobin, deps("s")...)}, Options{MaxAttempts: 1})
	ra := 10 * time.Second
	limited := &llmgate.Error{Code: llmgate.ERateLimited, RetryAfter: ra}

	// a answers 429: it leaves rotation for Retry-After, without counting
	// as a fault.
	if tried, err := e.do("g", func(*Member, AttemptInfo) error { return limited }); !slices.Equal(tried, []string{"a"}) || codeOf(err) != llmgate.ERateLimited {
		t.Fatalf("tried %v err %v", tried, err)
	}
	s := e.state(t, "a")
	if s.State != StateHealthy || s.ConsecutiveFailures != 0 || !s.RateLimitedUntil.Equal(e.clock.Now().Add(ra)) {
		t.Errorf("a after 429: %+v", s)
	}
	for range 5 {
		if tried, _ := e.do("g", func(*Member, AttemptInfo) error { return nil }); tried[0] != "b" {
			t.Fatalf("picked %s during a's cooldown", tried[0])
		}
	}
	e.clock.Advance(ra)
	got := map[string]int{}
	for range 4 {
		tried, _ := e.do("g", func(*Member, AttemptInfo) error { return nil })
		got[tried[0]]++
	}
	if got["a"] != 2 {
		t.Errorf("after the cooldown: %v, want a back in rotation", got)
	}

	// A new request to a group whose only deployment is cooling fails at
	// once as rate limited (the upstream is well, only busy), saying when to
	// come back.
	e.do("solo", func(*Member, AttemptInfo) error { return limited })
	e.clock.Advance(4 * time.Second)
	tried, err := e.do("solo", func(*Member, AttemptInfo) error { return nil })
	var ge *llmgate.Error
	if len(tried) != 0 || !errors.As(err, &ge) || ge.Code != llmgate.ERateLimited || ge.RetryAfter != 6*time.Second {
		t.Errorf("tried %v err %#v, want no attempt and rate_limited with RetryAfter 6s", tried, err)
	}
}

func TestRetryBudget(t *testing.T) {
	const requests = 100
	tests := []struct {
		name     string
		step     time.Duration // fake time between requests
		ratio    float64
		minRate  int
		noRetry  bool // the budget allows no retry at all
		anyRetry bool // the budget must have allowed some retries
	}{
		{"no time passes", 0, 0, 0, false, true},
		{"ratio and rate both matter", 10 * ms, 0, 0, false, true},
		{"rate dominates", 100 * ms, 0, 0, false, true},
		{"ratio only", 10 * ms, 0.2, -1, false, true},
		{"no budget", 10 * ms, -1, -1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := newClock().Now()
			e := newEnv(t, []*Group{group("g", RoundRobin, deps("dead")...)}, Options{
				Rand: fixed(0), FailureThreshold: -1, BudgetRatio: tt.ratio, MinRetriesPerSecond: tt.minRate,
			})
			attempts := 0
			for range requests {
				e.clock.Advance(tt.step)
				tried, err := e.do("g", func(*Member, AttemptInfo) error { return fail(llmgate.EUpstreamConnection) })
				if codeOf(err) != llmgate.EUpstreamConnection {
					t.Fatalf("err = %v", err)
				}
				attempts += len(tried)
			}
			elapsed := e.clock.Now().Sub(start).Seconds()
			minRate := 10.0
			if tt.minRate < 0 {
				minRate = 0
			}
			ratio := 0.2
			if tt.ratio < 0 {
				ratio = 0
			}
			// The per-second allowance starts full: one second's worth more.
			bound := requests + int(max(minRate*(elapsed+1), ratio*requests))
			t.Logf("%d attempts for %d requests over %.1fs; bound %d", attempts, requests, elapsed, bound)
			if attempts > bound {
				t.Errorf("%d attempts, more than the budget's %d", attempts, bound)
			}
			if tt.noRetry && attempts != requests {
				t.Errorf("%d attempts, want %d without a budget", attempts, requests)
			}
			if tt.anyRetry && attempts == requests {
				t.Errorf("no retry at all")
			}
		})
	}
}

// TestFailoverFromAnOpenBreakerNeedsNoBudget: with no retry budget at all,
// a request whose failure opened its deployment's breaker still moves to
// another deployment, since no new request goes to the failed one; a
// failure that leaves the breaker closed is not retried.
func TestFailoverFromAnOpenBreakerNeedsNoBudget(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		want      []string
		wantErr   bool
	}{
		{"the failure opens the breaker", 1, []string{"dead", "live"}, false},
		{"the breaker stays closed", 2, []string{"dead"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := group("g", Priority, deps("dead", "live")...)
			g.Members[1].Priority = 1 // dead first, while it takes requests
			e := newEnv(t, []*Group{g}, Options{
				FailureThreshold: tt.threshold, BudgetRatio: -1, MinRetriesPerSecond: -1,
			})
			tried, err := e.do("g", func(m *Member, _ AttemptInfo) error {
				if m.Deployment.Name == "dead" {
					return fail(llmgate.EUpstreamError)
				}
				return nil
			})
			if !slices.Equal(tried, tt.want) || (err != nil) != tt.wantErr {
				t.Errorf("tried %v, err %v; want %v, error %v", tried, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFallbacks(t *testing.T) {
	groups := func() []*Group {
		primary := group("primary", RoundRobin, deps("p")...)
		primary.Fallbacks = []string{"fb1", "fb2"}
		primary.ContextFallbacks = []string{"big", "huge"}
		return []*Group{
			primary,
			group("fb1", RoundRobin, deps("f1")...),
			group("fb2", RoundRobin, deps("f2")...),
			group("big", RoundRobin, deps("b")...),
			group("huge", RoundRobin, deps("h")...),
			group("plain", RoundRobin, deps("x")...),
		}
	}
	ctxErr := llmgate.EContextLengthExceeded
	tests := []struct {
		name      string
		route     Route
		fail      map[string]llmgate.ErrorCode
		wantTried []string
		wantGroup []string
		wantCode  llmgate.ErrorCode
	}{
		{"first succeeds", Route{Group: "primary"}, nil, []string{"p"}, []string{"primary"}, ""},
		{"retryable moves to the first fallback", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": llmgate.EUpstreamError}, []string{"p", "f1"}, []string{"primary", "fb1"}, ""},
		{"fallbacks in order", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": llmgate.EUpstreamError, "f1": llmgate.EUpstreamUnavailable},
			[]string{"p", "f1", "f2"}, []string{"primary", "fb1", "fb2"}, ""},
		{"per-request fallbacks replace the group's", Route{Group: "primary", Fallbacks: []string{"fb2"}},
			map[string]llmgate.ErrorCode{"p": llmgate.EUpstreamTimeout}, []string{"p", "f2"}, []string{"primary", "fb2"}, ""},
		{"empty per-request fallbacks turn them off", Route{Group: "primary", Fallbacks: []string{}},
			map[string]llmgate.ErrorCode{"p": llmgate.EUpstreamTimeout}, []string{"p", "p", "p"}, []string{"primary", "primary", "primary"}, llmgate.EUpstreamTimeout},
		{"context length goes to context fallbacks only", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": ctxErr}, []string{"p", "b"}, []string{"primary", "big"}, ""},
		{"context fallbacks in order", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": ctxErr, "b": ctxErr}, []string{"p", "b", "h"}, []string{"primary", "big", "huge"}, ""},
		{"context length without context fallbacks is final", Route{Group: "plain"},
			map[string]llmgate.ErrorCode{"x": ctxErr}, []string{"x"}, []string{"plain"}, ctxErr},
		{"content filtered never falls back", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": llmgate.EContentFiltered}, []string{"p"}, []string{"primary"}, llmgate.EContentFiltered},
		{"invalid request is one attempt", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": llmgate.EInvalidRequest}, []string{"p"}, []string{"primary"}, llmgate.EInvalidRequest},
		{"plain error is one attempt", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": llmgate.EInternal}, []string{"p"}, []string{"primary"}, llmgate.EInternal},
		{"max attempts ends the request", Route{Group: "primary"},
			map[string]llmgate.ErrorCode{"p": llmgate.EUpstreamError, "f1": llmgate.EUpstreamError, "f2": llmgate.EUpstreamError},
			[]string{"p", "f1", "f2"}, []string{"primary", "fb1", "fb2"}, llmgate.EUpstreamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, groups(), Options{})
			var tried, inGroup []string
			var numbers []int
			err := e.r.Do(context.Background(), tt.route, func(_ context.Context, m *Member, a AttemptInfo) error {
				tried = append(tried, m.Deployment.Name)
				inGroup = append(inGroup, a.Group)
				numbers = append(numbers, a.Number)
				if m.Model != "m-"+a.Group || m.Provider != "p" {
					t.Errorf("member %+v for group %s", m, a.Group)
				}
				if c, ok := tt.fail[m.Deployment.Name]; ok {
					if c == llmgate.EInternal {
						return errors.New("plain")
					}
					return fail(c)
				}
				return nil
			})
			if codeOf(err) != tt.wantCode {
				t.Errorf("err = %v, want code %q", err, tt.wantCode)
			}
			if !slices.Equal(tried, tt.wantTried) || !slices.Equal(inGroup, tt.wantGroup) {
				t.Errorf("tried %v in %v, want %v in %v", tried, inGroup, tt.wantTried, tt.wantGroup)
			}
			for i, n := range numbers {
				if n != i+1 {
					t.Errorf("attempt numbers %v", numbers)
				}
			}
		})
	}
}

func TestRouteErrors(t *testing.T) {
	e := newEnv(t, []*Group{group("g", RoundRobin, deps("a")...)}, Options{})
	called := false
	try := func(context.Context, *Member, AttemptInfo) error { called = true; return nil }
	if err := e.r.Do(context.Background(), Route{Group: "nope"}, try); codeOf(err) != llmgate.EModelNotFound {
		t.Errorf("unknown group: %v", err)
	}
	if err := e.r.Do(context.Background(), Route{Group: "g", Fallbacks: []string{"nope"}}, try); codeOf(err) != llmgate.EInvalidRequest {
		t.Errorf("unknown fallback: %v", err)
	}
	if called {
		t.Error("try called for a bad route")
	}
	if !e.r.Has("g") || e.r.Has("nope") || e.r.Group("g") == nil || e.r.Group("nope") != nil {
		t.Error("Has or Group disagree with the groups")
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("attempt deadline is a retryable upstream timeout", func(t *testing.T) {
		stuck, ok := &Deployment{Name: "stuck"}, &Deployment{Name: "ok"}
		solo := group("solo", RoundRobin, stuck)
		pair := &Group{Name: "pair", Strategy: Priority, Members: []*Member{
			{Deployment: stuck, Model: "m"}, {Deployment: ok, Model: "m", Priority: 1},
		}}
		for _, g := range []*Group{solo, pair} {
			g.Timeouts.Attempt = 20 * ms
		}
		e := newEnv(t, []*Group{solo, pair}, Options{MaxAttempts: 2, Rand: fixed(0)})
		hang := func(ctx context.Context, m *Member, a AttemptInfo) error {
			if a.Timeout != 20*ms {
				t.Errorf("Timeout = %v, want 20ms", a.Timeout)
			}
			if m.Deployment == stuck {
				<-ctx.Done() // the attempt's deadline: 20ms of real time
				return ctx.Err()
			}
			return nil
		}
		err := e.r.Do(context.Background(), Route{Group: "solo", Timeouts: &Timeouts{}}, hang)
		if codeOf(err) != llmgate.EUpstreamTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want an upstream timeout wrapping the deadline", err)
		}
		var tried []string
		err = e.r.Do(context.Background(), Route{Group: "pair"}, func(ctx context.Context, m *Member, a AttemptInfo) error {
			tried = append(tried, m.Deployment.Name)
			return hang(ctx, m, a)
		})
		if err != nil || !slices.Equal(tried, []string{"stuck", "ok"}) {
			t.Errorf("tried %v err %v, want a failover after the timeout", tried, err)
		}
		// Two attempts on solo, one on pair.
		if s := e.state(t, "stuck"); s.ConsecutiveFailures != 3 {
			t.Errorf("stuck %+v, want 3 counted failures", s)
		}
	})
	t.Run("request deadline caps the attempt; overrides apply", func(t *testing.T) {
		g := group("g", RoundRobin, deps("a")...)
		g.Timeouts = Timeouts{Request: time.Second, Attempt: 5 * time.Second, FirstToken: 300 * ms}
		e := newEnv(t, []*Group{g}, Options{})
		tests := []struct {
			route Route
			want  time.Duration
		}{
			{Route{Group: "g"}, time.Second},
			{Route{Group: "g", Stream: true}, 300 * ms},
			{Route{Group: "g", Timeouts: &Timeouts{Attempt: 200 * ms}}, 200 * ms},
			{Route{Group: "g", Stream: true, Timeouts: &Timeouts{Request: 100 * ms}}, 100 * ms},
			{Route{Group: "g", Timeouts: &Timeouts{Request: 10 * time.Second}}, 5 * time.Second},
		}
		for _, tt := range tests {
			err := e.r.Do(context.Background(), tt.route, func(ctx context.Context, _ *Member, a AttemptInfo) error {
				if a.Timeout != tt.want || !a.Deadline.Equal(e.clock.Now().Add(tt.want)) {
					t.Errorf("%+v: Timeout %v Deadline %v, want %v", tt.route, a.Timeout, a.Deadline, tt.want)
				}
				_, has := ctx.Deadline()
				if has == tt.route.Stream {
					t.Errorf("%+v: context deadline set = %v; streams get the caller's context", tt.route, has)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("stream caller's first-token timeout fails over", func(t *testing.T) {
		g := group("g", RoundRobin, deps("silent", "ok")...)
		g.Timeouts.FirstToken = 10 * ms
		e := newEnv(t, []*Group{g}, Options{})
		errNoChunk := errors.New("no first chunk in time")
		var stream io.Closer
		err := e.r.Do(context.Background(), Route{Group: "g", Stream: true}, func(ctx context.Context, m *Member, a AttemptInfo) error {
			sctx, cancel := context.WithCancelCause(ctx)
			timer := time.AfterFunc(a.Timeout, func() { cancel(errNoChunk) })
			first := make(chan struct{})
			if m.Deployment.Name == "ok" {
				close(first)
			}
			select {
			case <-sctx.Done():
				cancel(nil)
				return &llmgate.Error{Code: llmgate.EUpstreamTimeout, Message: "no first chunk", Err: context.Cause(sctx)}
			case <-first:
				timer.Stop()
				stream = closer(func() { cancel(nil) })
				return nil
			}
		})
		if err != nil || stream == nil {
			t.Fatalf("err %v", err)
		}
		stream.Close()
	})
}

type closer func()

func (c closer) Close() error { c(); return nil }

func TestClientGone(t *testing.T) {
	t.Run("during an attempt", func(t *testing.T) {
		e := newEnv(t, []*Group{group("g", RoundRobin, deps("a", "b")...)}, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := e.r.Do(ctx, Route{Group: "g"}, func(ctx context.Context, _ *Member, _ AttemptInfo) error {
			n++
			cancel()
			return ctx.Err()
		})
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Errorf("err %v after %d attempts, want context.Canceled after 1", err, n)
		}
		for _, s := range e.r.Health() {
			if s.ConsecutiveFailures != 0 || s.InFlight != 0 {
				t.Errorf("%+v: a client leaving is no fault", s)
			}
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var slept []time.Duration
		r, err := New([]*Group{group("g", RoundRobin, deps("a")...)}, Options{
			Now: newClock().Now, Rand: fixed(1),
			Sleep: func(ctx context.Context, d time.Duration) error {
				slept = append(slept, d)
				cancel()
				return ctx.Err()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = r.Do(ctx, Route{Group: "g"}, func(context.Context, *Member, AttemptInfo) error {
			n++
			return fail(llmgate.EUpstreamError)
		})
		if !errors.Is(err, context.Canceled) || n != 1 || len(slept) != 1 {
			t.Errorf("err %v after %d attempts and %d sleeps, want context.Canceled after 1 and 1", err, n, len(slept))
		}
		if s := r.Health()[0]; s.InFlight != 0 {
			t.Errorf("InFlight %d after the request ended", s.InFlight)
		}
	})
}

func TestNew(t *testing.T) {
	a := &Deployment{Name: "a", Provider: "p"}
	m := func(d *Deployment) *Member { return &Member{Deployment: d, Model: "m"} }
	tests := []struct {
		name   string
		groups []*Group
		ok     bool
	}{
		{"valid", []*Group{{Name: "g", Members: []*Member{m(a)}}, {Name: "h", Members: []*Member{m(a)}, Fallbacks: []string{"g"}}}, true},
		{"no name", []*Group{{Members: []*Member{m(a)}}}, false},
		{"nil group", []*Group{nil}, false},
		{"duplicate group", []*Group{{Name: "g", Members: []*Member{m(a)}}, {Name: "g", Members: []*Member{m(a)}}}, false},
		{"empty group", []*Group{{Name: "g"}}, false},
		{"nil member", []*Group{{Name: "g", Members: []*Member{nil}}}, false},
		{"nil deployment", []*Group{{Name: "g", Members: []*Member{{Model: "m"}}}}, false},
		{"no model", []*Group{{Name: "g", Members: []*Member{{Deployment: a}}}}, false},
		{"provider mismatch", []*Group{{Name: "g", Members: []*Member{{Deployment: a, Model: "m", Provider: "q"}}}}, false},
		{"duplicate deployment name", []*Group{{Name: "g", Members: []*Member{m(a), m(&Deployment{Name: "a"})}}}, false},
		{"unknown strategy", []*Group{{Name: "g", Members: []*Member{m(a)}, Strategy: "random"}}, false},
		{"unknown fallback", []*Group{{Name: "g", Members: []*Member{m(a)}, Fallbacks: []string{"x"}}}, false},
		{"unknown context fallback", []*Group{{Name: "g", Members: []*Member{m(a)}, ContextFallbacks: []string{"x"}}}, false},
		{"self fallback", []*Group{{Name: "g", Members: []*Member{m(a)}, Fallbacks: []string{"g"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.groups, Options{})
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && len(r.Health()) != 1 {
				t.Errorf("Health lists %d deployments, want the shared one once", len(r.Health()))
			}
		})
	}
	big := &Group{Name: "big"}
	for range MaxMembers + 1 {
		big.Members = append(big.Members, m(a))
	}
	if _, err := New([]*Group{big}, Options{}); err == nil {
		t.Error("a group over MaxMembers was accepted")
	}
}

func TestBackoffPastDeadline(t *testing.T) {
	g := group("g", RoundRobin, deps("a")...)
	g.Timeouts.Request = 250 * ms
	e := newEnv(t, []*Group{g}, Options{MaxAttempts: 5, BackoffBase: 100 * ms, FailureThreshold: -1})
	tried, err := e.do("g", func(*Member, AttemptInfo) error { return fail(llmgate.EUpstreamError) })
	// Attempt 2 starts at 100ms; the next wait (200ms) would end past 250ms.
	if codeOf(err) != llmgate.EUpstreamError || len(tried) != 2 {
		t.Errorf("tried %v err %v, want 2 attempts and the upstream error", tried, err)
	}
	if got := e.sl.Sleeps(); !slices.Equal(got, []time.Duration{100 * ms}) {
		t.Errorf("sleeps %v, want [100ms]", got)
	}
}
