package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
)

// H1 is an HTTP/1.1 client transport for provider upstreams: an
// http.RoundTripper that writes a request and reads its answer on the
// calling goroutine.
//
// net/http's Transport gives every connection a goroutine that writes and
// one that reads, and hands each request and answer between them and the
// caller over channels. On a gateway that makes one upstream call per
// request, those handoffs are most of the cost of the call: on the
// development machine a 1 KB exchange with a local server took 149 µs and
// 86 µs of CPU through net/http's Transport, and 83 µs and 33 µs written
// and read on the caller's goroutine. H1 keeps what a provider call needs
// and drops the rest:
//
//   - HTTP/1.1 over TCP, or over TLS with ALPN offering only http/1.1;
//     keep-alive connections pooled per host, most recently used first,
//     closed after IdleConnTimeout unused;
//   - the request's context cancels the exchange at any point, the body
//     included; closing a body before its end, from any goroutine, closes
//     the connection and ends a blocked read;
//   - a pooled connection the server has closed is noticed before it is
//     used (a non-blocking peek; see alive; CheckIdleAfter spares the
//     recently used ones the check), and a request that failed on a
//     reused connection is sent once more, on another connection, when that
//     is safe: its bytes did not all reach the server, or it is idempotent;
//   - a streamed body flushes what the gateway wrote for its client only
//     before a read that would wait for the server (see waitConn);
//   - no transparent gzip, no redirects (the caller's concern, see Do), no
//     HTTP/2, no proxies: a request that Proxy sends through a proxy, or of
//     another scheme, goes to Fallback. Responses leave TLS unset.
//
// The request is written whole before its answer is read: a server that
// answers early and closes without reading a large body fails the write,
// and its answer is lost, where net/http would read it.
//
// Secrets stay out of its errors: they name neither the URL nor any header
// value.
type H1 struct {
	// DialContext dials TCP connections; nil dials with a zero net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig configures TLS for https URLs; nil is the default.
	TLSClientConfig *tls.Config
	// TLSHandshakeTimeout bounds the TLS handshake; 0 is no bound beyond the
	// request's context.
	TLSHandshakeTimeout time.Duration
	// MaxIdleConnsPerHost bounds the idle connections kept per host; 0
	// keeps http.DefaultMaxIdleConnsPerHost.
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes a connection left idle that long; 0 keeps it
	// until the server closes it.
	IdleConnTimeout time.Duration
	// MaxResponseHeaderBytes bounds an answer's status line and headers; 0
	// is 1 MiB.
	MaxResponseHeaderBytes int64
	// CheckIdleAfter is how long a pooled connection may have been idle
	// and still be used without the check that the server has not closed
	// it (alive); 0 checks every one. The check is a system call on the
	// path of every request. Servers close idle connections after seconds
	// (5 s for uvicorn and Node.js, 75 s for nginx); one that closes a
	// connection sooner than this fails the request sent on it, as a
	// connection that breaks in use does, and unless it is sent again
	// (see RoundTrip) the caller's retry has to cover it.
	CheckIdleAfter time.Duration
	// Proxy, when set, picks a proxy for a request (see
	// http.ProxyFromEnvironment); a request with one goes to Fallback.
	Proxy func(*http.Request) (*url.URL, error)
	// Fallback sends the requests H1 does not: through a proxy, or of a
	// scheme other than http and https. Nil fails them.
	Fallback http.RoundTripper

	mu   sync.Mutex
	idle map[string][]*h1Conn
}

var _ http.RoundTripper = (*H1)(nil)

// h1MaxInformational bounds the 1xx answers read before the final one.
const h1MaxInformational = 5

var (
	errH1Closed       = errors.New("http: read on closed response body")
	errH1ServerClosed = errors.New("the server closed the connection before answering")
)

// RoundTrip implements http.RoundTripper. It always closes req.Body.
func (t *H1) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("http: nil Request.URL")
	}
	var proxied bool
	if t.Proxy != nil {
		u, err := t.Proxy(req)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		proxied = u != nil
	}
	if proxied || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		if t.Fallback == nil {
			closeBody(req)
			return nil, fmt.Errorf("http: unsupported protocol scheme %q", req.URL.Scheme)
		}
		return t.Fallback.RoundTrip(req)
	}
	if req.URL.Host == "" {
		closeBody(req)
		return nil, errors.New("http: no Host in request URL")
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	if err := validateRequest(req); err != nil {
		closeBody(req)
		return nil, err
	}
	key := req.URL.Scheme + "://" + canonicalAddr(req.URL)
	body, err := requestBody(req.Body, req.ContentLength)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	// rc is the body being sent: req.Body, or the copy GetBody made for
	// a second attempt. The caller's request is not changed.
	rc := req.Body
	closeRC := func() {
		if rc != nil {
			rc.Close()
		}
	}
	for retried := false; ; retried = true {
		c, err := t.conn(ctx, key, req.URL)
		if err != nil {
			closeRC()
			return nil, err
		}
		resp, err := c.roundTrip(ctx, req, body)
		if err == nil {
			closeRC() // written: RoundTrip must close it
			return resp, nil
		}
		var se *sendError
		if !retried && c.reused && errors.As(err, &se) && se.retryable(req) && ctx.Err() == nil {
			if again, b, rerr := rewind(req); rerr == nil {
				closeRC()
				rc, body = again, b
				continue
			}
		}
		closeRC()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
}

// CloseIdleConnections closes the connections in the pool; those in use
// are left to finish.
func (t *H1) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.close()
		}
	}
}

// conn returns an idle connection to key that is still open, or dials one.
func (t *H1) conn(ctx context.Context, key string, u *url.URL) (*h1Conn, error) {
	for {
		t.mu.Lock()
		cs := t.idle[key]
		if len(cs) == 0 {
			t.mu.Unlock()
			break
		}
		c := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		t.idle[key] = cs[:len(cs)-1]
		t.mu.Unlock()
		if c.idleTimer != nil {
			c.idleTimer.Stop()
		}
		if (t.CheckIdleAfter > 0 && time.Since(c.idleSince) < t.CheckIdleAfter) || c.alive() {
			c.reused = true
			return c, nil
		}
		c.close()
	}
	return t.dial(ctx, key, u)
}

// put returns c to the pool, or closes it when the pool for its host is full.
func (t *H1) put(c *h1Conn) {
	limit := t.MaxIdleConnsPerHost
	if limit == 0 {
		limit = http.DefaultMaxIdleConnsPerHost
	}
	t.mu.Lock()
	if t.idle == nil {
		t.idle = make(map[string][]*h1Conn)
	}
	if len(t.idle[c.key]) >= limit {
		t.mu.Unlock()
		c.close()
		return
	}
	c.idleSince = time.Now()
	t.idle[c.key] = append(t.idle[c.key], c)
	if t.IdleConnTimeout > 0 {
		if c.idleTimer == nil {
			c.idleTimer = time.AfterFunc(t.IdleConnTimeout, func() { t.expire(c) })
		} else {
			c.idleTimer.Reset(t.IdleConnTimeout)
		}
	}
	t.mu.Unlock()
}

// expire closes c if it is still idle: its idle timer fired.
func (t *H1) expire(c *h1Conn) {
	t.mu.Lock()
	cs := t.idle[c.key]
	i := 0
	for i < len(cs) && cs[i] != c {
		i++
	}
	if i == len(cs) {
		t.mu.Unlock() // taken for a request meanwhile
		return
	}
	t.idle[c.key] = append(cs[:i], cs[i+1:]...)
	cs[len(cs)-1] = nil
	t.mu.Unlock()
	c.close()
}

// dial opens a connection to u's host, with TLS for https.
func (t *H1) dial(ctx context.Context, key string, u *url.URL) (*h1Conn, error) {
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	addr := canonicalAddr(u)
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	wc := &waitConn{Conn: raw}
	if sc, ok := raw.(syscall.Conn); ok {
		wc.rc, _ = sc.SyscallConn()
	}
	var nc net.Conn = wc
	if u.Scheme == "https" {
		cfg := t.TLSClientConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(wc, cfg)
		hctx := ctx
		if t.TLSHandshakeTimeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
			defer cancel()
		}
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			raw.Close()
			return nil, fmt.Errorf("the server chose the protocol %q over TLS, not http/1.1", p)
		}
		nc = tc
	}
	c := &h1Conn{t: t, key: key, nc: nc, wc: wc}
	c.lr = limitedConn{c: nc, n: -1}
	c.br = bufio.NewReaderSize(&c.lr, 4<<10)
	c.tp.R = c.br
	return c, nil
}

// canonicalAddr returns u's host:port, with the scheme's port when u has
// none.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// h1Conn is one connection of an H1's pool.
type h1Conn struct {
	t         *H1
	key       string
	nc        net.Conn  // what requests are written to and answers read from
	wc        *waitConn // the TCP connection: nc, or under nc's TLS
	lr        limitedConn
	br        *bufio.Reader
	tp        textproto.Reader
	wbuf      []byte
	iov       [2][]byte  // the head and body of a request written with writev
	view      viewWriter // see unread
	reused    bool
	idleSince time.Time // when it last went back to the pool
	idleTimer *time.Timer
	closeOnce sync.Once
}

func (c *h1Conn) close() {
	c.closeOnce.Do(func() { c.nc.Close() })
}

// waitConn is the TCP connection of an h1Conn. While a streamed body is
// read, beforeWait is what to do before a read waits for the server: send
// the client what the gateway has written so far (see
// llmgate.WithStreamFlush). Read first tries the socket without waiting,
// and calls beforeWait only when it is empty, so that chunks that have
// already arrived are decoded and leave with those written before them, in
// one write to the client, and none is held back while the server is
// silent.
type waitConn struct {
	net.Conn
	rc         syscall.RawConn // nil when the connection has none
	beforeWait func()          // set and read only by the body's reader
}

func (w *waitConn) Read(p []byte) (int, error) {
	if w.beforeWait != nil && len(p) > 0 {
		if n, err, ok := w.readFlushing(p); ok {
			return n, err
		}
		w.beforeWait()
	}
	return w.Conn.Read(p)
}

// ReadFrom lets an opaque request body of known length reach the TCP
// connection's own ReadFrom, as it would without the wrapper.
func (w *waitConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(w.Conn, r) }

// limitedConn reads a connection, failing once n bytes are read while n is
// not negative: the bound on an answer's headers.
type limitedConn struct {
	c net.Conn
	n int64
}

var errH1HeaderTooLong = errors.New("the answer's headers exceed the size limit")

func (l *limitedConn) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.c.Read(p)
	}
	if l.n == 0 {
		return 0, errH1HeaderTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.Read(p)
	l.n -= int64(n)
	return n, err
}

// sendError is a failure to exchange a request on a connection, with what
// tells whether sending it again on another is safe.
type sendError struct {
	err error
	// written is set once the whole request was written; read once any
	// byte of the answer was read.
	written, read bool
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// retryable reports whether req may be sent again after e on a reused
// connection: the server cannot have acted on a request it did not
// receive whole, and an idempotent one may be repeated if no answer began.
func (e *sendError) retryable(req *http.Request) bool {
	if e.read {
		return false
	}
	if !e.written {
		return true
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// outBody is a request body as H1 sends it.
type outBody struct {
	// mem is the body when it is in memory (a bytes.Reader, possibly in
	// io.NopCloser, as http.NewRequest makes it); n its length.
	mem *bytes.Reader
	r   io.Reader // otherwise, read to its end or to n bytes
	n   int64     // -1: unknown, sent chunked
}

// requestBody returns what RoundTrip sends as a request's body, rc, of
// the request's ContentLength, length.
func requestBody(rc io.ReadCloser, length int64) (outBody, error) {
	if rc == nil || rc == http.NoBody {
		if length > 0 {
			return outBody{}, fmt.Errorf("http: Request.ContentLength=%d with nil Body", length)
		}
		return outBody{}, nil
	}
	n := length
	if n == 0 {
		n = -1 // a body of unknown length, as net/http takes it
	}
	if br := bytesReader(rc); br != nil && (n < 0 || int64(br.Len()) == n) {
		return outBody{mem: br, n: int64(br.Len())}, nil
	}
	return outBody{r: rc, n: n}, nil
}

// validateRequest checks what H1 writes of req before it takes a
// connection: the method, URI and Host, and the header fields, which must
// not carry a line break into the request. Its errors name a header, never
// its value, which may be a secret.
func validateRequest(req *http.Request) error {
	if req.Method != "" && !httpguts.ValidHeaderFieldName(req.Method) {
		return fmt.Errorf("http: invalid method %q", req.Method)
	}
	if !validRequestURI(req.URL.RequestURI()) || !httpguts.ValidHostHeader(requestHost(req)) {
		return errors.New("http: invalid request URI or host")
	}
	for k, vs := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("http: invalid header field name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("http: invalid header field value for %q", k)
			}
		}
	}
	return nil
}

// requestHost is the Host header of req.
func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// rewind returns req's body anew for a second attempt.
func rewind(req *http.Request) (io.ReadCloser, outBody, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, outBody{}, nil
	}
	if req.GetBody == nil {
		return nil, outBody{}, errors.New("the request body cannot be sent again")
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil, outBody{}, err
	}
	b, err := requestBody(rc, req.ContentLength)
	if err != nil {
		rc.Close()
		return nil, outBody{}, err
	}
	return rc, b, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// roundTrip sends req on c and reads the head of its answer. On success the
// response's body owns c: its end returns c to the pool, its early close
// closes c. On failure c is closed.
func (c *h1Conn) roundTrip(ctx context.Context, req *http.Request, body outBody) (*http.Response, error) {
	// Cancelling the context ends any read or write on c at once.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.close()
		return nil, err
	}
	closeConn := req.Close
	var resp *http.Response
	if werr := c.writeRequest(req, body, &closeConn); werr != nil {
		// A server may answer before it has read the whole body (413 for
		// one too large, 401 for a wrong key) and close the connection,
		// which fails the rest of the write: the answer it sent, if any,
		// is the request's, as net/http's Transport makes it. A failure
		// of anything but the connection's write (the body's own reader,
		// a cancelled context) is the request's.
		var oe *net.OpError
		if ctx.Err() != nil || !errors.As(werr, &oe) || (oe.Op != "write" && oe.Op != "writev") {
			return fail(werr)
		}
		r, err := c.readResponse(req)
		if err != nil {
			return fail(werr)
		}
		resp, closeConn = r, true
	} else {
		r, err := c.readResponse(req)
		if err != nil {
			return fail(err)
		}
		resp = r
	}
	b := &h1Body{c: c, ctx: ctx, stop: stop}
	closeConn = closeConn || resp.Close
	b.reuse = !closeConn
	switch {
	case req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified:
		// No body follows. A HEAD answer's length is the body's that a
		// GET would have had, as net/http reports it.
		if req.Method != http.MethodHead {
			resp.ContentLength = 0
			resp.Header.Del("Content-Length")
		}
		resp.Body = http.NoBody
		b.release()
		return resp, nil
	case len(resp.TransferEncoding) > 0:
		resp.ContentLength = -1
		b.chunked = true
		b.r = httputil.NewChunkedReader(c.br)
	case resp.ContentLength >= 0:
		if resp.ContentLength == 0 {
			resp.Body = http.NoBody
			b.release()
			return resp, nil
		}
		b.r = &lengthReader{r: c.br, n: resp.ContentLength}
	default:
		// Neither length nor chunks: the body ends with the connection.
		b.reuse = false
		resp.Close = true
		b.r = c.br
	}
	resp.Body = b
	return resp, nil
}

// writeRequest writes req's line, headers and body. closeConn is set when
// the request asks for its connection to be closed.
func (c *h1Conn) writeRequest(req *http.Request, body outBody, closeConn *bool) error {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	// validateRequest has checked every part written here.
	w := append(c.wbuf[:0], method...)
	w = append(w, ' ')
	w = append(w, req.URL.RequestURI()...)
	w = append(w, " HTTP/1.1\r\nHost: "...)
	w = append(w, requestHost(req)...)
	w = append(w, "\r\n"...)
	hasUA := false
	for k, vs := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		case "User-Agent":
			hasUA = true
		case "Connection":
			for _, v := range vs {
				if httpguts.HeaderValuesContainsToken([]string{v}, "close") {
					*closeConn = true
				}
			}
		}
		for _, v := range vs {
			w = append(w, k...)
			w = append(w, ": "...)
			w = append(w, strings.TrimSpace(v)...)
			w = append(w, "\r\n"...)
		}
	}
	if !hasUA {
		w = append(w, "User-Agent: Go-http-client/1.1\r\n"...)
	}
	if req.Close && !*closeConn {
		w = append(w, "Connection: close\r\n"...)
	}
	switch {
	case body.n >= 0 && (body.mem != nil || body.r != nil || methodSendsLength(method)):
		w = append(w, "Content-Length: "...)
		w = strconv.AppendInt(w, body.n, 10)
		w = append(w, "\r\n"...)
	case body.n < 0:
		w = append(w, "Transfer-Encoding: chunked\r\n"...)
	}
	w = append(w, "\r\n"...)
	// A small body in memory goes in the same write as the head.
	if body.mem != nil && body.n <= 16<<10 {
		head := len(w)
		w = slices.Grow(w, int(body.n))[:head+int(body.n)]
		body.mem.Read(w[head:])
		body = outBody{}
	}
	c.wbuf = w
	if body.mem != nil && c.nc == net.Conn(c.wc) {
		// A larger one, on a connection without TLS, goes in the same
		// system call from where it is (writev, when the connection is a
		// TCP one): the server wakes once, to the whole request, rather
		// than to the head and again to the body.
		c.iov = [2][]byte{w, c.unread(body.mem)}
		bufs := net.Buffers(c.iov[:])
		_, err := bufs.WriteTo(c.wc.Conn)
		c.iov, c.view.b = [2][]byte{}, nil // hold no request bytes
		if err != nil {
			return &sendError{err: err}
		}
		return nil
	}
	if _, err := c.nc.Write(w); err != nil {
		return &sendError{err: err}
	}
	var err error
	switch {
	case body.mem != nil:
		_, err = body.mem.WriteTo(c.nc)
	case body.r != nil && body.n >= 0:
		var n int64
		n, err = io.Copy(c.nc, io.LimitReader(body.r, body.n))
		if err == nil && n != body.n {
			err = fmt.Errorf("http: ContentLength=%d with Body length %d", body.n, n)
		}
	case body.r != nil:
		err = writeChunked(c.nc, body.r)
	}
	if err != nil {
		return &sendError{err: err}
	}
	return nil
}

// unread returns the bytes of r not yet read, without copying them, and
// leaves r at its end. The connection's viewWriter spares an allocation.
func (c *h1Conn) unread(r *bytes.Reader) []byte {
	c.view.b = nil
	r.WriteTo(&c.view) // one Write of the rest, which cannot fail
	return c.view.b
}

// viewWriter keeps the slice it is given: it lets unread see a
// bytes.Reader's bytes, which the request owns and nothing changes while
// it is written.
type viewWriter struct{ b []byte }

func (v *viewWriter) Write(p []byte) (int, error) {
	if v.b == nil {
		v.b = p
	} else { // not from a bytes.Reader; a copy, then
		v.b = append(v.b[:len(v.b):len(v.b)], p...)
	}
	return len(p), nil
}

// methodSendsLength reports whether a request of method with no body still
// says Content-Length: 0, as net/http does.
func methodSendsLength(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// validRequestURI reports whether uri can stand in a request line.
func validRequestURI(uri string) bool {
	if uri == "" {
		return false
	}
	for i := 0; i < len(uri); i++ {
		if b := uri[i]; b <= ' ' || b == 0x7f {
			return false
		}
	}
	return true
}

// writeChunked writes r to w in the chunked transfer coding.
func writeChunked(w io.Writer, r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf[10 : len(buf)-2])
		if n > 0 {
			head := strconv.AppendInt(buf[:0], int64(n), 16)
			head = append(head, "\r\n"...)
			start := 10 - len(head)
			copy(buf[start:], head)
			end := 10 + n
			buf[end], buf[end+1] = '\r', '\n'
			if _, werr := w.Write(buf[start : end+2]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			_, err = io.WriteString(w, "0\r\n\r\n")
			return err
		}
		if err != nil {
			return err
		}
	}
}

// readResponse reads the status line and headers of req's answer,
// skipping informational answers.
func (c *h1Conn) readResponse(req *http.Request) (*http.Response, error) {
	limit := c.t.MaxResponseHeaderBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	for range h1MaxInformational + 1 {
		c.lr.n = limit - int64(c.br.Buffered())
		if c.lr.n < 0 {
			c.lr.n = 0
		}
		resp, err := c.readHead(req)
		c.lr.n = -1
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 {
			return resp, nil
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, &sendError{err: errors.New("the server switched protocols"), written: true, read: true}
		}
	}
	return nil, &sendError{err: errors.New("too many informational answers"), written: true, read: true}
}

func (c *h1Conn) readHead(req *http.Request) (*http.Response, error) {
	line, err := c.tp.ReadLine()
	if err != nil {
		if line == "" && c.br.Buffered() == 0 && (err == io.EOF || isReset(err)) {
			err = errH1ServerClosed
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &sendError{err: err, written: true, read: line != ""}
	}
	bad := func(what string) (*http.Response, error) {
		return nil, &sendError{err: errors.New("malformed answer: " + what), written: true, read: true}
	}
	proto, status, ok := strings.Cut(line, " ")
	if !ok {
		return bad("status line")
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok || major != 1 {
		return bad("HTTP version")
	}
	status = strings.TrimLeft(status, " ")
	code, _, _ := strings.Cut(status, " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '9' {
		return bad("status code")
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return bad("status code")
	}
	h, err := c.tp.ReadMIMEHeader()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, &sendError{err: err, written: true, read: true}
	}
	resp := &http.Response{
		Status:        status,
		StatusCode:    n,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        http.Header(h),
		Request:       req,
		ContentLength: -1,
	}
	conn := resp.Header["Connection"]
	resp.Close = httpguts.HeaderValuesContainsToken(conn, "close") ||
		(minor == 0 && !httpguts.HeaderValuesContainsToken(conn, "keep-alive"))
	if te := resp.Header["Transfer-Encoding"]; len(te) > 0 {
		// HTTP/1.0 has no transfer codings: the framing is faulty
		// (RFC 9112, section 6.1).
		if minor == 0 {
			return bad("Transfer-Encoding in an HTTP/1.0 answer")
		}
		if len(te) != 1 || !strings.EqualFold(strings.TrimSpace(te[0]), "chunked") {
			return bad("unsupported Transfer-Encoding")
		}
		resp.TransferEncoding = []string{"chunked"}
		resp.Header.Del("Transfer-Encoding")
		resp.Header.Del("Content-Length")
		return resp, nil
	}
	if cl := resp.Header["Content-Length"]; len(cl) > 0 {
		v := strings.TrimSpace(cl[0])
		for _, o := range cl[1:] {
			if strings.TrimSpace(o) != v {
				return bad("conflicting Content-Length")
			}
		}
		l, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			return bad("Content-Length")
		}
		resp.ContentLength = int64(l)
	}
	return resp, nil
}

// flushBeforeWait makes reads of b call flush before they wait for the
// server, and only then (see waitConn). It is called before b is read, by
// its reader.
func (b *h1Body) flushBeforeWait(flush func()) { b.c.wc.beforeWait = flush }

// h1Body is the body of an answer; it owns its connection until its end.
type h1Body struct {
	c       *h1Conn
	ctx     context.Context // the request's
	r       io.Reader
	stop    func() bool // stops the context's cancellation of c
	reuse   bool        // c may serve another request after the body
	chunked bool
	// state is open, done (read to its end; c released) or closed (by
	// Close before its end; c closed).
	state atomic.Int32
	err   error // the read error, returned again
}

const (
	bodyOpen int32 = iota
	bodyDone
	bodyClosed
)

func (b *h1Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	switch b.state.Load() {
	case bodyDone:
		return 0, io.EOF
	case bodyClosed:
		return 0, errH1Closed
	}
	n, err := b.r.Read(p)
	if err == io.EOF && b.chunked {
		err = b.readTrailer()
	}
	switch {
	case err == io.EOF:
		if !b.release() && b.state.Load() == bodyClosed {
			return n, errH1Closed // Close came first
		}
	case err != nil:
		if b.state.Load() == bodyClosed {
			return n, errH1Closed
		}
		if cerr := b.ctx.Err(); cerr != nil {
			err = cerr // the deadline the cancellation set
		} else if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		b.drop()
	}
	return n, err
}

// readTrailer reads what follows a chunked body's last chunk: trailer
// fields, discarded, and the blank line that ends the body. It returns
// io.EOF when the body ended well.
func (b *h1Body) readTrailer() error {
	c := b.c
	c.lr.n = 64<<10 - int64(c.br.Buffered())
	defer func() { c.lr.n = -1 }()
	if p, err := c.br.Peek(2); err == nil && p[0] == '\r' && p[1] == '\n' {
		c.br.Discard(2)
		return io.EOF
	}
	if _, err := c.tp.ReadMIMEHeader(); err != nil {
		return fmt.Errorf("reading the trailer: %w", err)
	}
	return io.EOF
}

// release returns the connection to the pool, or closes it, once the body
// has ended.
func (b *h1Body) release() bool {
	if !b.state.CompareAndSwap(bodyOpen, bodyDone) {
		return false
	}
	b.c.wc.beforeWait = nil // the next request's body has its own
	// A context cancelled meanwhile has set the deadline: the
	// connection cannot serve again.
	if b.stop() && b.reuse {
		b.c.t.put(b.c)
		return true
	}
	b.c.close()
	return true
}

// drop closes the connection after a failed read.
func (b *h1Body) drop() {
	if b.state.CompareAndSwap(bodyOpen, bodyDone) {
		b.stop()
		b.c.close()
	}
}

// Close ends the body. Before its end that closes the connection, which
// also ends a read blocked in another goroutine.
func (b *h1Body) Close() error {
	if b.state.CompareAndSwap(bodyOpen, bodyClosed) {
		b.stop()
		b.c.close()
	}
	return nil
}

// lengthReader reads a body of n bytes.
type lengthReader struct {
	r *bufio.Reader
	n int64
}

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n == 0 {
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// isReset reports whether err is the peer's reset of the connection.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
