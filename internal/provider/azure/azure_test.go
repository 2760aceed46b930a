package azure

import (
	"bytes"
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

// testKey has the shape of an Azure key: 32 hex digits, nothing a pattern
// would recognise, so only redaction of the configured key hides it.
const testKey = "0123456789abcdef0123456789abcdef"

// upstream is a fake Azure OpenAI resource that checks each request and
// answers with a recorded response.
type upstream struct {
	t       *testing.T
	path    string // the expected escaped path
	version string
	status  int
	header  http.Header
	answer  []byte
	body    []byte
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := u.t
	if r.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.Method)
	}
	if got := r.URL.EscapedPath(); got != u.path {
		t.Errorf("path = %q, want %q", got, u.path)
	}
	if got := r.URL.Query(); len(got) != 1 || got.Get("api-version") != u.version {
		t.Errorf("query = %q, want only api-version=%s", r.URL.RawQuery, u.version)
	}
	if got := r.Header.Get("api-key"); got != testKey {
		t.Errorf("api-key = %q", got)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Error("Authorization header sent to Azure")
	}
	u.body, _ = io.ReadAll(r.Body)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(u.body, &fields); err != nil {
		t.Errorf("body is not a JSON object: %v", err)
	}
	if _, ok := fields["model"]; ok {
		t.Errorf("body names a model: %s", u.body)
	}
	for k, v := range u.header {
		w.Header()[k] = v
	}
	if u.status != 0 {
		w.WriteHeader(u.status)
	}
	w.Write(u.answer)
}

// start serves u and returns a client whose endpoint has a trailing slash.
func start(t *testing.T, u *upstream, cfg Config) *Client {
	t.Helper()
	u.t = t
	if u.version == "" {
		u.version = DefaultAPIVersion
	}
	srv := httptest.NewServer(u)
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL + "/"
	cfg.APIKey = testKey
	cfg.HTTPClient = srv.Client()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var deployments = map[string]string{"gpt-4o": "gpt4o-eastus/prod", "embed": "ada-002", "image": "dalle3"}

func chatRequest() *llmgate.ChatRequest {
	maxTokens := 100
	return &llmgate.ChatRequest{
		Provider: "azure_openai",
		Model:    "gpt-4o",
		Messages: []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("You are an AI assistant.")}},
			{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("What is Azure OpenAI?")}},
		},
		Params: llmgate.ChatParams{MaxTokens: &maxTokens, ToolChoice: &llmgate.ToolChoice{Mode: "auto"}, Tools: []llmgate.Tool{{Name: "search"}}},
	}
}

func TestChat(t *testing.T) {
	u := &upstream{path: "/openai/deployments/gpt4o-eastus%2Fprod/chat/completions", answer: providertest.ReadFile(t, "chat_response.json")}
	c := start(t, u, Config{Deployments: deployments})
	got, err := c.Chat(context.Background(), chatRequest())
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "chat_request.golden.json", u.body)
	if got.Served.Upstream <= 0 {
		t.Errorf("Served.Upstream = %v", got.Served.Upstream)
	}
	got.Served.Upstream = 0
	want := &llmgate.ChatResponse{
		ID:      "chatcmpl-AMH5JPGx1Dxs9pQBGJ9bq5O7vAAAA",
		Created: time.Unix(1730000000, 0).UTC(),
		Served:  llmgate.Served{Model: "gpt-4o"},
		Choices: []llmgate.Choice{{
			Message:      llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Azure OpenAI provides REST API access to OpenAI's language models.")}},
			FinishReason: llmgate.FinishStop,
		}},
		Usage:             llmgate.Usage{PromptTokens: 19, CompletionTokens: 14, TotalTokens: 33},
		SystemFingerprint: "fp_d54531d9eb",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestChatStream(t *testing.T) {
	u := &upstream{path: "/openai/deployments/gpt-4o-mini/chat/completions", version: "2025-01-01-preview",
		header: http.Header{"Content-Type": {"text/event-stream"}}, answer: providertest.ReadFile(t, "chat_stream.sse")}
	c := start(t, u, Config{APIVersion: "2025-01-01-preview"})
	req := chatRequest()
	req.Model = "gpt-4o-mini" // no deployment mapping: the model name is the deployment
	s, err := c.ChatStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var text strings.Builder
	var n int
	var last *llmgate.ChatChunk
	for {
		ch, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			// Azure's prompt-filter chunk, with empty choices, is skipped.
			if len(ch.Deltas) != 1 || ch.Deltas[0].Role != llmgate.RoleAssistant || ch.Served == nil || ch.Served.Model != "gpt-4o-mini" {
				t.Errorf("first chunk = %+v", ch)
			}
		}
		n++
		for _, d := range ch.Deltas {
			text.WriteString(d.Content)
		}
		last = ch
	}
	if text.String() != "Bonjour !" || n != 5 || last.Usage == nil || last.Usage.TotalTokens != 14 {
		t.Errorf("text %q in %d chunks, last usage %+v", text.String(), n, last.Usage)
	}
	if !bytes.Contains(u.body, []byte(`"stream":true,"stream_options":{"include_usage":true}`)) {
		t.Errorf("body %s", u.body)
	}
}

func TestEmbed(t *testing.T) {
	u := &upstream{path: "/openai/deployments/ada-002/embeddings", answer: providertest.ReadFile(t, "embeddings_response.json")}
	c := start(t, u, Config{Deployments: deployments})
	got, err := c.Embed(context.Background(), &llmgate.EmbeddingRequest{Model: "embed", Input: []string{"this is a test"}})
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "embeddings_request.golden.json", u.body)
	got.Served.Upstream = 0
	want := &llmgate.EmbeddingResponse{
		Served: llmgate.Served{Model: "embed"},
		Data:   []llmgate.Embedding{{Vector: []float64{0.0023064255, -0.009327292, -0.0028842222}, JSON: []byte("[0.0023064255, -0.009327292, -0.0028842222]")}},
		Usage:  llmgate.Usage{PromptTokens: 4, TotalTokens: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestGenerateImage(t *testing.T) {
	u := &upstream{path: "/openai/deployments/dalle3/images/generations", answer: providertest.ReadFile(t, "images_response.json")}
	c := start(t, u, Config{Deployments: deployments})
	got, err := c.GenerateImage(context.Background(), &llmgate.ImageRequest{Model: "image", Prompt: "Clippy in a cowboy hat", Size: "1024x1024", Style: "natural"})
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "images_request.golden.json", u.body)
	got.Served.Upstream = 0
	want := &llmgate.ImageResponse{
		Created: time.Unix(1698116662, 0).UTC(),
		Served:  llmgate.Served{Model: "image"},
		Data: []llmgate.Image{{
			URL:           "https://dalletipusw2.blob.core.windows.net/private/images/e5451cc6-b1ad-4747-bd46-b89a3a3b8bc3/generated_00.png?se=2023-10-27T17%3A45%3A09Z&sig=jd2%2Fa8jOM9NmQmUa9DD3Cqg8sy8aGuxyQNOeqTLjA%3D&ske=2023-11-02T17%3A56%3A23Z",
			RevisedPrompt: "A vivid, natural representation of Microsoft Clippy wearing a cowboy hat.",
		}},
		Size:    "1024x1024",
		Quality: "standard",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		op     string // "chat" or "image"
		status int
		header http.Header
		file   string
		want   llmgate.ErrorCode
		retry  time.Duration
	}{
		{"content filter", "chat", 400, nil, "error_content_filter.json", llmgate.EContentFiltered, 0},
		{"image content filter", "image", 400, nil, "error_images_content_filter.json", llmgate.EContentFiltered, 0},
		{"401", "chat", 401, nil, "error_401.json", llmgate.EUpstreamAuth, 0},
		{"deployment not found", "chat", 404, nil, "error_404.json", llmgate.EUpstreamNotFound, 0},
		{"429 retry-after", "chat", 429, http.Header{"Retry-After": {"6"}}, "error_429.json", llmgate.ERateLimited, 6 * time.Second},
		{"429 retry-after-ms", "chat", 429, http.Header{"Retry-After": {"6"}, "Retry-After-Ms": {"5200"}}, "error_429.json", llmgate.ERateLimited, 5200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/openai/deployments/gpt-4o/chat/completions"
			if tt.op == "image" {
				path = "/openai/deployments/dall-e-3/images/generations"
			}
			u := &upstream{path: path, status: tt.status, header: tt.header, answer: providertest.ReadFile(t, tt.file)}
			c := start(t, u, Config{Name: "azure_openai_eastus"})
			var err error
			if tt.op == "image" {
				_, err = c.GenerateImage(context.Background(), &llmgate.ImageRequest{Model: "dall-e-3", Prompt: "x"})
			} else {
				_, err = c.Chat(context.Background(), chatRequest())
			}
			var e *llmgate.Error
			if !errors.As(err, &e) || e.Code != tt.want || e.RetryAfter != tt.retry || e.Provider != "azure_openai_eastus" || e.UpstreamStatus != tt.status {
				t.Errorf("err = %#v, want code %s, retry %v", err, tt.want, tt.retry)
			}
		})
	}
}

// TestKeyNeverInErrors has the upstream echo the key in its error bodies,
// and sends a request to a closed port so that net/http's error names the
// URL.
func TestKeyNeverInErrors(t *testing.T) {
	echo := []byte(`{"error":{"code":"401","message":"Access denied for key ` + testKey + ` on https://res.openai.azure.com/?api-key=` + testKey + `"}}`)
	for _, status := range []int{400, 401, 404, 429, 500, 503} {
		u := &upstream{path: "/openai/deployments/gpt-4o/chat/completions", status: status, answer: echo}
		c := start(t, u, Config{})
		_, err := c.Chat(context.Background(), chatRequest())
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		if e := llmgate.AsError(err); strings.Contains(err.Error(), testKey) || strings.Contains(e.Message, testKey) {
			t.Errorf("status %d: key in error %q", status, err.Error())
		}
	}

	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close()
	c, err := New(Config{Endpoint: endpoint, APIKey: testKey, Deployments: map[string]string{"gpt-4o": "secret-deployment"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat(context.Background(), chatRequest())
	if !errors.Is(err, &llmgate.Error{Code: llmgate.EUpstreamConnection}) {
		t.Fatalf("err = %v, want %s", err, llmgate.EUpstreamConnection)
	}
	if msg := err.Error(); strings.Contains(msg, testKey) || strings.Contains(msg, "secret-deployment") || strings.Contains(msg, "api-version") {
		t.Errorf("connection error shows the URL: %q", msg)
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		cfg     Config
		wantErr error
		wantURL string
	}{
		{Config{Endpoint: "https://res.openai.azure.com", APIKey: "k"}, nil, "https://res.openai.azure.com/openai/deployments/my%20dep/chat/completions?api-version=2024-10-21"},
		{Config{Endpoint: "https://res.openai.azure.com///", APIKey: "k", APIVersion: "2024-06-01"}, nil, "https://res.openai.azure.com/openai/deployments/my%20dep/chat/completions?api-version=2024-06-01"},
		{Config{Endpoint: "https://apim.example.com/llm/", APIKey: "k"}, nil, "https://apim.example.com/llm/openai/deployments/my%20dep/chat/completions?api-version=2024-10-21"},
		{Config{Endpoint: "res.openai.azure.com", APIKey: "k"}, ErrEndpoint, ""},
		{Config{Endpoint: "https://res.openai.azure.com/?api-version=1", APIKey: "k"}, ErrEndpoint, ""},
		{Config{Endpoint: "", APIKey: "k"}, ErrEndpoint, ""},
		{Config{Endpoint: "https://res.openai.azure.com"}, ErrNoAPIKey, ""},
	} {
		c, err := New(tt.cfg)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("New(%+v) error = %v, want %v", tt.cfg.Endpoint, err, tt.wantErr)
			continue
		}
		if err == nil {
			if got := c.endpoint("my dep", "chat/completions").URL; got != tt.wantURL {
				t.Errorf("URL = %q, want %q", got, tt.wantURL)
			}
		}
	}
}

func TestStreamCancel(t *testing.T) {
	gone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a disconnect only once the body is read
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[]}\n\n")
		io.WriteString(w, "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: testKey, HTTPClient: srv.Client()})
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
