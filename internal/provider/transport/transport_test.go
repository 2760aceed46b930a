package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/llmgate/llmgate"
)

// timeoutError is a net.Error that timed out, as a dial or read deadline gives.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

func TestError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	secretURL := "https://user:pass@example.com/v1?key=SECRET"
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		code llmgate.ErrorCode
	}{
		{"canceled context", canceled, errors.New("read: connection reset"), llmgate.EClientClosed},
		{"canceled error", context.Background(), &url.Error{Op: "Post", URL: secretURL, Err: context.Canceled}, llmgate.EClientClosed},
		{"expired context", expired, errors.New("read: connection reset"), llmgate.EUpstreamTimeout},
		{"deadline error", context.Background(), fmt.Errorf("wrapped: %w", context.DeadlineExceeded), llmgate.EUpstreamTimeout},
		{"network timeout", context.Background(), &url.Error{Op: "Post", URL: secretURL, Err: timeoutError{}}, llmgate.EUpstreamTimeout},
		{"refused", context.Background(), &url.Error{Op: "Post", URL: secretURL, Err: syscall.ECONNREFUSED}, llmgate.EUpstreamConnection},
		{"unexpected EOF", context.Background(), io.ErrUnexpectedEOF, llmgate.EUpstreamConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Error(tt.ctx, "p", "sending request", tt.err)
			if e.Code != tt.code || e.Provider != "p" || e.Message == "" {
				t.Errorf("Error = %+v, want code %s from p with a message", e, tt.code)
			}
			if !strings.HasPrefix(e.Err.Error(), "sending request: ") {
				t.Errorf("cause %q does not name the operation", e.Err)
			}
			if strings.Contains(e.Error(), "SECRET") || strings.Contains(e.Error(), "example.com") {
				t.Errorf("Error %q shows the URL", e)
			}
			if !errors.Is(e, StripURL(tt.err)) {
				t.Errorf("Error %v does not wrap %v", e, StripURL(tt.err))
			}
		})
	}
}

func TestStripURL(t *testing.T) {
	inner := errors.New("boom")
	nested := &url.Error{Op: "Get", URL: "a", Err: fmt.Errorf("x: %w", &url.Error{Op: "Get", URL: "b", Err: inner})}
	tests := []struct {
		name string
		in   error
		want error
	}{
		{"plain", inner, inner},
		{"one", &url.Error{Op: "Get", URL: "a", Err: inner}, inner},
		{"nested", nested, inner},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		if got := StripURL(tt.in); got != tt.want {
			t.Errorf("%s: StripURL = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReadLimited(t *testing.T) {
	tests := []struct {
		name          string
		body          string
		contentLength int64
		limit         int64
		wantErr       error
	}{
		{"known length", "hello", 5, 10, nil},
		{"unknown length", "hello", -1, 10, nil},
		{"exactly the limit", "hello", -1, 5, nil},
		{"declared over the limit", "hello", 11, 10, ErrTooLarge},
		{"read over the limit", "hello world", -1, 10, ErrTooLarge},
		{"length understated", "hello world", 5, 10, ErrTooLarge},
		{"empty", "", 0, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadLimited(iotest.HalfReader(strings.NewReader(tt.body)), tt.contentLength, tt.limit)
			if err != tt.wantErr {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != tt.body {
				t.Errorf("got %q, want %q", got, tt.body)
			}
		})
	}
	boom := errors.New("boom")
	if _, err := ReadLimited(iotest.ErrReader(boom), -1, 10); err != boom {
		t.Errorf("read failure: err = %v, want %v", err, boom)
	}
}

func TestReadErrorBody(t *testing.T) {
	small := &http.Response{Body: io.NopCloser(strings.NewReader(`{"error":"x"}`)), ContentLength: -1}
	if got, err := ReadErrorBody(small); err != nil || string(got) != `{"error":"x"}` {
		t.Errorf("small body: %q, %v", got, err)
	}
	large := &http.Response{Body: io.NopCloser(strings.NewReader(strings.Repeat("x", MaxErrorBodyBytes+1))), ContentLength: -1}
	if got, err := ReadErrorBody(large); err != nil || got != nil {
		t.Errorf("large body: %d bytes, %v; want none and no error", len(got), err)
	}
	boom := errors.New("boom")
	broken := &http.Response{Body: io.NopCloser(iotest.ErrReader(boom)), ContentLength: -1}
	if _, err := ReadErrorBody(broken); err != boom {
		t.Errorf("broken body: err = %v, want %v", err, boom)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.value, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRedactError(t *testing.T) {
	redact := func(s string) string { return strings.ReplaceAll(s, "KEY", "[REDACTED]") }
	cause := errors.New("bad KEY")
	tests := []struct {
		name    string
		in      *llmgate.Error
		wantMsg string
		wantErr string
	}{
		{"message and cause", &llmgate.Error{Message: "KEY refused", Err: cause}, "[REDACTED] refused", "bad [REDACTED]"},
		{"no cause", &llmgate.Error{Message: "KEY refused"}, "[REDACTED] refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := RedactError(tt.in, redact)
			if e != tt.in {
				t.Fatal("RedactError did not work in place")
			}
			if e.Message != tt.wantMsg {
				t.Errorf("Message = %q, want %q", e.Message, tt.wantMsg)
			}
			if tt.wantErr == "" {
				if e.Err != nil {
					t.Errorf("Err = %v, want nil", e.Err)
				}
				return
			}
			if e.Err.Error() != tt.wantErr {
				t.Errorf("Err = %q, want %q", e.Err, tt.wantErr)
			}
			if !errors.Is(e, cause) {
				t.Error("the cause is no longer reachable with errors.Is")
			}
		})
	}

	// Redacting again wraps the cause once.
	e := RedactError(&llmgate.Error{Err: cause}, redact)
	first := e.Err
	RedactError(e, redact)
	if e.Err != first {
		t.Errorf("a second RedactError wrapped the cause again: %#v", e.Err)
	}
}

// countingCloser counts the closes of a body.
type countingCloser struct {
	io.Reader
	closes int
	err    error
}

func (c *countingCloser) Close() error { c.closes++; return c.err }

func TestBody(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name       string
		calls      []func(*Body) error
		wantClosed bool
	}{
		{"release then close", []func(*Body) error{(*Body).Release, (*Body).Close}, true},
		{"close then release", []func(*Body) error{(*Body).Close, (*Body).Release}, true},
		{"release twice", []func(*Body) error{(*Body).Release, (*Body).Release}, false},
		{"close twice", []func(*Body) error{(*Body).Close, (*Body).Close}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &countingCloser{Reader: strings.NewReader("data"), err: boom}
			b := NewBody(context.Background(), rc)
			if b.Closed() {
				t.Fatal("a new Body is Closed")
			}
			for i, call := range tt.calls {
				if err := call(b); err != boom {
					t.Errorf("call %d = %v, want the one close's error", i, err)
				}
			}
			if rc.closes != 1 {
				t.Errorf("underlying body closed %d times, want 1", rc.closes)
			}
			if b.Closed() != tt.wantClosed {
				t.Errorf("Closed = %v, want %v", b.Closed(), tt.wantClosed)
			}
		})
	}
}

func TestBodyCloseUnblocksRead(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	b := NewBody(context.Background(), pr)
	done := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, 1))
		done <- err
	}()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read after Close succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked Read")
	}
	if e := ClosedError("p"); !errors.Is(e, ErrStreamClosed) || e.Code != llmgate.EClientClosed || e.Provider != "p" {
		t.Errorf("ClosedError = %+v", e)
	}
}

func TestStatusErrorCode(t *testing.T) {
	tests := []struct {
		status int
		want   llmgate.ErrorCode
	}{
		{http.StatusBadRequest, llmgate.EUpstreamBadRequest},
		{http.StatusUnauthorized, llmgate.EUpstreamAuth},
		{http.StatusPaymentRequired, llmgate.EUpstreamBadRequest},
		{http.StatusForbidden, llmgate.EUpstreamAuth},
		{http.StatusNotFound, llmgate.EUpstreamNotFound},
		{http.StatusRequestTimeout, llmgate.EUpstreamTimeout},
		{http.StatusUnprocessableEntity, llmgate.EUpstreamBadRequest},
		{http.StatusTooManyRequests, llmgate.ERateLimited},
		{http.StatusInternalServerError, llmgate.EUpstreamError},
		{http.StatusBadGateway, llmgate.EUpstreamError},
		{http.StatusServiceUnavailable, llmgate.EUpstreamUnavailable},
		{http.StatusGatewayTimeout, llmgate.EUpstreamTimeout},
		{529, llmgate.EUpstreamError},
		{http.StatusFound, llmgate.EUpstreamBadResponse},
		{http.StatusOK, llmgate.EUpstreamBadResponse},
	}
	for _, tt := range tests {
		if got := StatusErrorCode(tt.status); got != tt.want {
			t.Errorf("StatusErrorCode(%d) = %s, want %s", tt.status, got, tt.want)
		}
	}
}

// TestBodyFlushesBeforeRead checks that a Body calls the context's stream
// flush before every read of the provider's connection, the only place a
// stream waits, so that nothing written for the client is held back then.
func TestBodyFlushesBeforeRead(t *testing.T) {
	var log []string
	ctx := llmgate.WithStreamFlush(context.Background(), func() { log = append(log, "flush") })
	r := readFunc(func(p []byte) (int, error) {
		log = append(log, "read")
		return copy(p, "x"), nil
	})
	b := NewBody(ctx, io.NopCloser(r))
	for range 2 {
		if _, err := b.Read(make([]byte, 8)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.Join(log, " "), "flush read flush read"; got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if _, err := NewBody(context.Background(), io.NopCloser(r)).Read(make([]byte, 8)); err != nil {
		t.Errorf("a Body without a flush: %v", err)
	}
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// TestDo checks that Do sends through the client's RoundTripper, returns a
// redirect rather than following it (it could carry the API key elsewhere),
// and leaves a client with a Timeout to http.Client, which enforces it.
func TestDo(t *testing.T) {
	var target atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
		case "/target":
			target.Add(1)
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		}
	}))
	defer srv.Close()

	var sent atomic.Int64
	counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	post := func(path string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	resp, err := Do(&http.Client{Transport: counting}, post("/moved"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || target.Load() != 0 {
		t.Errorf("redirect: status %d, target hit %d times; want 307 and not followed", resp.StatusCode, target.Load())
	}
	if sent.Load() != 1 {
		t.Errorf("the client's RoundTripper sent %d requests, want 1", sent.Load())
	}
	for _, c := range []*http.Client{nil, {}} {
		resp, err := Do(c, post("/target"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if target.Load() != 2 {
		t.Errorf("default transport: target hit %d times, want 2", target.Load())
	}
	if _, err := Do(&http.Client{Timeout: 50 * time.Millisecond}, post("/slow")); err == nil {
		t.Error("a client's Timeout was not enforced")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBodyFinish checks that a stream finished at its protocol's end keeps
// its connection for the next request when the body ends at once, and
// gives it up when the provider sends too much after the end or leaves the
// body open.
func TestBodyFinish(t *testing.T) {
	const end = "data: [DONE]\n\n"
	tests := []struct {
		name      string
		after     func(w http.ResponseWriter, r *http.Request, release <-chan struct{})
		wantConns int64
	}{
		{"ends at once", func(http.ResponseWriter, *http.Request, <-chan struct{}) {}, 1},
		{"blank lines after the end", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			io.WriteString(w, "\n\n")
		}, 1},
		{"too much after the end", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			w.Write(make([]byte, 2*finishLimit))
		}, 2},
		{"left open", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			var conns atomic.Int64
			ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, end)
				w.(http.Flusher).Flush()
				tt.after(w, r, release)
			}))
			ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			ts.Start()
			defer ts.Close()
			defer close(release)
			for range 2 {
				resp, err := ts.Client().Get(ts.URL)
				if err != nil {
					t.Fatal(err)
				}
				var flushes int
				b := NewBody(llmgate.WithStreamFlush(context.Background(), func() { flushes++ }), resp.Body)
				if _, err := io.ReadFull(b, make([]byte, len(end))); err != nil {
					t.Fatal(err)
				}
				flushes = 0
				done := make(chan error, 1)
				go func() { done <- b.Finish() }()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("Finish = %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("Finish did not return")
				}
				if flushes == 0 {
					t.Error("Finish read without flushing first")
				}
				if b.Closed() {
					t.Error("Finish marked the body closed by its caller")
				}
			}
			if got := conns.Load(); got != tt.wantConns {
				t.Errorf("two streams used %d connections, want %d", got, tt.wantConns)
			}
		})
	}
}
