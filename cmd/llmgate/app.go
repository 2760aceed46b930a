package main

import (
	"context"

	"crypto/tls"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/config"
	"github.com/llmgate/llmgate/internal/gateway"
	"github.com/llmgate/llmgate/internal/httpapi"
	"github.com/llmgate/llmgate/internal/ledger"
	"github.com/llmgate/llmgate/internal/metrics"
	"github.com/llmgate/llmgate/internal/postgres"
	"github.com/llmgate/llmgate/internal/provider/anthropic"
	"github.com/llmgate/llmgate/internal/provider/azure"
	"github.com/llmgate/llmgate/internal/provider/bedrock"
	"github.com/llmgate/llmgate/internal/provider/gemini"
	"github.com/llmgate/llmgate/internal/provider/mock"
	"github.com/llmgate/llmgate/internal/provider/openai"
	"github.com/llmgate/llmgate/internal/provider/transport"
	"github.com/llmgate/llmgate/internal/router"
	"github.com/llmgate/llmgate/internal/sqlite"
	"github.com/llmgate/llmgate/internal/tokenizer"
)

// buildVersion is set at link time with -ldflags "-X main.buildVersion=…".
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// app is the wired gateway: every adapter, built from one Config.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	store   llmgate.LedgerStore
	ledger  *ledger.Writer
	gateway *gateway.Service
	server  *http.Server
	// reload re-reads the configuration; the catalog and routing are swapped in.
	reload func() (*config.Config, error)
	// deps are the deployments built at start-up; a reload routes over them.
	deps []*router.Deployment
}

func newApp(ctx context.Context, cfg *config.Config, logOut io.Writer) (*app, error) {
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.Log.Level}))
	if !cfg.Upstream.TLSVerify {
		log.Warn("HTTPX_CLIENT_VERIFY is false: TLS certificates of upstream providers are NOT verified")
	}
	store, err := openStore(ctx, cfg.Database.URL)
	if err != nil {
		return nil, err
	}
	w := ledger.New(store, ledger.Options{
		BatchSize:     cfg.Ledger.BatchSize,
		FlushInterval: cfg.Ledger.FlushInterval,
		QueueSize:     cfg.Ledger.QueueSize,
		Logger:        log,
	})
	deps, err := deployments(cfg, upstreamClient(cfg))
	if err != nil {
		store.Close()
		return nil, err
	}
	cat := cfg.Catalog()
	rt, err := newRouter(cfg, cat, deps)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("routing: %w", err)
	}
	var svc *gateway.Service
	m := metrics.New(func() []llmgate.DeploymentHealth {
		var out []llmgate.DeploymentHealth
		for _, p := range svc.Health(context.Background()).Providers {
			out = append(out, p.Deployments...)
		}
		return out
	}, func(provider, model string) bool { return svc.Known(provider, model) })
	counted := m.Ledger(w)
	svc = gateway.New(cat, gateway.Options{
		Router:   rt,
		Ledger:   counted,
		StatusOf: httpapi.StatusOf,
		Logger:   log,
		Tokens:   &tokenizer.Counter{},
	})
	api := &httpapi.Server{
		Backend:         svc,
		Usage:           flushingUsage{w, store},
		Ledger:          counted,
		Logger:          log,
		Metrics:         m.Handler(),
		APIPath:         cfg.Server.APIPath,
		Title:           cfg.Server.Title,
		Description:     cfg.Server.Description,
		Version:         version(),
		MaxBodyBytes:    cfg.Server.MaxBodyBytes,
		BodyReadTimeout: cfg.Server.BodyReadTimeout,
	}
	srv := &http.Server{
		Addr:              cfg.Addr(),
		Handler:           api.Handler(),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return &app{cfg: cfg, log: log, store: store, ledger: w, gateway: svc, server: srv, deps: deps}, nil
}

// openStore opens the ledger database named by url: sqlite:PATH or postgres://….
func openStore(ctx context.Context, url string) (llmgate.LedgerStore, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		s, err := sqlite.Open(strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			return nil, fmt.Errorf("opening the SQLite ledger: %w", err)
		}
		return s, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s, err := postgres.Open(ctx, url)
		if err != nil {
			// The URL may hold a password: name only the scheme.
			return nil, fmt.Errorf("opening the PostgreSQL ledger: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("LLMGATE_DATABASE_URL must start with sqlite: or postgres://")
}

// upstreamClient is the HTTP client every provider adapter shares: HTTP/1.1
// written and read on the request's goroutine (transport.H1), with
// net/http's Transport for what H1 does not do (proxies from the
// environment), or for everything when the operator lets TLS calls use
// HTTP/2 (LLMGATE_UPSTREAM_HTTP2).
func upstreamClient(cfg *config.Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Upstream.ConnectTimeout, KeepAlive: 30 * time.Second}
	var tlsConfig *tls.Config
	if !cfg.Upstream.TLSVerify {
		tlsConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the operator asked for it with HTTPX_CLIENT_VERIFY=False, and a warning is logged
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = transport.Dial(dialer)
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = cfg.Upstream.MaxIdleConnsPerHost
	// No ResponseHeaderTimeout: the router bounds every attempt (and a
	// stream's wait for its first chunk, headers included) with a context,
	// so a transport timer per request would only repeat it.
	t.TLSHandshakeTimeout = cfg.Upstream.ConnectTimeout
	t.TLSClientConfig = tlsConfig
	if cfg.Upstream.HTTP2 {
		return &http.Client{Transport: t}
	}
	return &http.Client{Transport: &transport.H1{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: cfg.Upstream.ConnectTimeout,
		MaxIdleConnsPerHost: cfg.Upstream.MaxIdleConnsPerHost,
		IdleConnTimeout:     t.IdleConnTimeout,
		// The router retries an attempt that fails on a connection the
		// server closed within this second.
		CheckIdleAfter: time.Second,
		Proxy:          t.Proxy,
		Fallback:       t,
	}}
}

// deployments builds one deployment per configured upstream, named as the
// routing configuration names them.
func deployments(cfg *config.Config, hc *http.Client) ([]*router.Deployment, error) {
	var deps []*router.Deployment
	maps := map[string]map[string]string{}
	for _, p := range cfg.Providers {
		maps[p.Name] = p.Deployments
	}
	add := func(name, provider string, target any) {
		deps = append(deps, &router.Deployment{Name: name, Provider: provider, Target: target})
	}
	limit := cfg.Upstream.MaxResponseBytes
	for _, r := range cfg.Azure.Regions {
		c, err := azure.New(azure.Config{Endpoint: r.Endpoint, APIKey: r.APIKey, APIVersion: r.APIVersion,
			Deployments: maps["azure_openai"], HTTPClient: hc, MaxResponseBytes: limit})
		if err != nil {
			return nil, fmt.Errorf("azure_openai region %s: %w", r.Name, err)
		}
		add("azure_openai/"+r.Name, "azure_openai", c)
	}
	if cfg.OpenAI.APIKey != "" {
		c, err := openai.New(openai.Config{BaseURL: cfg.OpenAI.BaseURL, APIKey: cfg.OpenAI.APIKey, Organization: cfg.OpenAI.Organization,
			HTTPClient: hc, Models: maps["openai"], MaxResponseBytes: limit})
		if err != nil {
			return nil, fmt.Errorf("openai: %w", err)
		}
		add("openai/default", "openai", c)
	}
	if a := cfg.Anthropic; a.APIKey != "" {
		c, err := anthropic.New(anthropic.Config{BaseURL: a.BaseURL, APIKey: a.APIKey, Version: a.Version,
			HTTPClient: hc, Models: maps["anthropic"], MaxResponseBytes: limit})
		if err != nil {
			return nil, fmt.Errorf("anthropic: %w", err)
		}
		add("anthropic/default", "anthropic", c)
	}
	if g := cfg.Gemini; g.APIKey != "" {
		c, err := gemini.New(gemini.Config{BaseURL: g.BaseURL, APIKey: g.APIKey, HTTPClient: hc, Models: maps["gemini"], MaxResponseBytes: limit})
		if err != nil {
			return nil, fmt.Errorf("gemini: %w", err)
		}
		add("gemini/default", "gemini", c)
	}
	if b := cfg.Bedrock; b.Region != "" && b.AccessKeyID != "" && b.SecretAccessKey != "" {
		c, err := bedrock.New(bedrock.Config{Region: b.Region, BaseURL: b.BaseURL,
			Credentials: credentials.NewStaticCredentialsProvider(b.AccessKeyID, b.SecretAccessKey, b.SessionToken),
			HTTPClient:  hc, Models: maps["bedrock"], MaxResponseBytes: limit})
		if err != nil {
			return nil, fmt.Errorf("bedrock: %w", err)
		}
		add("bedrock/"+b.Region, "bedrock", c)
	}
	for _, cs := range cfg.Compatible {
		c, err := openai.New(openai.Config{BaseURL: cs.BaseURL, APIKey: cs.APIKey, Name: cs.Name, HTTPClient: hc, Models: maps[cs.Name], MaxResponseBytes: limit})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cs.Name, err)
		}
		add(cs.Name+"/default", cs.Name, c)
	}
	if cfg.Mock.Enabled {
		m := cfg.Mock
		add("mock/local", "mock", mock.New(mock.Config{
			Latency:             m.Latency,
			ChunkDelay:          m.ChunkDelay,
			PromptTokens:        m.PromptTokens,
			CompletionTokens:    m.CompletionTokens,
			Reply:               m.Reply,
			EmbeddingDimensions: m.EmbeddingDimensions,
			ImageURL:            m.ImageURL,
		}))
	}
	return deps, nil
}

// newRouter builds the routing groups: one per catalog model of a provider
// with deployments, replaced or joined by the configured groups.
func newRouter(cfg *config.Config, cat *llmgate.Catalog, deps []*router.Deployment) (*router.Router, error) {
	rt := cfg.Routing
	defaults := router.Timeouts{Request: rt.Timeouts.Request, Attempt: rt.Timeouts.Attempt, FirstToken: rt.Timeouts.FirstToken}
	byName := map[string]*router.Deployment{}
	byProvider := map[string][]*router.Deployment{}
	for _, d := range deps {
		byName[d.Name] = d
		byProvider[d.Provider] = append(byProvider[d.Provider], d)
	}
	var configured []*router.Group
	for _, g := range rt.Groups {
		strategy := g.Strategy
		if strategy == "" {
			strategy = rt.Strategy
		}
		rg := &router.Group{Name: g.Name, Strategy: router.Strategy(strategy), Fallbacks: g.Fallbacks, ContextFallbacks: g.ContextFallbacks,
			Timeouts: router.Timeouts{Request: g.Timeouts.Request, Attempt: g.Timeouts.Attempt, FirstToken: g.Timeouts.FirstToken}}
		for _, m := range g.Members {
			var ds []*router.Deployment
			if m.Deployment != "" {
				if d := byName[m.Deployment]; d != nil {
					ds = append(ds, d)
				}
			} else {
				ds = byProvider[m.Provider]
			}
			for _, d := range ds {
				rg.Members = append(rg.Members, &router.Member{Deployment: d, Provider: d.Provider, Model: m.Model, Weight: m.Weight, Priority: m.Priority})
			}
		}
		// A group whose deployments are not configured here has nothing to
		// route to; requests for it get provider_not_configured.
		if len(rg.Members) > 0 {
			configured = append(configured, rg)
		}
	}
	groups := router.Merge(router.ModelGroups(cat, deps, router.Strategy(rt.Strategy), defaults), configured)
	// Fallbacks may name groups that have no deployment here: drop those,
	// so that the rest still work.
	names := make(map[string]bool, len(groups))
	for _, g := range groups {
		names[g.Name] = true
	}
	for _, g := range groups {
		g.Fallbacks = present(g.Fallbacks, names)
		g.ContextFallbacks = present(g.ContextFallbacks, names)
	}
	return router.New(groups, router.Options{
		MaxAttempts:         rt.MaxAttempts,
		BackoffBase:         rt.BackoffBase,
		BackoffMax:          rt.BackoffMax,
		BudgetRatio:         rt.BudgetRatio,
		MinRetriesPerSecond: rt.MinRetriesPerSecond,
		FailureThreshold:    rt.FailureThreshold,
		Cooldown:            rt.Cooldown,
	})
}

func present(names []string, known map[string]bool) []string {
	var out []string
	for _, n := range names {
		if known[n] {
			out = append(out, n)
		}
	}
	return out
}

// flushingUsage answers usage queries after flushing the ledger, so that a
// client sees its own requests.
type flushingUsage struct {
	w     *ledger.Writer
	store llmgate.LedgerStore
}

func (f flushingUsage) Usage(ctx context.Context, q llmgate.UsageQuery) ([]llmgate.UsageRow, error) {
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = f.w.Flush(fctx) // a slow flush only makes the totals a little older
	return f.store.Usage(ctx, q)
}

// serve runs until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish, and flushes the ledger.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.server.Addr)
	if err != nil {
		a.store.Close()
		return fmt.Errorf("listening on %s: %w", a.server.Addr, err)
	}
	addr := ln.Addr().String()
	a.log.Info("llmgate listening", slog.String("addr", addr), slog.String("apiPath", a.cfg.Server.APIPath),
		slog.String("version", version()), slog.String("docs", "http://"+addr+a.cfg.Server.APIPath+"/docs"))

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	a.watch(watchCtx)
	if a.cfg.Server.PprofAddr != "" {
		stopPprof, err := a.servePprof(a.cfg.Server.PprofAddr)
		if err != nil {
			a.server.Close()
			ln.Close()
			a.store.Close()
			return err
		}
		defer stopPprof()
	}

	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(ln) }()
	if ready != nil {
		ready(addr)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := a.server.Shutdown(sctx); err != nil {
		a.log.Error("shutdown did not finish in time; closing connections", slog.String("error", err.Error()))
		a.server.Close()
	}
	if err := a.ledger.Close(sctx); err != nil {
		a.log.Error("ledger not fully flushed", slog.String("error", err.Error()))
		serveErr = errors.Join(serveErr, err)
	}
	if err := a.store.Close(); err != nil {
		serveErr = errors.Join(serveErr, err)
	}
	a.log.Info("stopped")
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

// servePprof serves net/http/pprof on its own listener at addr, apart from
// the API so that profiles are never reachable through it, and returns the
// function that stops it.
func (a *app) servePprof(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s for pprof: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	a.log.Info("pprof listening", slog.String("addr", "http://"+ln.Addr().String()+"/debug/pprof/"))
	return func() { srv.Close() }, nil
}

// watch reloads the catalog on SIGHUP and when the config file changes. It
// arms both before it returns, so that a change made once the server is
// ready is never missed, and reloads from a goroutine of its own.
func (a *app) watch(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	changed := make(chan struct{}, 1)
	if a.cfg.File != "" {
		w, err := config.NewWatcher(a.cfg.File)
		if err != nil {
			a.log.Warn("not watching the config file", slog.String("file", a.cfg.File), slog.String("error", err.Error()))
		} else {
			go func() {
				err := w.Run(ctx, func() {
					select {
					case changed <- struct{}{}:
					default:
					}
				})
				if err != nil && ctx.Err() == nil {
					a.log.Warn("stopped watching the config file", slog.String("file", a.cfg.File), slog.String("error", err.Error()))
				}
			}()
		}
	}
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
			case <-changed:
			}
			a.reloadCatalog()
		}
	}()
}

func (a *app) reloadCatalog() {
	cfg, err := a.reload()
	if err != nil {
		a.log.Error("configuration reload failed; keeping the current catalog", slog.String("error", err.Error()))
		return
	}
	cat := cfg.Catalog()
	rt, err := newRouter(cfg, cat, a.deps)
	if err != nil {
		a.log.Error("routing reload failed; keeping the current configuration", slog.String("error", err.Error()))
		return
	}
	a.gateway.Swap(cat, rt)
	a.log.Info("catalog and routing reloaded", slog.Int("providers", len(cfg.Providers)), slog.Int("groups", len(rt.Groups())))
}
