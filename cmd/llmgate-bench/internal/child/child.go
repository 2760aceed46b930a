// Package child is what the benchmark's child processes share: how they
// serve and end, and the floor's reverse proxy.
//
// A child serves on a fresh 127.0.0.1 listener, prints "listening ADDR" on
// standard output once it accepts connections, and serves until SIGINT,
// SIGTERM or the end of its standard input, which the benchmark holds open:
// when the benchmark dies, however it dies, the child exits too.
package child

import (
	"context"
	"errors"
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

// ListeningPrefix starts the line a child prints on standard output once it
// accepts connections; the address follows.
const ListeningPrefix = "listening "

// Run serves h as a child process until it is told to stop, and returns the
// process's exit code. stdin is what the benchmark holds open.
func Run(h http.Handler, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, stdin) // returns when the benchmark's end closes
		cancel()
	}()
	if err := Serve(ctx, h, func(addr string) { fmt.Fprintln(stdout, ListeningPrefix+addr) }); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// Serve serves h on a fresh 127.0.0.1 listener until ctx is done, calling
// ready with the address once it accepts connections.
func Serve(ctx context.Context, h http.Handler, ready func(addr string)) error {
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

// NewFloor returns the floor: a bare httputil.ReverseProxy to target that
// does nothing but forward. FlushInterval -1 flushes every write, so that
// stream chunks flow as they arrive. Its transport keeps as many idle
// upstream connections as llm-gate's does (64 by default), so that the
// comparison at concurrency 64 is not about connection reuse.
func NewFloor(target string, maxIdlePerHost int) (*httputil.ReverseProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("floor: upstream %q is not an http URL: %w", target, errors.Join(err, ErrBadUpstream))
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	return &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(u) },
		FlushInterval: -1,
		Transport:     t,
	}, nil
}

// FullDuplex lets h read the request body after it has started the
// response. Without it the HTTP/1 server closes the request body when the
// response headers are written, while the proxy's transport may still read
// it to confirm its length; the transport then drops the upstream
// connection and cuts the streamed answer (golang/go#40747). This is the
// one line a bare ReverseProxy needs to forward streams reliably.
func FullDuplex(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		h.ServeHTTP(w, r)
	})
}

// ErrBadUpstream is the cause of a floor started without a usable upstream.
var ErrBadUpstream = errors.New("bad upstream URL")
