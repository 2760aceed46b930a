// Package gateway is the application service behind every API surface: it
// checks a request against the catalog, has the router send it to a provider
// deployment, prices the answer and records every attempt in the ledger.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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
	// Timeout bounds one upstream attempt: the whole answer for a plain
	// request, the time to the first chunk for a stream. Zero means none.
	Timeout time.Duration
}

// Service implements llmgate.Gateway. It is safe for concurrent use; the
// catalog can be swapped while requests are in flight.
type Service struct {
	router   *router.Router
	ledger   llmgate.Ledger
	statusOf func(llmgate.ErrorCode) int
	log      *slog.Logger
	timeout  time.Duration
	snap     atomic.Pointer[snapshot]
}

var _ llmgate.Gateway = (*Service)(nil)

// snapshot is an immutable view of one catalog version.
type snapshot struct {
	catalog   *llmgate.Catalog
	prices    *pricing.Table
	providers map[string]*providerEntry
}

type providerEntry struct {
	info   *llmgate.ProviderInfo
	models map[string]*llmgate.ModelInfo
}

type discardLedger struct{}

func (discardLedger) Record(llmgate.Record) {}

// New returns a Service over the catalog cat.
func New(cat *llmgate.Catalog, opts Options) *Service {
	s := &Service{router: opts.Router, ledger: opts.Ledger, statusOf: opts.StatusOf, log: opts.Logger, timeout: opts.Timeout}
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
	s.SetCatalog(cat)
	return s
}

// SetCatalog replaces the catalog; requests already running keep the one
// they started with.
func (s *Service) SetCatalog(cat *llmgate.Catalog) {
	snap := &snapshot{catalog: cat, prices: pricing.New(cat), providers: make(map[string]*providerEntry, len(cat.Providers))}
	for i := range cat.Providers {
		p := &cat.Providers[i]
		e := &providerEntry{info: p, models: make(map[string]*llmgate.ModelInfo, len(p.Models))}
		for j := range p.Models {
			e.models[p.Models[j].Name] = &p.Models[j]
		}
		snap.providers[p.Name] = e
	}
	s.snap.Store(snap)
}

// Catalog returns the current catalog. Callers must not modify it.
func (s *Service) Catalog() *llmgate.Catalog { return s.snap.Load().catalog }

// Health reports each provider of the catalog and its deployments.
func (s *Service) Health(ctx context.Context) llmgate.Health {
	deps := s.router.Health()
	cat := s.Catalog()
	h := llmgate.Health{Status: "ok", Providers: make([]llmgate.ProviderHealth, 0, len(cat.Providers))}
	for _, p := range cat.Providers {
		h.Providers = append(h.Providers, llmgate.ProviderHealth{
			Name:          p.Name,
			Configured:    p.Configured && len(deps[p.Name]) > 0,
			MissingConfig: p.MissingConfig,
			Deployments:   deps[p.Name],
		})
	}
	return h
}

// resolve checks that provider/model exists, is enabled, is of kind and can
// be sent somewhere.
func (snap *snapshot) resolve(r *router.Router, provider, model string, kind llmgate.ModelKind) (*llmgate.ModelInfo, error) {
	p := snap.providers[provider]
	if p == nil {
		return nil, &llmgate.Error{Code: llmgate.EProviderNotFound, Message: "provider \"" + provider + "\" is not in the catalog; GET /v1/providers lists the providers"}
	}
	m := p.models[model]
	if m == nil {
		return nil, &llmgate.Error{Code: llmgate.EModelNotFound, Provider: provider, Message: "provider \"" + provider + "\" has no model \"" + model + "\"; GET /v1/providers lists its models"}
	}
	if !p.info.Enabled {
		return nil, &llmgate.Error{Code: llmgate.EModelDisabled, Provider: provider, Message: "provider \"" + provider + "\" is disabled"}
	}
	if !m.Enabled {
		return nil, &llmgate.Error{Code: llmgate.EModelDisabled, Provider: provider, Message: "model \"" + model + "\" of provider \"" + provider + "\" is disabled"}
	}
	if m.Kind != kind {
		return nil, &llmgate.Error{Code: llmgate.EUnsupported, Provider: provider, Message: "model \"" + model + "\" is a " + string(m.Kind) + " model, not a " + string(kind) + " model"}
	}
	if !p.info.Configured || !r.Has(provider) {
		msg := "provider \"" + provider + "\" is not configured"
		if p.info.MissingConfig != "" {
			msg += ": " + p.info.MissingConfig
		}
		return nil, &llmgate.Error{Code: llmgate.EProviderNotConfigured, Provider: provider, Message: msg}
	}
	return m, nil
}

// attempt is what the ledger needs of one upstream call.
type attempt struct {
	deployment string
	upstream   time.Duration
	err        error
}

// attempts collects the upstream calls of one request without allocating
// for the usual one or two.
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

// base returns a ledger record with what every row of the request shares.
func base(ctx context.Context, op llmgate.Operation, provider, model string, start time.Time) llmgate.Record {
	c := llmgate.CallerFrom(ctx)
	return llmgate.Record{
		Time:          start,
		CorrelationID: c.CorrelationID,
		UserID:        c.UserID,
		ClientID:      c.ClientID,
		Operation:     op,
		API:           c.API,
		Provider:      provider,
		Model:         model,
	}
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
		r.Deployment = at.deployment
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

// call runs one operation through the router, collecting attempts.
func (s *Service) call(ctx context.Context, provider string, as *attempts, try func(ctx context.Context, d *router.Deployment) error) error {
	return s.router.Do(ctx, provider, func(ctx context.Context, d *router.Deployment, _ int) error {
		t0 := time.Now()
		err := try(ctx, d)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = &llmgate.Error{Code: llmgate.EUpstreamTimeout, Message: "the provider did not answer within " + s.timeout.String(), Err: err}
		}
		as.add(attempt{deployment: d.Name, upstream: time.Since(t0), err: err})
		if err != nil {
			if e := llmgate.AsError(err); e.Provider == "" {
				e.Provider = provider
			}
			s.logAttempt(ctx, d.Name, err)
		}
		return err
	})
}

// attemptContext bounds one plain upstream attempt by the timeout.
func (s *Service) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

func unsupported(d *router.Deployment, what string) error {
	return &llmgate.Error{Code: llmgate.EUnsupported, Provider: d.Provider, Message: "provider \"" + d.Provider + "\" does not support " + what}
}

func served(provider, model string, as *attempts) llmgate.Served {
	last := as.list[len(as.list)-1]
	return llmgate.Served{Provider: provider, Model: model, Deployment: last.deployment, Attempts: len(as.list), Upstream: last.upstream}
}

// Chat sends a chat request to a deployment of its provider.
func (s *Service) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	rec := base(ctx, llmgate.OpChat, req.Provider, req.Model, time.Now())
	snap := s.snap.Load()
	var as attempts
	if _, err := snap.resolve(s.router, req.Provider, req.Model, llmgate.KindChat); err != nil {
		s.record(rec, &as, err, llmgate.Usage{}, nil)
		return nil, err
	}
	var resp *llmgate.ChatResponse
	err := s.call(ctx, req.Provider, &as, func(ctx context.Context, d *router.Deployment) error {
		c, ok := d.Target.(llmgate.Chatter)
		if !ok {
			return unsupported(d, "chat")
		}
		ctx, cancel := s.attemptContext(ctx)
		defer cancel()
		r, err := c.Chat(ctx, req)
		resp = r
		return err
	})
	if err != nil {
		s.record(rec, &as, err, llmgate.Usage{}, nil)
		return nil, err
	}
	resp.Served = served(req.Provider, req.Model, &as)
	if resp.Usage.TotalTokens == 0 {
		resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	}
	resp.Cost = snap.prices.ChatCost(req.Provider, req.Model, resp.Usage)
	s.record(rec, &as, nil, resp.Usage, resp.Cost)
	return resp, nil
}

// Embed sends an embedding request to a deployment of its provider.
func (s *Service) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	rec := base(ctx, llmgate.OpEmbedding, req.Provider, req.Model, time.Now())
	snap := s.snap.Load()
	var as attempts
	if _, err := snap.resolve(s.router, req.Provider, req.Model, llmgate.KindEmbedding); err != nil {
		s.record(rec, &as, err, llmgate.Usage{}, nil)
		return nil, err
	}
	var resp *llmgate.EmbeddingResponse
	err := s.call(ctx, req.Provider, &as, func(ctx context.Context, d *router.Deployment) error {
		e, ok := d.Target.(llmgate.Embedder)
		if !ok {
			return unsupported(d, "embeddings")
		}
		ctx, cancel := s.attemptContext(ctx)
		defer cancel()
		r, err := e.Embed(ctx, req)
		resp = r
		return err
	})
	if err != nil {
		s.record(rec, &as, err, llmgate.Usage{}, nil)
		return nil, err
	}
	resp.Served = served(req.Provider, req.Model, &as)
	if resp.Usage.TotalTokens == 0 {
		resp.Usage.TotalTokens = resp.Usage.PromptTokens
	}
	resp.Cost = snap.prices.EmbeddingCost(req.Provider, req.Model, resp.Usage)
	s.record(rec, &as, nil, resp.Usage, resp.Cost)
	return resp, nil
}

// GenerateImage sends an image request to a deployment of its provider.
func (s *Service) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	rec := base(ctx, llmgate.OpImage, req.Provider, req.Model, time.Now())
	snap := s.snap.Load()
	var as attempts
	if _, err := snap.resolve(s.router, req.Provider, req.Model, llmgate.KindImage); err != nil {
		s.record(rec, &as, err, llmgate.Usage{}, nil)
		return nil, err
	}
	var resp *llmgate.ImageResponse
	err := s.call(ctx, req.Provider, &as, func(ctx context.Context, d *router.Deployment) error {
		g, ok := d.Target.(llmgate.ImageGenerator)
		if !ok {
			return unsupported(d, "image generation")
		}
		ctx, cancel := s.attemptContext(ctx)
		defer cancel()
		r, err := g.GenerateImage(ctx, req)
		resp = r
		return err
	})
	if err != nil {
		s.record(rec, &as, err, llmgate.Usage{}, nil)
		return nil, err
	}
	resp.Served = served(req.Provider, req.Model, &as)
	if resp.Size == "" {
		resp.Size = req.Size
	}
	if resp.Quality == "" {
		resp.Quality = req.Quality
	}
	resp.Cost = snap.prices.ImageCost(req.Provider, req.Model, resp.Size, resp.Quality, len(resp.Data))
	s.record(rec, &as, nil, llmgate.Usage{}, resp.Cost)
	return resp, nil
}
