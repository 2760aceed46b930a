package openai

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

const testKey = "sk-proj-TESTKEY0123456789abcdefghijklmnopqrstuvwxyz"

// upstream is a fake OpenAI API that checks each request and answers with a
// recorded response.
type upstream struct {
	t      *testing.T
	path   string // the expected path
	status int
	header http.Header
	answer []byte
	body   []byte // the request body received
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := u.t
	if r.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.Method)
	}
	if r.URL.Path != u.path {
		t.Errorf("path = %q, want %q", r.URL.Path, u.path)
	}
	if r.URL.RawQuery != "" {
		t.Errorf("query = %q, want none", r.URL.RawQuery)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("OpenAI-Organization"); got != "org-test" {
		t.Errorf("OpenAI-Organization = %q", got)
	}
	if r.Header.Get("api-key") != "" {
		t.Error("api-key header sent to OpenAI")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	u.body, _ = io.ReadAll(r.Body)
	for k, v := range u.header {
		w.Header()[k] = v
	}
	if u.status != 0 {
		w.WriteHeader(u.status)
	}
	w.Write(u.answer)
}

// start serves u under the base path /v1 and returns a client for it.
func start(t *testing.T, u *upstream, cfg Config) *Client {
	t.Helper()
	u.t = t
	srv := httptest.NewServer(u)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1/"
	cfg.APIKey = testKey
	cfg.Organization = "org-test"
	cfg.HTTPClient = srv.Client()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var models = map[string]string{"gpt-4o": "gpt-4o-2024-08-06", "embed": "text-embedding-3-small", "image": "dall-e-3"}

func chatRequest() *llmgate.ChatRequest {
	temp := 0.2
	return &llmgate.ChatRequest{
		Provider: "openai",
		Model:    "gpt-4o",
		Messages: []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("Be brief.")}},
			{Role: llmgate.RoleUser, Content: []llmgate.Part{
				llmgate.TextPart("What is this?"),
				{Type: llmgate.PartImage, ImageURL: "https://example.com/cat.png", ImageDetail: "low"},
			}},
		},
		Params: llmgate.ChatParams{Temperature: &temp, Tools: []llmgate.Tool{{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object"}`)}}},
	}
}

func TestChat(t *testing.T) {
	u := &upstream{path: "/v1/chat/completions", answer: providertest.ReadFile(t, "chat_response.json")}
	c := start(t, u, Config{Models: models})
	got, err := c.Chat(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "chat_request.golden.json", u.body)
	if got.Served.Upstream <= 0 {
		t.Errorf("Served.Upstream = %v, want > 0", got.Served.Upstream)
	}
	got.Served.Upstream = 0
	want := &llmgate.ChatResponse{
		ID:      "chatcmpl-abc123",
		Created: time.Unix(1699896916, 0).UTC(),
		Served:  llmgate.Served{Model: "gpt-4o"},
		Choices: []llmgate.Choice{{
			Message: llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{
				{ID: "call_abc123", Name: "get_current_weather", Arguments: "{\n\"location\": \"Boston, MA\"\n}"},
				{ID: "call_def456", Name: "get_current_time", Arguments: `{"timezone":"America/New_York"}`},
			}},
			FinishReason: llmgate.FinishToolCalls,
		}},
		Usage: llmgate.Usage{PromptTokens: 82, CompletionTokens: 17, TotalTokens: 99},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestChatStream(t *testing.T) {
	u := &upstream{path: "/v1/chat/completions", header: http.Header{"Content-Type": {"text/event-stream"}}, answer: providertest.ReadFile(t, "chat_stream.sse")}
	c := start(t, u, Config{Models: models})
	s, err := c.ChatStream(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var args strings.Builder
	var usage *llmgate.Usage
	var finish llmgate.FinishReason
	for i := 0; ; i++ {
		ch, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && (ch.Served == nil || ch.Served.Model != "gpt-4o" || ch.Served.Upstream <= 0) {
			t.Errorf("first chunk Served = %+v", ch.Served)
		}
		for _, d := range ch.Deltas {
			for _, tc := range d.ToolCalls {
				if tc.Index == 0 {
					args.WriteString(tc.Arguments)
				}
			}
			if d.FinishReason != "" {
				finish = d.FinishReason
			}
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	if args.String() != `{"location":"Paris"}` || finish != llmgate.FinishToolCalls || usage == nil || usage.TotalTokens != 85 {
		t.Errorf("arguments %q, finish %q, usage %+v", args.String(), finish, usage)
	}
	var sent struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.Unmarshal(u.body, &sent); err != nil || sent.Model != "gpt-4o-2024-08-06" || !sent.Stream || !sent.StreamOptions.IncludeUsage {
		t.Errorf("sent %s", u.body)
	}
}

func TestEmbed(t *testing.T) {
	u := &upstream{path: "/v1/embeddings", answer: providertest.ReadFile(t, "embeddings_response.json")}
	c := start(t, u, Config{Models: models})
	dims := 3
	got, err := c.Embed(context.Background(), &llmgate.EmbeddingRequest{Model: "embed", Input: []string{"a", "b"}, Dimensions: &dims, User: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "embeddings_request.golden.json", u.body)
	got.Served.Upstream = 0
	want := &llmgate.EmbeddingResponse{
		Served: llmgate.Served{Model: "embed"},
		Data: []llmgate.Embedding{
			{Index: 0, Vector: []float64{0.0023064255, -0.009327292, 0.015797347}, JSON: []byte("[0.0023064255, -0.009327292, 0.015797347]")},
			{Index: 1, Vector: []float64{-0.0069540725, 0.0011428941, 0}, JSON: []byte("[-0.0069540725, 0.0011428941, 0.0]")},
		},
		Usage: llmgate.Usage{PromptTokens: 8, TotalTokens: 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestGenerateImage(t *testing.T) {
	u := &upstream{path: "/v1/images/generations", answer: providertest.ReadFile(t, "images_response.json")}
	c := start(t, u, Config{Models: models})
	got, err := c.GenerateImage(context.Background(), &llmgate.ImageRequest{Model: "image", Prompt: "A sea otter", N: 1, Size: "1024x1024", Quality: "hd", Style: "vivid"})
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "images_request.golden.json", u.body)
	if got.Served.Model != "image" || len(got.Data) != 1 || got.Data[0].RevisedPrompt == "" || got.Quality != "hd" || got.Size != "1024x1024" {
		t.Errorf("response %+v", got)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		file   string
		want   llmgate.ErrorCode
		retry  time.Duration
	}{
		{"401", 401, nil, "error_401.json", llmgate.EUpstreamAuth, 0},
		{"429", 429, http.Header{"Retry-After": {"2"}, "X-Ratelimit-Reset-Tokens": {"6m0s"}}, "error_429.json", llmgate.ERateLimited, 2 * time.Second},
		{"429 reset only", 429, http.Header{"X-Ratelimit-Remaining-Tokens": {"0"}, "X-Ratelimit-Reset-Tokens": {"1.5s"}}, "error_429.json", llmgate.ERateLimited, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &upstream{path: "/v1/chat/completions", status: tt.status, header: tt.header, answer: providertest.ReadFile(t, tt.file)}
			c := start(t, u, Config{Name: "openai_eu"})
			_, err := c.Chat(context.Background(), chatRequest())
			var e *llmgate.Error
			if !errors.As(err, &e) || e.Code != tt.want || e.RetryAfter != tt.retry || e.Provider != "openai_eu" || e.UpstreamStatus != tt.status {
				t.Errorf("err = %#v, want code %s, retry %v, provider openai_eu", err, tt.want, tt.retry)
			}
		})
	}
}

// TestKeyNeverInErrors has the upstream echo the full key back.
func TestKeyNeverInErrors(t *testing.T) {
	echo := []byte(`{"error":{"message":"Incorrect API key provided: ` + testKey + `. Bearer ` + testKey + `","type":"invalid_request_error","code":"invalid_api_key"}}`)
	for _, status := range []int{400, 401, 403, 429, 500} {
		u := &upstream{path: "/v1/chat/completions", status: status, answer: echo}
		c := start(t, u, Config{})
		_, err := c.Chat(context.Background(), chatRequest())
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		e := llmgate.AsError(err)
		if strings.Contains(err.Error(), testKey) || strings.Contains(e.Message, testKey) || strings.Contains(e.Message, "TESTKEY") {
			t.Errorf("status %d: key in error %q", status, err.Error())
		}
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		base     string
		wantErr  bool
		wantChat string
	}{
		{"", false, "https://api.openai.com/v1/chat/completions"},
		{"https://api.openai.com/v1/", false, "https://api.openai.com/v1/chat/completions"},
		{"http://localhost:11434/v1", false, "http://localhost:11434/v1/chat/completions"},
		{"https://gw.example.com/openai/v1?tenant=a", false, "https://gw.example.com/openai/v1/chat/completions?tenant=a"},
		{"api.openai.com/v1", true, ""},
		{"ftp://api.openai.com/v1", true, ""},
		{"https://user:p%zz@host/v1", true, ""},
		{"https://api.openai.com/v1#frag", true, ""},
	} {
		c, err := New(Config{BaseURL: tt.base})
		if (err != nil) != tt.wantErr {
			t.Errorf("New(%q) error = %v, want error %v", tt.base, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrBaseURL) || strings.Contains(err.Error(), "p%zz") {
				t.Errorf("New(%q) error = %v, want ErrBaseURL without the URL", tt.base, err)
			}
			continue
		}
		if c.chat != tt.wantChat {
			t.Errorf("New(%q) chat URL = %q, want %q", tt.base, c.chat, tt.wantChat)
		}
	}
}

func TestNoKeyNoAuthorization(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Authorization"]; ok {
			t.Error("Authorization sent without a key")
		}
		w.Write(providertest.ReadFile(t, "embeddings_response.json"))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Embed(context.Background(), &llmgate.EmbeddingRequest{Model: "nomic-embed-text", Input: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
}

// TestStreamCancel checks that a client that goes away closes the upstream
// connection and ends a blocked Recv.
func TestStreamCancel(t *testing.T) {
	gone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a disconnect only once the body is read
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := c.ChatStream(ctx, chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Recv(); done <- err }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, &llmgate.Error{Code: llmgate.EClientClosed}) {
			t.Errorf("Recv after cancel = %v, want %s", err, llmgate.EClientClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv blocked after cancel")
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream connection not closed after cancel")
	}
}
