package config

import (
	"fmt"
	"strings"
	"time"
)

// The balancing strategies of a model group.
const (
	// StrategyRoundRobin spreads requests over the members in proportion
	// to their weights.
	StrategyRoundRobin = "round_robin"
	// StrategyLeastInFlight sends each request to the member with the
	// fewest requests under way.
	StrategyLeastInFlight = "least_in_flight"
	// StrategyLowestLatency prefers the member with the lowest moving
	// average latency, exploring the others now and then.
	StrategyLowestLatency = "lowest_latency"
	// StrategyPriority uses the members of the lowest priority value while
	// any of them is healthy, and the next tier only when none is.
	StrategyPriority = "priority"
)

var strategies = []string{StrategyRoundRobin, StrategyLeastInFlight, StrategyLowestLatency, StrategyPriority}

// Routing configures how a model name is mapped to deployments and how
// failures are retried. Its YAML key is "routing".
type Routing struct {
	// Strategy is the strategy of groups that set none; default
	// round_robin (LLMGATE_ROUTING_STRATEGY).
	Strategy string
	// MaxAttempts bounds the attempts of one request, the first included;
	// default 3 (LLMGATE_MAX_ATTEMPTS).
	MaxAttempts int
	// BackoffBase is the first retry's backoff before full jitter; each
	// later retry doubles it. Default 100ms.
	BackoffBase time.Duration
	// BackoffMax caps a backoff; default 5s.
	BackoffMax time.Duration
	// BudgetRatio is the share of requests that may be retries, over and
	// above MinRetriesPerSecond; default 0.2.
	BudgetRatio float64
	// MinRetriesPerSecond are allowed whatever the ratio, so that a quiet
	// gateway can still retry; default 10.
	MinRetriesPerSecond int
	// FailureThreshold is the number of consecutive failures that takes a
	// deployment out of rotation; default 5.
	FailureThreshold int
	// Cooldown is how long a deployment stays out before a half-open probe;
	// default 30s.
	Cooldown time.Duration
	// Timeouts are the defaults of every group. Request 0 sets no deadline;
	// Attempt 0 in the configuration becomes Upstream.Timeout; FirstToken 0
	// leaves a stream's first token bounded by Attempt alone.
	Timeouts RouteTimeouts
	// Groups are the model groups, in the order given.
	Groups []RouteGroup
}

// RouteGroup maps one model name to deployments.
type RouteGroup struct {
	// Name is the model name clients send: an alias such as "gpt-4o" or a
	// "provider/model" name.
	Name string
	// Strategy is the balancing strategy; "" uses Routing.Strategy.
	Strategy string
	// Members are the deployments that serve the group.
	Members []RouteMember
	// Fallbacks are tried in order when every member fails: group names or
	// catalog "provider/model" names.
	Fallbacks []string
	// ContextFallbacks are tried in order when a request exceeds the
	// model's context window, in the same forms as Fallbacks.
	ContextFallbacks []string
	// Timeouts of the group; after Load, a zero field holds the value of
	// Routing.Timeouts.
	Timeouts RouteTimeouts
}

// RouteMember is one deployment, or every deployment of a provider, with
// the model it serves for the group. Exactly one of Deployment and
// Provider is set.
type RouteMember struct {
	// Deployment names one deployment: azure_openai/<region in lower
	// case>, openai/default, anthropic/default, gemini/default,
	// bedrock/<region>, mock/local or <compatible server>/default.
	Deployment string
	// Provider names a provider, standing for each of its deployments.
	Provider string
	// Model is a catalog model of the member's provider (for a Deployment,
	// the part before the slash).
	Model string
	// Weight is the member's share under round_robin; default 1, and 0
	// takes the member out of rotation.
	Weight int
	// Priority orders members under the priority strategy: the lowest
	// value is tried first. Default 0.
	Priority int
}

// ProviderName is the provider of the member: Provider, or the part of
// Deployment before the slash.
func (m *RouteMember) ProviderName() string {
	if m.Provider != "" {
		return m.Provider
	}
	p, _, _ := strings.Cut(m.Deployment, "/")
	return p
}

// RouteTimeouts bound a request of a group. Zero is no bound, except where
// Routing.Timeouts says otherwise.
type RouteTimeouts struct {
	// Request bounds the whole request, retries and fallbacks included.
	Request time.Duration
	// Attempt bounds one attempt.
	Attempt time.Duration
	// FirstToken bounds the wait for a stream's first token.
	FirstToken time.Duration
}

// inherit fills the zero fields of t from def.
func (t *RouteTimeouts) inherit(def RouteTimeouts) {
	if t.Request == 0 {
		t.Request = def.Request
	}
	if t.Attempt == 0 {
		t.Attempt = def.Attempt
	}
	if t.FirstToken == 0 {
		t.FirstToken = def.FirstToken
	}
}

// normalizeRouting fills the timeouts that default to others.
func (c *Config) normalizeRouting() {
	r := &c.Routing
	if r.Timeouts.Attempt == 0 {
		r.Timeouts.Attempt = c.Upstream.Timeout
	}
	for i := range r.Groups {
		r.Groups[i].Timeouts.inherit(r.Timeouts)
	}
}

func validStrategy(s string) bool {
	for _, v := range strategies {
		if s == v {
			return true
		}
	}
	return false
}

// validateRouting checks the routing settings and every group against the
// catalog. It runs after validateCatalog, on a catalog whose names are
// checked.
func (c *Config) validateRouting() []error {
	var errs []error
	check := func(ok bool, path, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
		}
	}
	r := &c.Routing
	check(validStrategy(r.Strategy), "routing.strategy", "%q is not one of %s", r.Strategy, strings.Join(strategies, ", "))
	check(r.MaxAttempts >= 1, "routing.maxAttempts", "must be >= 1")
	check(r.BackoffBase >= 0, "routing.backoffBase", "must not be negative")
	check(r.BackoffMax >= 0, "routing.backoffMax", "must not be negative")
	check(r.BackoffMax >= r.BackoffBase, "routing.backoffMax", "must not be less than backoffBase")
	check(r.BudgetRatio >= 0, "routing.budgetRatio", "must not be negative")
	check(r.MinRetriesPerSecond >= 0, "routing.minRetriesPerSecond", "must not be negative")
	check(r.FailureThreshold >= 1, "routing.failureThreshold", "must be >= 1")
	check(r.Cooldown >= 0, "routing.cooldown", "must not be negative")
	errs = append(errs, checkTimeouts("routing.timeouts", r.Timeouts)...)

	providers := map[string]map[string]bool{}
	for _, p := range c.Providers {
		models := map[string]bool{}
		for _, m := range p.Models {
			models[m.Name] = true
		}
		providers[p.Name] = models
	}
	groups := map[string]bool{}
	for _, g := range r.Groups {
		groups[g.Name] = true
	}
	// target checks a fallback: a group or a catalog provider/model.
	target := func(s string) error {
		if groups[s] {
			return nil
		}
		p, m, ok := strings.Cut(s, "/")
		if ok && providers[p][m] {
			return nil
		}
		return fmt.Errorf("%q is neither a group nor a catalog provider/model", s)
	}

	seen := map[string]bool{}
	for i, g := range r.Groups {
		path := fmt.Sprintf("routing.groups[%s]", g.Name)
		if g.Name == "" {
			path = fmt.Sprintf("routing.groups[%d]", i)
			check(false, path+".name", "must not be empty")
		}
		check(!seen[g.Name] || g.Name == "", path, "listed twice")
		seen[g.Name] = true
		check(g.Strategy == "" || validStrategy(g.Strategy), path+".strategy", "%q is not one of %s", g.Strategy, strings.Join(strategies, ", "))
		check(len(g.Members) > 0, path+".members", "needs at least one member")
		for j, m := range g.Members {
			mpath := fmt.Sprintf("%s.members[%d]", path, j)
			switch {
			case m.Deployment == "" && m.Provider == "":
				check(false, mpath, "needs one of deployment and provider")
			case m.Deployment != "" && m.Provider != "":
				check(false, mpath, "sets both deployment and provider; give one")
			case m.Deployment != "":
				p, d, ok := strings.Cut(m.Deployment, "/")
				check(ok && p != "" && d != "" && !strings.Contains(d, "/"), mpath+".deployment",
					"%q is not of the form provider/name, such as azure_openai/east_us", m.Deployment)
			}
			check(m.Weight >= 0, mpath+".weight", "must not be negative")
			p := m.ProviderName()
			models, known := providers[p]
			switch {
			case m.Model == "":
				check(false, mpath+".model", "required")
			case p == "":
			case !known:
				check(false, mpath, "no provider %q in the catalog", p)
			case !models[m.Model]:
				check(false, mpath+".model", "no model %q at provider %s", m.Model, p)
			}
		}
		for _, list := range []struct {
			key   string
			names []string
		}{{"fallbacks", g.Fallbacks}, {"contextFallbacks", g.ContextFallbacks}} {
			for j, f := range list.names {
				fpath := fmt.Sprintf("%s.%s[%d]", path, list.key, j)
				if f == g.Name {
					check(false, fpath, "a group cannot fall back to itself")
					continue
				}
				if err := target(f); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", fpath, err))
				}
			}
		}
		errs = append(errs, checkTimeouts(path+".timeouts", g.Timeouts)...)
	}
	return errs
}

func checkTimeouts(path string, t RouteTimeouts) []error {
	var errs []error
	for _, v := range []struct {
		key string
		d   time.Duration
	}{{"request", t.Request}, {"attempt", t.Attempt}, {"firstToken", t.FirstToken}} {
		if v.d < 0 {
			errs = append(errs, fmt.Errorf("%s.%s: must not be negative", path, v.key))
		}
	}
	return errs
}
