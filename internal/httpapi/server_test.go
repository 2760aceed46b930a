package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// fakeBackend answers from fields, and remembers the last request.
type fakeBackend struct {
	mu      sync.Mutex
	lastReq *llmgate.ChatRequest
	caller  llmgate.Caller
	chatErr error
	panics  bool
	chunks  []*llmgate.ChatChunk
	tailErr error
	// before, if set, is called before a stream returns its i-th chunk.
	before func(i int)
}

func (f *fakeBackend) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	f.mu.Lock()
	f.lastReq, f.caller = req, llmgate.CallerFrom(ctx)
	f.mu.Unlock()
	if f.panics {
		panic("boom")
	}
	if f.chatErr != nil {
		return nil, f.chatErr
	}
	cost := &llmgate.Cost{Currency: "USD", Input: llmgate.MustParseMoney("0.00024"), Output: llmgate.MustParseMoney("0.0003"), Total: llmgate.MustParseMoney("0.00054")}
	return &llmgate.ChatResponse{
		ID:      "chatcmpl-1",
		Served:  llmgate.Served{Provider: req.Provider, Model: req.Model, Deployment: req.Provider + "/east_us", Attempts: 1},
		Choices: []llmgate.Choice{{Message: llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("I am doing well")}}, FinishReason: llmgate.FinishStop}},
		Usage:   llmgate.Usage{PromptTokens: 8, CompletionTokens: 5, TotalTokens: 13},
		Cost:    cost,
	}, nil
}

// sliceStream returns its chunks as a stream that reuses its memory would:
// each in the same chunk, whose usage, cost, served and deltas the next Recv
// overwrites with junk first (see llmgate.ChatStream). A handler that keeps
// a chunk's memory past the next Recv answers the junk.
type sliceStream struct {
	chunks []*llmgate.ChatChunk
	tail   error
	closed bool
	before func(i int)
	n      int

	cur    llmgate.ChatChunk
	usage  llmgate.Usage
	cost   llmgate.Cost
	served llmgate.Served
	deltas []llmgate.ChoiceDelta
}

func (s *sliceStream) Recv() (*llmgate.ChatChunk, error) {
	if s.before != nil {
		s.before(s.n)
	}
	s.n++
	s.poison()
	if len(s.chunks) == 0 {
		if s.tail != nil {
			return nil, s.tail
		}
		return nil, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	s.cur = *c
	if c.Usage != nil {
		s.usage = *c.Usage
		s.cur.Usage = &s.usage
	}
	if c.Cost != nil {
		s.cost = *c.Cost
		s.cur.Cost = &s.cost
	}
	if c.Served != nil {
		s.served = *c.Served
		s.cur.Served = &s.served
	}
	if c.Deltas != nil {
		s.deltas = append(s.deltas[:0], c.Deltas...)
		s.cur.Deltas = s.deltas
	}
	return &s.cur, nil
}

// poison overwrites the memory of the chunk returned last.
func (s *sliceStream) poison() {
	s.cur = llmgate.ChatChunk{ID: "poisoned"}
	s.usage = llmgate.Usage{PromptTokens: -1, CompletionTokens: -1, TotalTokens: -1}
	s.cost = llmgate.Cost{Currency: "XXX", Total: -1}
	s.served = llmgate.Served{Provider: "poisoned", Model: "poisoned", Deployment: "poisoned"}
	for i := range s.deltas {
		s.deltas[i] = llmgate.ChoiceDelta{Index: -1, Content: "poisoned", FinishReason: "poisoned"}
	}
}

func (s *sliceStream) Close() error { s.closed = true; return nil }

func (f *fakeBackend) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	if f.chatErr != nil {
		return nil, f.chatErr
	}
	return &sliceStream{chunks: f.chunks, tail: f.tailErr, before: f.before}, nil
}

func (f *fakeBackend) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	return &llmgate.EmbeddingResponse{
		Served: llmgate.Served{Provider: req.Provider, Model: req.Model, Attempts: 1},
		Data:   []llmgate.Embedding{{Index: 0, Vector: []float64{0.5, -0.25}}},
		Usage:  llmgate.Usage{PromptTokens: 2, TotalTokens: 2},
	}, nil
}

func (f *fakeBackend) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	return &llmgate.ImageResponse{
		Served: llmgate.Served{Provider: req.Provider, Model: req.Model, Attempts: 1},
		Data:   []llmgate.Image{{URL: "https://example.com/generated_image.png"}},
		Cost:   &llmgate.Cost{Currency: "USD", Output: llmgate.MustParseMoney("0.02"), Total: llmgate.MustParseMoney("0.02")},
	}, nil
}

func (f *fakeBackend) Catalog() *llmgate.Catalog {
	in, out := llmgate.MustParseMoney("30.0"), llmgate.MustParseMoney("60.0")
	return &llmgate.Catalog{Providers: []llmgate.ProviderInfo{{
		ID: "p1", Name: "azure_openai", Label: "Azure OpenAI", Description: "Azure OpenAI provider", Enabled: true,
		Models: []llmgate.ModelInfo{{ID: "m1", Name: "gpt-4", Label: "GPT-4", Description: "GPT-4 model", ContextWindow: 8192, TrainingData: "Sep 2021", Enabled: true,
			Prices: []llmgate.Price{{ID: "pr1", UnitOfMeasure: 1000000, Currency: "USD", Token: &llmgate.TokenPrice{Input: &in, Output: &out}}}}},
	}}}
}

func (f *fakeBackend) Health(ctx context.Context) llmgate.Health { return llmgate.Health{Status: "ok"} }

func (f *fakeBackend) Aliases() []string { return []string{"smart"} }

func (f *fakeBackend) HasAlias(name string) bool { return name == "smart" }

type recLedger struct {
	mu   sync.Mutex
	rows []llmgate.Record
}

func (l *recLedger) Record(r llmgate.Record) {
	l.mu.Lock()
	l.rows = append(l.rows, r)
	l.mu.Unlock()
}

const cid = "5b0c1e7e-3f5a-4a8e-9a57-3c5f7f0d6a11"

func newTestServer(t *testing.T, b *fakeBackend) (*httptest.Server, *recLedger) {
	t.Helper()
	l := &recLedger{}
	s := &Server{Backend: b, Ledger: l, APIPath: "/llm-gate", Title: "HEIMDALL", Description: "desc", Version: "test", MaxBodyBytes: 4096}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, l
}

func do(t *testing.T, ts *httptest.Server, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = []string{v} // as sent, so client_id keeps its spelling
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func goodHeaders() map[string]string {
	return map[string]string{"X-Correlation-Id": cid, "X-User-Id": "user-1", "client_id": "app-1"}
}

func without(h map[string]string, k string) map[string]string {
	delete(h, k)
	return h
}

func with(h map[string]string, k, v string) map[string]string {
	h[k] = v
	return h
}

const seedChat = `{"provider":{"name":"azure_openai","model":{"name":"gpt-35-turbo"}},"prompt":{"parameter":{"temperature":0.7,"maxTokens":50},"messages":[{"role":"user","content":"Hello, how are you?"}]}}`

func decodeErr(t *testing.T, b []byte) errorDetail {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e.Error
}

func TestCallerHeaders(t *testing.T) {
	ts, l := newTestServer(t, &fakeBackend{})
	tests := []struct {
		name    string
		hdr     map[string]string
		status  int
		mention string
	}{
		{"all present", goodHeaders(), 200, ""},
		{"X-Client-Id alias", with(without(goodHeaders(), "client_id"), "X-Client-Id", "app-2"), 200, ""},
		{"no correlation id", without(goodHeaders(), "X-Correlation-Id"), 400, "X-Correlation-Id"},
		{"correlation id not a UUID", with(goodHeaders(), "X-Correlation-Id", "not-a-uuid"), 400, "X-Correlation-Id"},
		{"no user id", without(goodHeaders(), "X-User-Id"), 400, "X-User-Id"},
		{"user id too long", with(goodHeaders(), "X-User-Id", strings.Repeat("u", 300)), 400, "X-User-Id"},
		{"no client id", without(goodHeaders(), "client_id"), 400, "client_id"},
		{"client id with a tab", with(goodHeaders(), "client_id", "a\tb"), 400, "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, ts, "POST", "/llm-gate/v1/chat", seedChat, tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			got := resp.Header.Get("X-Correlation-Id")
			if uuidOK := len(got) == 36; !uuidOK {
				t.Errorf("response X-Correlation-Id %q is not a UUID", got)
			}
			if tt.status == 200 {
				if got != cid {
					t.Errorf("X-Correlation-Id echoed %q, want %q", got, cid)
				}
				return
			}
			e := decodeErr(t, body)
			if e.Code != llmgate.EInvalidHeader || !strings.Contains(e.Message, tt.mention) {
				t.Errorf("error %+v, want invalid_header naming %s", e, tt.mention)
			}
			if e.CorrelationID != got {
				t.Errorf("body correlationId %q != header %q", e.CorrelationID, got)
			}
		})
	}
	// Every rejected request is in the ledger too.
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.rows) != 6 {
		t.Errorf("ledger has %d rows for 6 rejected requests", len(l.rows))
	}
	for _, r := range l.rows {
		if !r.Final || r.ErrorCode != llmgate.EInvalidHeader || r.Status != 400 {
			t.Errorf("ledger row %+v", r)
		}
	}
}

func TestChatSeedShape(t *testing.T) {
	b := &fakeBackend{}
	ts, _ := newTestServer(t, b)
	resp, body := do(t, ts, "POST", "/llm-gate/v1/chat", seedChat, goodHeaders())
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	want := `{"id":"chatcmpl-1","provider":"azure_openai","model":"gpt-35-turbo","deployment":"azure_openai/east_us","attempts":1,"finishReason":"stop","usage":{"completionTokens":5,"promptTokens":8,"totalTokens":13},"messages":[{"role":"assistant","content":"I am doing well"}],"cost":{"currency":"USD","input":0.00024,"output":0.0003,"total":0.00054}}` + "\n"
	if string(body) != want {
		t.Errorf("body\n%s\nwant\n%s", body, want)
	}
	if got := resp.Header.Get("X-LLMGate-Deployment"); got != "azure_openai/east_us" {
		t.Errorf("X-LLMGate-Deployment %q", got)
	}
	req := b.lastReq
	if *req.Params.Temperature != 0.7 || *req.Params.MaxTokens != 50 || req.Messages[0].Text() != "Hello, how are you?" {
		t.Errorf("domain request %+v", req)
	}
	if b.caller.UserID != "user-1" || b.caller.ClientID != "app-1" || b.caller.CorrelationID != cid || b.caller.API != "native" {
		t.Errorf("caller %+v", b.caller)
	}
}

func TestChatParametersAndVision(t *testing.T) {
	b := &fakeBackend{}
	ts, _ := newTestServer(t, b)
	body := `{"provider":{"name":"azure_openai","model":{"name":"gpt-4o"}},"prompt":{"parameter":{"temperature":0,"maxTokens":5,"topP":0.5,"stop":"END","presencePenalty":1,"frequencyPenalty":-1,"seed":42,"n":2,"user":"u","responseFormat":{"type":"json_schema","jsonSchema":{"name":"x","schema":{"type":"object"},"strict":true}}},
	"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","imageUrl":{"url":"https://example.com/cat.png","detail":"low"}}]}]}}`
	resp, out := do(t, ts, "POST", "/llm-gate/v1/chat", body, goodHeaders())
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	p := b.lastReq.Params
	if *p.Temperature != 0 || *p.TopP != 0.5 || p.Stop[0] != "END" || *p.PresencePenalty != 1 || *p.FrequencyPenalty != -1 || *p.Seed != 42 || *p.N != 2 || p.User != "u" {
		t.Errorf("params %+v", p)
	}
	if p.ResponseFormat.Type != "json_schema" || p.ResponseFormat.Name != "x" || string(p.ResponseFormat.Schema) != `{"type":"object"}` || !*p.ResponseFormat.Strict {
		t.Errorf("response format %+v", p.ResponseFormat)
	}
	m := b.lastReq.Messages[1]
	if len(m.Content) != 2 || m.Content[1].Type != llmgate.PartImage || m.Content[1].ImageURL != "https://example.com/cat.png" || m.Content[1].ImageDetail != "low" {
		t.Errorf("vision message %+v", m)
	}
}

func TestBadRequests(t *testing.T) {
	ts, l := newTestServer(t, &fakeBackend{})
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     llmgate.ErrorCode
		mention                  string
	}{
		{"malformed JSON", "POST", "/llm-gate/v1/chat", `{"provider":`, 400, llmgate.EInvalidJSON, "ends too early"},
		{"syntax error", "POST", "/llm-gate/v1/chat", `{"provider" 1}`, 400, llmgate.EInvalidJSON, "malformed JSON"},
		{"empty body", "POST", "/llm-gate/v1/chat", ``, 400, llmgate.EInvalidJSON, "empty"},
		{"wrong type", "POST", "/llm-gate/v1/chat", `{"provider":{"name":1}}`, 400, llmgate.EInvalidJSON, "provider.name"},
		{"unknown field", "POST", "/llm-gate/v1/chat", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"parameter":{"max_tokens":5},"messages":[{"role":"user","content":"x"}]}}`, 400, llmgate.EInvalidRequest, "max_tokens"},
		{"trailing data", "POST", "/llm-gate/v1/chat", seedChat + `{}`, 400, llmgate.EInvalidJSON, "after"},
		{"no provider", "POST", "/llm-gate/v1/chat", `{"prompt":{"messages":[{"role":"user","content":"x"}]}}`, 400, llmgate.EInvalidRequest, "provider.name"},
		{"no messages", "POST", "/llm-gate/v1/chat", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"messages":[]}}`, 400, llmgate.EInvalidRequest, "messages"},
		{"bad role", "POST", "/llm-gate/v1/chat", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"messages":[{"role":"wizard","content":"x"}]}}`, 400, llmgate.EInvalidRequest, "role"},
		{"temperature out of range", "POST", "/llm-gate/v1/chat", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"parameter":{"temperature":3},"messages":[{"role":"user","content":"x"}]}}`, 400, llmgate.EInvalidRequest, "temperature"},
		{"bad content part", "POST", "/llm-gate/v1/chat", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"messages":[{"role":"user","content":[{"type":"audio"}]}]}}`, 400, llmgate.EInvalidJSON, "text or image_url"},
		{"image URL scheme", "POST", "/llm-gate/v1/chat", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"messages":[{"role":"user","content":[{"type":"image_url","imageUrl":{"url":"file:///etc/passwd"}}]}]}}`, 400, llmgate.EInvalidRequest, "imageUrl"},
		{"too large", "POST", "/llm-gate/v1/chat", `{"x":"` + strings.Repeat("a", 5000) + `"}`, 413, llmgate.EBodyTooLarge, "limit"},
		{"embedding without input", "POST", "/llm-gate/v1/embeddings", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"input":[]}}`, 400, llmgate.EInvalidRequest, "input"},
		{"image bad size", "POST", "/llm-gate/v1/images/generations", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"message":"cat","parameter":{"size":"big"}}}`, 400, llmgate.EInvalidRequest, "size"},
		{"unknown path", "GET", "/llm-gate/v1/nothing", ``, 404, llmgate.ENotFound, "/llm-gate/v1/nothing"},
		{"wrong method", "GET", "/llm-gate/v1/chat", ``, 405, llmgate.EMethodNotAllowed, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, ts, tt.method, tt.path, tt.body, goodHeaders())
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			e := decodeErr(t, body)
			if e.Code != tt.code || !strings.Contains(e.Message, tt.mention) {
				t.Errorf("error %+v, want %s mentioning %q", e, tt.code, tt.mention)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.rows) != 15 { // every POST above
		t.Errorf("ledger has %d rows for 15 rejected POSTs", len(l.rows))
	}
}

func TestUpstreamErrorsMapped(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		retryAfter string
	}{
		{&llmgate.Error{Code: llmgate.ERateLimited, Message: "slow down", Provider: "azure_openai", RetryAfter: 1500e6}, 429, "2"},
		{&llmgate.Error{Code: llmgate.EUpstreamError, Message: "boom", Provider: "openai"}, 502, ""},
		{&llmgate.Error{Code: llmgate.EUpstreamUnavailable, Message: "busy", Provider: "openai", RetryAfter: 3e9}, 503, "3"},
		{&llmgate.Error{Code: llmgate.EUpstreamTimeout, Message: "late", Provider: "openai"}, 504, ""},
		{&llmgate.Error{Code: llmgate.EModelNotFound, Message: "no model"}, 404, ""},
		{&llmgate.Error{Code: llmgate.EProviderNotConfigured, Message: "set OPENAI_API_KEY"}, 503, ""},
		{io.ErrUnexpectedEOF, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			ts, _ := newTestServer(t, &fakeBackend{chatErr: tt.err})
			resp, body := do(t, ts, "POST", "/llm-gate/v1/chat", seedChat, goodHeaders())
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			e := decodeErr(t, body)
			if e.CorrelationID != cid {
				t.Errorf("correlationId %q", e.CorrelationID)
			}
			if tt.status == 500 && (e.Code != llmgate.EInternal || strings.Contains(e.Message, "EOF")) {
				t.Errorf("internal error leaked its cause: %+v", e)
			}
		})
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	for _, c := range llmgate.Codes {
		if st := StatusOf(c.Code); st == http.StatusInternalServerError && c.Code != llmgate.EInternal {
			t.Errorf("code %s falls through to 500", c.Code)
		}
	}
}

func TestPanicBecomesInternalError(t *testing.T) {
	ts, _ := newTestServer(t, &fakeBackend{panics: true})
	resp, body := do(t, ts, "POST", "/llm-gate/v1/chat", seedChat, goodHeaders())
	if resp.StatusCode != 500 || decodeErr(t, body).Code != llmgate.EInternal {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
}

func TestStreamEvents(t *testing.T) {
	u := llmgate.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}
	sv := llmgate.Served{Provider: "mock", Model: "mock-chat", Deployment: "mock/local", Attempts: 1}
	chunks := []*llmgate.ChatChunk{
		{ID: "c1", Served: &sv, Deltas: []llmgate.ChoiceDelta{{Role: llmgate.RoleAssistant, Content: "Hel"}}},
		{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Content: "lo"}}},
		{ID: "c1", Deltas: []llmgate.ChoiceDelta{{FinishReason: llmgate.FinishStop}}},
		{ID: "c1", Usage: &u, Cost: &llmgate.Cost{Currency: "USD", Total: 7}},
	}
	body := strings.Replace(seedChat, `{"provider"`, `{"stream":true,"provider"`, 1)
	t.Run("complete", func(t *testing.T) {
		ts, _ := newTestServer(t, &fakeBackend{chunks: chunks})
		resp, out := do(t, ts, "POST", "/llm-gate/v1/chat", body, goodHeaders())
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q: %s", ct, out)
		}
		want := "event: delta\ndata: {\"id\":\"c1\",\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}\n\n" +
			"event: delta\ndata: {\"id\":\"c1\",\"index\":0,\"delta\":{\"content\":\"lo\"}}\n\n" +
			"event: done\ndata: {\"id\":\"c1\",\"provider\":\"mock\",\"model\":\"mock-chat\",\"deployment\":\"mock/local\",\"attempts\":1,\"finishReason\":\"stop\",\"usage\":{\"completionTokens\":2,\"promptTokens\":3,\"totalTokens\":5},\"cost\":{\"currency\":\"USD\",\"input\":0.0,\"output\":0.0,\"total\":0.000000000007}}\n\n"
		if string(out) != want {
			t.Errorf("stream\n%s\nwant\n%s", out, want)
		}
	})
	// The usage arrives before the stream ends, and goes out in the
	// message_delta event after it: the surface must have kept a copy.
	t.Run("anthropic usage", func(t *testing.T) {
		ts, _ := newTestServer(t, &fakeBackend{chunks: chunks})
		_, out := do(t, ts, "POST", "/llm-gate/anthropic/v1/messages", `{"model":"mock/mock-chat","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, goodHeaders())
		want := "event: message_delta\ndata: {\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"type\":\"message_delta\",\"usage\":{\"input_tokens\":3,\"output_tokens\":2,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}\n\n"
		if !strings.Contains(string(out), want) {
			t.Errorf("stream\n%s\nwant it to hold\n%s", out, want)
		}
	})
	t.Run("cut mid-way", func(t *testing.T) {
		ts, _ := newTestServer(t, &fakeBackend{chunks: chunks[:2], tailErr: &llmgate.Error{Code: llmgate.EUpstreamConnection, Message: "stream ended before completion", Provider: "mock"}})
		_, out := do(t, ts, "POST", "/llm-gate/v1/chat", body, goodHeaders())
		if !bytes.HasSuffix(out, []byte("event: error\ndata: {\"error\":{\"code\":\"upstream_connection\",\"message\":\"stream ended before completion\",\"correlationId\":\""+cid+"\",\"provider\":\"mock\"}}\n\n")) {
			t.Errorf("stream does not end with an error event:\n%s", out)
		}
	})
	t.Run("fails before first byte", func(t *testing.T) {
		ts, _ := newTestServer(t, &fakeBackend{chatErr: &llmgate.Error{Code: llmgate.ERateLimited, Message: "later", RetryAfter: 2e9}})
		resp, out := do(t, ts, "POST", "/llm-gate/v1/chat", body, goodHeaders())
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || decodeErr(t, out).Code != llmgate.ERateLimited {
			t.Errorf("status %d %s", resp.StatusCode, out)
		}
	})
}

func TestProvidersSeedShape(t *testing.T) {
	ts, _ := newTestServer(t, &fakeBackend{})
	resp, body := do(t, ts, "GET", "/llm-gate/v1/providers", "", goodHeaders())
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	want := `{"data":[{"id":"p1","name":"azure_openai","label":"Azure OpenAI","description":"Azure OpenAI provider","model":[{"id":"m1","name":"gpt-4","label":"GPT-4","description":"GPT-4 model","contextWindow":8192,"tranningData":"Sep 2021","price":[{"id":"pr1","unitOfMeasure":1000000,"currency":"USD","token":{"inputValue":30.0,"outputValue":60.0}}],"enabled":true}]}]}`
	if string(body) != want {
		t.Errorf("body\n%s\nwant\n%s", body, want)
	}
	resp, _ = do(t, ts, "GET", "/llm-gate/v1/providers", "", nil)
	if resp.StatusCode != 400 {
		t.Errorf("providers without headers: %d, the seed requires them", resp.StatusCode)
	}
}

func TestOpenAPIDocumentsEveryRouteAndCode(t *testing.T) {
	ts, _ := newTestServer(t, &fakeBackend{})
	resp, body := do(t, ts, "GET", "/llm-gate/openapi.json", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Title, Description string }
		Paths   map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			}
		}
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title != "HEIMDALL" || !strings.HasPrefix(doc.Info.Description, "desc") {
		t.Errorf("openapi %q info %+v", doc.OpenAPI, doc.Info)
	}
	s := &Server{}
	for _, rt := range append(append(s.routes(), s.openAIRoutes()...), s.anthropicRoutes()...) {
		op, ok := doc.Paths["/llm-gate"+rt.path][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not documented", rt.method, rt.path)
			continue
		}
		if rt.native {
			names := map[string]bool{}
			for _, p := range op.Parameters {
				names[p.Name] = p.In == "header"
			}
			for _, h := range []string{"X-Correlation-Id", "X-User-Id", "client_id"} {
				if !names[h] {
					t.Errorf("%s %s does not document header %s", rt.method, rt.path, h)
				}
			}
		}
	}
	codes := doc.Components.Schemas["ErrorDetail"].Properties["code"].Enum
	if len(codes) != len(llmgate.Codes) {
		t.Errorf("error code enum has %d codes, want %d", len(codes), len(llmgate.Codes))
	}
	for _, c := range llmgate.Codes {
		if !strings.Contains(doc.Info.Description, "`"+string(c.Code)+"`") {
			t.Errorf("code %s is not in the description", c.Code)
		}
	}
	for _, name := range []string{"ChatRequest", "ChatResponse", "ImageRequest", "EmbeddingRequest", "CatalogBody", "OaChatRequest", "AnRequest", "OpenAIError", "AnError"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("schema %s missing", name)
		}
	}
	resp, page := do(t, ts, "GET", "/llm-gate/docs", "", nil)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("swagger-ui")) || !bytes.Contains(page, []byte("/llm-gate/openapi.json")) {
		t.Errorf("docs page: %d %s", resp.StatusCode, page)
	}
}

func TestRoutingOverrides(t *testing.T) {
	b := &fakeBackend{}
	ts, _ := newTestServer(t, b)
	body := strings.Replace(seedChat, `{"provider"`, `{"routing":{"fallbacks":["openai/gpt-4o"],"timeout":"30s","attemptTimeout":"10s","firstTokenTimeout":"2s"},"provider"`, 1)
	if resp, out := do(t, ts, "POST", "/llm-gate/v1/chat", body, goodHeaders()); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	want := llmgate.Timeouts{Request: 30 * time.Second, Attempt: 10 * time.Second, FirstToken: 2 * time.Second}
	if b.lastReq.Timeouts != want || len(b.lastReq.Fallbacks) != 1 || b.lastReq.Fallbacks[0] != "openai/gpt-4o" {
		t.Errorf("request %+v %+v", b.lastReq.Timeouts, b.lastReq.Fallbacks)
	}
	// Headers win over the body, and an empty header turns fallbacks off.
	h := with(with(goodHeaders(), "X-LLMGate-Fallbacks", "mock/a, mock/b"), "X-LLMGate-Timeout", "5s")
	do(t, ts, "POST", "/llm-gate/v1/chat", body, h)
	if b.lastReq.Timeouts.Request != 5*time.Second || len(b.lastReq.Fallbacks) != 2 || b.lastReq.Fallbacks[1] != "mock/b" {
		t.Errorf("headers: %+v %+v", b.lastReq.Timeouts, b.lastReq.Fallbacks)
	}
	do(t, ts, "POST", "/llm-gate/v1/chat", seedChat, with(goodHeaders(), "X-LLMGate-Fallbacks", ""))
	if b.lastReq.Fallbacks == nil || len(b.lastReq.Fallbacks) != 0 {
		t.Errorf("an empty header must turn fallbacks off: %#v", b.lastReq.Fallbacks)
	}
	resp, out := do(t, ts, "POST", "/llm-gate/v1/chat", seedChat, with(goodHeaders(), "X-LLMGate-Timeout", "soon"))
	if resp.StatusCode != 400 || !strings.Contains(decodeErr(t, out).Message, "X-LLMGate-Timeout") {
		t.Errorf("bad timeout: %d %s", resp.StatusCode, out)
	}
	// An alias on the OpenAI surface reaches the gateway without a provider.
	resp, out = do(t, ts, "POST", "/llm-gate/openai/v1/chat/completions", `{"model":"smart","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 200 || b.lastReq.Provider != "" || b.lastReq.Model != "smart" {
		t.Errorf("alias: %d %s %+v", resp.StatusCode, out, b.lastReq)
	}
	_, out = do(t, ts, "GET", "/llm-gate/openai/v1/models", "", nil)
	if !bytes.Contains(out, []byte(`"id":"smart"`)) {
		t.Errorf("models do not list the alias: %s", out)
	}
}

// blockingLog holds every log record until released, like a slow log sink.
type blockingLog struct{ released chan struct{} }

func (h blockingLog) Enabled(context.Context, slog.Level) bool { return true }
func (h blockingLog) Handle(context.Context, slog.Record) error {
	select {
	case <-h.released:
	case <-time.After(20 * time.Second):
	}
	return nil
}
func (h blockingLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h blockingLog) WithGroup(string) slog.Handler      { return h }

// TestAnswerSentBeforeLogLine checks that a slow log does not delay the
// answer: the client reads the whole response while the request's log line
// is still being written.
func TestAnswerSentBeforeLogLine(t *testing.T) {
	logs := blockingLog{released: make(chan struct{})}
	s := &Server{Backend: &fakeBackend{}, Ledger: &recLedger{}, Logger: slog.New(logs), APIPath: "/llm-gate", Version: "test", MaxBodyBytes: 4096}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer close(logs.released) // before Close, which waits for the handler
	req, _ := http.NewRequest("POST", ts.URL+"/llm-gate/v1/chat", strings.NewReader(seedChat))
	for k, v := range goodHeaders() {
		req.Header[k] = []string{v}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the answer waited for the log line: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
	}
}

// TestFirstTokenYieldsOnlyWhenAlone checks when a stream gives its CPU away
// after its first token (see eventWriter.firstOutput): once per stream, on
// the chunk with the first text, on every surface, and not while another
// request is being served.
func TestFirstTokenYieldsOnlyWhenAlone(t *testing.T) {
	var yields atomic.Int64
	var atFirst atomic.Int64 // the yields counted when the second chunk was asked for
	old := yieldCPU
	yieldCPU = func() { yields.Add(1) }
	t.Cleanup(func() { yieldCPU = old })
	sv := llmgate.Served{Provider: "mock", Model: "mock-chat", Deployment: "mock/local", Attempts: 1}
	chunks := []*llmgate.ChatChunk{
		{ID: "c1", Served: &sv, Deltas: []llmgate.ChoiceDelta{{Role: llmgate.RoleAssistant}}},
		{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Content: "Hel"}}},
		{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Content: "lo"}}},
		{ID: "c1", Deltas: []llmgate.ChoiceDelta{{FinishReason: llmgate.FinishStop}}},
	}
	native := strings.Replace(seedChat, `{"provider"`, `{"stream":true,"provider"`, 1)
	surfaces := []struct{ path, body string }{
		{"/llm-gate/v1/chat", native},
		{"/llm-gate/openai/v1/chat/completions", `{"model":"mock/mock-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"/llm-gate/anthropic/v1/messages", `{"model":"mock/mock-chat","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, sf := range surfaces {
		t.Run("alone "+sf.path, func(t *testing.T) {
			yields.Store(0)
			b := &fakeBackend{chunks: chunks, before: func(i int) {
				if i == 2 {
					atFirst.Store(yields.Load())
				}
			}}
			ts, _ := newTestServer(t, b)
			resp, out := do(t, ts, "POST", sf.path, sf.body, goodHeaders())
			if resp.StatusCode != 200 || !strings.Contains(string(out), "Hel") {
				t.Fatalf("status %d: %s", resp.StatusCode, out)
			}
			if got := yields.Load(); got != 1 {
				t.Errorf("%d yields, want 1", got)
			}
			if got := atFirst.Load(); got != 1 {
				t.Errorf("%d yields before the chunk after the first text, want 1", got)
			}
		})
	}
	t.Run("another request in flight", func(t *testing.T) {
		yields.Store(0)
		release := make(chan struct{})
		held := make(chan struct{})
		b := &fakeBackend{chunks: chunks, before: func(i int) {
			if i == 0 {
				select {
				case held <- struct{}{}: // the first stream waits here
					<-release
				default:
				}
			}
		}}
		ts, _ := newTestServer(t, b)
		done := make(chan []byte, 1)
		go func() {
			_, out := do(t, ts, "POST", surfaces[0].path, surfaces[0].body, goodHeaders())
			done <- out
		}()
		<-held
		resp, out := do(t, ts, "POST", surfaces[1].path, surfaces[1].body, goodHeaders())
		if resp.StatusCode != 200 || !strings.Contains(string(out), "Hel") {
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
		if got := yields.Load(); got != 0 {
			t.Errorf("%d yields with another stream open, want 0", got)
		}
		close(release)
		if out := <-done; !strings.Contains(string(out), "Hel") {
			t.Fatalf("held stream: %s", out)
		}
		if got := yields.Load(); got != 1 {
			t.Errorf("%d yields once the held stream was alone, want 1", got)
		}
	})
}
