// Package router decides which provider deployment serves a request and keeps
// requests answered when deployments fail: it balances load inside a group of
// equivalent deployments, retries with backoff under a retry budget, falls
// back to other groups, and takes failing deployments out of rotation with a
// circuit breaker.
//
// A group is a routable name ("azure_openai/gpt-4o", or an alias such as
// "gpt-4o") served by members; a member is a deployment plus the catalog model
// to ask it for. Router.Do runs one request: it picks a member, calls the
// caller's try function, and on a failure that is safe to retry (the error's
// llmgate.ErrorCode is Retryable) picks again, until an attempt succeeds or
// the request must end.
//
// # Plain requests
//
// For a route with Stream false, try gets a context that ends at the attempt
// deadline (Timeouts.Attempt, capped by what is left of Timeouts.Request) and
// is cancelled when try returns. If try fails because that deadline passed
// and its error carries no llmgate.Error, Do turns it into an
// llmgate.EUpstreamTimeout error, which is retryable.
//
// # Streams
//
// A stream outlives the attempt that opened it, so for a route with Stream
// true Do passes try the caller's context unchanged and leaves the
// time-to-first-token limit to the caller: AttemptInfo.Timeout (and
// AttemptInfo.Deadline) say how long the attempt may wait for its first chunk.
// A stream caller's try must
//
//  1. derive its own cancellable context from the one it is given and, when
//     AttemptInfo.Timeout > 0, arm a timer (time.AfterFunc) that cancels it
//     after Timeout;
//  2. open the upstream stream with that context and receive the first chunk;
//  3. if opening or the first receive fails, or the timer fired, cancel the
//     context, close the stream and return the error — an
//     *llmgate.Error with Code llmgate.EUpstreamTimeout when the timer fired
//     (Do does not convert timeouts for streams) — so that Do may retry on
//     another deployment;
//  4. once the first chunk has arrived, stop the timer, keep the stream, its
//     cancel function and, if it wants least-in-flight balancing to see the
//     stream, the release function of Deployment.Hold, in variables of the
//     enclosing function, and return nil.
//
// Do never retries after try returned nil, so nothing is ever sent twice after
// the first byte; an error later in the stream is the caller's to report. For
// streams, Timeouts.Request bounds the time until a stream starts, and the
// latency the router learns is the time to the first chunk.
package router

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Deployment is one upstream client: an Azure region, an OpenAI organisation,
// the mock. Its health (in-flight count, latency average, circuit breaker)
// lives in it, so a Deployment shared by several groups, or carried over to a
// new Router after a configuration reload, has one health. A Deployment must
// not be copied after first use.
type Deployment struct {
	// Name is unique across the gateway, such as "azure_openai/east_us".
	Name string
	// Provider is the catalog provider the deployment serves, such as
	// "azure_openai".
	Provider string
	// Target is the provider adapter. It implements llmgate.Chatter and may
	// implement llmgate.ChatStreamer, llmgate.Embedder and
	// llmgate.ImageGenerator.
	Target any

	inFlight atomic.Int64
	// ewma is math.Float64bits of the latency average in nanoseconds; zero
	// means no sample yet.
	ewma atomic.Uint64
	// failures counts the upstream faults since the last success.
	failures atomic.Int64
	// open is true while the breaker is open or half-open.
	open atomic.Bool
	// openUntil is when an open breaker turns half-open (Unix nanoseconds).
	openUntil atomic.Int64
	// coolUntil is the end of a rate-limit cooldown (Unix nanoseconds).
	coolUntil atomic.Int64
	// probing is true while the half-open probe is in flight.
	probing atomic.Bool

	mu       sync.Mutex    // serialises breaker transitions
	cooldown time.Duration // guarded by mu: the current open period
}

// Hold counts one more request in flight on d until release is called, for
// work that outlives an attempt, such as a stream after its first chunk.
// release may be called more than once; only the first call counts.
func (d *Deployment) Hold() (release func()) {
	d.inFlight.Add(1)
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			d.inFlight.Add(-1)
		}
	}
}

// Member is one way to serve a group: a deployment and the catalog model to
// ask it for.
type Member struct {
	Deployment *Deployment
	// Provider is the catalog provider of Model. It equals
	// Deployment.Provider; New fills it in when it is empty.
	Provider string
	// Model is the catalog model name at that provider.
	Model string
	// Weight is the member's share under weighted round robin and inside a
	// priority tier; a value <= 0 counts as 1.
	Weight int
	// Priority is the member's tier under the Priority strategy; lower is
	// preferred.
	Priority int
}

// Strategy is how a group chooses among its healthy members.
type Strategy string

// The balancing strategies.
const (
	// RoundRobin is smooth weighted round robin, as in nginx: deterministic,
	// and it interleaves members instead of sending runs to one.
	RoundRobin Strategy = "round_robin"
	// LeastInFlight picks the member whose deployment has the fewest requests
	// in flight; ties go round robin.
	LeastInFlight Strategy = "least_in_flight"
	// LowestLatency picks the member whose deployment has the lowest moving
	// average of successful attempt durations; members without a sample count
	// as fastest. With probability Options.Explore it picks uniformly among
	// the healthy members instead, so a deployment that has become fast again
	// gets traffic and new samples.
	LowestLatency Strategy = "lowest_latency"
	// Priority picks from the lowest Priority tier that has a healthy member,
	// weighted round robin inside the tier; a request goes to a later tier
	// only when the members of the earlier tiers are unhealthy or have failed
	// for this request.
	Priority Strategy = "priority"
)

// Group is a routable name and the members that serve it.
type Group struct {
	// Name is what requests ask for: "provider/model" or an alias like
	// "gpt-4o".
	Name string
	// Members serve the group; at most MaxMembers.
	Members []*Member
	// Strategy chooses among the members; "" means RoundRobin.
	Strategy Strategy
	// Fallbacks are group names tried in order after this group's members
	// have failed a request with a retryable error. Fallbacks are not
	// transitive: the fallbacks of a fallback group are not followed.
	Fallbacks []string
	// ContextFallbacks are group names (models with larger context windows)
	// tried in order when an attempt fails with
	// llmgate.EContextLengthExceeded.
	ContextFallbacks []string
	// Timeouts bound the group's requests.
	Timeouts Timeouts
}

// MaxMembers is the largest number of members a group may have.
const MaxMembers = 64

// Timeouts bound a request. A zero field means no limit.
type Timeouts struct {
	// Request bounds the whole request across attempts and backoff; for a
	// stream, the time until the stream has started.
	Request time.Duration
	// Attempt bounds one attempt of a plain request.
	Attempt time.Duration
	// FirstToken bounds a stream attempt's wait for its first chunk; zero
	// means Attempt.
	FirstToken time.Duration
}

// Options tune a Router. The zero value gives the documented defaults; for
// fields where it is stated, a negative value turns the feature off.
type Options struct {
	// MaxAttempts bounds the attempts of one request across members and
	// fallback groups. Default 3.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the backoff before a retry to a
	// deployment this request has already tried: the k-th such wait
	// (k = 0, 1, …) is uniform in [0, min(BackoffMax, BackoffBase·2^k)]
	// ("full jitter"). A first failover to a deployment the request has not
	// tried yet does not wait. Defaults 100ms and 5s; negative means no
	// backoff.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// BudgetRatio and MinRetriesPerSecond form the retry budget of each
	// group, as in Finagle and Envoy: every request deposits BudgetRatio
	// tokens (default 0.2) and MinRetriesPerSecond tokens (default 10) accrue
	// per second. A retry (attempt 2 and later, except a move to a context
	// fallback) is allowed while either balance holds a whole token, and
	// withdraws one token from both, so retries stay within the larger of
	// the two allowances rather than their sum: over a run of N requests and
	// T seconds, at most max(BudgetRatio·N, MinRetriesPerSecond·(T+1)).
	// Deposits fade with a ten second time constant and the per-second
	// allowance holds at most one second's worth (it starts full), so a long
	// quiet period does not bank a retry storm.
	// When the budget is empty, a failed attempt is final. Negative means
	// none of that kind.
	BudgetRatio         float64
	MinRetriesPerSecond int
	// FailureThreshold is how many consecutive upstream faults open a
	// deployment's circuit breaker (default 5; negative disables the
	// breaker). Upstream faults are errors whose code is Retryable, except
	// llmgate.ERateLimited, which instead keeps the deployment out of
	// rotation for the error's RetryAfter, when given. An open deployment
	// gets no traffic for Cooldown (default 30s); then it is half-open: one
	// probe attempt at a time. A successful probe closes the breaker; a
	// failed one re-opens it for twice the previous period, up to five
	// minutes (or Cooldown, if longer).
	FailureThreshold int
	Cooldown         time.Duration
	// Explore is the probability that LowestLatency picks at random.
	// Default 0.1; negative never explores.
	Explore float64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1]; nil means math/rand/v2.Float64. It
	// must be safe for concurrent use.
	Rand func() float64
	// Sleep waits d or until ctx is done, returning ctx's error in that
	// case; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o Options) withDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	o.BackoffBase = durationDefault(o.BackoffBase, 100*time.Millisecond)
	o.BackoffMax = durationDefault(o.BackoffMax, 5*time.Second)
	switch {
	case o.BudgetRatio == 0:
		o.BudgetRatio = 0.2
	case o.BudgetRatio < 0:
		o.BudgetRatio = 0
	}
	switch {
	case o.MinRetriesPerSecond == 0:
		o.MinRetriesPerSecond = 10
	case o.MinRetriesPerSecond < 0:
		o.MinRetriesPerSecond = 0
	}
	if o.FailureThreshold == 0 {
		o.FailureThreshold = 5
	}
	if o.Cooldown <= 0 {
		o.Cooldown = 30 * time.Second
	}
	switch {
	case o.Explore == 0:
		o.Explore = 0.1
	case o.Explore < 0:
		o.Explore = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o
}

func durationDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Route asks Do for a group, with per-request overrides.
type Route struct {
	// Group is the group to serve the request.
	Group string
	// Fallbacks, when non-nil, replaces the group's Fallbacks; an empty
	// non-nil slice turns fallbacks off.
	Fallbacks []string
	// Timeouts, when non-nil, overrides the group's timeouts field by field
	// where its fields are > 0.
	Timeouts *Timeouts
	// Stream marks a streamed request: attempts are bounded by FirstToken
	// rather than Attempt, and the caller enforces that bound (see the
	// package documentation).
	Stream bool
}

// AttemptInfo describes one attempt to try.
type AttemptInfo struct {
	// Number is the attempt's number in the request, from 1.
	Number int
	// Group is the name of the group the member was picked from.
	Group string
	// Timeout is how long the attempt may take (for a stream: wait for its
	// first chunk); zero means no limit.
	Timeout time.Duration
	// Deadline is the attempt's start plus Timeout, on the Router's clock;
	// zero means no limit.
	Deadline time.Time
}

// Router balances, retries and fails over requests across the members of
// its groups. It is safe for concurrent use.
type Router struct {
	opts   Options
	pools  map[string]*pool
	groups []*Group
	deps   []*Deployment // every deployment once, in order of appearance
}

// New returns a Router over groups. It reports an empty or duplicate group
// name, a group without members or with more than MaxMembers, an unknown
// strategy, a member without a deployment or model, two deployments with one
// name, a member whose Provider differs from its deployment's, and a
// fallback naming an unknown group or the group itself. The Router owns the
// groups and their members from then on: callers must not modify them.
func New(groups []*Group, opts Options) (*Router, error) {
	r := &Router{opts: opts.withDefaults(), pools: make(map[string]*pool, len(groups)), groups: groups}
	byName := make(map[string]*Deployment)
	for i, g := range groups {
		if g == nil || g.Name == "" {
			return nil, fmt.Errorf("router: group %d has no name", i)
		}
		if r.pools[g.Name] != nil {
			return nil, fmt.Errorf("router: group %q is defined twice", g.Name)
		}
		if err := validate(g); err != nil {
			return nil, fmt.Errorf("router: group %q: %w", g.Name, err)
		}
		for _, m := range g.Members {
			d := m.Deployment
			switch other := byName[d.Name]; {
			case other == nil:
				byName[d.Name] = d
				r.deps = append(r.deps, d)
			case other != d:
				return nil, fmt.Errorf("router: group %q: two deployments are named %q", g.Name, d.Name)
			}
			if m.Provider == "" {
				m.Provider = d.Provider
			}
		}
		p := newPool(g)
		p.budget.perRequest = r.opts.BudgetRatio
		p.budget.perSecond = float64(r.opts.MinRetriesPerSecond)
		p.budget.start(r.now())
		r.pools[g.Name] = p
	}
	for _, g := range groups {
		p := r.pools[g.Name]
		var err error
		if p.fallbacks, err = r.resolve(g.Name, "fallback", g.Fallbacks); err != nil {
			return nil, err
		}
		if p.contextFallbacks, err = r.resolve(g.Name, "context fallback", g.ContextFallbacks); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func validate(g *Group) error {
	if len(g.Members) == 0 {
		return errors.New("no members")
	}
	if len(g.Members) > MaxMembers {
		return fmt.Errorf("%d members, more than %d", len(g.Members), MaxMembers)
	}
	switch g.Strategy {
	case "", RoundRobin, LeastInFlight, LowestLatency, Priority:
	default:
		return fmt.Errorf("unknown strategy %q", g.Strategy)
	}
	for i, m := range g.Members {
		switch {
		case m == nil || m.Deployment == nil:
			return fmt.Errorf("member %d has no deployment", i)
		case m.Deployment.Name == "":
			return fmt.Errorf("member %d: deployment has no name", i)
		case m.Model == "":
			return fmt.Errorf("member %d (%s) has no model", i, m.Deployment.Name)
		case m.Provider != "" && m.Provider != m.Deployment.Provider:
			return fmt.Errorf("member %d: provider %q differs from deployment %s's provider %q", i, m.Provider, m.Deployment.Name, m.Deployment.Provider)
		}
	}
	return nil
}

func (r *Router) resolve(group, kind string, names []string) ([]*pool, error) {
	var out []*pool
	for _, n := range names {
		p := r.pools[n]
		switch {
		case p == nil:
			return nil, fmt.Errorf("router: group %q: %s %q is not a group", group, kind, n)
		case n == group:
			return nil, fmt.Errorf("router: group %q: is its own %s", group, kind)
		}
		out = append(out, p)
	}
	return out, nil
}

// Has reports whether group is a group of r.
func (r *Router) Has(group string) bool { return r.pools[group] != nil }

// Group returns the group named name, or nil. Callers must not modify it.
func (r *Router) Group(name string) *Group {
	if p := r.pools[name]; p != nil {
		return p.g
	}
	return nil
}

// Groups returns every group, in the order given to New. Callers must not
// modify them.
func (r *Router) Groups() []*Group { return r.groups }

// The states of a deployment in DeploymentState.
const (
	StateHealthy  = "healthy"
	StateOpen     = "open"
	StateHalfOpen = "half_open"
)

// DeploymentState is a snapshot of one deployment's health.
type DeploymentState struct {
	Name     string
	Provider string
	// State is StateHealthy, StateOpen (out of rotation until OpenUntil) or
	// StateHalfOpen (admitting one probe at a time).
	State string
	// ConsecutiveFailures counts the upstream faults since the last success.
	ConsecutiveFailures int
	// InFlight counts the attempts (and held streams) now running.
	InFlight int
	// LatencyEWMA is the moving average of successful attempt durations;
	// zero before the first.
	LatencyEWMA time.Duration
	// OpenUntil is when an open breaker turns half-open; zero when the
	// breaker is closed.
	OpenUntil time.Time
	// RateLimitedUntil is the end of a cooldown asked for by a rate-limited
	// answer's Retry-After, while it lasts; zero otherwise.
	RateLimitedUntil time.Time
}

// Health returns the state of every deployment once, in the order they
// first appear in the groups.
func (r *Router) Health() []DeploymentState {
	now := r.now()
	out := make([]DeploymentState, 0, len(r.deps))
	for _, d := range r.deps {
		out = append(out, d.state(now))
	}
	return out
}

func (r *Router) now() int64 { return r.opts.Now().UnixNano() }

// rand returns r.opts.Rand() clamped to [0, 1].
func (r *Router) rand() float64 { return min(max(r.opts.Rand(), 0), 1) }
