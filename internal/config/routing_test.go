package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRoutingFromFile(t *testing.T) {
	file := `routing:
  strategy: least_in_flight
  maxAttempts: 4
  backoffBase: 50ms
  backoffMax: 2s
  budgetRatio: 0.5
  minRetriesPerSecond: 3
  failureThreshold: 2
  cooldown: 1m
  timeouts: {request: 2m, firstToken: 20s}
  groups:
    - name: gpt-4o
      strategy: priority
      members:
        - {deployment: azure_openai/east_us, model: gpt-4o, weight: 2}
        - {deployment: azure_openai/west_us, model: gpt-4o, weight: 0, priority: 1}
        - {provider: openai, model: gpt-4o, priority: 2}
      fallbacks: [cheap, openai/gpt-4o-mini]
      contextFallbacks: [openai/gpt-4.1]
      timeouts: {attempt: 30s}
    - name: cheap
      members:
        - {provider: gemini, model: gemini-2.5-flash-lite}
        # a disabled catalog model is still a valid member
        - {provider: anthropic, model: claude-3-5-haiku-20241022}
    - name: openrouter/anthropic/claude-sonnet-4.5
      members:
        - {deployment: openrouter/default, model: anthropic/claude-sonnet-4.5}
      fallbacks: [anthropic/claude-sonnet-4-5]
`
	c := mustLoad(t, nil, map[string]string{envUpstreamTimeout: "90s"}, "", file)
	want := Routing{
		Strategy: StrategyLeastInFlight, MaxAttempts: 4, BackoffBase: 50 * time.Millisecond, BackoffMax: 2 * time.Second,
		BudgetRatio: 0.5, MinRetriesPerSecond: 3, FailureThreshold: 2, Cooldown: time.Minute,
		Timeouts: RouteTimeouts{Request: 2 * time.Minute, Attempt: 90 * time.Second, FirstToken: 20 * time.Second},
		Groups: []RouteGroup{
			{
				Name: "gpt-4o", Strategy: StrategyPriority,
				Members: []RouteMember{
					{Deployment: "azure_openai/east_us", Model: "gpt-4o", Weight: 2},
					{Deployment: "azure_openai/west_us", Model: "gpt-4o", Weight: 0, Priority: 1},
					{Provider: "openai", Model: "gpt-4o", Weight: 1, Priority: 2},
				},
				Fallbacks:        []string{"cheap", "openai/gpt-4o-mini"},
				ContextFallbacks: []string{"openai/gpt-4.1"},
				Timeouts:         RouteTimeouts{Request: 2 * time.Minute, Attempt: 30 * time.Second, FirstToken: 20 * time.Second},
			},
			{
				Name: "cheap",
				Members: []RouteMember{
					{Provider: "gemini", Model: "gemini-2.5-flash-lite", Weight: 1},
					{Provider: "anthropic", Model: "claude-3-5-haiku-20241022", Weight: 1},
				},
				Timeouts: RouteTimeouts{Request: 2 * time.Minute, Attempt: 90 * time.Second, FirstToken: 20 * time.Second},
			},
			{
				Name:      "openrouter/anthropic/claude-sonnet-4.5",
				Members:   []RouteMember{{Deployment: "openrouter/default", Model: "anthropic/claude-sonnet-4.5", Weight: 1}},
				Fallbacks: []string{"anthropic/claude-sonnet-4-5"},
				Timeouts:  RouteTimeouts{Request: 2 * time.Minute, Attempt: 90 * time.Second, FirstToken: 20 * time.Second},
			},
		},
	}
	if diff := cmp.Diff(want, c.Routing); diff != "" {
		t.Errorf("routing (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		m    RouteMember
		want string
	}{
		{c.Routing.Groups[0].Members[0], "azure_openai"},
		{c.Routing.Groups[0].Members[2], "openai"},
		{c.Routing.Groups[2].Members[0], "openrouter"},
	} {
		if got := tt.m.ProviderName(); got != tt.want {
			t.Errorf("ProviderName(%+v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestRoutingEnvOverridesFile(t *testing.T) {
	file := "routing:\n  strategy: priority\n  maxAttempts: 5\n"
	c := mustLoad(t, nil, map[string]string{envStrategy: "lowest_latency", envMaxAttempts: "2"}, "", file)
	if c.Routing.Strategy != StrategyLowestLatency || c.Routing.MaxAttempts != 2 {
		t.Errorf("routing = %+v", c.Routing)
	}
	// A group without a strategy keeps "" and so uses Routing.Strategy.
	c = mustLoad(t, nil, nil, "", "routing:\n  groups:\n    - {name: g, members: [{provider: openai, model: gpt-4o}]}\n")
	if g := c.Routing.Groups[0]; g.Strategy != "" || c.Routing.Strategy != StrategyRoundRobin {
		t.Errorf("group strategy %q, routing strategy %q", g.Strategy, c.Routing.Strategy)
	}
}

func TestRoutingErrors(t *testing.T) {
	// group wraps a members list in a one-group routing section.
	group := func(members string, extra ...string) string {
		return "routing:\n  groups:\n    - name: g\n      members:\n" + members + strings.Join(extra, "")
	}
	const ok = "        - {provider: openai, model: gpt-4o}\n"
	tests := []struct {
		name string
		file string
		want []string
	}{
		{name: "bad strategy", file: "routing:\n  strategy: random\n",
			want: []string{`routing.strategy: "random" is not one of round_robin, least_in_flight, lowest_latency, priority`}},
		{name: "bad group strategy", file: group(ok, "      strategy: fastest\n"),
			want: []string{`routing.groups[g].strategy: "fastest" is not one of`}},
		{name: "zero attempts", file: "routing:\n  maxAttempts: 0\n", want: []string{"routing.maxAttempts: must be >= 1"}},
		{name: "negative backoff", file: "routing:\n  backoffBase: -1s\n", want: []string{"routing.backoffBase: must not be negative"}},
		{name: "negative backoff max", file: "routing:\n  backoffBase: 0s\n  backoffMax: -1s\n", want: []string{"routing.backoffMax: must not be negative"}},
		{name: "backoff max below base", file: "routing:\n  backoffBase: 2s\n  backoffMax: 1s\n", want: []string{"routing.backoffMax: must not be less than backoffBase"}},
		{name: "negative budget", file: "routing:\n  budgetRatio: -0.1\n", want: []string{"routing.budgetRatio: must not be negative"}},
		{name: "budget not a number", file: "routing:\n  budgetRatio: lots\n", want: []string{`routing.budgetRatio (line 2): "lots" is not a number`}},
		{name: "negative min retries", file: "routing:\n  minRetriesPerSecond: -1\n", want: []string{"routing.minRetriesPerSecond: must not be negative"}},
		{name: "zero failure threshold", file: "routing:\n  failureThreshold: 0\n", want: []string{"routing.failureThreshold: must be >= 1"}},
		{name: "negative cooldown", file: "routing:\n  cooldown: -5s\n", want: []string{"routing.cooldown: must not be negative"}},
		{name: "negative default timeouts", file: "routing:\n  timeouts: {request: -1s, attempt: -1s, firstToken: -1s}\n",
			want: []string{"routing.timeouts.request: must not be negative", "routing.timeouts.attempt: must not be negative", "routing.timeouts.firstToken: must not be negative"}},
		{name: "negative group timeout", file: group(ok, "      timeouts: {firstToken: -1s}\n"),
			want: []string{"routing.groups[g].timeouts.firstToken: must not be negative"}},
		{name: "group without name", file: "routing:\n  groups:\n    - members: [{provider: openai, model: gpt-4o}]\n",
			want: []string{"routing.groups[0].name: required"}},
		{name: "group twice", file: "routing:\n  groups:\n    - {name: g, members: [{provider: openai, model: gpt-4o}]}\n    - {name: g, members: [{provider: openai, model: gpt-4o}]}\n",
			want: []string{"routing.groups[g]: listed twice"}},
		{name: "no members", file: "routing:\n  groups:\n    - {name: g}\n", want: []string{"routing.groups[g].members: needs at least one member"}},
		{name: "neither deployment nor provider", file: group("        - {model: gpt-4o}\n"),
			want: []string{"routing.groups[g].members[0]: needs one of deployment and provider"}},
		{name: "both deployment and provider", file: group("        - {deployment: openai/default, provider: openai, model: gpt-4o}\n"),
			want: []string{"routing.groups[g].members[0]: sets both deployment and provider; give one"}},
		{name: "deployment without a slash", file: group("        - {deployment: azure_openai, model: gpt-4o}\n"),
			want: []string{`routing.groups[g].members[0].deployment: "azure_openai" is not of the form provider/name`}},
		{name: "deployment with an empty name", file: group("        - {deployment: \"openai/\", model: gpt-4o}\n"),
			want: []string{`routing.groups[g].members[0].deployment: "openai/" is not of the form provider/name`}},
		{name: "model required", file: group("        - {provider: openai}\n"),
			want: []string{"routing.groups[g].members[0].model: required"}},
		{name: "unknown model", file: "routing:\n  groups:\n    - name: gpt-4o\n      members:\n        - {provider: openai, model: gpt-4o}\n        - {provider: openai, model: gpt-9}\n",
			want: []string{`routing.groups[gpt-4o].members[1].model: no model "gpt-9" at provider openai`}},
		{name: "model of another provider", file: group("        - {deployment: azure_openai/east_us, model: gpt-4.1}\n"),
			want: []string{`routing.groups[g].members[0].model: no model "gpt-4.1" at provider azure_openai`}},
		{name: "unknown provider", file: group("        - {provider: nope, model: gpt-4o}\n"),
			want: []string{`routing.groups[g].members[0]: no provider "nope" in the catalog`}},
		{name: "unknown deployment provider", file: group("        - {deployment: nope/default, model: gpt-4o}\n"),
			want: []string{`routing.groups[g].members[0]: no provider "nope" in the catalog`}},
		{name: "negative weight", file: group("        - {provider: openai, model: gpt-4o, weight: -1}\n"),
			want: []string{"routing.groups[g].members[0].weight: must not be negative"}},
		{name: "unknown fallback", file: group(ok, "      fallbacks: [openai/gpt-4o-mini, nope/x]\n"),
			want: []string{`routing.groups[g].fallbacks[1]: "nope/x" is neither a group nor a catalog provider/model`}},
		{name: "fallback to an unknown model of a known provider", file: group(ok, "      fallbacks: [openai/gpt-9]\n"),
			want: []string{`routing.groups[g].fallbacks[0]: "openai/gpt-9" is neither a group nor a catalog provider/model`}},
		{name: "fallback to a bare model name", file: group(ok, "      fallbacks: [gpt-4o-mini]\n"),
			want: []string{`routing.groups[g].fallbacks[0]: "gpt-4o-mini" is neither a group nor a catalog provider/model`}},
		{name: "fallback to itself", file: group(ok, "      fallbacks: [g]\n"),
			want: []string{"routing.groups[g].fallbacks[0]: a group cannot fall back to itself"}},
		{name: "unknown context fallback", file: group(ok, "      contextFallbacks: [openai/gpt-99]\n"),
			want: []string{`routing.groups[g].contextFallbacks[0]: "openai/gpt-99" is neither a group nor a catalog provider/model`}},
		{name: "context fallback to itself", file: group(ok, "      contextFallbacks: [g]\n"),
			want: []string{"routing.groups[g].contextFallbacks[0]: a group cannot fall back to itself"}},
		{name: "unknown member key", file: group("        - {provider: openai, modle: gpt-4o}\n"),
			want: []string{`routing.groups[g].members[0].modle (line 5): unknown key "modle"`}},
		{name: "unknown routing key", file: "routing:\n  retries: 3\n", want: []string{`routing.retries (line 2): unknown key "retries"`}},
		{name: "fallbacks not a list", file: group(ok, "      fallbacks: openai/gpt-4o\n"),
			want: []string{"routing.groups[g].fallbacks (line 6): must be a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, nil, nil, "", tt.file)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}
