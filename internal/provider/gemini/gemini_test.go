package gemini

import (
	"context"
	"encoding/json"
	"errors"
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

// serve starts an upstream that checks what every request has in common —
// POST, JSON, the key in its header and nowhere in the URL — and answers
// with h.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		if got := r.Header.Get("x-goog-api-key"); got != testKey {
			t.Errorf("x-goog-api-key = %q, want the key", got)
		}
		if strings.Contains(r.URL.String(), testKey) || r.URL.Query().Has("key") {
			t.Errorf("the key is in the URL %q", r.URL)
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, srv *httptest.Server) *Client {
	t.Helper()
	c, err := New(Config{
		BaseURL:    srv.URL + "/",
		APIKey:     testKey,
		HTTPClient: srv.Client(),
		Models:     map[string]string{"flash": "gemini-2.0-flash", "embed": "models/gemini-embedding-001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return received }
	return c
}

func chatReq() *llmgate.ChatRequest {
	return &llmgate.ChatRequest{Model: "flash", Messages: []llmgate.Message{text(llmgate.RoleUser, "hi")}}
}

func TestClientChat(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1beta/models/gemini-2.0-flash:generateContent" || r.URL.RawQuery != "" {
			t.Errorf("path %q query %q", r.URL.Path, r.URL.RawQuery)
		}
		var body generateContentRequest
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Contents) != 1 || body.Contents[0].Parts[0].Text != "hi" {
			t.Errorf("body %+v, err %v", body, err)
		}
		w.Write(providertest.ReadFile(t, "response_text.json"))
	})
	r, err := newClient(t, srv).Chat(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	if r.Served.Model != "flash" || r.Served.Upstream <= 0 || r.ID != "mdZ1aKzfHvq9nvgP5q2y4Aw" || r.Created != received {
		t.Errorf("got Served %+v, ID %q, Created %v", r.Served, r.ID, r.Created)
	}
	if r.Choices[0].Message.Text() != "Hello there!" {
		t.Errorf("text %q", r.Choices[0].Message.Text())
	}
}

func TestClientChatStream(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1beta/models/gemini-2.0-flash:streamGenerateContent" || r.URL.RawQuery != "alt=sse" {
			t.Errorf("path %q query %q", r.URL.Path, r.URL.RawQuery)
		}
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(providertest.ReadFile(t, "stream_text.sse"))
	})
	s, err := newClient(t, srv).ChatStream(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var text strings.Builder
	var usage *llmgate.Usage
	for i := 0; ; i++ {
		c, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if (c.Served != nil) != (i == 0) || (i == 0 && c.Served.Model != "flash") {
			t.Errorf("chunk %d Served %+v", i, c.Served)
		}
		for _, d := range c.Deltas {
			text.WriteString(d.Content)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	if text.String() != "Hello world!" || usage == nil || usage.TotalTokens != 10 {
		t.Errorf("text %q usage %+v", text.String(), usage)
	}
}

func TestClientEmbed(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1beta/models/gemini-embedding-001:batchEmbedContents" {
			t.Errorf("path %q", r.URL.Path)
		}
		var body batchEmbedContentsRequest
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Requests) != 2 || body.Requests[1].Model != "models/gemini-embedding-001" {
			t.Errorf("body %+v, err %v", body, err)
		}
		w.Write(providertest.ReadFile(t, "embed_response.json"))
	})
	r, err := newClient(t, srv).Embed(context.Background(), &llmgate.EmbeddingRequest{Model: "embed", Input: []string{"first text", "second"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data) != 2 || r.Data[1].Index != 1 || r.Served.Model != "embed" || !r.Usage.Estimated || r.Usage.PromptTokens != 5 {
		t.Errorf("got %+v", r)
	}
}

func TestClientErrors(t *testing.T) {
	fixture := func(status int, file string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write(providertest.ReadFile(t, file))
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		max     int64
		want    llmgate.ErrorCode
	}{
		{"400", fixture(400, "error_400.json"), 0, llmgate.EUpstreamBadRequest},
		{"400 token limit", fixture(400, "error_400_token_limit.json"), 0, llmgate.EContextLengthExceeded},
		{"403", fixture(403, "error_403.json"), 0, llmgate.EUpstreamAuth},
		{"404", fixture(404, "error_404.json"), 0, llmgate.EUpstreamNotFound},
		{"429", fixture(429, "error_429.json"), 0, llmgate.ERateLimited},
		{"500", fixture(500, "error_500.json"), 0, llmgate.EUpstreamError},
		{"503", fixture(503, "error_503.json"), 0, llmgate.EUpstreamUnavailable},
		{"blocked prompt", fixture(200, "response_prompt_blocked.json"), 0, llmgate.EContentFiltered},
		{"bad json", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"candidates":`) }, 0, llmgate.EUpstreamBadResponse},
		{"too large", fixture(200, "response_text.json"), 100, llmgate.EUpstreamBadResponse},
		{"too large chunked", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length: the limit must be found by reading
			w.Write(providertest.ReadFile(t, "response_text.json"))
		}, 100, llmgate.EUpstreamBadResponse},
		{"connection cut mid body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, `{"candidates":`)
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}, 0, llmgate.EUpstreamConnection},
		{"connection closed before headers", func(w http.ResponseWriter, r *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}, 0, llmgate.EUpstreamConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			c := newClient(t, srv)
			if tt.max > 0 {
				c.maxBody = tt.max
			}
			_, err := c.Chat(context.Background(), chatReq())
			e := llmgate.AsError(err)
			if e.Code != tt.want || e.Provider != "gemini" {
				t.Fatalf("err = %v, want code %s from gemini", err, tt.want)
			}
			if strings.Contains(err.Error(), srv.URL) || strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("err %q names the upstream URL", err)
			}
		})
	}
}

func TestClientRateLimitRetryAfter(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(429)
		w.Write(providertest.ReadFile(t, "error_429.json"))
	})
	_, err := newClient(t, srv).Chat(context.Background(), chatReq())
	if e := llmgate.AsError(err); e.RetryAfter != 17*time.Second || e.UpstreamStatus != 429 {
		t.Errorf("err = %+v, want RetryAfter 17s and status 429", e)
	}
}

// An upstream that echoes the key in an error, in a stream error, or in
// garbage must not make it reach the error's text.
func TestClientNeverLeaksKey(t *testing.T) {
	echo := "rejected key " + testKey
	handlers := map[string]http.HandlerFunc{
		"json error": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"`+echo+`","status":"INVALID_ARGUMENT"}}`)
		},
		"html error": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			io.WriteString(w, "<html>"+echo+"</html>")
		},
		"stream error": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `data: {"error":{"code":403,"message":"`+echo+`","status":"PERMISSION_DENIED"}}`+"\n\n")
		},
		"blocked prompt": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"promptFeedback":{"blockReason":"OTHER","blockReasonMessage":"`+echo+`"}}`)
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, serve(t, h))
			var err error
			if name == "stream error" {
				var s llmgate.ChatStream
				if s, err = c.ChatStream(context.Background(), chatReq()); err == nil {
					_, err = s.Recv()
				}
			} else {
				_, err = c.Chat(context.Background(), chatReq())
			}
			e := llmgate.AsError(err)
			if err == nil || strings.Contains(err.Error(), testKey) || strings.Contains(e.Message, testKey) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestClientRejectsBeforeSending(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { t.Error("the request was sent") })
	c := newClient(t, srv)
	req := chatReq()
	req.Params.User = "u-1"
	if _, err := c.Chat(context.Background(), req); llmgate.ErrorCodeOf(err) != llmgate.EUnsupported {
		t.Errorf("Chat: %v", err)
	}
	if _, err := c.ChatStream(context.Background(), req); llmgate.ErrorCodeOf(err) != llmgate.EUnsupported {
		t.Errorf("ChatStream: %v", err)
	}
	if _, err := c.Embed(context.Background(), &llmgate.EmbeddingRequest{Model: "embed", Input: []string{"a"}, User: "u"}); llmgate.ErrorCodeOf(err) != llmgate.EUnsupported {
		t.Errorf("Embed: %v", err)
	}
}

// Canceling the request while Recv waits for an event that never comes
// ends Recv promptly with EClientClosed.
func TestClientStreamCancel(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := newClient(t, srv).ChatStream(ctx, chatReq())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
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
			t.Errorf("err = %v, want %s", err, llmgate.EClientClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv did not return after cancel")
	}
}

// Close from another goroutine ends a Recv blocked on the upstream.
func TestClientStreamCloseUnblocks(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	s, err := newClient(t, srv).ChatStream(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Recv()
		done <- err
	}()
	s.Close()
	select {
	case err := <-done:
		if llmgate.ErrorCodeOf(err) != llmgate.EClientClosed {
			t.Errorf("err = %v, want %s", err, llmgate.EClientClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv did not return after Close")
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(t, srv).Chat(ctx, chatReq())
	if llmgate.ErrorCodeOf(err) != llmgate.EUpstreamTimeout {
		t.Errorf("err = %v, want %s", err, llmgate.EUpstreamTimeout)
	}
}

func TestNew(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.endpoint(c.model("models/gemini-2.5-pro"), "generateContent"); got != "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent" {
		t.Errorf("default endpoint %q", got)
	}
	c, err = New(Config{BaseURL: "https://proxy.test/google/", APIVersion: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	// A model id cannot climb out of its path segment.
	if got := c.endpoint(c.model("../files/x?y"), "generateContent"); got != "https://proxy.test/google/v1/models/..%2Ffiles%2Fx%3Fy:generateContent" {
		t.Errorf("endpoint %q", got)
	}
	for _, bad := range []Config{
		{BaseURL: "generativelanguage.googleapis.com"},
		{BaseURL: "ftp://x.test"},
		{BaseURL: "https://x.test/?key=" + testKey},
		{BaseURL: "https://x.test/#f"},
		{BaseURL: "https://x.test/%zz"},
		{APIVersion: "v1/../x"},
		{APIVersion: ".."},
	} {
		_, err := New(bad)
		if !errors.Is(err, ErrBaseURL) && !errors.Is(err, ErrAPIVersion) {
			t.Errorf("New(%+v) = %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), testKey) {
			t.Errorf("error %q leaks the key", err)
		}
	}
}

// The domain's request must be what the golden files show once it has
// gone through the client: the client adds nothing to the body.
func TestClientSendsTranslatedBody(t *testing.T) {
	want, err := encodeChatRequest(toolRoundTripChat, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
		w.Write(providertest.ReadFile(t, "response_function_call.json"))
	})
	r, err := newClient(t, srv).Chat(context.Background(), toolRoundTripChat)
	if err != nil {
		t.Fatal(err)
	}
	if r.FinishReason() != llmgate.FinishToolCalls {
		t.Errorf("finish %q", r.FinishReason())
	}
}
