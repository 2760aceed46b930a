package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	"github.com/llmgate/llmgate/internal/postgres"
	"github.com/llmgate/llmgate/internal/provider/azure"
	"github.com/llmgate/llmgate/internal/provider/mock"
	"github.com/llmgate/llmgate/internal/provider/openai"
	"github.com/llmgate/llmgate/internal/router"
	"github.com/llmgate/llmgate/internal/sqlite"
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
	// reload re-reads the configuration; the catalog is swapped in.
	reload func() (*config.Config, error)
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
	svc := gateway.New(cfg.Catalog(), gateway.Options{
		Router:   router.New(deps),
		Ledger:   w,
		StatusOf: httpapi.StatusOf,
		Logger:   log,
		Timeout:  cfg.Upstream.Timeout,
	})
	api := &httpapi.Server{
		Backend:         svc,
		Usage:           flushingUsage{w, store},
		Ledger:          w,
		Logger:          log,
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
	return &app{cfg: cfg, log: log, store: store, ledger: w, gateway: svc, server: srv}, nil
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

// upstreamClient is the HTTP client every provider adapter shares.
func upstreamClient(cfg *config.Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: cfg.Upstream.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = cfg.Upstream.MaxIdleConnsPerHost
	t.ResponseHeaderTimeout = cfg.Upstream.Timeout
	t.TLSHandshakeTimeout = cfg.Upstream.ConnectTimeout
	if !cfg.Upstream.TLSVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the operator asked for it with HTTPX_CLIENT_VERIFY=False, and a warning is logged
	}
	return &http.Client{Transport: t}
}

// deployments builds one deployment per configured upstream.
func deployments(cfg *config.Config, hc *http.Client) ([]*router.Deployment, error) {
	var deps []*router.Deployment
	maps := map[string]map[string]string{}
	for _, p := range cfg.Providers {
		maps[p.Name] = p.Deployments
	}
	for _, r := range cfg.Azure.Regions {
		c, err := azure.New(azure.Config{
			Endpoint:         r.Endpoint,
			APIKey:           r.APIKey,
			APIVersion:       r.APIVersion,
			Deployments:      maps["azure_openai"],
			HTTPClient:       hc,
			MaxResponseBytes: cfg.Upstream.MaxResponseBytes,
		})
		if err != nil {
			return nil, fmt.Errorf("azure_openai region %s: %w", r.Name, err)
		}
		deps = append(deps, &router.Deployment{Name: "azure_openai/" + r.Name, Provider: "azure_openai", Target: c})
	}
	if cfg.OpenAI.APIKey != "" {
		c, err := openai.New(openai.Config{
			BaseURL:          cfg.OpenAI.BaseURL,
			APIKey:           cfg.OpenAI.APIKey,
			Organization:     cfg.OpenAI.Organization,
			HTTPClient:       hc,
			Models:           maps["openai"],
			MaxResponseBytes: cfg.Upstream.MaxResponseBytes,
		})
		if err != nil {
			return nil, fmt.Errorf("openai: %w", err)
		}
		deps = append(deps, &router.Deployment{Name: "openai/default", Provider: "openai", Target: c})
	}
	if cfg.Mock.Enabled {
		m := cfg.Mock
		deps = append(deps, &router.Deployment{Name: "mock/local", Provider: "mock", Target: mock.New(mock.Config{
			Latency:             m.Latency,
			ChunkDelay:          m.ChunkDelay,
			PromptTokens:        m.PromptTokens,
			CompletionTokens:    m.CompletionTokens,
			Reply:               m.Reply,
			EmbeddingDimensions: m.EmbeddingDimensions,
			ImageURL:            m.ImageURL,
		})})
	}
	return deps, nil
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
	go a.watch(watchCtx)

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

// watch reloads the catalog on SIGHUP and when the config file changes.
func (a *app) watch(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	changed := make(chan struct{}, 1)
	if a.cfg.File != "" {
		go func() {
			err := config.Watch(ctx, a.cfg.File, func() {
				select {
				case changed <- struct{}{}:
				default:
				}
			})
			if err != nil && ctx.Err() == nil {
				a.log.Warn("not watching the config file", slog.String("file", a.cfg.File), slog.String("error", err.Error()))
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-changed:
		}
		a.reloadCatalog()
	}
}

func (a *app) reloadCatalog() {
	cfg, err := a.reload()
	if err != nil {
		a.log.Error("configuration reload failed; keeping the current catalog", slog.String("error", err.Error()))
		return
	}
	a.gateway.SetCatalog(cfg.Catalog())
	a.log.Info("catalog reloaded", slog.Int("providers", len(cfg.Providers)))
}
