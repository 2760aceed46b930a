package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/config"
	"github.com/llmgate/llmgate/internal/gateway"
	"github.com/llmgate/llmgate/internal/httpapi"
	"github.com/llmgate/llmgate/internal/ledger"
	"github.com/llmgate/llmgate/internal/tokenizer"
)

// The micro-benchmarks of the request path run the gateway as newApp wires
// it (configuration, router, gateway, pricing, ledger writer, JSON logs at
// INFO, the HTTP handler) with two substitutions that keep sockets and disks
// out of the numbers: the upstream is an http.RoundTripper answering canned
// Azure OpenAI bodies, and the ledger store discards the batches the writer
// hands it. Handlers are called directly, so net/http's server is not
// measured either; the load benchmark (cmd/llmgate-bench) covers it.
//
//	go test ./cmd/llmgate -run '^$' -bench 'Native|OpenAI' -benchmem

// benchReply is the answer of the canned upstream, the same text as
// cmd/llmgate-bench's mock upstream.
const benchReply = "Sure. Here is a short answer from the benchmark upstream: it is deterministic, " +
	"it takes no time to think, and it is about as long as a typical reply to a simple question, " +
	"so that response sizes look like real traffic."

const benchFilter = `"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}`

const benchUsage = `"usage":{"prompt_tokens":1000,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`

// cannedCompletion and cannedStream are what Azure OpenAI answers, filter
// results included, so that decoding skips what real answers carry.
var cannedCompletion, cannedStream = func() ([]byte, []byte) {
	words := strings.Fields(benchReply)
	n := len(words)
	c := `{"id":"chatcmpl-bench","object":"chat.completion","created":1732700000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_bench",` +
		`"prompt_filter_results":[{"prompt_index":0,` + benchFilter + `}],"choices":[{"index":0,"finish_reason":"stop","logprobs":null,` +
		`"message":{"role":"assistant","content":` + strconv.Quote(benchReply) + `,"refusal":null},` + benchFilter + `}],` +
		fmt.Sprintf(benchUsage, n, 1000+n) + "}\n"
	var s strings.Builder
	chunk := func(choices, usage string) {
		s.WriteString(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1732700000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_bench","choices":[`)
		s.WriteString(choices)
		s.WriteString("],")
		s.WriteString(usage)
		s.WriteString("}\n\n")
	}
	delta := func(d, finish string) string {
		return `{"index":0,"delta":` + d + `,"logprobs":null,"finish_reason":` + finish + `}`
	}
	chunk(delta(`{"role":"assistant","content":""}`, "null"), `"usage":null`)
	for i, w := range words {
		if i > 0 {
			w = " " + w
		}
		chunk(delta(`{"content":`+strconv.Quote(w)+`}`, "null"), `"usage":null`)
	}
	chunk(delta(`{}`, `"stop"`), `"usage":null`)
	chunk("", fmt.Sprintf(benchUsage, n, 1000+n))
	s.WriteString("data: [DONE]\n\n")
	return []byte(c), []byte(s.String())
}()

// cannedUpstream answers every request with the canned completion, or the
// canned stream when the request asks for text/event-stream. It reads the
// request body to its end, as a real transport sends it. Its responses are
// pooled and its headers shared, so that the benchmarks count the gateway's
// allocations, not the stand-in upstream's.
type cannedUpstream struct{}

var (
	cannedJSONHeader = http.Header{"Content-Type": {"application/json"}}
	cannedSSEHeader  = http.Header{"Content-Type": {"text/event-stream"}}
	cannedPool       = sync.Pool{New: func() any {
		c := new(cannedResponse)
		c.body.owner = c
		return c
	}}
)

// cannedResponse is one pooled answer; closing its body returns it.
type cannedResponse struct {
	resp http.Response
	body cannedBody
}

type cannedBody struct {
	bytes.Reader
	owner  *cannedResponse
	closed bool
}

func (b *cannedBody) Close() error {
	if !b.closed {
		b.closed = true
		cannedPool.Put(b.owner)
	}
	return nil
}

func (cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body, header := cannedCompletion, cannedJSONHeader
	if r.Header.Get("Accept") == "text/event-stream" {
		body, header = cannedStream, cannedSSEHeader
	}
	c := cannedPool.Get().(*cannedResponse)
	c.body.Reset(body)
	c.body.closed = false
	c.resp = http.Response{
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          &c.body,
		ContentLength: int64(len(body)),
		Request:       r,
	}
	return &c.resp, nil
}

// discardStore is a ledger store that keeps nothing.
type discardStore struct{}

func (discardStore) InsertRecords(context.Context, []llmgate.Record) error { return nil }
func (discardStore) Usage(context.Context, llmgate.UsageQuery) ([]llmgate.UsageRow, error) {
	return nil, nil
}
func (discardStore) Close() error { return nil }

// benchHandler wires the gateway as newApp does, over the canned upstream.
func benchHandler(b testing.TB) http.Handler {
	b.Helper()
	dir := b.TempDir()
	cfg, err := config.Load(nil, []string{
		"HOME=" + dir,
		"LOG_LEVEL=INFO",
		"AZURE_OPENAI_BENCH_ENDPOINT=http://upstream.invalid",
		"AZURE_OPENAI_BENCH_API_KEY=bench-key",
	}, dir)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: cfg.Log.Level}))
	w := ledger.New(discardStore{}, ledger.Options{Logger: log})
	b.Cleanup(func() { w.Close(context.Background()) })
	deps, err := deployments(cfg, &http.Client{Transport: cannedUpstream{}})
	if err != nil {
		b.Fatal(err)
	}
	cat := cfg.Catalog()
	rt, err := newRouter(cfg, cat, deps)
	if err != nil {
		b.Fatal(err)
	}
	svc := gateway.New(cat, gateway.Options{Router: rt, Ledger: w, StatusOf: httpapi.StatusOf, Logger: log, Tokens: &tokenizer.Counter{}})
	api := &httpapi.Server{Backend: svc, Ledger: w, Logger: log, APIPath: cfg.Server.APIPath, Version: "bench"}
	return api.Handler()
}

// benchWriter is a ResponseWriter that keeps only what the benchmark checks,
// reused across iterations so that it adds no allocations of its own.
type benchWriter struct {
	h      http.Header
	status int
	n      int
	keep   bool
	body   bytes.Buffer
}

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *benchWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	if w.keep {
		w.body.Write(b)
	}
	return len(b), nil
}
func (w *benchWriter) Flush() {}

// SetReadDeadline succeeds, as on net/http's writer; without it
// http.ResponseController builds an error on every request.
func (w *benchWriter) SetReadDeadline(time.Time) error { return nil }

func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
	w.body.Reset()
}

// The prompt texts of the benchmarks, as they stand in a JSON string:
// plainText needs no escape, markdownText has lines, tabs, quotes and
// letters beyond ASCII, as prompts do (cmd/llmgate-bench -text).
const (
	plainText    = "The quick brown fox jumps over the lazy dog. "
	markdownText = `## Usage\n\tclient.chat(\"hi\")\nReturns a \"reply\"; see the café menu (東京).\n`
)

// benchBody pads a request to size bytes with filler, repeated whole, and
// spaces in its user message, as cmd/llmgate-bench does.
func benchBody(pre, post string, size int, filler string) []byte {
	n := max(size-len(pre)-len(post), 1)
	b := make([]byte, 0, len(pre)+n+len(post))
	b = append(b, pre...)
	for len(b)+len(filler) <= len(pre)+n {
		b = append(b, filler...)
	}
	for len(b) < len(pre)+n {
		b = append(b, ' ')
	}
	return append(b, post...)
}

func nativeBody(stream bool, size int) []byte { return nativeBodyOf(stream, size, plainText) }

// nativeBodyOf is nativeBody with the prompt text filler.
func nativeBodyOf(stream bool, size int, filler string) []byte {
	return benchBody(`{"provider":{"name":"azure_openai","model":{"name":"gpt-4o"}},"prompt":{"parameter":{"maxTokens":256},"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`,
		`"}]},"stream":`+strconv.FormatBool(stream)+`}`, size, filler)
}

func openAIBody(stream bool, size int) []byte {
	post := `"}],"max_tokens":256,"stream":` + strconv.FormatBool(stream)
	if stream {
		post += `,"stream_options":{"include_usage":true}`
	}
	return benchBody(`{"model":"azure_openai/gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`, post+"}", size, plainText)
}

var benchSizes = []struct {
	name string
	size int
}{{"1KB", 1 << 10}, {"10KB", 10 << 10}, {"100KB", 100 << 10}}

// runRequests serves the same request b.N times and checks the first
// answer contains want, so that a benchmark of an error path fails.
func runRequests(b *testing.B, h http.Handler, path string, body []byte, want string) {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://gateway"+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
	req.Header.Set("X-User-Id", "alice")
	req.Header.Set("client_id", "billing-app") // as net/http canonicalizes it: Client_id
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	rb := io.NopCloser(rd)
	w := &benchWriter{h: http.Header{}, keep: true}
	serve := func() {
		rd.Reset(body)
		req.Body = rb
		w.reset()
		h.ServeHTTP(w, req)
	}
	serve()
	if w.status != http.StatusOK || !strings.Contains(w.body.String(), want) {
		b.Fatalf("status %d, body %.500s; want 200 and %q", w.status, w.body.String(), want)
	}
	w.keep = false
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// BenchmarkNativeChat is one non-streamed POST /v1/chat through the whole
// request path.
func BenchmarkNativeChat(b *testing.B) {
	h := benchHandler(b)
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runRequests(b, h, "/llm-gate/v1/chat", nativeBody(false, s.size), `"cost":{"currency":"USD"`)
		})
	}
	b.Run("100KB_markdown", func(b *testing.B) {
		runRequests(b, h, "/llm-gate/v1/chat", nativeBodyOf(false, 100<<10, markdownText), `"cost":{"currency":"USD"`)
	})
}

// BenchmarkNativeChatStream is one streamed POST /v1/chat, every chunk of
// the canned stream forwarded as an SSE event.
func BenchmarkNativeChatStream(b *testing.B) {
	h := benchHandler(b)
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runRequests(b, h, "/llm-gate/v1/chat", nativeBody(true, s.size), "event: done\ndata: {\"id\":\"chatcmpl-bench\"")
		})
	}
}

// BenchmarkOpenAIChat is one non-streamed POST on the OpenAI-compatible
// surface.
func BenchmarkOpenAIChat(b *testing.B) {
	h := benchHandler(b)
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runRequests(b, h, "/llm-gate/openai/v1/chat/completions", openAIBody(false, s.size), `"object":"chat.completion"`)
		})
	}
}

// BenchmarkOpenAIChatStream is one streamed POST on the OpenAI-compatible
// surface.
func BenchmarkOpenAIChatStream(b *testing.B) {
	h := benchHandler(b)
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runRequests(b, h, "/llm-gate/openai/v1/chat/completions", openAIBody(true, s.size), "data: [DONE]")
		})
	}
}

// TestRequestPathAllocations holds the non-streamed request path to the
// performance issue's budget of 50 allocations per request, on the native,
// OpenAI and Anthropic surfaces, over the same wiring as the benchmarks. It
// counts allocations, not time, so it is exact on any machine.
func TestRequestPathAllocations(t *testing.T) {
	const budget = 50
	h := benchHandler(t)
	for _, tc := range []struct {
		name, path string
		body       []byte
	}{
		{"native", "/llm-gate/v1/chat", nativeBody(false, 1<<10)},
		{"openai", "/llm-gate/openai/v1/chat/completions", openAIBody(false, 1<<10)},
		{"anthropic", "/llm-gate/anthropic/v1/messages", anthropicBody(false, 1<<10, plainText)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://gateway"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
			req.Header.Set("X-User-Id", "alice")
			req.Header.Set("client_id", "billing-app")
			req.ContentLength = int64(len(tc.body))
			rd := bytes.NewReader(tc.body)
			rb := io.NopCloser(rd)
			w := &benchWriter{h: http.Header{}}
			serve := func() {
				rd.Reset(tc.body)
				req.Body = rb
				w.reset()
				h.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					t.Fatalf("status %d", w.status)
				}
			}
			serve()
			n := fewestAllocs(200, serve)
			if n > budget {
				t.Errorf("%d allocations per request, budget %d", n, budget)
			} else {
				t.Logf("%d allocations per request (budget %d)", n, budget)
			}
		})
	}
}

// fewestAllocs returns the fewest heap allocations of one call of f among
// runs calls. The fewest, not the mean: the race detector's sync.Pool drops
// items at random, and the ledger's writer allocates in the background now
// and then, so single calls may count more; a call in which neither happened
// counts exactly the request path's own allocations, with or without -race.
func fewestAllocs(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	fewest := uint64(math.MaxUint64)
	for range runs {
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		fewest = min(fewest, after.Mallocs-before.Mallocs)
	}
	return fewest
}

func anthropicBody(stream bool, size int, filler string) []byte {
	return benchBody(`{"model":"azure_openai/gpt-4o","max_tokens":256,"system":"You are a helpful assistant.","messages":[{"role":"user","content":"`,
		`"}],"stream":`+strconv.FormatBool(stream)+`}`, size, filler)
}

// BenchmarkAnthropicMessages is one non-streamed POST on the
// Anthropic-compatible surface.
func BenchmarkAnthropicMessages(b *testing.B) {
	h := benchHandler(b)
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runRequests(b, h, "/llm-gate/anthropic/v1/messages", anthropicBody(false, s.size, plainText), `"type":"message"`)
		})
	}
	b.Run("100KB_markdown", func(b *testing.B) {
		runRequests(b, h, "/llm-gate/anthropic/v1/messages", anthropicBody(false, 100<<10, markdownText), `"type":"message"`)
	})
}

// BenchmarkAnthropicMessagesStream is one streamed POST on the
// Anthropic-compatible surface, every chunk of the canned stream forwarded
// as its events.
func BenchmarkAnthropicMessagesStream(b *testing.B) {
	h := benchHandler(b)
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			runRequests(b, h, "/llm-gate/anthropic/v1/messages", anthropicBody(true, s.size, plainText), "event: message_stop")
		})
	}
}
