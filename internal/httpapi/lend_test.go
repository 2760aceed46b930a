package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/bufpool/bufpooltest"
)

// lendingBackend checks, at every use a provider could make of a request's
// prompt (the call, each chunk of its stream, its Close), that the prompt
// reads whole and that no buffer went back to bufpool since the request
// arrived; it keeps the prompt to look at again after the request.
type lendingBackend struct {
	fakeBackend
	t      *testing.T
	want   string
	puts   interface{ Load() int32 }
	before int32

	mu     sync.Mutex
	prompt string
	checks int
}

func (b *lendingBackend) check(req *llmgate.ChatRequest, when string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.checks++
	b.prompt = req.Messages[0].Content[0].Text
	if b.prompt != b.want {
		b.t.Errorf("%s: the prompt reads as %d bytes starting %.16q, want %d bytes", when, len(b.prompt), b.prompt, len(b.want))
	}
	if n := b.puts.Load(); n != b.before {
		b.t.Errorf("%s: %d buffers went back to bufpool during the request", when, n-b.before)
	}
}

func (b *lendingBackend) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	b.check(req, "Chat")
	return b.fakeBackend.Chat(ctx, req)
}

func (b *lendingBackend) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	b.check(req, "ChatStream")
	st, err := b.fakeBackend.ChatStream(ctx, req)
	if err != nil {
		return nil, err
	}
	return &checkedStream{ChatStream: st, check: func(when string) { b.check(req, when) }}, nil
}

type checkedStream struct {
	llmgate.ChatStream
	check func(when string)
}

func (s *checkedStream) Recv() (*llmgate.ChatChunk, error) {
	s.check("Recv")
	return s.ChatStream.Recv()
}

func (s *checkedStream) Close() error {
	s.check("Close")
	return s.ChatStream.Close()
}

// putsAfter returns how many buffers went back to bufpool since puts
// counted before, once one has or ten seconds have passed: a buffer goes
// back after the request's log line, which may come after the client has
// the whole answer.
func putsAfter(puts interface{ Load() int32 }, before int32) int32 {
	for deadline := time.Now().Add(10 * time.Second); puts.Load() == before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return puts.Load() - before
}

// TestLentBodyLastsTheRequest sends large prompts, streamed and not,
// through the native and OpenAI chat endpoints. Their bodies are read into
// bufpool buffers whose long texts the request uses in place: the prompt
// must read whole for as long as the backend uses it, and its buffer must
// go back to bufpool once the request is over, after which the backend's
// view of the prompt reads the poison (it was a view, not a copy).
func TestLentBodyLastsTheRequest(t *testing.T) {
	puts := bufpooltest.Poison(t)
	prompt := strings.Repeat("lent text ", 10<<10)
	for _, tt := range []struct {
		name, path, body string
	}{
		{"native", "/llm-gate/v1/chat", native(`"messages":[{"role":"user","content":"` + prompt + `"}]`)},
		{"native stream", "/llm-gate/v1/chat", nativeHead + `"messages":[{"role":"user","content":"` + prompt + `"}]},"stream":true}`},
		{"openai", "/llm-gate/openai/v1/chat/completions", `{"model":"smart","messages":[{"role":"user","content":[{"type":"text","text":"` + prompt + `"}]}]}`},
		{"openai stream", "/llm-gate/openai/v1/chat/completions", `{"model":"smart","stream":true,"messages":[{"role":"user","content":"` + prompt + `"}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := &lendingBackend{t: t, want: prompt, puts: puts, before: puts.Load()}
			b.chunks = []*llmgate.ChatChunk{
				{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Role: llmgate.RoleAssistant, Content: "Hel"}}},
				{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Content: "lo", FinishReason: llmgate.FinishStop}}},
			}
			s := &Server{Backend: b, Ledger: &recLedger{}, APIPath: "/llm-gate", Version: "test", MaxBodyBytes: 1 << 20}
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			resp, out := do(t, ts, http.MethodPost, tt.path, tt.body, goodHeaders())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %.300s", resp.StatusCode, out)
			}
			if n := putsAfter(puts, b.before); n != 1 {
				t.Fatalf("%d buffers went back to bufpool after the request, want 1", n)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.checks == 0 {
				t.Fatal("the backend never saw the request")
			}
			if strings.Trim(b.prompt, "X") != "" {
				t.Errorf("after the request, the backend's prompt reads %.16q (%d X of %d), not the poison of its buffer: it was a copy", b.prompt, strings.Count(b.prompt, "X"), len(b.prompt))
			}
		})
	}
}

// TestLentBodyGoesBackOnError checks that the buffer of a large body goes
// back to bufpool when the request fails: a body the decoder refuses, and
// one the backend refuses.
func TestLentBodyGoesBackOnError(t *testing.T) {
	puts := bufpooltest.Poison(t)
	prompt := strings.Repeat("x", 100<<10)
	for _, tt := range []struct {
		name, body string
		err        error
		status     int
	}{
		{"bad JSON", native(`"messages":[{"role":"user","content":"` + prompt + `"}],}`), nil, http.StatusBadRequest},
		{"backend error", nativeMsg(`"` + prompt + `"`), llmgate.Errorf(llmgate.EUpstreamUnavailable, "down"), http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := puts.Load()
			s := &Server{Backend: &fakeBackend{chatErr: tt.err}, Ledger: &recLedger{}, APIPath: "/llm-gate", Version: "test", MaxBodyBytes: 1 << 20}
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			resp, out := do(t, ts, http.MethodPost, "/llm-gate/v1/chat", tt.body, goodHeaders())
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tt.status, out)
			}
			if n := putsAfter(puts, before); n != 1 {
				t.Fatalf("%d buffers went back to bufpool, want 1", n)
			}
		})
	}
}

// TestBodyWithoutViewsGoesBackAtOnce: a large body that encoding/json
// decodes (an image request's), whose texts are all copies, goes back
// to bufpool before the backend is called rather than when the request
// ends, which for a stream can be minutes later.
func TestBodyWithoutViewsGoesBackAtOnce(t *testing.T) {
	puts := bufpooltest.Poison(t)
	before := puts.Load()
	var atCall int32 = -1
	b := &callHook{fakeBackend: fakeBackend{}, hook: func() { atCall = puts.Load() - before }}
	s := &Server{Backend: b, Ledger: &recLedger{}, APIPath: "/llm-gate", Version: "test", MaxBodyBytes: 1 << 20}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	body := `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"message":"` + strings.Repeat("copied text ", 10<<10) + `"}}`
	resp, out := do(t, ts, http.MethodPost, "/llm-gate/v1/images/generations", body, goodHeaders())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.300s", resp.StatusCode, out)
	}
	if atCall != 1 {
		t.Errorf("%d buffers had gone back to bufpool when the backend was called, want 1", atCall)
	}
}

// callHook is a fakeBackend that calls hook when GenerateImage is called.
type callHook struct {
	fakeBackend
	hook func()
}

func (b *callHook) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	b.hook()
	return b.fakeBackend.GenerateImage(ctx, req)
}
