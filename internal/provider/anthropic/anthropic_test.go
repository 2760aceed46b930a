package anthropic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

const testKey = "sk-ant-api03-TESTKEYtestkeyTESTKEY-0123456789"

// upstream is a fake Messages API: it checks each request and answers
// with the status, headers and body the test sets.
type upstream struct {
	t       *testing.T
	status  int
	header  http.Header
	body    []byte
	gotBody []byte
	gotPath string
	gotHdr  http.Header
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		u.t.Errorf("reading request body: %v", err)
	}
	u.gotBody, u.gotPath, u.gotHdr = b, r.URL.Path, r.Header.Clone()
	for k, v := range u.header {
		w.Header()[k] = v
	}
	w.WriteHeader(u.status)
	w.Write(u.body)
}

func newUpstream(t *testing.T, status int, body []byte) (*upstream, *httptest.Server) {
	t.Helper()
	u := &upstream{t: t, status: status, body: body, header: http.Header{}}
	srv := httptest.NewServer(u)
	t.Cleanup(srv.Close)
	return u, srv
}

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func helloRequest() *llmgate.ChatRequest {
	return &llmgate.ChatRequest{Provider: "anthropic", Model: "claude-sonnet-4-5", Messages: []llmgate.Message{text(llmgate.RoleUser, "Hello, Claude")}}
}

func TestClientChat(t *testing.T) {
	u, srv := newUpstream(t, 200, providertest.ReadFile(t, "response_text.json"))
	c := mustNew(t, Config{
		BaseURL: srv.URL + "/proxy/", APIKey: testKey, HTTPClient: srv.Client(),
		Models: map[string]string{"claude-sonnet-4-5": "claude-sonnet-4-5-20250929"},
	})
	r, err := c.Chat(context.Background(), helloRequest())
	if err != nil {
		t.Fatal(err)
	}
	if u.gotPath != "/proxy/v1/messages" {
		t.Errorf("path = %q, want /proxy/v1/messages", u.gotPath)
	}
	for h, want := range map[string]string{
		"X-Api-Key":         testKey,
		"Anthropic-Version": "2023-06-01",
		"Content-Type":      "application/json",
		"Authorization":     "",
	} {
		if got := u.gotHdr.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	if diff := cmp.Diff(normalizeJSON(t, providertest.ReadFile(t, "request_plain.golden.json")), normalizeJSON(t, u.gotBody)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	if r.ID != "msg_013Zva2CMHLNnXjNJJKqJ2EF" || r.Served.Model != "claude-sonnet-4-5" || r.Served.Upstream <= 0 {
		t.Errorf("response id %q, served %+v; want the message id, the catalog model and a latency", r.ID, r.Served)
	}
	if got := r.Choices[0].Message.Text(); got != "Hi! My name is Claude. How can I help?" {
		t.Errorf("text = %q", got)
	}
}

func TestClientConfig(t *testing.T) {
	u, srv := newUpstream(t, 200, providertest.ReadFile(t, "response_text.json"))
	c := mustNew(t, Config{BaseURL: srv.URL, Version: "2099-01-01", DefaultMaxTokens: 99, HTTPClient: srv.Client()})
	if _, err := c.Chat(context.Background(), helloRequest()); err != nil {
		t.Fatal(err)
	}
	if u.gotPath != "/v1/messages" || u.gotHdr.Get("Anthropic-Version") != "2099-01-01" {
		t.Errorf("path %q, version %q", u.gotPath, u.gotHdr.Get("Anthropic-Version"))
	}
	if _, ok := u.gotHdr["X-Api-Key"]; ok {
		t.Error("x-api-key sent without a key")
	}
	if !strings.Contains(string(u.gotBody), `"max_tokens":99`) || !strings.Contains(string(u.gotBody), `"model":"claude-sonnet-4-5"`) {
		t.Errorf("body %s, want the configured max_tokens and the unmapped model", u.gotBody)
	}
}

func TestNew(t *testing.T) {
	c := mustNew(t, Config{})
	if c.endpoint != "https://api.anthropic.com/v1/messages" || c.name != "anthropic" || c.maxTokens != 4096 || c.maxBody != 32<<20 {
		t.Errorf("defaults: endpoint %q, name %q, max tokens %d, max body %d", c.endpoint, c.name, c.maxTokens, c.maxBody)
	}
	for _, tt := range []struct {
		cfg  Config
		want error
	}{
		{Config{BaseURL: "api.anthropic.com"}, ErrBaseURL},
		{Config{BaseURL: "ftp://api.anthropic.com"}, ErrBaseURL},
		{Config{BaseURL: "https://user:" + testKey + "@host\x7f"}, ErrBaseURL},
		{Config{BaseURL: "https://api.anthropic.com?key=1"}, ErrBaseURL},
		{Config{DefaultMaxTokens: -1}, ErrConfig},
		{Config{MaxResponseBytes: -1}, ErrConfig},
	} {
		_, err := New(tt.cfg)
		if !errors.Is(err, tt.want) {
			t.Errorf("New(%q) = %v, want %v", tt.cfg.BaseURL, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "TESTKEY") {
			t.Errorf("New error %q holds the key", err)
		}
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		file   string
		status int
		header http.Header
		code   llmgate.ErrorCode
		retry  time.Duration
	}{
		{"error_400_prompt_too_long.json", 400, nil, llmgate.EContextLengthExceeded, 0},
		{"error_401.json", 401, nil, llmgate.EUpstreamAuth, 0},
		{"error_404.json", 404, nil, llmgate.EUpstreamNotFound, 0},
		{"error_429.json", 429, http.Header{"Retry-After": {"3"}}, llmgate.ERateLimited, 3 * time.Second},
		{"error_500.json", 500, nil, llmgate.EUpstreamError, 0},
		{"error_529.json", 529, nil, llmgate.EUpstreamUnavailable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			u, srv := newUpstream(t, tt.status, providertest.ReadFile(t, tt.file))
			u.header = tt.header
			c := mustNew(t, Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: srv.Client(), Name: "claude-eu"})
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = c.ChatStream(context.Background(), helloRequest())
				} else {
					_, err = c.Chat(context.Background(), helloRequest())
				}
				var e *llmgate.Error
				if !errors.As(err, &e) {
					t.Fatalf("stream %v: err = %v, want an *llmgate.Error", stream, err)
				}
				if e.Code != tt.code || e.UpstreamStatus != tt.status || e.RetryAfter != tt.retry || e.Provider != "claude-eu" {
					t.Errorf("stream %v: got %s status %d retry %v provider %q; want %s %d %v claude-eu",
						stream, e.Code, e.UpstreamStatus, e.RetryAfter, e.Provider, tt.code, tt.status, tt.retry)
				}
			}
		})
	}
}

// TestAPIKeyNeverInErrors makes the upstream echo the key back in every
// way it could, and checks the text of every error.
func TestAPIKeyNeverInErrors(t *testing.T) {
	echo := fmt.Sprintf(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key %s"}}`, testKey)
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"error_message", 401, echo},
		{"unreadable_error_body", 502, "<html>bad key " + testKey + "</html>"},
		{"stream_error_event", 200, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"key " + testKey + "\"}}\n\n"},
		{"bad_response", 200, `{"id": "` + testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newUpstream(t, tt.status, []byte(tt.body))
			// Also put the key into the base URL's userinfo, which ends up
			// nowhere in an error either.
			base := strings.Replace(srv.URL, "http://", "http://u:"+testKey+"@", 1)
			c := mustNew(t, Config{BaseURL: base, APIKey: testKey, HTTPClient: srv.Client()})
			var errs []error
			_, err := c.Chat(context.Background(), helloRequest())
			errs = append(errs, err)
			s, err := c.ChatStream(context.Background(), helloRequest())
			if err == nil {
				_, err = providertest.Drain(t, s)
			}
			errs = append(errs, err)
			for _, err := range errs {
				if err == nil || err == io.EOF {
					continue
				}
				e := llmgate.AsError(err)
				for _, s := range []string{err.Error(), e.Message, fmt.Sprint(e.Err)} {
					if strings.Contains(s, "TESTKEY") || strings.Contains(s, srv.URL) || strings.Contains(s, "127.0.0.1") {
						t.Errorf("error text %q holds the key or the URL", s)
					}
				}
			}
		})
	}
	// A transport error names no URL.
	c := mustNew(t, Config{BaseURL: "http://u:" + testKey + "@127.0.0.1:1", APIKey: testKey})
	_, err := c.Chat(context.Background(), helloRequest())
	if llmgate.ErrorCodeOf(err) != llmgate.EUpstreamConnection {
		t.Errorf("connection refused: %v, want %s", err, llmgate.EUpstreamConnection)
	}
	// The cause, for the logs, may name the address dialed, never the URL.
	if strings.Contains(err.Error(), "TESTKEY") || strings.Contains(err.Error(), "http://") || strings.Contains(llmgate.AsError(err).Message, "127.0.0.1") {
		t.Errorf("transport error %q holds the key or the URL", err)
	}
}

func TestClientChatStream(t *testing.T) {
	u, srv := newUpstream(t, 200, providertest.ReadFile(t, "stream_tool_use.sse"))
	u.header.Set("Content-Type", "text/event-stream")
	c := mustNew(t, Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: srv.Client()})
	s, err := c.ChatStream(context.Background(), helloRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := providertest.Drain(t, s)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	if !strings.Contains(string(u.gotBody), `"stream":true`) || u.gotHdr.Get("Accept") != "text/event-stream" {
		t.Errorf("body %s, accept %q: want a streamed request", u.gotBody, u.gotHdr.Get("Accept"))
	}
	// Reassemble the tool calls as a client would.
	args := map[int]string{}
	for _, c := range chunks {
		for _, d := range c.Deltas {
			for _, tc := range d.ToolCalls {
				args[tc.Index] += tc.Arguments
			}
		}
	}
	want := map[int]string{0: `{"location": "San Francisco, CA"}`, 1: `{}`}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("arguments mismatch (-want +got):\n%s", diff)
	}
	if chunks[0].Served == nil || chunks[0].Served.Model != "claude-sonnet-4-5" {
		t.Errorf("first chunk Served = %+v", chunks[0].Served)
	}
}

// TestChatStreamCancel cancels the request while the upstream holds the
// stream open: Recv must return promptly and the connection must close.
func TestChatStreamCancel(t *testing.T) {
	first := providertest.ReadFile(t, "stream_text.sse")
	first = first[:strings.Index(string(first), "event: content_block_start")]
	gone := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(first)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			close(gone)
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := mustNew(t, Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.ChatStream(ctx, helloRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ch, err := s.Recv(); err != nil || ch.Deltas[0].Role != llmgate.RoleAssistant {
		t.Fatalf("first Recv = %+v, %v", ch, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Recv()
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if llmgate.ErrorCodeOf(err) != llmgate.EClientClosed {
			t.Errorf("Recv after cancel = %v, want %s", err, llmgate.EClientClosed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Recv did not return after the context was canceled")
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream connection stayed open")
	}
}

func TestClientTimeoutAndLimits(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		c := mustNew(t, Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Chat(ctx, helloRequest())
		if llmgate.ErrorCodeOf(err) != llmgate.EUpstreamTimeout {
			t.Errorf("err = %v, want %s", err, llmgate.EUpstreamTimeout)
		}
	})
	t.Run("too_large", func(t *testing.T) {
		_, srv := newUpstream(t, 200, providertest.ReadFile(t, "response_text.json"))
		c := mustNew(t, Config{BaseURL: srv.URL, HTTPClient: srv.Client(), MaxResponseBytes: 64})
		_, err := c.Chat(context.Background(), helloRequest())
		if llmgate.ErrorCodeOf(err) != llmgate.EUpstreamBadResponse {
			t.Errorf("err = %v, want %s", err, llmgate.EUpstreamBadResponse)
		}
	})
	t.Run("rejected_before_sending", func(t *testing.T) {
		u, srv := newUpstream(t, 200, nil)
		c := mustNew(t, Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
		req := helloRequest()
		req.Params.Seed = new(int64)
		for _, call := range []func() error{
			func() error { _, err := c.Chat(context.Background(), req); return err },
			func() error { _, err := c.ChatStream(context.Background(), req); return err },
		} {
			if err := call(); llmgate.ErrorCodeOf(err) != llmgate.EUnsupported {
				t.Errorf("err = %v, want %s", err, llmgate.EUnsupported)
			}
		}
		if u.gotPath != "" {
			t.Error("a request the API cannot honour was sent")
		}
	})
}
