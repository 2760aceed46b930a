// Package router decides which provider deployment serves a request, and
// moves to another deployment when one fails in a way that is safe to retry.
package router

import (
	"context"
	"sync/atomic"

	"github.com/llmgate/llmgate"
)

// Deployment is one place a provider's requests can be sent: an Azure region,
// an OpenAI organisation, the mock.
type Deployment struct {
	// Name is unique across the gateway, such as "azure_openai/west_us".
	Name string
	// Provider is the catalog provider the deployment serves.
	Provider string
	// Target is the provider adapter. It implements llmgate.Chatter and may
	// implement llmgate.ChatStreamer, llmgate.Embedder and llmgate.ImageGenerator.
	Target any

	inFlight atomic.Int64
	failures atomic.Int64
}

// Router sends each request to the deployments of its provider in
// round-robin order. It is safe for concurrent use.
type Router struct {
	groups map[string]*group
	order  []string
}

type group struct {
	deps []*Deployment
	next atomic.Uint64
}

// New returns a Router over deps, grouped by provider in the given order.
func New(deps []*Deployment) *Router {
	r := &Router{groups: make(map[string]*group)}
	for _, d := range deps {
		g := r.groups[d.Provider]
		if g == nil {
			g = &group{}
			r.groups[d.Provider] = g
			r.order = append(r.order, d.Provider)
		}
		g.deps = append(g.deps, d)
	}
	return r
}

// Has reports whether provider has at least one deployment.
func (r *Router) Has(provider string) bool { return r.groups[provider] != nil }

// Do calls try on the deployments of provider until one succeeds. The first
// deployment is the next in round-robin order; when an attempt fails with an
// error whose code is Retryable, the next deployment is tried, each at most
// once. Do returns nil after a success, otherwise the last error.
func (r *Router) Do(ctx context.Context, provider string, try func(ctx context.Context, d *Deployment, attempt int) error) error {
	g := r.groups[provider]
	if g == nil {
		return llmgate.Errorf(llmgate.EProviderNotConfigured, "provider %q has no deployment", provider)
	}
	n := len(g.deps)
	start := int(g.next.Add(1)-1) % n
	var err error
	for i := 0; i < n; i++ {
		if i > 0 && ctx.Err() != nil {
			break
		}
		d := g.deps[(start+i)%n]
		d.inFlight.Add(1)
		err = try(ctx, d, i+1)
		d.inFlight.Add(-1)
		if err == nil {
			d.failures.Store(0)
			return nil
		}
		code := llmgate.ErrorCodeOf(err)
		if !code.Retryable() {
			return err
		}
		d.failures.Add(1)
	}
	return err
}

// Health reports every deployment of every provider. A deployment whose last
// attempt failed is "failing" until one succeeds.
func (r *Router) Health() map[string][]llmgate.DeploymentHealth {
	out := make(map[string][]llmgate.DeploymentHealth, len(r.groups))
	for _, p := range r.order {
		for _, d := range r.groups[p].deps {
			failures := int(d.failures.Load())
			state := "healthy"
			if failures > 0 {
				state = "failing"
			}
			out[p] = append(out[p], llmgate.DeploymentHealth{
				Name:                d.Name,
				State:               state,
				ConsecutiveFailures: failures,
				InFlight:            int(d.inFlight.Load()),
			})
		}
	}
	return out
}
