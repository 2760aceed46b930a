package gemini

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestStream(t *testing.T) {
	chunk := func(id, model string, d ...llmgate.ChoiceDelta) *llmgate.ChatChunk {
		return &llmgate.ChatChunk{ID: id, Model: model, Created: received, Deltas: d}
	}
	usage := func(id, model string, u llmgate.Usage) *llmgate.ChatChunk {
		return &llmgate.ChatChunk{ID: id, Model: model, Created: received, Usage: &u}
	}
	const flash2, flash3 = "gemini-2.0-flash", "gemini-3-flash-preview"
	tests := []struct {
		file    string
		want    []*llmgate.ChatChunk
		wantErr error // io.EOF or an *llmgate.Error matched by code
		wantMsg string
	}{
		{"stream_text.sse", []*llmgate.ChatChunk{
			chunk("stream-1", flash2, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant, Content: "Hello"}),
			chunk("stream-1", flash2, llmgate.ChoiceDelta{Content: " world"}),
			chunk("stream-1", flash2, llmgate.ChoiceDelta{Content: "!", FinishReason: llmgate.FinishStop}),
			usage("stream-1", flash2, llmgate.Usage{PromptTokens: 7, CompletionTokens: 3, TotalTokens: 10}),
		}, io.EOF, ""},
		// The thought-only event is skipped; calls come whole, numbered.
		{"stream_function_call.sse", []*llmgate.ChatChunk{
			chunk("stream-fc", flash3, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant, FinishReason: llmgate.FinishToolCalls, ToolCalls: []llmgate.ToolCallDelta{
				{Index: 0, ID: "call_0__ts_Q2lJQlZL-_8", Name: "get_weather", Arguments: `{"city": "Paris"}`},
				{Index: 1, ID: "call_1", Name: "get_time", Arguments: `{}`},
			}}),
			usage("stream-fc", flash3, llmgate.Usage{PromptTokens: 50, CompletionTokens: 40, TotalTokens: 90, ReasoningTokens: 28}),
		}, io.EOF, ""},
		{"stream_cut.sse", []*llmgate.ChatChunk{
			chunk("stream-cut", flash2, llmgate.ChoiceDelta{Role: llmgate.RoleAssistant, Content: "Hel"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamConnection}, "stream ended before completion"},
		{"stream_error.sse", []*llmgate.ChatChunk{
			chunk("stream-err", "gemini-2.5-pro", llmgate.ChoiceDelta{Role: llmgate.RoleAssistant, Content: "Once upon"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamUnavailable}, "The model is overloaded"},
		{"stream_candidate_blocked.sse", nil, &llmgate.Error{Code: llmgate.EContentFiltered}, "Gemini blocked the answer (PROHIBITED_CONTENT)"},
		{"stream_prompt_blocked.sse", nil, &llmgate.Error{Code: llmgate.EContentFiltered}, "Gemini blocked the prompt (PROHIBITED_CONTENT)"},
	}
	for _, tt := range tests {
		for _, rd := range providertest.BodyReaders {
			t.Run(tt.file+"/"+rd.Name, func(t *testing.T) {
				body := &providertest.CloseCounter{Reader: rd.Wrap(bytes.NewReader(providertest.ReadFile(t, tt.file)))}
				s := newStream(context.Background(), body, "gemini", "", 4096, received)
				// A read buffer smaller than the lines sends every line
				// through the assembling path.
				s.r = bufio.NewReaderSize(body, 64)
				got, err := providertest.Drain(t, s)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("chunks mismatch (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
				}
				if _, again := s.Recv(); again != err {
					t.Errorf("second Recv after the end = %v, want the same %v", again, err)
				}
				if body.Closes != 1 {
					t.Errorf("body closed %d times, want 1", body.Closes)
				}
				if err := s.Close(); err != nil || body.Closes != 1 {
					t.Errorf("Close after the end: err %v, closes %d", err, body.Closes)
				}
			})
		}
	}
}

func TestStreamServedOnFirstChunk(t *testing.T) {
	s := newStream(context.Background(), io.NopCloser(bytes.NewReader(providertest.ReadFile(t, "stream_text.sse"))), "gemini", "", 0, received)
	s.served = &llmgate.Served{Model: "flash"}
	chunks, err := providertest.Drain(t, s)
	if err != io.EOF {
		t.Fatal(err)
	}
	for i, c := range chunks {
		if (c.Served != nil) != (i == 0) {
			t.Errorf("chunk %d Served = %v", i, c.Served)
		}
	}
}

func TestStreamEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		body string
		code llmgate.ErrorCode // "" means the stream ends with io.EOF
		n    int               // chunks before the end
	}{
		{"empty body", "", llmgate.EUpstreamConnection, 0},
		{"comments and other fields", ": keep-alive\nevent: message\nid: 1\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\n\n", "", 1},
		{"last event without blank line", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}", "", 1},
		{"data split over lines", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\ndata: \"finishReason\":\"STOP\"}]}\n\n", "", 1},
		{"malformed event", "data: {nope}\n\ndata: {}\n\n", llmgate.EUpstreamBadResponse, 0},
		{"second candidate unfinished", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"},{\"index\":1,\"content\":{\"parts\":[{\"text\":\"b\"}]}}]}\n\n", llmgate.EUpstreamConnection, 1},
		{"candidate index out of range", "data: {\"candidates\":[{\"index\":1000000000,\"finishReason\":\"STOP\"}]}\n\n", llmgate.EUpstreamBadResponse, 0},
		{"line too long", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" + strings.Repeat("x", 5000) + "\"}]}}]}\n\n", llmgate.EUpstreamBadResponse, 0},
		{"error with 429 and retry info", "data: {\"error\":{\"code\":429,\"message\":\"slow down\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"4s\"}]}}\n\n", llmgate.ERateLimited, 0},
		{"repeated finish reason", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\n\ndata: {\"candidates\":[{\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1}}\n\n", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStream(context.Background(), io.NopCloser(strings.NewReader(tt.body)), "gemini", "", 4096, received)
			chunks, err := providertest.Drain(t, s)
			if tt.code == "" {
				if err != io.EOF {
					t.Fatalf("err = %v, want io.EOF", err)
				}
			} else if llmgate.ErrorCodeOf(err) != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			if len(chunks) != tt.n {
				t.Errorf("got %d chunks, want %d", len(chunks), tt.n)
			}
		})
	}
}

func TestStreamRetryAfterInEvent(t *testing.T) {
	body := "data: {\"error\":{\"code\":429,\"message\":\"slow down\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"4s\"}]}}\n\n"
	s := newStream(context.Background(), io.NopCloser(strings.NewReader(body)), "gemini", "", 0, received)
	_, err := s.Recv()
	if e := llmgate.AsError(err); e.RetryAfter.Seconds() != 4 || e.Provider != "gemini" {
		t.Errorf("err = %+v, want RetryAfter 4s from provider gemini", e)
	}
}

// An error event that echoes the key must not reveal it.
func TestStreamRedactsKey(t *testing.T) {
	body := "data: {\"error\":{\"code\":400,\"message\":\"bad key " + testKey + "\",\"status\":\"INVALID_ARGUMENT\"}}\n\n"
	s := newStream(context.Background(), io.NopCloser(strings.NewReader(body)), "gemini", testKey, 0, received)
	_, err := s.Recv()
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Errorf("err = %v, want an error without the key", err)
	}
}

func TestStreamCloseStopsRecv(t *testing.T) {
	s := newStream(context.Background(), io.NopCloser(bytes.NewReader(providertest.ReadFile(t, "stream_text.sse"))), "gemini", "", 0, received)
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Recv(); llmgate.ErrorCodeOf(err) != llmgate.EClientClosed {
		t.Errorf("Recv after Close = %v, want %s", err, llmgate.EClientClosed)
	}
}

// streamSeeds returns every stream fixture, for the fuzz test.
func streamSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.sse"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no stream fixtures: %v", err)
	}
	var seeds [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzStreamParse feeds arbitrary bytes to the stream parser: it must never
// panic, must end with io.EOF or an *llmgate.Error, must keep returning that
// same ending, and must close the body once.
func FuzzStreamParse(f *testing.F) {
	for _, s := range streamSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		body := &providertest.CloseCounter{Reader: bytes.NewReader(data)}
		s := newStream(context.Background(), body, "gemini", "", 1024, received)
		s.r = bufio.NewReaderSize(body, 64)
		chunks, err := providertest.Drain(t, s)
		var e *llmgate.Error
		if err != io.EOF && !errors.As(err, &e) {
			t.Fatalf("ended with %T %v", err, err)
		}
		if err == io.EOF && len(chunks) == 0 {
			t.Fatal("a stream ended cleanly without a single chunk")
		}
		if _, again := s.Recv(); again != err {
			t.Fatalf("Recv after the end = %v, want %v", again, err)
		}
		if body.Closes != 1 {
			t.Fatalf("body closed %d times", body.Closes)
		}
	})
}

func BenchmarkStreamDecode(b *testing.B) {
	one := providertest.ReadFile(b, "stream_text.sse")
	// Many text events, then the finishing one.
	middle := bytes.SplitAfter(one, []byte("\r\n\r\n"))[1]
	data := append(bytes.Repeat(middle, 200), one...)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	for b.Loop() {
		r.Reset(data)
		s := newStream(context.Background(), io.NopCloser(r), "gemini", "", 0, received)
		if _, err := providertest.Drain(b, s); err != io.EOF {
			b.Fatal(err)
		}
	}
}
