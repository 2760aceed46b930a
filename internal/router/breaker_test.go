package router

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

func TestBreaker(t *testing.T) {
	a := &Deployment{Name: "a", Provider: "p"}
	const cooldown = 10 * time.Second
	e := newEnv(t, []*Group{group("solo", RoundRobin, a)}, Options{MaxAttempts: 1, FailureThreshold: 3, Cooldown: cooldown})
	answer := func(err error) func(*Member, AttemptInfo) error {
		return func(*Member, AttemptInfo) error { return err }
	}
	expect := func(step, state string, failures int, openFor time.Duration) {
		t.Helper()
		s := e.state(t, "a")
		var until time.Time
		if openFor >= 0 {
			until = e.clock.Now().Add(openFor)
		}
		if s.State != state || s.ConsecutiveFailures != failures || !s.OpenUntil.Equal(until) {
			t.Fatalf("%s: %+v, want %s with %d failures, open until %v", step, s, state, failures, until)
		}
	}
	// blocked asserts that a request is not sent to a.
	blocked := func(step string) {
		t.Helper()
		tried, err := e.do("solo", answer(nil))
		if len(tried) != 0 || !errors.Is(err, &llmgate.Error{Code: llmgate.ENoHealthyDeployment}) || !strings.Contains(err.Error(), `"solo"`) {
			t.Fatalf("%s: tried %v, err %v; want no attempt and no_healthy_deployment naming solo", step, tried, err)
		}
	}

	// Faults of the request, rate limits and successes do not count.
	e.do("solo", answer(fail(llmgate.EUpstreamError)))
	e.do("solo", answer(fail(llmgate.EInvalidRequest)))
	e.do("solo", answer(fail(llmgate.EContentFiltered)))
	e.do("solo", answer(fail(llmgate.ERateLimited)))
	expect("client faults", StateHealthy, 1, -1)
	e.do("solo", answer(nil))
	expect("success resets", StateHealthy, 0, -1)

	for i := 1; i <= 3; i++ {
		e.do("solo", answer(fail(llmgate.EUpstreamConnection)))
	}
	expect("threshold reached", StateOpen, 3, cooldown)
	blocked("open")
	var ne *llmgate.Error
	if _, err := e.do("solo", answer(nil)); !errors.As(err, &ne) || ne.RetryAfter != cooldown {
		t.Errorf("open: RetryAfter of %v, want %v", err, cooldown)
	}

	e.clock.Advance(cooldown)
	expect("cooldown over", StateHalfOpen, 3, 0)

	// One probe at a time: while it runs, other requests are refused.
	release := make(chan error)
	entered := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- e.r.Do(context.Background(), Route{Group: "solo"}, func(context.Context, *Member, AttemptInfo) error {
			close(entered)
			return <-release
		})
	}()
	<-entered
	if s := e.state(t, "a"); s.InFlight != 1 {
		t.Errorf("probe not in flight: %+v", s)
	}
	blocked("probe in flight")
	blocked("probe still in flight")
	release <- fail(llmgate.EUpstreamUnavailable)
	if err := <-done; llmgate.ErrorCodeOf(err) != llmgate.EUpstreamUnavailable {
		t.Errorf("probe err = %v", err)
	}
	expect("failed probe re-opens for twice as long", StateOpen, 4, 2*cooldown)

	e.clock.Advance(2*cooldown - time.Second)
	blocked("doubled cooldown")
	e.clock.Advance(time.Second)
	expect("doubled cooldown over", StateHalfOpen, 4, 0)
	if tried, err := e.do("solo", answer(nil)); err != nil || len(tried) != 1 {
		t.Fatalf("probe: tried %v err %v", tried, err)
	}
	expect("successful probe closes", StateHealthy, 0, -1)

	// The next opening starts again from Cooldown.
	for range 3 {
		e.do("solo", answer(fail(llmgate.EUpstreamError)))
	}
	expect("re-opened", StateOpen, 3, cooldown)

	// A neutral probe (a request fault) frees the slot and keeps it
	// half-open.
	e.clock.Advance(cooldown)
	e.do("solo", answer(fail(llmgate.EInvalidRequest)))
	expect("neutral probe", StateHalfOpen, 3, 0)
}

func TestBreakerCooldownCap(t *testing.T) {
	e := newEnv(t, []*Group{group("g", RoundRobin, deps("a")...)}, Options{MaxAttempts: 1, FailureThreshold: 1, Cooldown: 2 * time.Minute})
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if i > 0 {
			e.clock.Advance(want[i-1])
		}
		e.do("g", func(*Member, AttemptInfo) error { return fail(llmgate.EUpstreamError) })
		if s := e.state(t, "a"); !s.OpenUntil.Equal(e.clock.Now().Add(w)) {
			t.Errorf("opening %d: open until %v, want %v from now", i+1, s.OpenUntil, w)
		}
	}
}

func TestBreakerSkipsOpenDeployment(t *testing.T) {
	e := newEnv(t, []*Group{group("g", RoundRobin, deps("bad", "good")...)}, Options{FailureThreshold: 2})
	counts := map[string]int{}
	for range 100 {
		tried, err := e.do("g", func(m *Member, _ AttemptInfo) error {
			if m.Deployment.Name == "bad" {
				return fail(llmgate.EUpstreamError)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range tried {
			counts[d]++
		}
	}
	if counts["bad"] != 2 || counts["good"] != 100 {
		t.Errorf("attempts %v, want bad tried only until its breaker opened", counts)
	}
	if s := e.state(t, "bad"); s.State != StateOpen {
		t.Errorf("bad: %+v", s)
	}
}

func TestNoHealthyWrapsLastError(t *testing.T) {
	e := newEnv(t, []*Group{group("g", RoundRobin, deps("a")...)}, Options{FailureThreshold: 1, Cooldown: time.Minute})
	tried, err := e.do("g", func(*Member, AttemptInfo) error { return fail(llmgate.EUpstreamError) })
	var ne *llmgate.Error
	if len(tried) != 1 || !errors.As(err, &ne) || ne.Code != llmgate.ENoHealthyDeployment ||
		!errors.Is(err, &llmgate.Error{Code: llmgate.EUpstreamError}) || ne.RetryAfter != time.Minute {
		t.Errorf("tried %v err %v, want no_healthy_deployment wrapping the upstream error, RetryAfter 1m", tried, err)
	}
}

// TestNoAttemptBeforeTheBreakerOpens covers the moment between fail counting
// the threshold-th fault and marking the breaker open: a request that picks
// the deployment then must not be sent to it.
func TestNoAttemptBeforeTheBreakerOpens(t *testing.T) {
	for _, tt := range []struct {
		threshold int
		sent      bool
	}{
		{threshold: 3, sent: false},
		{threshold: -1, sent: true}, // breaker disabled: the count means nothing
	} {
		a := &Deployment{Name: "a"}
		e := newEnv(t, []*Group{group("solo", RoundRobin, a)}, Options{MaxAttempts: 1, FailureThreshold: tt.threshold})
		a.failures.Store(3) // fail has counted the third fault and not yet opened
		tried, err := e.do("solo", func(*Member, AttemptInfo) error { return nil })
		if sent := len(tried) == 1 && err == nil; sent != tt.sent {
			t.Errorf("threshold %d: tried %v, err %v; want sent = %v", tt.threshold, tried, err, tt.sent)
		}
	}
}
