// Package gateway is the application service behind every API surface: it
// checks a request against the catalog, has the router send it to a provider
// deployment, prices the answer and records every attempt in the ledger.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/pricing"
	"github.com/llmgate/llmgate/internal/router"
)

// Options wire a Service to its collaborators.
type Options struct {
	// Router sends requests to deployments. Required.
	Router *router.Router
	// Ledger receives one record per upstream attempt. Nil discards records.
	Ledger llmgate.Ledger
	// StatusOf maps an error code to the HTTP status the client gets, for
	// ledger records. Nil records 200 for success and 500 for any error.
	StatusOf func(llmgate.ErrorCode) int
	// Logger receives one line per failed attempt. Nil discards.
	Logger *slog.Logger
	// Tokens counts tokens for answers whose provider reports no usage; the
	// usage is then marked estimated. Nil leaves such usage at zero.
	Tokens TokenCounter
}

// Service implements llmgate.Gateway. It is safe for concurrent use; the
// catalog can be swapped while requests are in flight.
type Service struct {
	ledger   llmgate.Ledger
	statusOf func(llmgate.ErrorCode) int
	log      *slog.Logger
	tokens   TokenCounter
	snap     atomic.Pointer[snapshot]
}

var _ llmgate.Gateway = (*Service)(nil)

// snapshot is an immutable view of one catalog version and its routing.
type snapshot struct {
	router    *router.Router
	catalog   *llmgate.Catalog
	prices    *pricing.Table
	providers map[string]*providerEntry
}

type providerEntry struct {
	info   *llmgate.ProviderInfo
	models map[string]*modelEntry
}

type modelEntry struct {
	info *llmgate.ModelInfo
	// group is "provider/model", the routing group of the model.
	group string
}

type discardLedger struct{}

func (discardLedger) Record(llmgate.Record) {}

// New returns a Service over the catalog cat.
func New(cat *llmgate.Catalog, opts Options) *Service {
	s := &Service{ledger: opts.Ledger, statusOf: opts.StatusOf, log: opts.Logger, tokens: opts.Tokens}
	if s.ledger == nil {
		s.ledger = discardLedger{}
	}
	if s.statusOf == nil {
		s.statusOf = func(c llmgate.ErrorCode) int {
			if c == "" {
				return http.StatusOK
			}
			return http.StatusInternalServerError
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.Swap(cat, opts.Router)
	return s
}

// SetCatalog replaces the catalog and keeps the routing.
func (s *Service) SetCatalog(cat *llmgate.Catalog) { s.Swap(cat, s.snap.Load().router) }

// Swap replaces the catalog and the router together, as a configuration
// reload does; requests already running keep the ones they started with.
// Deployments shared by the old and new router keep their health.
func (s *Service) Swap(cat *llmgate.Catalog, r *router.Router) {
	snap := &snapshot{router: r, catalog: cat, prices: pricing.New(cat), providers: make(map[string]*providerEntry, len(cat.Providers))}
	for i := range cat.Providers {
		p := &cat.Providers[i]
		e := &providerEntry{info: p, models: make(map[string]*modelEntry, len(p.Models))}
		for j := range p.Models {
			e.models[p.Models[j].Name] = &modelEntry{info: &p.Models[j], group: p.Name + "/" + p.Models[j].Name}
		}
		snap.providers[p.Name] = e
	}
	s.snap.Store(snap)
}

// Catalog returns the current catalog. Callers must not modify it.
func (s *Service) Catalog() *llmgate.Catalog { return s.snap.Load().catalog }

// Aliases lists the routing groups that are not a catalog "provider/model",
// in configuration order.
func (s *Service) Aliases() []string {
	snap := s.snap.Load()
	var out []string
	for _, g := range snap.router.Groups() {
		if !snap.isModelGroup(g.Name) {
			out = append(out, g.Name)
		}
	}
	return out
}

// HasAlias reports whether name is a routing alias.
func (s *Service) HasAlias(name string) bool {
	snap := s.snap.Load()
	return snap.router.Has(name) && !snap.isModelGroup(name)
}

// Known reports whether provider/model names a catalog model, or, with an
// empty provider, an alias.
func (s *Service) Known(provider, model string) bool {
	snap := s.snap.Load()
	if provider == "" {
		return snap.router.Has(model)
	}
	p := snap.providers[provider]
	return p != nil && p.models[model] != nil
}

func (snap *snapshot) isModelGroup(name string) bool {
	p, m, ok := strings.Cut(name, "/")
	if !ok {
		return false
	}
	e := snap.providers[p]
	return e != nil && e.models[m] != nil
}

// Health reports each provider of the catalog and the state of its deployments.
func (s *Service) Health(ctx context.Context) llmgate.Health {
	byProvider := map[string][]llmgate.DeploymentHealth{}
	snap := s.snap.Load()
	for _, d := range snap.router.Health() {
		byProvider[d.Provider] = append(byProvider[d.Provider], llmgate.DeploymentHealth{
			Name:                d.Name,
			State:               d.State,
			ConsecutiveFailures: d.ConsecutiveFailures,
			InFlight:            d.InFlight,
			Latency:             d.LatencyEWMA,
			OpenUntil:           d.OpenUntil,
			RateLimitedUntil:    d.RateLimitedUntil,
		})
	}
	cat := snap.catalog
	h := llmgate.Health{Status: "ok", Providers: make([]llmgate.ProviderHealth, 0, len(cat.Providers))}
	for _, p := range cat.Providers {
		h.Providers = append(h.Providers, llmgate.ProviderHealth{
			Name:          p.Name,
			Configured:    p.Configured && len(byProvider[p.Name]) > 0,
			MissingConfig: p.MissingConfig,
			Deployments:   byProvider[p.Name],
		})
	}
	return h
}

// group checks a request's provider and model against the catalog and
// returns the routing group that serves it. An empty provider names an alias.
func (snap *snapshot) group(provider, model string, kind llmgate.ModelKind) (string, error) {
	r := snap.router
	if provider == "" {
		if r.Has(model) {
			return model, nil
		}
		return "", &llmgate.Error{Code: llmgate.EModelNotFound, Message: "no alias \"" + model + "\" is configured; name a model as provider/model"}
	}
	m, err := snap.model(provider, model, kind)
	if err != nil {
		return "", err
	}
	if !r.Has(m.group) {
		p := snap.providers[provider].info
		msg := "provider \"" + provider + "\" is not configured"
		if p.MissingConfig != "" {
			msg += ": " + p.MissingConfig
		}
		return "", &llmgate.Error{Code: llmgate.EProviderNotConfigured, Provider: provider, Message: msg}
	}
	return m.group, nil
}

// model checks that provider/model exists, is enabled and is of kind.
func (snap *snapshot) model(provider, model string, kind llmgate.ModelKind) (*modelEntry, error) {
	p := snap.providers[provider]
	if p == nil {
		return nil, &llmgate.Error{Code: llmgate.EProviderNotFound, Message: "provider \"" + provider + "\" is not in the catalog; GET /v1/providers lists the providers"}
	}
	m := p.models[model]
	switch {
	case m == nil:
		return nil, &llmgate.Error{Code: llmgate.EModelNotFound, Provider: provider, Message: "provider \"" + provider + "\" has no model \"" + model + "\"; GET /v1/providers lists its models"}
	case !p.info.Enabled:
		return nil, &llmgate.Error{Code: llmgate.EModelDisabled, Provider: provider, Message: "provider \"" + provider + "\" is disabled"}
	case !m.info.Enabled:
		return nil, &llmgate.Error{Code: llmgate.EModelDisabled, Provider: provider, Message: "model \"" + model + "\" of provider \"" + provider + "\" is disabled"}
	case m.info.Kind != kind:
		return nil, &llmgate.Error{Code: llmgate.EUnsupported, Provider: provider, Message: "model \"" + model + "\" is a " + string(m.info.Kind) + " model, not a " + string(kind) + " model"}
	}
	return m, nil
}

// attempt is what the ledger needs of one upstream call.
type attempt struct {
	provider   string
	model      string
	deployment string
	upstream   time.Duration
	err        error
}

// attempts collects the upstream calls of one request without allocating
// for the usual one to four.
type attempts struct {
	buf  [4]attempt
	list []attempt
}

func (a *attempts) add(at attempt) {
	if a.list == nil {
		a.list = a.buf[:0]
	}
	a.list = append(a.list, at)
}

func (a *attempts) last() *attempt { return &a.list[len(a.list)-1] }

// setBase fills rec, a zero record, with what every ledger row of the
// request shares. It fills rather than returns, so that no Record-sized
// temporary sits in ChatStream's frame (see run).
func setBase(rec *llmgate.Record, ctx context.Context, op llmgate.Operation, provider, model string, start time.Time) {
	c := llmgate.CallerFrom(ctx)
	rec.Time = start
	rec.CorrelationID, rec.UserID, rec.ClientID, rec.API = c.CorrelationID, c.UserID, c.ClientID, c.API
	rec.Operation, rec.Provider, rec.Model = op, provider, model
}

// record writes one row per attempt; the last is final and carries usage,
// cost and the outcome the client saw. With no attempt (the request failed
// before reaching a deployment) it writes one final row for err.
func (s *Service) record(rec llmgate.Record, as *attempts, final error, usage llmgate.Usage, cost *llmgate.Cost) {
	total := time.Since(rec.Time)
	if len(as.list) == 0 {
		rec.Attempt, rec.Final, rec.Latency = 0, true, total
		rec.ErrorCode = llmgate.ErrorCodeOf(final)
		rec.Status = s.statusOf(rec.ErrorCode)
		s.ledger.Record(rec)
		return
	}
	for i, at := range as.list {
		r := rec
		r.Attempt = i + 1
		r.Provider, r.Model, r.Deployment = at.provider, at.model, at.deployment
		r.UpstreamLatency = at.upstream
		r.Latency = at.upstream
		r.ErrorCode = llmgate.ErrorCodeOf(at.err)
		if i == len(as.list)-1 {
			r.Final = true
			r.Latency = total
			r.ErrorCode = llmgate.ErrorCodeOf(final)
			if final == nil {
				r.Usage, r.Cost = usage, cost
			}
		}
		r.Status = s.statusOf(r.ErrorCode)
		s.ledger.Record(r)
	}
}

func (s *Service) logAttempt(ctx context.Context, dep string, err error) {
	if s.log.Enabled(ctx, slog.LevelWarn) {
		e := llmgate.AsError(err)
		c := llmgate.CallerFrom(ctx)
		s.log.LogAttrs(ctx, slog.LevelWarn, "upstream attempt failed",
			slog.String("correlationId", c.CorrelationID),
			slog.String("deployment", dep),
			slog.String("code", string(e.Code)),
			slog.Int("upstreamStatus", e.UpstreamStatus),
			slog.String("error", e.Message))
	}
}

// call runs one operation through the router, collecting attempts. try is
// given the member's catalog model, checked to be enabled and of kind.
func (s *Service) call(ctx context.Context, snap *snapshot, route router.Route, kind llmgate.ModelKind, as *attempts,
	try func(ctx context.Context, m *router.Member, a router.AttemptInfo) error) error {
	return snap.router.Do(ctx, route, func(actx context.Context, m *router.Member, a router.AttemptInfo) error {
		t0 := time.Now()
		var err error
		if _, err = snap.model(m.Provider, m.Model, kind); err == nil {
			err = try(actx, m, a)
		}
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && llmgate.ErrorCodeOf(err) != llmgate.EUpstreamTimeout {
			err = &llmgate.Error{Code: llmgate.EUpstreamTimeout, Message: "the provider did not answer within " + a.Timeout.String(), Err: err}
		}
		as.add(attempt{provider: m.Provider, model: m.Model, deployment: m.Deployment.Name, upstream: time.Since(t0), err: err})
		if err != nil {
			if e := llmgate.AsError(err); e.Provider == "" {
				e.Provider = m.Provider
			}
			s.logAttempt(ctx, m.Deployment.Name, err)
		}
		return err
	})
}

// route turns a request's overrides into a router.Route.
func route(group string, fallbacks []string, t llmgate.Timeouts, stream bool) router.Route {
	r := router.Route{Group: group, Fallbacks: fallbacks, Stream: stream}
	if t != (llmgate.Timeouts{}) {
		r.Timeouts = &router.Timeouts{Request: t.Request, Attempt: t.Attempt, FirstToken: t.FirstToken}
	}
	return r
}

// run is what every operation shares: find the group that serves
// provider/model, have the router try its members, and record the request
// in the ledger if it fails. On success the caller records it, with usage.
//
// rec is a pointer, and the failure is recorded by a function of its own, so
// that no copy of a Record sits in run's frame or its caller's: a stream's
// handler runs this chain, down through net/http's Transport, on the
// stack it then keeps for the stream's whole life, and a stack that needs
// more than 8 KiB doubles.
func (s *Service) run(ctx context.Context, snap *snapshot, rec *llmgate.Record, kind llmgate.ModelKind, fallbacks []string, t llmgate.Timeouts, stream bool,
	as *attempts, try func(ctx context.Context, m *router.Member, a router.AttemptInfo) error) error {
	group, err := snap.group(rec.Provider, rec.Model, kind)
	if err == nil {
		err = s.call(ctx, snap, route(group, fallbacks, t, stream), kind, as, try)
	}
	if err != nil {
		s.recordFailure(rec, as, err)
	}
	return err
}

// recordFailure records a request that failed with err.
//
//go:noinline
func (s *Service) recordFailure(rec *llmgate.Record, as *attempts, err error) {
	s.record(*rec, as, err, llmgate.Usage{}, nil)
}

func unsupported(m *router.Member, what string) error {
	return &llmgate.Error{Code: llmgate.EUnsupported, Provider: m.Provider, Message: "provider \"" + m.Provider + "\" does not support " + what}
}

func served(as *attempts) llmgate.Served {
	last := as.last()
	return llmgate.Served{Provider: last.provider, Model: last.model, Deployment: last.deployment, Attempts: len(as.list), Upstream: last.upstream}
}

// Chat sends a chat request to a deployment of its model's group.
func (s *Service) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	var rec llmgate.Record
	setBase(&rec, ctx, llmgate.OpChat, req.Provider, req.Model, time.Now())
	snap := s.snap.Load()
	var as attempts
	var resp *llmgate.ChatResponse
	err := s.run(ctx, snap, &rec, llmgate.KindChat, req.Fallbacks, req.Timeouts, false, &as, func(ctx context.Context, m *router.Member, _ router.AttemptInfo) error {
		c, ok := m.Deployment.Target.(llmgate.Chatter)
		if !ok {
			return unsupported(m, "chat")
		}
		r, err := c.Chat(ctx, memberChat(req, m))
		resp = r
		return err
	})
	if err != nil {
		return nil, err
	}
	resp.Served = served(&as)
	estimateChat(s.tokens, resp.Model, req.Messages, answerText(resp), &resp.Usage)
	if resp.Usage.TotalTokens == 0 {
		resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	}
	resp.Cost = snap.prices.ChatCost(resp.Provider, resp.Model, resp.Usage)
	s.record(rec, &as, nil, resp.Usage, resp.Cost)
	return resp, nil
}

// memberChat is req addressed to the member's provider and model.
func memberChat(req *llmgate.ChatRequest, m *router.Member) *llmgate.ChatRequest {
	if req.Provider == m.Provider && req.Model == m.Model {
		return req
	}
	r := *req
	r.Provider, r.Model = m.Provider, m.Model
	return &r
}

// Embed sends an embedding request to a deployment of its model's group.
func (s *Service) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	var rec llmgate.Record
	setBase(&rec, ctx, llmgate.OpEmbedding, req.Provider, req.Model, time.Now())
	snap := s.snap.Load()
	var as attempts
	var resp *llmgate.EmbeddingResponse
	err := s.run(ctx, snap, &rec, llmgate.KindEmbedding, nil, llmgate.Timeouts{}, false, &as, func(ctx context.Context, m *router.Member, _ router.AttemptInfo) error {
		e, ok := m.Deployment.Target.(llmgate.Embedder)
		if !ok {
			return unsupported(m, "embeddings")
		}
		r := *req
		r.Provider, r.Model = m.Provider, m.Model
		out, err := e.Embed(ctx, &r)
		resp = out
		return err
	})
	if err != nil {
		return nil, err
	}
	resp.Served = served(&as)
	estimateEmbedding(s.tokens, resp.Model, req.Input, &resp.Usage)
	if resp.Usage.TotalTokens == 0 {
		resp.Usage.TotalTokens = resp.Usage.PromptTokens
	}
	resp.Cost = snap.prices.EmbeddingCost(resp.Provider, resp.Model, resp.Usage)
	s.record(rec, &as, nil, resp.Usage, resp.Cost)
	return resp, nil
}

// GenerateImage sends an image request to a deployment of its model's group.
func (s *Service) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	var rec llmgate.Record
	setBase(&rec, ctx, llmgate.OpImage, req.Provider, req.Model, time.Now())
	snap := s.snap.Load()
	var as attempts
	var resp *llmgate.ImageResponse
	err := s.run(ctx, snap, &rec, llmgate.KindImage, nil, llmgate.Timeouts{}, false, &as, func(ctx context.Context, m *router.Member, _ router.AttemptInfo) error {
		g, ok := m.Deployment.Target.(llmgate.ImageGenerator)
		if !ok {
			return unsupported(m, "image generation")
		}
		r := *req
		r.Provider, r.Model = m.Provider, m.Model
		out, err := g.GenerateImage(ctx, &r)
		resp = out
		return err
	})
	if err != nil {
		return nil, err
	}
	resp.Served = served(&as)
	if resp.Size == "" {
		resp.Size = req.Size
	}
	if resp.Quality == "" {
		resp.Quality = req.Quality
	}
	resp.Cost = snap.prices.ImageCost(resp.Provider, resp.Model, resp.Size, resp.Quality, len(resp.Data))
	s.record(rec, &as, nil, llmgate.Usage{}, resp.Cost)
	return resp, nil
}
