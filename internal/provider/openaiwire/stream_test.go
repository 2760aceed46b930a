package openaiwire

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestChatStream(t *testing.T) {
	openAI := func(id string, created int64, model string) llmgate.ChatChunk {
		return llmgate.ChatChunk{ID: id, Created: time.Unix(created, 0).UTC(), Model: model}
	}
	with := func(c llmgate.ChatChunk, d ...llmgate.ChoiceDelta) *llmgate.ChatChunk {
		c.Deltas = d
		return &c
	}
	withUsage := func(c llmgate.ChatChunk, u llmgate.Usage) *llmgate.ChatChunk {
		c.Usage = &u
		return &c
	}
	text := openAI("chatcmpl-123", 1694268190, "gpt-4o-mini")
	tool := openAI("chatcmpl-tool", 1700000000, "gpt-4o-2024-08-06")
	az := openAI("chatcmpl-AzureXYZ", 1730000000, "gpt-4o-2024-08-06")

	tests := []struct {
		file    string
		want    []*llmgate.ChatChunk
		wantErr error // io.EOF or an *llmgate.Error matched by code
		wantMsg string
	}{
		{"stream_text.sse", []*llmgate.ChatChunk{
			with(text, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(text, llmgate.ChoiceDelta{Content: "Hello"}),
			with(text, llmgate.ChoiceDelta{Content: " world"}),
			with(text, llmgate.ChoiceDelta{Content: "!"}),
			with(text, llmgate.ChoiceDelta{FinishReason: llmgate.FinishStop}),
			withUsage(text, llmgate.Usage{PromptTokens: 9, CompletionTokens: 3, TotalTokens: 12}),
		}, io.EOF, ""},
		{"stream_tool_call.sse", []*llmgate.ChatChunk{
			with(tool, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCallDelta{{ID: "call_DdmO9pD3xa9XTPNJ32zg2hcA", Name: "get_weather"}}}),
			with(tool, llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Arguments: `{"lo`}}}),
			with(tool, llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Arguments: `cation":"Paris"}`}}}),
			with(tool, llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 1, ID: "call_2", Name: "get_time", Arguments: "{}"}}}),
			with(tool, llmgate.ChoiceDelta{FinishReason: llmgate.FinishToolCalls}),
			withUsage(tool, llmgate.Usage{PromptTokens: 60, CompletionTokens: 25, TotalTokens: 85}),
		}, io.EOF, ""},
		// The prompt filter chunk and the trailing filter-only chunk are
		// skipped; CRLF line endings are accepted.
		{"stream_azure.sse", []*llmgate.ChatChunk{
			with(az, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(az, llmgate.ChoiceDelta{Content: "Bonjour"}),
			with(az, llmgate.ChoiceDelta{Content: " !"}),
			with(az, llmgate.ChoiceDelta{FinishReason: llmgate.FinishStop}),
			withUsage(az, llmgate.Usage{PromptTokens: 11, CompletionTokens: 3, TotalTokens: 14}),
		}, io.EOF, ""},
		{"stream_cut.sse", []*llmgate.ChatChunk{
			with(text, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(text, llmgate.ChoiceDelta{Content: "Hel"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamConnection}, "stream ended before completion"},
		{"stream_error.sse", []*llmgate.ChatChunk{
			with(text, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(text, llmgate.ChoiceDelta{Content: "Once upon"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamError}, "The server had an error while processing your request. Sorry about that!"},
		{"stream_event_error.sse", nil, &llmgate.Error{Code: llmgate.ERateLimited}, "Rate limit reached for requests"},
	}
	for _, tt := range tests {
		for _, rd := range providertest.BodyReaders {
			t.Run(tt.file+"/"+rd.Name, func(t *testing.T) {
				body := &providertest.CloseCounter{Reader: rd.Wrap(bytes.NewReader(providertest.ReadFile(t, tt.file)))}
				s := newChatStream(context.Background(), body, "openai", "", 4096)
				// A read buffer smaller than the lines sends every line
				// through the assembling path.
				s.r = bufio.NewReaderSize(body, 64)
				got, err := providertest.Drain(t, s)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("chunks mismatch (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("final error = %v, want %v", err, tt.wantErr)
				}
				var e *llmgate.Error
				if errors.As(err, &e) && (e.Message != tt.wantMsg || e.Provider != "openai") {
					t.Errorf("error = %q from %q, want %q from openai", e.Message, e.Provider, tt.wantMsg)
				}
				if _, again := s.Recv(); again != err {
					t.Errorf("Recv after the end = %v, want the same %v", again, err)
				}
				if body.Closes != 1 {
					t.Errorf("body closed %d times at the end, want 1", body.Closes)
				}
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if err := s.Close(); err != nil || body.Closes != 1 {
					t.Errorf("second Close = %v, body closed %d times; want nil and 1", err, body.Closes)
				}
			})
		}
	}
}

func TestChatStreamServedOnFirstChunkOnly(t *testing.T) {
	s := newChatStream(context.Background(), io.NopCloser(bytes.NewReader(providertest.ReadFile(t, "stream_azure.sse"))), "azure_openai", "", 0)
	s.served = &llmgate.Served{Model: "gpt-4o", Upstream: 42 * time.Millisecond}
	got, err := providertest.Drain(t, s)
	if err != io.EOF {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&llmgate.Served{Model: "gpt-4o", Upstream: 42 * time.Millisecond}, got[0].Served); diff != "" {
		t.Errorf("first chunk's Served (-want +got):\n%s", diff)
	}
	for i, c := range got[1:] {
		if c.Served != nil {
			t.Errorf("chunk %d has Served %+v, want nil", i+1, c.Served)
		}
	}
}

func TestChatStreamSSEDetails(t *testing.T) {
	chunk := `{"id":"x","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}`
	tests := []struct {
		name    string
		body    string
		want    []string // contents of the chunks
		wantErr llmgate.ErrorCode
	}{
		{"comments and other fields", ": keep-alive\nid: 7\nretry: 100\nevent: message\ndata: " + chunk + "\n\n: bye\ndata: [DONE]\n\n", []string{"a"}, ""},
		{"no space after colon", "data:" + chunk + "\n\ndata:[DONE]\n\n", []string{"a"}, ""},
		{"done without blank line", "data: " + chunk + "\n\ndata: [DONE]", []string{"a"}, ""},
		{"multi-line data joined", "data: {\"id\":\"x\",\"choices\":\ndata: [{\"delta\":{\"content\":\"b\"}}]}\n\ndata: [DONE]\n\n", []string{"b"}, ""},
		{"extra blank lines", "\n\n\ndata: " + chunk + "\n\n\n\ndata: [DONE]\n\n", []string{"a"}, ""},
		{"empty body", "", nil, llmgate.EUpstreamConnection},
		{"event cut before blank line", "data: " + chunk, nil, llmgate.EUpstreamConnection},
		{"malformed JSON", "data: {not json}\n\n", nil, llmgate.EUpstreamBadResponse},
		{"error event without wrapper", "event: error\ndata: {\"message\":\"overloaded\",\"type\":\"server_error\"}\n\n", nil, llmgate.EUpstreamError},
		{"error event unreadable", "event: error\ndata: nope\n\n", nil, llmgate.EUpstreamError},
		{"context length in stream", `data: {"error":{"message":"too long","code":"context_length_exceeded"}}` + "\n\n", nil, llmgate.EContextLengthExceeded},
		{"content filter in stream", `data: {"error":{"message":"filtered","code":"content_filter"}}` + "\n\n", nil, llmgate.EContentFiltered},
		{"invalid request in stream", `data: {"error":{"message":"bad","type":"invalid_request_error"}}` + "\n\n", nil, llmgate.EUpstreamBadRequest},
		{"line too long", "data: " + strings.Repeat("x", 300) + "\n\n", nil, llmgate.EUpstreamBadResponse},
		{"event data too long", strings.Repeat("data: "+strings.Repeat("x", 100)+"\n", 4) + "\n", nil, llmgate.EUpstreamBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newChatStream(context.Background(), io.NopCloser(strings.NewReader(tt.body)), "openai", "", 256)
			got, err := providertest.Drain(t, s)
			var contents []string
			for _, c := range got {
				contents = append(contents, c.Deltas[0].Content)
			}
			if diff := cmp.Diff(tt.want, contents); diff != "" {
				t.Errorf("contents (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				if err != io.EOF {
					t.Errorf("err = %v, want io.EOF", err)
				}
			} else if !errors.Is(err, &llmgate.Error{Code: tt.wantErr}) {
				t.Errorf("err = %v, want code %s", err, tt.wantErr)
			}
		})
	}
}

func TestChatStreamLongLine(t *testing.T) {
	long := strings.Repeat("é", 100_000) // 200 kB, far past the read buffer
	body := `data: {"id":"x","choices":[{"delta":{"content":"` + long + `"}}]}` + "\n\ndata: [DONE]\n\n"
	s := newChatStream(context.Background(), io.NopCloser(iotest.HalfReader(strings.NewReader(body))), "openai", "", 0)
	got, err := providertest.Drain(t, s)
	if err != io.EOF || len(got) != 1 || got[0].Deltas[0].Content != long {
		t.Fatalf("got %d chunks, err %v; want the long content and io.EOF", len(got), err)
	}
}

func TestChatStreamClose(t *testing.T) {
	body := &providertest.CloseCounter{Reader: bytes.NewReader(providertest.ReadFile(t, "stream_text.sse"))}
	s := newChatStream(context.Background(), body, "openai", "", 0)
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Recv()
	if !errors.Is(err, &llmgate.Error{Code: llmgate.EClientClosed}) {
		t.Errorf("Recv after Close = %v, want %s", err, llmgate.EClientClosed)
	}
	if err := s.Close(); err != nil || body.Closes != 1 {
		t.Errorf("second Close = %v with %d closes, want nil and 1", err, body.Closes)
	}
}

func TestChatStreamRedactsSecret(t *testing.T) {
	const key = "azure-key-0123456789abcdef"
	body := `data: {"error":{"message":"bad key ` + key + ` for https://u:p@x.example.com/?api-key=` + key + `","type":"server_error"}}` + "\n\n"
	s := newChatStream(context.Background(), io.NopCloser(strings.NewReader(body)), "azure_openai", key, 0)
	_, err := s.Recv()
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "u:p@") {
		t.Errorf("error leaks a credential: %v", err)
	}
}

// sseSeeds are the recorded streams the fuzzer starts from.
func sseSeeds(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "stream_*.sse"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed streams: %v", err)
	}
	var seeds [][]byte
	for _, name := range files {
		seeds = append(seeds, providertest.ReadFile(f, filepath.Base(name)))
	}
	return seeds
}

// FuzzSSEStream checks that the stream parser never panics, always ends, and
// ends with io.EOF or an *llmgate.Error.
func FuzzSSEStream(f *testing.F) {
	for _, s := range sseSeeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Add([]byte("data: [DONE]"), false)
	f.Add([]byte(":\r\n\r\nevent: error\ndata: {}\n\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, oneByte bool) {
		var r io.Reader = bytes.NewReader(data)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		s := newChatStream(context.Background(), io.NopCloser(r), "openai", "", 512)
		// Every Recv consumes at least one line, so the stream must end
		// within a call per byte.
		for range len(data) + 2 {
			c, err := s.Recv()
			if err == nil {
				if c == nil {
					t.Fatal("nil chunk without error")
				}
				continue
			}
			var e *llmgate.Error
			if err != io.EOF && !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is neither io.EOF nor *llmgate.Error", err, err)
			}
			if _, again := s.Recv(); again != err {
				t.Fatalf("error not sticky: %v then %v", err, again)
			}
			return
		}
		t.Fatalf("stream of %d bytes did not end", len(data))
	})
}

func BenchmarkStreamDecode(b *testing.B) {
	body := providertest.ReadFile(b, "stream_text.sse")
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		s := newChatStream(context.Background(), io.NopCloser(rd), "openai", "", 0)
		for {
			_, err := s.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestStreamReusesItsChunk checks that a stream returns every chunk in the
// same memory (llmgate.ChatStream allows it), so that an answer does not
// allocate a chunk per token: what is left per chunk is its text.
func TestStreamReusesItsChunk(t *testing.T) {
	var sb strings.Builder
	const words = 200
	for i := range words {
		fmt.Fprintf(&sb, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w%d\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n", i%10)
	}
	sb.WriteString("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":200,\"total_tokens\":209}}\n\ndata: [DONE]\n\n")
	body := []byte(sb.String())
	rd := bytes.NewReader(body)
	var first *llmgate.ChatChunk
	drain := func() {
		rd.Reset(body)
		s := newChatStream(context.Background(), io.NopCloser(rd), "openai", "", 0)
		n := 0
		for {
			c, err := s.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				first = c
			} else if c != first {
				t.Fatalf("chunk %d is a new chunk", n)
			}
			n++
		}
		if n != words+1 {
			t.Fatalf("%d chunks, want %d", n, words+1)
		}
	}
	allocs := testing.AllocsPerRun(20, drain)
	// One per word (its text), and the stream's own setup.
	if perWord := allocs / words; perWord > 1.1 {
		t.Errorf("%.0f allocations for %d chunks: %.2f per chunk, want at most 1.1", allocs, words, perWord)
	}
}
