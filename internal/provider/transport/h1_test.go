package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// h1Wait bounds every exchange of these tests and every wait for an event:
// a transport that hangs fails its test rather than the whole run.
const h1Wait = 10 * time.Second

// h1Prompt is how soon a cancellation or a Close must end what it ends.
const h1Prompt = 5 * time.Second

// h1Context returns a context that ends after h1Wait.
func h1Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), h1Wait)
	t.Cleanup(cancel)
	return ctx
}

// h1Server is an httptest server that counts the connections it accepts
// and reports each one that ends.
type h1Server struct {
	*httptest.Server
	newConns atomic.Int32
	closed   chan struct{} // one value per connection closed
}

// startH1Server starts an h1Server with h; configure, when not nil, sets
// the server up before it starts. useTLS starts it with TLS.
func startH1Server(t testing.TB, h http.HandlerFunc, useTLS bool, configure func(*httptest.Server)) *h1Server {
	s := &h1Server{Server: httptest.NewUnstartedServer(h), closed: make(chan struct{}, 1000)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.newConns.Add(1)
		case http.StateClosed, http.StateHijacked:
			select {
			case s.closed <- struct{}{}:
			default:
			}
		}
	}
	if configure != nil {
		configure(s.Server)
	}
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// waitClosed waits until the server has seen n connections end.
func (s *h1Server) waitClosed(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(h1Wait)
	for i := range n {
		select {
		case <-s.closed:
		case <-timeout:
			t.Fatalf("the server saw %d connections closed in %v, want %d", i, h1Wait, n)
		}
	}
}

// wantConns checks how many connections the server has accepted.
func (s *h1Server) wantConns(t testing.TB, want int32, what string) {
	t.Helper()
	if got := s.newConns.Load(); got != want {
		t.Fatalf("%s: the server accepted %d connections, want %d", what, got, want)
	}
}

// tlsH1 returns an H1 that trusts srv's certificate.
func tlsH1(srv *httptest.Server) *H1 {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &H1{TLSClientConfig: &tls.Config{RootCAs: pool}}
}

// h1Do sends req through rt and fails the test on an error.
func h1Do(t testing.TB, rt http.RoundTripper, req *http.Request) *http.Response {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	if resp.Request != req {
		t.Fatalf("resp.Request is %p, want the request sent, %p", resp.Request, req)
	}
	return resp
}

// h1Get sends a GET for url through rt.
func h1Get(t testing.TB, rt http.RoundTripper, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(h1Context(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h1Do(t, rt, req)
}

// h1Refused sends req through rt, fails the test with msg if it is
// answered, and returns RoundTrip's error.
func h1Refused(t testing.TB, rt http.RoundTripper, req *http.Request, msg string) error {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal(msg)
	}
	return err
}

// h1ReadAll reads resp's body to its end and closes it.
func h1ReadAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the body: %v (after %d bytes)", err, len(b))
	}
	return string(b)
}

// rawServer accepts connections on a loopback listener and hands each to
// serve, with its number counted from 0; the connection is closed when
// serve returns, or when the test ends.
type rawServer struct {
	url   string
	conns atomic.Int32
}

func newRawServer(t testing.TB, serve func(i int, c net.Conn)) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{url: "http://" + ln.Addr().String()}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		open   []net.Conn
		closed bool
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			i := int(s.conns.Add(1)) - 1
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			open = append(open, c)
			wg.Add(1)
			mu.Unlock()
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(i, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// readRequest reads one request and its body from br, and returns the
// sha256 of the body.
func readRequest(br *bufio.Reader) (*http.Request, string, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return req, hex.EncodeToString(sum[:]), nil
}

// waitPeerClose reads c until the peer closes it, for at most h1Wait, and
// reports whether it did.
func waitPeerClose(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(h1Wait))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// receive waits for a value from ch for at most d.
func receive[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %v", what, d)
		panic("unreachable")
	}
}

// signalConn is a connection that reports each Read it starts, so that a
// test knows a read is under way before it cancels or closes.
type signalConn struct {
	net.Conn
	reads chan struct{}
}

func (c *signalConn) Read(p []byte) (int, error) {
	select {
	case c.reads <- struct{}{}:
	default:
	}
	return c.Conn.Read(p)
}

// signalDial dials connections that report their reads on reads.
func signalDial(reads chan struct{}) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &signalConn{Conn: c, reads: reads}, nil
	}
}

// h1Echo is what echoHandler answers: what it saw of the request.
type h1Echo struct {
	Method           string
	Host             string
	Sum              string
	Len              int
	ContentLength    int64
	TransferEncoding []string
	Header           http.Header
}

// echoHandler answers with an h1Echo and two custom headers; with
// ?chunked=1 it flushes the headers first, so that the body is chunked.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(b)
	w.Header().Set("X-Custom", "custom value")
	w.Header()["X-Multi"] = []string{"one", "two"}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("chunked") != "" {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
	}
	json.NewEncoder(w).Encode(h1Echo{
		Method:           r.Method,
		Host:             r.Host,
		Sum:              hex.EncodeToString(sum[:]),
		Len:              len(b),
		ContentLength:    r.ContentLength,
		TransferEncoding: r.TransferEncoding,
		Header:           r.Header,
	})
}

// TestH1Exchanges sends GETs and POSTs with bodies of every size and kind
// through one H1 and checks what the server saw and what came back.
func TestH1Exchanges(t *testing.T) {
	srv := startH1Server(t, echoHandler, false, nil)
	h := &H1{}
	defer h.CloseIdleConnections()
	data := bytes.Repeat([]byte("0123456789abcdef"), 100<<10/16)
	type body struct {
		name string
		// make returns a request with a body of b, and whether it goes
		// chunked.
		make func(method, url string, b []byte) (req *http.Request, chunked bool)
	}
	newReq := func(method, url string, r io.Reader) *http.Request {
		req, err := http.NewRequestWithContext(h1Context(t), method, url, r)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	bodies := []body{
		{"bytes.Reader", func(m, u string, b []byte) (*http.Request, bool) {
			return newReq(m, u, bytes.NewReader(b)), false
		}},
		{"strings.Reader", func(m, u string, b []byte) (*http.Request, bool) {
			return newReq(m, u, strings.NewReader(string(b))), false
		}},
		{"opaque with its length", func(m, u string, b []byte) (*http.Request, bool) {
			req := newReq(m, u, struct{ io.Reader }{bytes.NewReader(b)})
			req.ContentLength = int64(len(b))
			return req, len(b) == 0 // a length of 0 is taken as unknown
		}},
		{"opaque with length -1", func(m, u string, b []byte) (*http.Request, bool) {
			req := newReq(m, u, struct{ io.Reader }{bytes.NewReader(b)})
			req.ContentLength = -1
			return req, true
		}},
		{"opaque with length 0", func(m, u string, b []byte) (*http.Request, bool) {
			req := newReq(m, u, struct{ io.Reader }{bytes.NewReader(b)})
			req.ContentLength = 0
			return req, true
		}},
	}
	sizes := []int{0, 100, 16 << 10, 16<<10 + 1, 100 << 10}
	n := 0
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, size := range sizes {
			for _, bk := range bodies {
				name := fmt.Sprintf("%s %d B %s", method, size, bk.name)
				n++
				chunkedAnswer := n%2 == 0
				u := srv.URL + "/echo"
				if chunkedAnswer {
					u += "?chunked=1"
				}
				req, chunked := bk.make(method, u, data[:size])
				req.Header.Set("X-Request", "value")
				req.Header["X-Request-Multi"] = []string{"a", "b"}
				resp := h1Do(t, h, req)
				raw := h1ReadAll(t, resp)
				if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/1.1" || resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
					t.Fatalf("%s: status %q, proto %q; want 200 over HTTP/1.1", name, resp.Status, resp.Proto)
				}
				if got := resp.Header.Get("X-Custom"); got != "custom value" {
					t.Errorf("%s: X-Custom %q, want %q", name, got, "custom value")
				}
				if got := resp.Header["X-Multi"]; !slices.Equal(got, []string{"one", "two"}) {
					t.Errorf("%s: X-Multi %q, want [one two]", name, got)
				}
				if chunkedAnswer {
					if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" {
						t.Errorf("%s: chunked answer with ContentLength %d and header %q, want -1 and none", name, resp.ContentLength, resp.Header.Get("Content-Length"))
					}
				} else if resp.ContentLength != int64(len(raw)) || resp.Header.Get("Content-Length") != strconv.Itoa(len(raw)) {
					t.Errorf("%s: ContentLength %d, header %q; the body has %d bytes", name, resp.ContentLength, resp.Header.Get("Content-Length"), len(raw))
				}
				var e h1Echo
				if err := json.Unmarshal([]byte(raw), &e); err != nil {
					t.Fatalf("%s: answer %q: %v", name, raw, err)
				}
				sum := sha256.Sum256(data[:size])
				if e.Method != method || e.Len != size || e.Sum != hex.EncodeToString(sum[:]) {
					t.Errorf("%s: the server saw %s with %d bytes (sum %.8s), want %s with %d bytes (sum %.8x)", name, e.Method, e.Len, e.Sum, method, size, sum)
				}
				if e.Host != srv.Listener.Addr().String() {
					t.Errorf("%s: the server saw Host %q, want %q", name, e.Host, srv.Listener.Addr())
				}
				if e.Header.Get("X-Request") != "value" || !slices.Equal(e.Header["X-Request-Multi"], []string{"a", "b"}) || e.Header.Get("User-Agent") != "Go-http-client/1.1" {
					t.Errorf("%s: the server saw headers %v, want X-Request, X-Request-Multi [a b] and the default User-Agent", name, e.Header)
				}
				wantCLHeader := strconv.Itoa(size)
				if size == 0 && method == http.MethodGet {
					wantCLHeader = "" // a GET without a body says nothing of it
				}
				switch {
				case chunked:
					if e.ContentLength != -1 || !slices.Equal(e.TransferEncoding, []string{"chunked"}) {
						t.Errorf("%s: the server saw length %d, Transfer-Encoding %q; want a chunked body", name, e.ContentLength, e.TransferEncoding)
					}
				case e.ContentLength != int64(size) || len(e.TransferEncoding) != 0 || e.Header.Get("Content-Length") != wantCLHeader:
					t.Errorf("%s: the server saw length %d (header %q), Transfer-Encoding %q; want Content-Length %q", name, e.ContentLength, e.Header.Get("Content-Length"), e.TransferEncoding, wantCLHeader)
				}
			}
		}
	}
	srv.wantConns(t, 1, "every exchange read to its end")
}

// closeRecorder is a request body that records its Close.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return nil
}

// TestH1ClosesRequestBody checks that RoundTrip closes the request's body,
// as http.RoundTripper requires, whether it succeeds or fails.
func TestH1ClosesRequestBody(t *testing.T) {
	srv := startH1Server(t, echoHandler, false, nil)
	for _, tt := range []struct {
		name    string
		url     string
		length  int64
		wantErr bool
	}{
		{"success, known length", srv.URL, 5, false},
		{"success, chunked", srv.URL, -1, false},
		{"unsupported scheme", "ftp://example.com/", 5, true},
		{"refused dial", "http://127.0.0.1:1/", 5, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &H1{}
			defer h.CloseIdleConnections()
			body := &closeRecorder{Reader: strings.NewReader("hello")}
			req, err := http.NewRequestWithContext(h1Context(t), http.MethodPost, tt.url, body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tt.length
			resp, err := h.RoundTrip(req)
			if (err != nil) != tt.wantErr {
				t.Fatalf("RoundTrip err %v, want an error: %v", err, tt.wantErr)
			}
			if err == nil {
				h1ReadAll(t, resp)
			}
			if !body.closed.Load() {
				t.Errorf("RoundTrip returned (err %v) without closing the request body", err)
			}
		})
	}
}

// TestH1Reuse checks when a connection serves the next request.
func TestH1Reuse(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	handler := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			io.WriteString(w, big)
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/empty":
			w.Header().Set("Content-Length", "0")
		default:
			io.WriteString(w, "hello") // a HEAD gets its length and no body
		}
	}

	t.Run("read to the end", func(t *testing.T) {
		srv := startH1Server(t, handler, false, nil)
		h := &H1{}
		defer h.CloseIdleConnections()
		for i := range 5 {
			if got := h1ReadAll(t, h1Get(t, h, srv.URL+"/")); got != "hello" {
				t.Fatalf("request %d: body %q, want hello", i, got)
			}
		}
		srv.wantConns(t, 1, "5 requests read to their end")
	})

	t.Run("read to the length without EOF", func(t *testing.T) {
		srv := startH1Server(t, handler, false, nil)
		h := &H1{}
		defer h.CloseIdleConnections()
		for i := range 3 {
			resp := h1Get(t, h, srv.URL+"/big")
			buf := make([]byte, len(big))
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			resp.Body.Close()
		}
		srv.wantConns(t, 1, "3 bodies read to their Content-Length, then closed")
	})

	t.Run("closed before the end", func(t *testing.T) {
		srv := startH1Server(t, handler, false, nil)
		h := &H1{}
		defer h.CloseIdleConnections()
		resp := h1Get(t, h, srv.URL+"/big")
		buf := make([]byte, 10)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.waitClosed(t, 1)
		if got := h1ReadAll(t, h1Get(t, h, srv.URL+"/big")); got != big {
			t.Fatalf("second request: %d bytes, want %d", len(got), len(big))
		}
		srv.wantConns(t, 2, "a body closed before its end")
	})

	t.Run("no body", func(t *testing.T) {
		srv := startH1Server(t, handler, false, nil)
		h := &H1{}
		defer h.CloseIdleConnections()
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{http.MethodHead, "/", http.StatusOK},
			{http.MethodGet, "/204", http.StatusNoContent},
			{http.MethodGet, "/304", http.StatusNotModified},
			{http.MethodGet, "/empty", http.StatusOK},
			{http.MethodHead, "/big", http.StatusOK},
		} {
			req, err := http.NewRequestWithContext(h1Context(t), c.method, srv.URL+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := h1Do(t, h, req)
			// A HEAD answer's length is the one a GET would have, as
			// net/http reports it: 5 for "hello", unknown (-1) for a
			// body net/http's server would have sent chunked.
			wantLen := int64(0)
			switch c.method + " " + c.path {
			case "HEAD /":
				wantLen = 5
			case "HEAD /big":
				wantLen = -1
			}
			if resp.StatusCode != c.status || resp.ContentLength != wantLen {
				t.Fatalf("%s %s: status %d, ContentLength %d; want %d with ContentLength %d and no body", c.method, c.path, resp.StatusCode, resp.ContentLength, c.status, wantLen)
			}
			if resp.Body != http.NoBody {
				t.Fatalf("%s %s: Body is %T, want http.NoBody", c.method, c.path, resp.Body)
			}
			// The body is neither read nor closed.
		}
		if got := h1ReadAll(t, h1Get(t, h, srv.URL+"/")); got != "hello" {
			t.Fatalf("GET after the answers without a body: %q, want hello", got)
		}
		srv.wantConns(t, 1, "answers without a body, left unread")
	})

	t.Run("MaxIdleConnsPerHost", func(t *testing.T) {
		arrived := make(chan struct{}, 3)
		release := make(chan struct{})
		srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			io.WriteString(w, "ok")
		}, false, nil)
		h := &H1{MaxIdleConnsPerHost: 1}
		defer h.CloseIdleConnections()
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.URL, nil)
				resp, err := h.RoundTrip(req)
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && string(b) != "ok" {
						err = fmt.Errorf("body %q, want ok", b)
					}
				}
				errs <- err
			}()
		}
		for i := range 3 {
			receive(t, arrived, h1Wait, fmt.Sprintf("request %d at the server", i))
		}
		close(release)
		for range 3 {
			if err := receive(t, errs, h1Wait, "a concurrent request"); err != nil {
				t.Fatal(err)
			}
		}
		srv.wantConns(t, 3, "3 concurrent requests")
		srv.waitClosed(t, 2) // the pool keeps 1
		h.mu.Lock()
		idle := 0
		for _, cs := range h.idle {
			idle += len(cs)
		}
		h.mu.Unlock()
		if idle != 1 {
			t.Fatalf("%d idle connections in the pool, want 1", idle)
		}
		if got := h1ReadAll(t, h1Get(t, h, srv.URL)); got != "ok" {
			t.Fatalf("body %q, want ok", got)
		}
		srv.wantConns(t, 3, "a 4th request after the 3")
	})
}

// scriptServer is a raw HTTP/1.1 server that answers the j-th request on
// its i-th connection with answer(i, j), closing the connection instead
// when that is "". It records each request's body sum, and the connections
// that the client closed.
type scriptServer struct {
	*rawServer
	mu        sync.Mutex
	sums      []string
	requests  atomic.Int32
	peerClose chan int // connections the client closed
}

func newScriptServer(t testing.TB, answer func(i, j int) string) *scriptServer {
	s := &scriptServer{peerClose: make(chan int, 100)}
	s.rawServer = newRawServer(t, func(i int, c net.Conn) {
		br := bufio.NewReader(c)
		for j := 0; ; j++ {
			_, sum, err := readRequest(br)
			if err != nil {
				if errors.Is(err, io.EOF) {
					s.peerClose <- i
				}
				return
			}
			s.requests.Add(1)
			s.mu.Lock()
			s.sums = append(s.sums, sum)
			s.mu.Unlock()
			a := answer(i, j)
			if a == "" {
				return
			}
			if _, err := io.WriteString(c, a); err != nil {
				return
			}
		}
	})
	return s
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// TestH1ConnectionClose checks that a connection is not reused after an
// answer or a request that says Connection: close, even when the server
// leaves it open, and that H1 closes it.
func TestH1ConnectionClose(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		close  bool // the request says Connection: close
	}{
		{"answer says close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false},
		{"answer says close among other tokens", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok", false},
		{"request says close", okAnswer, true},
		{"HTTP/1.0 answer", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.0 answer with Content-Length 0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newScriptServer(t, func(i, j int) string { return tt.answer })
			h := &H1{}
			defer h.CloseIdleConnections()
			for i := range 2 {
				req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.url, nil)
				req.Close = tt.close
				resp := h1Do(t, h, req)
				// resp.Close tells what the answer said, as in net/http.
				if !resp.Close && !tt.close {
					t.Errorf("request %d: resp.Close is false", i)
				}
				h1ReadAll(t, resp)
				if got := receive(t, srv.peerClose, h1Wait, "the client's close"); got != i {
					t.Fatalf("the client closed connection %d, want %d", got, i)
				}
			}
			if got := srv.conns.Load(); got != 2 {
				t.Fatalf("%d connections for 2 requests, want 2", got)
			}
		})
	}

	t.Run("HTTP/1.0 answer with keep-alive", func(t *testing.T) {
		srv := newScriptServer(t, func(i, j int) string {
			return "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
		})
		h := &H1{}
		defer h.CloseIdleConnections()
		for range 3 {
			if got := h1ReadAll(t, h1Get(t, h, srv.url)); got != "ok" {
				t.Fatalf("body %q, want ok", got)
			}
		}
		if got := srv.conns.Load(); got != 1 {
			t.Fatalf("%d connections for 3 requests, want 1", got)
		}
	})

	t.Run("HTTP/1.0 answer without length", func(t *testing.T) {
		srv := newRawServer(t, func(i int, c net.Conn) {
			if _, _, err := readRequest(bufio.NewReader(c)); err == nil {
				io.WriteString(c, "HTTP/1.0 200 OK\r\nX-A: b\r\n\r\nthe body ends with the connection")
			}
		})
		h := &H1{}
		defer h.CloseIdleConnections()
		for i := range 2 {
			resp := h1Get(t, h, srv.url)
			if !resp.Close || resp.ContentLength != -1 {
				t.Errorf("request %d: Close %v, ContentLength %d; want true, -1", i, resp.Close, resp.ContentLength)
			}
			if got := h1ReadAll(t, resp); got != "the body ends with the connection" {
				t.Fatalf("request %d: body %q", i, got)
			}
		}
		if got := srv.conns.Load(); got != 2 {
			t.Fatalf("%d connections for 2 requests, want 2", got)
		}
	})
}

// TestH1Stream checks that a streamed body reaches the caller chunk by
// chunk as the server flushes it, and that its end, trailers included,
// leaves the connection reusable.
func TestH1Stream(t *testing.T) {
	next := make(chan struct{})
	srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
		trailers := r.URL.Query().Get("trailers") != ""
		if trailers {
			w.Header().Set("Trailer", "X-Sum")
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			if i > 0 {
				select {
				case <-next:
				case <-r.Context().Done():
					return
				}
			}
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
		}
		if trailers {
			w.Header().Set("X-Sum", "3 events")
			w.Header().Set(http.TrailerPrefix+"X-Late", strings.Repeat("t", 5000))
		}
	}, false, nil)
	h := &H1{}
	defer h.CloseIdleConnections()
	for _, path := range []string{"/", "/?trailers=1", "/", "/?trailers=1"} {
		resp := h1Get(t, h, srv.URL+path)
		if resp.ContentLength != -1 {
			t.Fatalf("%s: ContentLength %d, want -1 for a chunked body", path, resp.ContentLength)
		}
		for i := range 3 {
			if i > 0 {
				next <- struct{}{} // the server writes event i only now
			}
			want := fmt.Sprintf("data: %d\n\n", i)
			buf := make([]byte, len(want))
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != want {
				t.Fatalf("%s: event %d: %q, %v; want %q", path, i, buf, err, want)
			}
		}
		if rest := h1ReadAll(t, resp); rest != "" {
			t.Fatalf("%s: %q after the last event", path, rest)
		}
	}
	srv.wantConns(t, 1, "4 streams read to their end")
}

// TestH1ServerClosesIdle checks that a request after the server closed the
// idle connection goes out on a new one without error, a POST as well.
func TestH1ServerClosesIdle(t *testing.T) {
	post := func(t *testing.T, h *H1, u string) {
		t.Helper()
		// An opaque body cannot be sent again: a POST on a dead
		// connection would fail.
		req, err := http.NewRequestWithContext(h1Context(t), http.MethodPost, u, struct{ io.Reader }{strings.NewReader("payload")})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len("payload"))
		var e h1Echo
		if err := json.Unmarshal([]byte(h1ReadAll(t, h1Do(t, h, req))), &e); err != nil || e.Len != len("payload") {
			t.Fatalf("POST: the server read %d bytes (%v), want %d", e.Len, err, len("payload"))
		}
	}
	for _, useTLS := range []bool{false, true} {
		name := "http"
		if useTLS {
			name = "https"
		}
		t.Run(name+" CloseClientConnections", func(t *testing.T) {
			srv := startH1Server(t, echoHandler, useTLS, nil)
			h := &H1{}
			if useTLS {
				h = tlsH1(srv.Server)
			}
			defer h.CloseIdleConnections()
			h1ReadAll(t, h1Get(t, h, srv.URL))
			srv.CloseClientConnections()
			h1ReadAll(t, h1Get(t, h, srv.URL))
			srv.CloseClientConnections()
			post(t, h, srv.URL)
			srv.CloseClientConnections()
			post(t, h, srv.URL)
			srv.wantConns(t, 4, "4 requests, each after the server closed the connection")
		})
		t.Run(name+" IdleTimeout", func(t *testing.T) {
			srv := startH1Server(t, echoHandler, useTLS, func(s *httptest.Server) { s.Config.IdleTimeout = 20 * time.Millisecond })
			h := &H1{}
			if useTLS {
				h = tlsH1(srv.Server)
			}
			defer h.CloseIdleConnections()
			h1ReadAll(t, h1Get(t, h, srv.URL))
			srv.waitClosed(t, 1)
			post(t, h, srv.URL)
			srv.waitClosed(t, 1)
			post(t, h, srv.URL)
			srv.wantConns(t, 3, "3 requests, each after the server's idle timeout")
		})
	}
}

// TestH1Retry checks which requests H1 sends again on a new connection
// after the server closed a reused one without answering.
func TestH1Retry(t *testing.T) {
	payload := []byte(`{"model":"m","messages":[]}`)
	sum := sha256.Sum256(payload)
	payloadSum := hex.EncodeToString(sum[:])
	tests := []struct {
		name string
		// second makes the request sent on the reused connection.
		second func(t *testing.T, u string) *http.Request
		// closeAlso closes the new connection too, without answering.
		closeAlso    bool
		wantErr      bool
		wantRequests int32
		wantConns    int32
	}{
		{"GET is sent again", func(t *testing.T, u string) *http.Request {
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, u, nil)
			return req
		}, false, false, 3, 2},
		{"GET is sent again only once", func(t *testing.T, u string) *http.Request {
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, u, nil)
			return req
		}, true, true, 3, 2},
		{"POST is not", func(t *testing.T, u string) *http.Request {
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, u, bytes.NewReader(payload))
			return req
		}, false, true, 2, 1},
		{"POST with Idempotency-Key is", func(t *testing.T, u string) *http.Request {
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, u, bytes.NewReader(payload))
			req.Header.Set("Idempotency-Key", "k1")
			return req
		}, false, false, 3, 2},
		{"POST with Idempotency-Key and a body that cannot be read again is not", func(t *testing.T, u string) *http.Request {
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, u, struct{ io.Reader }{bytes.NewReader(payload)})
			req.ContentLength = int64(len(payload))
			req.Header.Set("Idempotency-Key", "k1")
			return req
		}, false, true, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newScriptServer(t, func(i, j int) string {
				if (i == 0 && j == 1) || (i == 1 && tt.closeAlso) {
					return "" // read the request, close without answering
				}
				return okAnswer
			})
			h := &H1{}
			defer h.CloseIdleConnections()
			u := srv.url + "/v1/chat?key=SECRET123"
			if got := h1ReadAll(t, h1Get(t, h, u)); got != "ok" {
				t.Fatalf("first request: body %q, want ok", got)
			}
			req := tt.second(t, u)
			req.Header.Set("Api-Key", "SECRET456")
			body := req.Body
			resp, err := h.RoundTrip(req)
			if req.Body != body {
				t.Errorf("RoundTrip replaced the caller's request body (%T) with %T", body, req.Body)
			}
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("the second request succeeded, want an error")
				}
				noSecret(t, "RoundTrip", err)
			} else {
				if err != nil {
					t.Fatalf("the second request: %v, want it sent again and answered", err)
				}
				if resp.Request != req {
					t.Errorf("resp.Request is not the request sent")
				}
				if got := h1ReadAll(t, resp); got != "ok" {
					t.Fatalf("second request: body %q, want ok", got)
				}
			}
			if got := srv.requests.Load(); got != tt.wantRequests {
				t.Errorf("the server read %d requests, want %d", got, tt.wantRequests)
			}
			if got := srv.conns.Load(); got != tt.wantConns {
				t.Errorf("the server accepted %d connections, want %d", got, tt.wantConns)
			}
			if req.Method == http.MethodPost {
				srv.mu.Lock()
				sums := srv.sums[1:]
				srv.mu.Unlock()
				for i, s := range sums {
					if s != payloadSum {
						t.Errorf("attempt %d: the server read a body with sum %.8s, want %.8s", i+1, s, payloadSum)
					}
				}
			}
		})
	}

	t.Run("no retry on a new connection", func(t *testing.T) {
		srv := newScriptServer(t, func(i, j int) string { return "" })
		h := &H1{}
		defer h.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.url+"/?key=SECRET123", nil)
		req.Header.Set("Api-Key", "SECRET456")
		err := h1Refused(t, h, req, "RoundTrip succeeded against a server that closes every connection")
		noSecret(t, "RoundTrip", err)
		if got, conns := srv.requests.Load(), srv.conns.Load(); got != 1 || conns != 1 {
			t.Fatalf("the server read %d requests on %d connections, want 1 on 1", got, conns)
		}
	})
}

// noSecret fails the test if err's text shows the secrets of the URL's
// query or of the Api-Key header.
func noSecret(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if s := err.Error(); strings.Contains(s, "SECRET123") || strings.Contains(s, "SECRET456") {
		t.Errorf("%s error %q shows a secret", what, s)
	}
}

// TestH1PoolOrder pools two connections and checks that the one returned
// last serves the next request, and that a request that fails on a reused
// connection is sent again once only, even when its second attempt also
// goes out on a reused connection.
func TestH1PoolOrder(t *testing.T) {
	arrived := make(chan struct{}, 2)
	release := make(chan struct{})
	var closeNext atomic.Bool // connections 0 and 1 close on their next request
	var requests atomic.Int32
	srv := newRawServer(t, func(i int, c net.Conn) {
		br := bufio.NewReader(c)
		for j := 0; ; j++ {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			requests.Add(1)
			if i < 2 && j == 0 {
				arrived <- struct{}{}
				<-release // both first requests are in: two connections
			} else if i < 2 && closeNext.Load() {
				return
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Conn: %d\r\nContent-Length: 2\r\n\r\nok", i)
		}
	})
	h := &H1{}
	defer h.CloseIdleConnections()
	resps := make(chan *http.Response, 2)
	for range 2 {
		go func() {
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.url, nil)
			resp, err := h.RoundTrip(req)
			if err != nil {
				t.Error(err)
			}
			resps <- resp
		}()
	}
	receive(t, arrived, h1Wait, "the first request")
	receive(t, arrived, h1Wait, "the second request")
	close(release)
	byConn := map[string]*http.Response{}
	for range 2 {
		resp := receive(t, resps, h1Wait, "an answer")
		if resp == nil {
			t.FailNow()
		}
		byConn[resp.Header.Get("X-Conn")] = resp
	}
	if byConn["0"] == nil || byConn["1"] == nil {
		t.Fatalf("answers from connections %v, want 0 and 1", slices.Collect(maps.Keys(byConn)))
	}
	// Their ends return connection 1 to the pool, then connection 0.
	h1ReadAll(t, byConn["1"])
	h1ReadAll(t, byConn["0"])
	for range 2 {
		resp := h1Get(t, h, srv.url)
		h1ReadAll(t, resp)
		if got := resp.Header.Get("X-Conn"); got != "0" {
			t.Fatalf("answered on connection %s, want 0, the one returned last", got)
		}
	}

	// Both pooled connections now close on their next request: a GET
	// fails on the first, is sent again on the second, and fails there.
	closeNext.Store(true)
	before := requests.Load()
	req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.url, nil)
	if resp, err := h.RoundTrip(req); err == nil {
		h1ReadAll(t, resp)
		t.Fatalf("the GET succeeded on connection %s, want it sent once more, on the second pooled connection, and failed there", resp.Header.Get("X-Conn"))
	}
	if got := requests.Load() - before; got != 2 {
		t.Fatalf("the server read the GET %d times, want 2", got)
	}
	if got := srv.conns.Load(); got != 2 {
		t.Fatalf("%d connections, want 2: no third attempt on a new one", got)
	}
}

// TestH1StrayBytes checks that a connection with bytes after the end of an
// answer is not reused.
func TestH1StrayBytes(t *testing.T) {
	srv := newScriptServer(t, func(i, j int) string { return okAnswer + "HTTP/1.1 200 OK\r\n" })
	h := &H1{}
	defer h.CloseIdleConnections()
	for range 2 {
		if got := h1ReadAll(t, h1Get(t, h, srv.url)); got != "ok" {
			t.Fatalf("body %q, want ok", got)
		}
	}
	if got := srv.conns.Load(); got != 2 {
		t.Fatalf("%d connections for 2 requests, want 2", got)
	}
	if got := receive(t, srv.peerClose, h1Wait, "the client's close"); got != 0 {
		t.Fatalf("the client closed connection %d, want 0", got)
	}
}

// TestH1Cancel checks that the request's context ends an exchange at any
// point, promptly, and closes its connection.
func TestH1Cancel(t *testing.T) {
	started := make(chan struct{}, 10)
	gone := make(chan struct{}, 10)
	var stop chan struct{}
	srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, "ok")
			return
		case "/stream":
			io.WriteString(w, "first")
			w.(http.Flusher).Flush()
		}
		started <- struct{}{}
		select {
		case <-r.Context().Done(): // the client's close
			gone <- struct{}{}
		case <-stop: // the test failed
		}
	}, false, nil)
	stop = make(chan struct{})
	t.Cleanup(func() { close(stop) }) // before the server's Close

	// The deadline must pass after the first chunk of the body is read: a
	// second is ample on any machine for what comes before.
	const deadline = time.Second
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		// end ends the context: cancel for one, nothing for a deadline.
		end  func(cancel context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			func(cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), deadline)
		}, func(context.CancelFunc) {}, context.DeadlineExceeded},
	} {
		t.Run(tt.name+" before the answer", func(t *testing.T) {
			h := &H1{}
			defer h.CloseIdleConnections()
			h1ReadAll(t, h1Get(t, h, srv.URL+"/ok")) // a pooled connection to cancel on
			ctx, cancel := tt.ctx()
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/wait", nil)
			errc := make(chan error, 1)
			go func() {
				resp, err := h.RoundTrip(req)
				if err == nil {
					resp.Body.Close()
				}
				errc <- err
			}()
			receive(t, started, h1Wait, "the request at the server")
			tt.end(cancel)
			err := receive(t, errc, deadline+h1Prompt, "RoundTrip after the cancellation")
			if !errors.Is(err, tt.want) {
				t.Fatalf("RoundTrip: %v, want an error that is %v", err, tt.want)
			}
			receive(t, gone, h1Prompt, "the server noticing the connection closed")
		})

		t.Run(tt.name+" in the body", func(t *testing.T) {
			reads := make(chan struct{}, 1)
			h := &H1{DialContext: signalDial(reads)}
			defer h.CloseIdleConnections()
			ctx, cancel := tt.ctx()
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream", nil)
			resp, err := h.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip: %v (a deadline of %v passed before the answer?)", err, deadline)
			}
			defer resp.Body.Close()
			buf := make([]byte, 5)
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
				t.Fatalf("first chunk %q, %v", buf, err)
			}
			receive(t, started, h1Wait, "the handler")
			select {
			case <-reads:
			default:
			}
			errc := make(chan error, 1)
			go func() {
				_, err := resp.Body.Read(make([]byte, 100))
				errc <- err
			}()
			receive(t, reads, h1Wait, "the body's read on the connection")
			tt.end(cancel)
			err = receive(t, errc, deadline+h1Prompt, "Read after the cancellation")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Read: %v, want an error that is %v", err, tt.want)
			}
			if _, err := resp.Body.Read(buf); err == nil {
				t.Fatal("a Read after the failed one succeeded")
			}
			receive(t, gone, h1Prompt, "the server noticing the connection closed")
		})
	}

	t.Run("canceled before RoundTrip", func(t *testing.T) {
		h := &H1{}
		defer h.CloseIdleConnections()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/wait", nil)
		resp, err := h.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("RoundTrip: %v, want an error that is context.Canceled", err)
		}
	})
}

// TestH1BodyCloseEndsRead checks that closing a body from another
// goroutine ends a read blocked on it, and that the body stays closed.
func TestH1BodyCloseEndsRead(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			gone := make(chan struct{}, 1)
			release := make(chan struct{})
			srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "first")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				gone <- struct{}{}
				// The body must not end: over TLS the client's close_notify
				// reaches the server before the connection closes, and an
				// answer ending then could still reach the blocked Read.
				<-release
			}, useTLS, nil)
			defer close(release)
			h := &H1{}
			if useTLS {
				h = tlsH1(srv.Server)
			}
			reads := make(chan struct{}, 1)
			h.DialContext = signalDial(reads)
			defer h.CloseIdleConnections()
			resp := h1Get(t, h, srv.URL)
			buf := make([]byte, 5)
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
				t.Fatalf("first chunk %q, %v", buf, err)
			}
			select {
			case <-reads:
			default:
			}
			errc := make(chan error, 1)
			go func() {
				_, err := resp.Body.Read(make([]byte, 100))
				errc <- err
			}()
			receive(t, reads, h1Wait, "the body's read on the connection")
			if err := resp.Body.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := receive(t, errc, h1Prompt, "Read after Close"); err == nil || err == io.EOF {
				t.Fatalf("the blocked Read returned %v after Close, want an error", err)
			}
			for range 2 {
				if n, err := resp.Body.Read(buf); err == nil || err == io.EOF || n != 0 {
					t.Fatalf("Read after Close: %d, %v; want an error", n, err)
				}
			}
			if err := resp.Body.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			receive(t, gone, h1Prompt, "the server noticing the connection closed")
		})
	}
}

// TestH1MalformedAnswers sends answers H1 must refuse, each from a raw
// server, and checks that each fails in time without showing a secret, and
// that the connection is closed.
func TestH1MalformedAnswers(t *testing.T) {
	bigHeaders := "HTTP/1.1 200 OK\r\n"
	for i := 0; len(bigHeaders) < 8<<10; i++ {
		bigHeaders += fmt.Sprintf("X-Pad-%d: %s\r\n", i, strings.Repeat("p", 100))
	}
	bigHeaders += "Content-Length: 2\r\n\r\nok"
	tests := []struct {
		name   string
		answer string
		// serverCloses: the server closes the connection after the answer;
		// otherwise it waits for the client to close it.
		serverCloses bool
		// bodyErr: RoundTrip succeeds and reading the body fails; when
		// not nil, with an error that is it.
		bodyErr     bool
		wantBodyErr error
	}{
		{name: "garbage status line", answer: "garbage\r\n\r\n"},
		{name: "status line without a code", answer: "HTTP/1.1\r\n\r\n"},
		{name: "HTTP/2.0", answer: "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "HTTP/0.9", answer: "HTTP/0.9 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "status 20", answer: "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "status 2000", answer: "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "status 099", answer: "HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "status 2x0", answer: "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "conflicting Content-Length", answer: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"},
		{name: "negative Content-Length", answer: "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok"},
		{name: "non-numeric Content-Length", answer: "HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok"},
		{name: "Content-Length list", answer: "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"},
		{name: "HTTP/1.0 with Transfer-Encoding", answer: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{name: "Transfer-Encoding gzip", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok"},
		{name: "Transfer-Encoding gzip, chunked", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{name: "headers over the limit", answer: bigHeaders},
		{name: "header line without a colon", answer: "HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\nok"},
		{name: "closed in the headers", answer: "HTTP/1.1 200 OK\r\nContent-Le", serverCloses: true},
		{name: "closed without an answer", answer: "", serverCloses: true},
		{name: "101 Switching Protocols", answer: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		{name: "six 100 Continue", answer: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 6) + okAnswer},
		{name: "body shorter than Content-Length", answer: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", serverCloses: true, bodyErr: true, wantBodyErr: io.ErrUnexpectedEOF},
		{name: "closed in a chunk", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc", serverCloses: true, bodyErr: true, wantBodyErr: io.ErrUnexpectedEOF},
		{name: "closed after the last chunk", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n", serverCloses: true, bodyErr: true},
		{name: "closed in the trailer", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n", serverCloses: true, bodyErr: true},
		{name: "malformed chunk size", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n", bodyErr: true},
		{name: "chunk without its CRLF", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", bodyErr: true},
		{name: "malformed trailer", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", bodyErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientClosed := make(chan bool, 1)
			srv := newRawServer(t, func(i int, c net.Conn) {
				if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, tt.answer)
				if !tt.serverCloses {
					clientClosed <- waitPeerClose(c)
				}
			})
			h := &H1{MaxResponseHeaderBytes: 4 << 10}
			defer h.CloseIdleConnections()
			ctx := h1Context(t)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/v1/models?key=SECRET123", nil)
			req.Header.Set("Api-Key", "SECRET456")
			start := time.Now()
			resp, err := h.RoundTrip(req)
			if tt.bodyErr {
				if err != nil {
					t.Fatalf("RoundTrip: %v, want an answer whose body fails", err)
				}
				var b []byte
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					t.Fatalf("the body read %q without error", b)
				}
				if tt.wantBodyErr != nil && !errors.Is(err, tt.wantBodyErr) {
					t.Errorf("reading the body: %v, want an error that is %v", err, tt.wantBodyErr)
				}
				if _, err2 := resp.Body.Read(make([]byte, 10)); err2 == nil || err2 == io.EOF {
					t.Errorf("a Read after the failed one returned %v, want an error", err2)
				}
			} else if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				t.Fatalf("RoundTrip succeeded with status %d and body %q, want an error", resp.StatusCode, b)
			}
			if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				t.Fatalf("the exchange hung until the test's timeout (%v): %v", time.Since(start), err)
			}
			noSecret(t, "the exchange", err)
			if !tt.serverCloses && !receive(t, clientClosed, h1Wait+time.Second, "the server's wait for the client") {
				t.Errorf("the client left the connection open after the error")
			}
		})
	}
}

// TestH1InformationalAnswers checks that up to 5 interim answers before the
// final one are skipped.
func TestH1InformationalAnswers(t *testing.T) {
	for _, n := range []int{1, 5} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			interim := strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", n-1) + "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
			srv := newScriptServer(t, func(i, j int) string { return interim + okAnswer })
			h := &H1{}
			defer h.CloseIdleConnections()
			for range 2 {
				resp := h1Get(t, h, srv.url)
				if got := h1ReadAll(t, resp); resp.StatusCode != 200 || got != "ok" || resp.Header.Get("Link") != "" {
					t.Fatalf("status %d, body %q, Link %q; want 200 ok and no header of the interim answer", resp.StatusCode, got, resp.Header.Get("Link"))
				}
			}
			if got := srv.conns.Load(); got != 1 {
				t.Fatalf("%d connections, want 1", got)
			}
		})
	}
}

// writeCounter counts the bytes written on the connections of a dialer.
type writeCounter struct {
	dials   atomic.Int32
	written atomic.Int64
}

type countingConn struct {
	net.Conn
	w *writeCounter
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.written.Add(int64(n))
	return n, err
}

func (w *writeCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	w.dials.Add(1)
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, w: w}, nil
}

// stubRoundTripper records the requests it gets and answers 299.
type stubRoundTripper struct {
	reqs []*http.Request
}

func (s *stubRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	s.reqs = append(s.reqs, req)
	return &http.Response{StatusCode: 299, Body: http.NoBody, Request: req}, nil
}

// TestH1InvalidRequests checks that a request that cannot be written fails
// before a byte of it is, with an error that names the header at fault but
// not its value.
func TestH1InvalidRequests(t *testing.T) {
	srv := startH1Server(t, echoHandler, false, nil)
	tests := []struct {
		name     string
		modify   func(req *http.Request)
		wantText string // the error names it
	}{
		{"CRLF in a header value", func(req *http.Request) { req.Header.Set("X-Bad", "SECRET789\r\nX-Injected: 1") }, "X-Bad"},
		{"LF in a header value", func(req *http.Request) { req.Header["X-Bad"] = []string{"ok", "SECRET789\nX-Injected: 1"} }, "X-Bad"},
		{"NUL in a header value", func(req *http.Request) { req.Header.Set("X-Bad", "SECRET789\x00") }, "X-Bad"},
		{"space in a header name", func(req *http.Request) { req.Header["X Bad"] = []string{"SECRET789"} }, "X Bad"},
		{"colon in a header name", func(req *http.Request) { req.Header["X-Bad:"] = []string{"SECRET789"} }, "X-Bad:"},
		{"space in the method", func(req *http.Request) { req.Method = "GE T" }, "method"},
		{"space in Host", func(req *http.Request) { req.Host = "a b" }, ""},
		{"CRLF in Host", func(req *http.Request) { req.Host = "a\r\nX-Injected: 1" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wc writeCounter
			h := &H1{DialContext: wc.dial}
			defer h.CloseIdleConnections()
			body := &closeRecorder{Reader: strings.NewReader("hello")}
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, srv.URL+"/?key=SECRET123", body)
			req.ContentLength = 5
			tt.modify(req)
			err := h1Refused(t, h, req, "RoundTrip succeeded, want an error")
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not name %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q shows a secret", err)
			}
			if n := wc.written.Load(); n != 0 {
				t.Errorf("%d bytes were written before the error, want none", n)
			}
			if !body.closed.Load() {
				t.Error("the request body was not closed")
			}
		})
	}

	t.Run("no host", func(t *testing.T) {
		var wc writeCounter
		h := &H1{DialContext: wc.dial}
		req := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "http", Path: "/x"}, Header: http.Header{}}
		h1Refused(t, h, req, "RoundTrip succeeded for a URL without a host")
		if n := wc.dials.Load(); n != 0 {
			t.Errorf("%d dials for a URL without a host", n)
		}
	})

	t.Run("nil URL", func(t *testing.T) {
		h := &H1{}
		h1Refused(t, h, &http.Request{Method: http.MethodGet, Header: http.Header{}}, "RoundTrip succeeded for a nil URL")
	})

	t.Run("ContentLength with no body", func(t *testing.T) {
		var wc writeCounter
		h := &H1{DialContext: wc.dial}
		req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, srv.URL, nil)
		req.ContentLength = 10
		h1Refused(t, h, req, "RoundTrip succeeded for a ContentLength of 10 with no body")
		if n := wc.written.Load(); n != 0 {
			t.Errorf("%d bytes written", n)
		}
	})

	t.Run("body shorter than ContentLength", func(t *testing.T) {
		h := &H1{}
		defer h.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, srv.URL, struct{ io.Reader }{strings.NewReader("hello")})
		req.ContentLength = 10
		h1Refused(t, h, req, "RoundTrip succeeded with a body of 5 bytes for a ContentLength of 10")
	})
}

// TestH1Fallback checks which requests H1 hands to Fallback.
func TestH1Fallback(t *testing.T) {
	srv := startH1Server(t, echoHandler, false, nil)
	proxyURL, _ := url.Parse("http://proxy.invalid:3128")
	errProxy := errors.New("no proxy for you")
	tests := []struct {
		name         string
		url          string
		proxy        func(*http.Request) (*url.URL, error)
		fallback     bool
		wantFallback bool
		wantErr      bool
		wantDials    int32
	}{
		{"ftp without Fallback", "ftp://example.com/file", nil, false, false, true, 0},
		{"ftp with Fallback", "ftp://example.com/file", nil, true, true, false, 0},
		{"proxied with Fallback", srv.URL, func(*http.Request) (*url.URL, error) { return proxyURL, nil }, true, true, false, 0},
		{"proxied without Fallback", srv.URL, func(*http.Request) (*url.URL, error) { return proxyURL, nil }, false, false, true, 0},
		{"no proxy", srv.URL, func(*http.Request) (*url.URL, error) { return nil, nil }, true, false, false, 1},
		{"Proxy fails", srv.URL, func(*http.Request) (*url.URL, error) { return nil, errProxy }, true, false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wc writeCounter
			stub := &stubRoundTripper{}
			h := &H1{DialContext: wc.dial, Proxy: tt.proxy}
			if tt.fallback {
				h.Fallback = stub
			}
			defer h.CloseIdleConnections()
			req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, tt.url, nil)
			resp, err := h.RoundTrip(req)
			if (err != nil) != tt.wantErr {
				t.Fatalf("RoundTrip err %v, want an error: %v", err, tt.wantErr)
			}
			if err == nil {
				h1ReadAll(t, resp)
				wantStatus := 200
				if tt.wantFallback {
					wantStatus = 299
				}
				if resp.StatusCode != wantStatus {
					t.Errorf("status %d, want %d", resp.StatusCode, wantStatus)
				}
			}
			if tt.wantFallback != (len(stub.reqs) == 1) || (len(stub.reqs) == 1 && stub.reqs[0] != req) {
				t.Errorf("Fallback got %d requests, want the request sent to it: %v", len(stub.reqs), tt.wantFallback)
			}
			if got := wc.dials.Load(); got != tt.wantDials {
				t.Errorf("%d dials, want %d", got, tt.wantDials)
			}
		})
	}
}

// TestH1TLS checks exchanges over TLS, with ALPN offering only http/1.1
// even to a server that offers HTTP/2.
func TestH1TLS(t *testing.T) {
	for _, tt := range []struct {
		name       string
		h2         bool
		nextProtos []string // the server's ALPN protocols; nil for httptest's
		// wantALPN is what the server chose: offered only h2, Go's TLS
		// server lets an http/1.1 client in without ALPN.
		wantALPN string
	}{
		{"HTTP/1.1 server", false, nil, "http/1.1"},
		{"h2 only server", true, nil, ""},
		{"h2 and HTTP/1.1 server", true, []string{"h2", "http/1.1"}, "http/1.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Proto", r.Proto)
				w.Header().Set("X-ALPN", r.TLS.NegotiatedProtocol)
				echoHandler(w, r)
			}, true, func(s *httptest.Server) {
				s.EnableHTTP2 = tt.h2
				if tt.nextProtos != nil {
					s.TLS = &tls.Config{NextProtos: tt.nextProtos}
				}
			})
			h := tlsH1(srv.Server)
			defer h.CloseIdleConnections()
			data := bytes.Repeat([]byte("tls!"), 25<<10)
			for i := range 4 {
				var body io.Reader
				method := http.MethodGet
				if i%2 == 1 {
					method, body = http.MethodPost, bytes.NewReader(data)
				}
				u := srv.URL + "/"
				if i >= 2 {
					u += "?chunked=1"
				}
				req, _ := http.NewRequestWithContext(h1Context(t), method, u, body)
				resp := h1Do(t, h, req)
				raw := h1ReadAll(t, resp)
				if resp.ProtoMajor != 1 || resp.Header.Get("X-Proto") != "HTTP/1.1" || resp.Header.Get("X-ALPN") != tt.wantALPN {
					t.Fatalf("request %d: client proto %q, server proto %q, ALPN %q; want HTTP/1.1, ALPN %q", i, resp.Proto, resp.Header.Get("X-Proto"), resp.Header.Get("X-ALPN"), tt.wantALPN)
				}
				var e h1Echo
				if err := json.Unmarshal([]byte(raw), &e); err != nil {
					t.Fatal(err)
				}
				if body != nil && e.Len != len(data) {
					t.Fatalf("request %d: the server read %d bytes, want %d", i, e.Len, len(data))
				}
			}
			srv.wantConns(t, 1, "4 exchanges over TLS")
		})
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		srv := startH1Server(t, echoHandler, true, nil)
		h := &H1{}
		req, _ := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.URL+"/?key=SECRET123", nil)
		err := h1Refused(t, h, req, "RoundTrip succeeded with an untrusted certificate")
		noSecret(t, "RoundTrip", err)
	})
}

// TestH1IdleConnTimeout checks that the idle timer and
// CloseIdleConnections close pooled connections.
func TestH1IdleConnTimeout(t *testing.T) {
	t.Run("IdleConnTimeout", func(t *testing.T) {
		srv := startH1Server(t, echoHandler, false, nil)
		h := &H1{IdleConnTimeout: 50 * time.Millisecond}
		defer h.CloseIdleConnections()
		for range 2 {
			start := time.Now()
			h1ReadAll(t, h1Get(t, h, srv.URL))
			srv.waitClosed(t, 1)
			if d := time.Since(start); d < 50*time.Millisecond {
				t.Errorf("the connection closed %v after the request, before the idle timeout", d)
			}
		}
		srv.wantConns(t, 2, "2 requests, each after the idle timeout")
	})

	t.Run("reuse resets the timer", func(t *testing.T) {
		srv := startH1Server(t, echoHandler, false, nil)
		h := &H1{IdleConnTimeout: time.Hour}
		defer h.CloseIdleConnections()
		for range 3 {
			h1ReadAll(t, h1Get(t, h, srv.URL))
		}
		srv.wantConns(t, 1, "3 requests within the idle timeout")
	})

	t.Run("CloseIdleConnections", func(t *testing.T) {
		srv := startH1Server(t, echoHandler, false, nil)
		h := &H1{}
		h1ReadAll(t, h1Get(t, h, srv.URL))
		h.CloseIdleConnections()
		srv.waitClosed(t, 1)
		h1ReadAll(t, h1Get(t, h, srv.URL))
		h.CloseIdleConnections()
		srv.waitClosed(t, 1)
		srv.wantConns(t, 2, "2 requests with CloseIdleConnections between")
	})
}

// TestH1NoGoroutineLeak runs exchanges of every kind, cancellations
// included, and checks that none leaves a goroutine behind.
func TestH1NoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		handler := func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/stream":
				io.WriteString(w, "first")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			case "/wait":
				<-r.Context().Done()
			default:
				echoHandler(w, r)
			}
		}
		plain := startH1Server(t, handler, false, nil)
		defer plain.Close()
		secure := startH1Server(t, handler, true, nil)
		defer secure.Close()
		h := tlsH1(secure.Server)
		h.IdleConnTimeout = time.Minute
		defer h.CloseIdleConnections()
		for _, base := range []string{plain.URL, secure.URL} {
			for range 3 {
				h1ReadAll(t, h1Get(t, h, base+"/"))
				h1ReadAll(t, h1Get(t, h, base+"/?chunked=1"))
				req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, base+"/", strings.NewReader(strings.Repeat("x", 50<<10)))
				h1ReadAll(t, h1Do(t, h, req))
			}
			// A stream canceled in its body, one closed in its body.
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stream", nil)
			resp := h1Do(t, h, req)
			io.ReadFull(resp.Body, make([]byte, 5))
			cancel()
			if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
				t.Errorf("stream after cancel: %v", err)
			}
			resp.Body.Close()
			resp = h1Get(t, h, base+"/stream")
			io.ReadFull(resp.Body, make([]byte, 5))
			resp.Body.Close()
			// A request that times out before its answer.
			ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
			req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/wait", nil)
			if _, err := h.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("request past its deadline: %v", err)
			}
			cancel()
		}
		h1ReadAll(t, h1Get(t, h, plain.URL+"/"))
	}()
	deadline := time.Now().Add(h1Prompt)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

// h1FuzzSeeds are answers for FuzzH1Response to start from, valid and not.
var h1FuzzSeeds = []string{
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"b c\"}",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: v\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nd\r\ndata: {\"a\":1}\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\n\r\nuntil the end",
	"HTTP/1.0 200 OK\r\n\r\nuntil the end",
	"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabcdef",
	"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 304 Not Modified\r\n\r\n",
	"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 101 Switching Protocols\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc",
	"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 1\r\n\r\nx",
	"HTTP/1.1  200 OK\r\nContent-Length: 1\r\n\r\nx",
	"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
	"HTTP/2.0 200 OK\r\n\r\n",
	"garbage",
	"",
}

// FuzzH1Response sends the answers the fuzzer makes through net/http's
// Transport and through H1. H1 must neither panic nor hang; when both read
// a final answer to its end, they must agree on its status and body. H1 is
// stricter than net/http in places, so an error of H1's alone is fine.
func FuzzH1Response(f *testing.F) {
	for _, s := range h1FuzzSeeds {
		f.Add([]byte(s))
	}
	var answer atomic.Pointer[[]byte]
	srv := newRawServer(f, func(_ int, c net.Conn) {
		if _, _, err := readRequest(bufio.NewReader(c)); err != nil {
			return
		}
		c.Write(*answer.Load())
	})
	exchange := func(rt http.RoundTripper) (status int, body []byte, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/?key=SECRET123", nil)
		req.Header.Set("Api-Key", "SECRET456")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
		return resp.StatusCode, body, err
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.Clone(data) // the server may still write it after this run
		answer.Store(&data)
		nt := &http.Transport{DisableKeepAlives: true, DisableCompression: true}
		defer nt.CloseIdleConnections()
		wantStatus, wantBody, wantErr := exchange(nt)
		h := &H1{}
		defer h.CloseIdleConnections()
		status, body, err := exchange(h)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("H1 hung on %q: %v", data, err)
		}
		if !bytes.Contains(data, []byte("SECRET")) { // else the answer may show it
			noSecret(t, "H1", err)
		}
		if wantErr != nil || wantStatus < 200 || wantStatus > 599 || err != nil {
			return
		}
		if status != wantStatus || !bytes.Equal(body, wantBody) {
			t.Fatalf("answer %q:\nH1 read status %d, body %q\nnet/http read status %d, body %q", data, status, body, wantStatus, wantBody)
		}
	})
}

// BenchmarkRoundTrip compares H1 with net/http's Transport on a 1 KiB POST
// answered by a 600-byte JSON body.
func BenchmarkRoundTrip(b *testing.B) {
	answer := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		strings.Repeat("lorem ipsum ", 32) + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	defer srv.Close()
	payload := bytes.Repeat([]byte("x"), 1<<10)
	for _, bc := range []struct {
		name string
		rt   interface {
			http.RoundTripper
			CloseIdleConnections()
		}
	}{
		{"h1", &H1{}},
		{"net-http", &http.Transport{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			defer bc.rt.CloseIdleConnections()
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(payload))
				resp, err := bc.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || n != int64(len(answer)) {
					b.Fatalf("read %d bytes, err %v; want %d", n, err, len(answer))
				}
			}
		})
	}
}

// TestH1FlushesOnlyBeforeWaiting checks how a streamed body read through
// NewBody sends the client what the gateway has written: the flush that
// llmgate.WithStreamFlush puts in the context is called before a read that
// has to wait for the server, and not before reads that find the server's
// events already there, so that events that arrive together leave together.
func TestH1FlushesOnlyBeforeWaiting(t *testing.T) {
	release := make(chan struct{})
	srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			// The request after the stream: its answer comes late, so
			// that reading it waits, which a flush left behind would
			// show.
			time.Sleep(20 * time.Millisecond)
			io.WriteString(w, "data: 1\n\n")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		// Three events in one write, then a wait, then the last one.
		io.WriteString(w, "data: 1\n\ndata: 2\n\ndata: 3\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: 4\n\n")
	}, false, nil)
	h := &H1{}
	defer h.CloseIdleConnections()

	var flushes atomic.Int32
	waited := make(chan struct{})
	ctx := llmgate.WithStreamFlush(h1Context(t), func() {
		if flushes.Add(1) == 1 {
			close(waited)
		}
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp := h1Do(t, h, req)
	b := NewBody(ctx, resp.Body)
	defer b.Close()
	r := bufio.NewReader(b)
	read := func(want string) {
		t.Helper()
		for _, line := range []string{want + "\n", "\n"} {
			got, err := r.ReadString('\n')
			if err != nil || got != line {
				t.Fatalf("read %q (%v), want %q", got, err, line)
			}
		}
	}
	for _, ev := range []string{"data: 1", "data: 2", "data: 3"} {
		read(ev)
	}
	if n := flushes.Load(); n != 0 {
		t.Fatalf("%d flushes while the events that had arrived were read, want 0", n)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		read("data: 4")
	}()
	select {
	case <-waited: // the read found nothing and flushed before waiting
	case <-time.After(h1Wait):
		t.Fatal("no flush before the read waited for the server")
	}
	close(release)
	select {
	case <-done:
	case <-time.After(h1Wait):
		t.Fatal("the last event was not read")
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("after the last event: %v, want io.EOF", err)
	}
	if n := flushes.Load(); n < 1 || n > 2 {
		// One before waiting for the last event; perhaps one more if the
		// body's end came in a write of its own.
		t.Fatalf("%d flushes, want 1 or 2", n)
	}

	// The connection serves the next request without the stream's flush.
	before := flushes.Load()
	if got := h1ReadAll(t, h1Get(t, h, srv.URL)); !strings.HasPrefix(got, "data: 1") {
		t.Fatalf("next request: body %q", got)
	}
	if n := flushes.Load(); n != before {
		t.Fatalf("the next request on the connection called the stream's flush %d times", n-before)
	}
	srv.wantConns(t, 1, "a stream and the request after it")
}

// TestH1ValidatesBeforeTakingAConnection checks that a request H1 refuses
// leaves the pooled connection to the next request.
func TestH1ValidatesBeforeTakingAConnection(t *testing.T) {
	srv := startH1Server(t, echoHandler, false, nil)
	h := &H1{}
	defer h.CloseIdleConnections()
	h1ReadAll(t, h1Get(t, h, srv.URL))
	req, err := http.NewRequestWithContext(h1Context(t), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Bad", "a\r\nInjected: yes")
	h1Refused(t, h, req, "a header value with a line break was sent")
	h1ReadAll(t, h1Get(t, h, srv.URL))
	srv.wantConns(t, 1, "two requests around a refused one")
}

// TestH1CheckIdleAfter checks that a connection back in the pool for less
// than CheckIdleAfter is used without the check, and one idle longer is
// checked.
func TestH1CheckIdleAfter(t *testing.T) {
	post := func(h *H1, u string) error {
		// An opaque body cannot be sent again.
		req, err := http.NewRequestWithContext(h1Context(t), http.MethodPost, u+"?key=SECRET123", struct{ io.Reader }{strings.NewReader("payload")})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len("payload"))
		resp, err := h.RoundTrip(req)
		if err == nil {
			h1ReadAll(t, resp)
		}
		return err
	}
	t.Run("recently used: not checked", func(t *testing.T) {
		srv := startH1Server(t, echoHandler, false, nil)
		h := &H1{CheckIdleAfter: time.Hour}
		defer h.CloseIdleConnections()
		h1ReadAll(t, h1Get(t, h, srv.URL))
		srv.CloseClientConnections()
		srv.waitClosed(t, 1)
		err := post(h, srv.URL)
		if err == nil {
			t.Fatal("a POST on a connection the server had closed succeeded: the connection was checked")
		}
		noSecret(t, "RoundTrip", err)
	})
	t.Run("idle longer: checked", func(t *testing.T) {
		srv := startH1Server(t, echoHandler, false, nil)
		h := &H1{CheckIdleAfter: time.Millisecond}
		defer h.CloseIdleConnections()
		h1ReadAll(t, h1Get(t, h, srv.URL))
		srv.CloseClientConnections()
		srv.waitClosed(t, 1)
		time.Sleep(5 * time.Millisecond) // idle past CheckIdleAfter
		if err := post(h, srv.URL); err != nil {
			t.Fatalf("POST after the server closed the idle connection: %v", err)
		}
		srv.wantConns(t, 2, "a request after the server closed the first connection")
	})
}

// TestH1EarlyAnswer: a server that answers before it has read the body
// (413 for a body too large, 401 for a wrong key) and closes the
// connection makes the rest of the body fail to send; the answer it sent
// is what RoundTrip returns, as net/http's Transport does, not the failed
// write. A server that closes without answering still fails the request.
func TestH1EarlyAnswer(t *testing.T) {
	for _, answer := range []string{
		"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{\"error\":\"too big\"}\n",
		"",
	} {
		srv := newRawServer(t, func(_ int, c net.Conn) {
			br := bufio.NewReader(c)
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			io.WriteString(c, answer)
			// Close with most of the body unread: the kernel resets the
			// connection.
		})
		rt := &H1{}
		body := bytes.Repeat([]byte("x"), 8<<20)
		req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, srv.url+"/v1/chat", bytes.NewReader(body))
		resp, err := rt.RoundTrip(req)
		if answer == "" {
			if err == nil {
				resp.Body.Close()
				t.Fatal("a server that closed without answering: RoundTrip succeeded")
			}
			continue
		}
		if err != nil {
			t.Fatalf("RoundTrip: %v; want the server's 413", err)
		}
		if got := h1ReadAll(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge || got != "{\"error\":\"too big\"}\n" {
			t.Errorf("answer %d %q; want 413 and its body", resp.StatusCode, got)
		}
		rt.CloseIdleConnections()
	}
	// The same through TLS, from net/http's server, which closes a
	// connection whose handler left much of the body unread.
	srv := startH1Server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Error(w, "too big", http.StatusRequestEntityTooLarge)
	}, true, nil)
	req, _ := http.NewRequestWithContext(h1Context(t), http.MethodPost, srv.URL+"/v1/chat", bytes.NewReader(bytes.Repeat([]byte("x"), 8<<20)))
	resp, err := tlsH1(srv.Server).RoundTrip(req)
	if err != nil {
		t.Fatalf("TLS: RoundTrip: %v; want the server's 413", err)
	}
	if got := h1ReadAll(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge || got != "too big\n" {
		t.Errorf("TLS: answer %d %q; want 413 and its body", resp.StatusCode, got)
	}
}

// TestUnread: unread gives a bytes.Reader's unread bytes as a view of the
// reader's own, not a copy, without allocating, and leaves it at its end,
// empty or not.
func TestUnread(t *testing.T) {
	data := []byte("0123456789")
	c := &h1Conn{}
	for _, read := range []int{0, 3, len(data)} {
		r := bytes.NewReader(data)
		r.Read(make([]byte, read))
		got := c.unread(r)
		if string(got) != string(data[read:]) {
			t.Errorf("after %d bytes read: unread = %q; want %q", read, got, data[read:])
		}
		if len(got) > 0 && &got[0] != &data[read] {
			t.Errorf("after %d bytes read: unread copied the bytes", read)
		}
		if r.Len() != 0 {
			t.Errorf("after %d bytes read: %d bytes left in the reader; want 0", read, r.Len())
		}
	}
	r := bytes.NewReader(data)
	if n := testing.AllocsPerRun(100, func() { r.Reset(data); c.unread(r) }); n != 0 {
		t.Errorf("unread allocates %v times; want none", n)
	}
	// A writer given several pieces keeps them all, in a copy of its own.
	var v viewWriter
	a, b := []byte("ab"), []byte("cd")
	v.Write(a)
	v.Write(b)
	a[0] = 'x'
	if string(v.b) != "abcd" {
		t.Errorf("viewWriter kept %q from two writes; want %q", v.b, "abcd")
	}
}
