package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// childArg is the hidden first argument with which the benchmark re-executes
// itself to run the mock upstream or the floor proxy in a process of their
// own, so that their CPU time and resident memory are read from /proc
// exactly as llm-gate's are.
const childArg = "__llmgate_bench_child"

// listeningPrefix starts the line a child prints on stdout once it accepts
// connections; the address follows.
const listeningPrefix = "listening "

// childMain runs a child process: "upstream" or "floor" followed by its
// flags. It serves on 127.0.0.1 until SIGINT, SIGTERM or the end of its
// standard input, which the parent holds open: when the parent dies,
// however it dies, the child exits too.
func childMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "llmgate-bench child: upstream or floor expected")
		return 2
	}
	fs := flag.NewFlagSet("child "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	latency := fs.Duration("latency", 0, "upstream: latency before each response")
	interval := fs.Duration("chunk-interval", 0, "upstream: interval between stream chunks")
	apiKey := fs.String("api-key", "", "upstream: the key requests must carry")
	target := fs.String("upstream", "", "floor: the upstream's base URL")
	idle := fs.Int("max-idle-per-host", 64, "floor: idle upstream connections kept")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var h http.Handler
	switch args[0] {
	case "upstream":
		h = &upstream{Latency: *latency, ChunkInterval: *interval, APIKey: *apiKey}
	case "floor":
		p, err := newFloor(*target, *idle)
		if err != nil {
			fmt.Fprintln(stderr, "llmgate-bench child:", err)
			return 2
		}
		h = fullDuplex(p)
	default:
		fmt.Fprintf(stderr, "llmgate-bench child: unknown kind %q\n", args[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, os.Stdin) // returns when the parent's end closes
		cancel()
	}()
	if err := serve(ctx, h, func(addr string) { fmt.Fprintln(stdout, listeningPrefix+addr) }); err != nil {
		fmt.Fprintln(stderr, "llmgate-bench child:", err)
		return 1
	}
	return 0
}

// newFloor returns the floor: a bare httputil.ReverseProxy to target that
// does nothing but forward. FlushInterval -1 flushes every write, so that
// stream chunks flow as they arrive. Its transport keeps as many idle
// upstream connections as llm-gate's does (64 by default), so that the
// comparison at concurrency 64 is not about connection reuse.
func newFloor(target string, maxIdlePerHost int) (*httputil.ReverseProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("floor: upstream %q is not an http URL: %w", target, errors.Join(err, errBadUpstream))
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	return &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(u) },
		FlushInterval: -1,
		Transport:     t,
	}, nil
}

// fullDuplex lets h read the request body after it has started the
// response. Without it the HTTP/1 server closes the request body when the
// response headers are written, while the proxy's transport may still read
// it to confirm its length; the transport then drops the upstream
// connection and cuts the streamed answer (golang/go#40747). This is the
// one line a bare ReverseProxy needs to forward streams reliably.
func fullDuplex(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		h.ServeHTTP(w, r)
	})
}

// errBadUpstream is the cause of a floor started without a usable upstream.
var errBadUpstream = errors.New("bad upstream URL")

// serve serves h on a fresh 127.0.0.1 listener until ctx is done, calling
// ready with the address once it accepts connections.
func serve(ctx context.Context, h http.Handler, ready func(addr string)) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready(ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}
