package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/llmgate/llmgate"
)

// Do runs try until an attempt succeeds or the request must end, and returns
// nil or the error that ended it.
//
// The first attempt goes to a member of route.Group chosen by the group's
// strategy among healthy members. After an attempt fails:
//
//   - If route's context is done (the client left), Do returns try's error
//     at once.
//   - If the error's code is llmgate.EContextLengthExceeded, the request
//     moves to the failed group's ContextFallbacks, in order (within them, to
//     the next one); without any, the error is final. Such a move needs no
//     retry budget and does not back off.
//   - If the code is not Retryable (llmgate.EContentFiltered,
//     llmgate.EInvalidRequest, …), the error is final.
//   - Otherwise, if attempts remain (Options.MaxAttempts, counting every
//     attempt) and the group's retry budget has a token, or the failed
//     deployment's breaker is open (no new request goes to it, so moving
//     this one cannot multiply its load), Do picks again: a
//     healthy member this request has not tried, in the group and then in
//     its fallback groups in order (route.Fallbacks, when non-nil, replaces
//     the group's); once all were tried, a healthy member of a deployment
//     other than the one that just failed; then that one; then, as a last
//     resort, a member rate limited for a while (waiting out its
//     Retry-After).
//
// A retry to a deployment the request has already tried waits a backoff with
// full jitter (see Options.BackoffBase); a first failover to another
// deployment does not wait. When the retry goes to the deployment that just
// failed and the error carries a RetryAfter, Do waits at least that long. A
// wait that would reach the request deadline (Timeouts.Request, or ctx's
// deadline), or that is longer than Options.BackoffMax, ends the request with
// the last error instead, so that a long Retry-After reaches the client
// rather than holding its request.
//
// Members whose deployment's breaker is open are skipped. When no member of
// any candidate group can take an attempt, Do returns an *llmgate.Error with
// Code llmgate.ENoHealthyDeployment naming route.Group, wrapping the last
// attempt's error if there was one, with RetryAfter set to the time until
// the first deployment can be tried again when that is known; when every
// such deployment is only waiting out a rate limit (none is open), the code
// is llmgate.ERateLimited instead, as the upstream's own 429 would be. An unknown
// route.Group is an llmgate.EModelNotFound error, an unknown name in
// route.Fallbacks an llmgate.EInvalidRequest error.
//
// try must be safe to call again after it failed. For how try must treat
// its context, above all for streams, see the package documentation.
func (r *Router) Do(ctx context.Context, route Route, try func(ctx context.Context, m *Member, a AttemptInfo) error) error {
	primary := r.pools[route.Group]
	if primary == nil {
		return &llmgate.Error{Code: llmgate.EModelNotFound, Message: fmt.Sprintf("no route for model %q", route.Group)}
	}
	var chainBuf [8]*pool
	chain := append(chainBuf[:0], primary)
	if route.Fallbacks != nil {
		for _, name := range route.Fallbacks {
			p := r.pools[name]
			if p == nil {
				return &llmgate.Error{Code: llmgate.EInvalidRequest, Message: fmt.Sprintf("fallback model %q is not routable", name)}
			}
			if p != primary {
				chain = append(chain, p)
			}
		}
	} else {
		chain = append(chain, primary.fallbacks...)
	}

	tm := primary.g.Timeouts
	if o := route.Timeouts; o != nil {
		tm = overlay(tm, *o)
	}
	limit := tm.Attempt
	if route.Stream && tm.FirstToken > 0 {
		limit = tm.FirstToken
	}

	now := r.now()
	var deadline int64 // 0 = none
	if tm.Request > 0 {
		deadline = now + int64(tm.Request)
	}
	if dl, ok := ctx.Deadline(); ok {
		if d := now + int64(time.Until(dl)); deadline == 0 || d < deadline {
			deadline = d
		}
	}
	primary.budget.deposit(now)

	var (
		tried     triedSet
		lastErr   error
		sleeps    int
		inContext bool
	)
	m, mp, probe, _ := r.next(chain, &tried, nil, now, false)
	if m == nil {
		return r.noHealthy(primary, chain, now, nil)
	}
	for n := 1; ; n++ {
		timeout := limit
		if deadline != 0 {
			left := time.Duration(deadline - now)
			if left <= 0 {
				m.Deployment.release(probe)
				if lastErr != nil {
					return lastErr
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				return &llmgate.Error{Code: llmgate.EUpstreamTimeout, Message: "the request deadline passed before the first attempt"}
			}
			if timeout == 0 || left < timeout {
				timeout = left
			}
		}
		info := AttemptInfo{Number: n, Group: mp.g.Name, Timeout: timeout}
		if timeout > 0 {
			info.Deadline = time.Unix(0, now+int64(timeout))
		}

		err := r.attempt(ctx, route.Stream, m, info, try)
		end := r.now()
		d := m.Deployment
		d.inFlight.Add(-1)
		tried.add(m)
		if err == nil {
			d.observe(time.Duration(end - now))
			d.succeed(probe)
			return nil
		}
		if ctx.Err() != nil {
			d.neutral(probe)
			return err
		}
		code := llmgate.ErrorCodeOf(err)
		retryAfter := llmgate.AsError(err).RetryAfter
		switch {
		case code == llmgate.ERateLimited:
			if retryAfter > 0 {
				d.coolFor(end, retryAfter)
			}
			d.neutral(probe)
		case code.Retryable():
			d.fail(end, probe, r.opts.FailureThreshold, r.opts.Cooldown)
		default:
			d.neutral(probe)
		}
		lastErr, now = err, end

		if n >= r.opts.MaxAttempts {
			return err
		}
		switch {
		case code == llmgate.EContextLengthExceeded:
			chain = contextChain(chain, mp, inContext)
			inContext = true
			if len(chain) == 0 {
				return err
			}
		case !code.Retryable():
			return err
		case d.open.Load():
			// d's breaker is open, opened by this failure or found so: no
			// new request goes to d, so moving this one elsewhere cannot
			// multiply the load on it, and needs no budget. Otherwise the
			// requests in flight to a region that just died, which can
			// outnumber a fresh budget, would fail rather than fail over.
		case !primary.budget.withdraw(now):
			return err
		}

		var cooled bool
		m, mp, probe, cooled = r.next(chain, &tried, d, now, true)
		if m == nil {
			return r.noHealthy(primary, chain, now, err)
		}
		var wait time.Duration
		if code.Retryable() {
			if tried.hasDeployment(m.Deployment) {
				wait = r.backoff(sleeps)
				sleeps++
			}
			if m.Deployment == d {
				wait = max(wait, retryAfter)
			}
		}
		if cooled {
			wait = max(wait, time.Duration(m.Deployment.coolUntil.Load()-now))
		}
		if wait > 0 {
			// A wait past the deadline is pointless, and one longer than
			// BackoffMax (a long Retry-After) is the client's to make: the
			// error carries Retry-After to it.
			if (deadline != 0 && now+int64(wait) >= deadline) || (r.opts.BackoffMax > 0 && wait > r.opts.BackoffMax) {
				m.Deployment.release(probe)
				return err
			}
			if serr := r.opts.Sleep(ctx, wait); serr != nil {
				m.Deployment.release(probe)
				return serr
			}
			now = r.now()
		}
	}
}

// attempt runs try once. For a plain request it bounds try's context by the
// attempt's timeout and turns a missed deadline into EUpstreamTimeout.
func (r *Router) attempt(ctx context.Context, stream bool, m *Member, info AttemptInfo, try func(context.Context, *Member, AttemptInfo) error) error {
	if stream || info.Timeout <= 0 {
		return try(ctx, m, info)
	}
	actx, cancel := context.WithTimeout(ctx, info.Timeout)
	defer cancel()
	err := try(actx, m, info)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		var e *llmgate.Error
		if !errors.As(err, &e) {
			err = &llmgate.Error{
				Code:     llmgate.EUpstreamTimeout,
				Provider: m.Provider,
				Message:  fmt.Sprintf("the provider did not answer within %s", info.Timeout),
				Err:      err,
			}
		}
	}
	return err
}

// next picks the member for the next attempt from chain (see Do) and
// reserves it. cooled reports a member picked although its rate-limit
// cooldown is running; the caller must wait for its end. Only retries (retry
// true) consider members already tried or cooling.
func (r *Router) next(chain []*pool, tried *triedSet, last *Deployment, now int64, retry bool) (m *Member, p *pool, probe, cooled bool) {
	for _, p := range chain {
		if m, probe := p.pick(r, now, filter{tried: tried}); m != nil {
			return m, p, probe, false
		}
	}
	if !retry {
		return nil, nil, false, false
	}
	if last != nil {
		for _, p := range chain {
			if m, probe := p.pick(r, now, filter{skip: last}); m != nil {
				return m, p, probe, false
			}
		}
	}
	for _, p := range chain {
		if m, probe := p.pick(r, now, filter{}); m != nil {
			return m, p, probe, false
		}
	}
	for _, p := range chain {
		if m, probe := p.pick(r, now, filter{cooled: true}); m != nil {
			return m, p, probe, true
		}
	}
	return nil, nil, false, false
}

// contextChain returns the groups to try after failed ran out of context
// window: its ContextFallbacks, or, when the request is already among
// context fallbacks, the ones after it.
func contextChain(chain []*pool, failed *pool, inContext bool) []*pool {
	if !inContext {
		return failed.contextFallbacks
	}
	for i, p := range chain {
		if p == failed {
			return chain[i+1:]
		}
	}
	return nil
}

// backoff returns the k-th backoff wait (from 0), with full jitter.
func (r *Router) backoff(k int) time.Duration {
	c, hi := r.opts.BackoffBase, r.opts.BackoffMax
	for i := 0; i < k && c < hi; i++ {
		c *= 2
	}
	c = min(c, hi)
	return time.Duration(float64(c) * r.rand())
}

// noHealthy is the error for a request that found no member to try.
func (r *Router) noHealthy(primary *pool, chain []*pool, now int64, last error) error {
	e := &llmgate.Error{
		Code:    llmgate.ENoHealthyDeployment,
		Message: fmt.Sprintf("no healthy deployment for model %q", primary.g.Name),
		Err:     last,
	}
	limited := true // every deployment is out for a rate limit, none for failures
	for _, p := range chain {
		for _, m := range p.members {
			if m.Deployment.open.Load() {
				limited = false
			}
			if w, ok := m.Deployment.waitFor(now); ok && (e.RetryAfter == 0 || w < e.RetryAfter) {
				e.RetryAfter = w
			}
		}
	}
	if limited && e.RetryAfter > 0 {
		// The upstreams are well, only busy: say so, as a 429 would.
		e.Code = llmgate.ERateLimited
		e.Message = fmt.Sprintf("every deployment of model %q is rate limited", primary.g.Name)
	}
	return e
}

func overlay(t, o Timeouts) Timeouts {
	if o.Request > 0 {
		t.Request = o.Request
	}
	if o.Attempt > 0 {
		t.Attempt = o.Attempt
	}
	if o.FirstToken > 0 {
		t.FirstToken = o.FirstToken
	}
	return t
}
