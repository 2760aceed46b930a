package anthropic

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
	msg := func(id, model string) func(...llmgate.ChoiceDelta) *llmgate.ChatChunk {
		return func(d ...llmgate.ChoiceDelta) *llmgate.ChatChunk {
			return &llmgate.ChatChunk{ID: id, Model: model, Deltas: d}
		}
	}
	withUsage := func(c *llmgate.ChatChunk, u llmgate.Usage) *llmgate.ChatChunk {
		c.Usage = &u
		return c
	}
	text := msg("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "claude-sonnet-4-5-20250929")
	tool := msg("msg_014p7gG3wDgGV9EUtLvnow3U", "claude-sonnet-4-5-20250929")
	ping := msg("msg_ping", "claude-haiku-4-5")
	errm := msg("msg_err", "claude-sonnet-4-5-20250929")
	cut := msg("msg_cut", "claude-sonnet-4-5-20250929")
	role := llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}

	tests := []struct {
		file    string
		want    []*llmgate.ChatChunk
		wantErr error // io.EOF or an *llmgate.Error matched by code
		wantMsg string
	}{
		{"stream_text.sse", []*llmgate.ChatChunk{
			text(role),
			text(llmgate.ChoiceDelta{Content: "Hello"}),
			text(llmgate.ChoiceDelta{Content: "!"}),
			text(llmgate.ChoiceDelta{FinishReason: llmgate.FinishStop}),
			withUsage(text(), llmgate.Usage{PromptTokens: 25, CompletionTokens: 15, TotalTokens: 40}),
		}, io.EOF, ""},
		// Thinking deltas are skipped; tool input split across events
		// arrives as pieces of the tool's arguments, indexed by the tool's
		// ordinal (0, 1), not the block's (2, 3).
		{"stream_tool_use.sse", []*llmgate.ChatChunk{
			tool(role),
			tool(llmgate.ChoiceDelta{Content: "Checking."}),
			tool(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, ID: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", Name: "get_weather"}}}),
			tool(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, Arguments: `{"location":`}}}),
			tool(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, Arguments: ` "San Francisco, CA"}`}}}),
			tool(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 1, ID: "toolu_02", Name: "get_time"}}}),
			tool(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 1, Arguments: `{}`}}}),
			tool(llmgate.ChoiceDelta{FinishReason: llmgate.FinishToolCalls}),
			withUsage(tool(), llmgate.Usage{PromptTokens: 472 + 100 + 50, CompletionTokens: 89, TotalTokens: 472 + 100 + 50 + 89, CachedTokens: 100, CacheWriteTokens: 50}),
		}, io.EOF, ""},
		// CRLF line endings, comments, pings and unknown events; the last
		// message_stop lacks its blank line.
		{"stream_ping.sse", []*llmgate.ChatChunk{
			ping(role),
			ping(llmgate.ChoiceDelta{Content: "Pong"}),
			ping(llmgate.ChoiceDelta{FinishReason: llmgate.FinishLength}),
			withUsage(ping(), llmgate.Usage{PromptTokens: 8, CompletionTokens: 1, TotalTokens: 9}),
		}, io.EOF, ""},
		{"stream_error.sse", []*llmgate.ChatChunk{
			errm(role),
			errm(llmgate.ChoiceDelta{Content: "Once upon"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamUnavailable}, "Overloaded"},
		{"stream_cut.sse", []*llmgate.ChatChunk{
			cut(role),
			cut(llmgate.ChoiceDelta{Content: "Hel"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamConnection}, "stream ended before completion"},
	}
	for _, tt := range tests {
		for _, rd := range providertest.BodyReaders {
			t.Run(tt.file+"/"+rd.Name, func(t *testing.T) {
				body := &providertest.CloseCounter{Reader: rd.Wrap(bytes.NewReader(providertest.ReadFile(t, tt.file)))}
				s := newStream(context.Background(), body, "anthropic", "", 4096)
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
				var e *llmgate.Error
				if errors.As(err, &e) {
					if !strings.Contains(e.Message, tt.wantMsg) || e.Provider != "anthropic" {
						t.Errorf("error %q from %q, want a message containing %q from anthropic", e.Message, e.Provider, tt.wantMsg)
					}
				}
				if body.Closes != 1 {
					t.Errorf("body closed %d times at the end of the stream, want 1", body.Closes)
				}
				// The end is sticky, and Close stays harmless.
				if _, again := s.Recv(); again != err {
					t.Errorf("second Recv err = %v, want %v", again, err)
				}
				if err := s.Close(); err != nil || body.Closes != 1 {
					t.Errorf("Close = %v with %d closes, want nil and 1", err, body.Closes)
				}
			})
		}
	}
}

func TestStreamServedOnFirstChunk(t *testing.T) {
	s := newStream(context.Background(), io.NopCloser(bytes.NewReader(providertest.ReadFile(t, "stream_text.sse"))), "anthropic", "", 0)
	s.served = &llmgate.Served{Model: "claude-sonnet-4-5"}
	got, err := providertest.Drain(t, s)
	if err != io.EOF {
		t.Fatal(err)
	}
	if got[0].Served == nil || got[0].Served.Model != "claude-sonnet-4-5" {
		t.Errorf("first chunk Served = %+v, want the catalog model", got[0].Served)
	}
	for _, c := range got[1:] {
		if c.Served != nil {
			t.Errorf("a later chunk carries Served %+v", c.Served)
		}
	}
}

func TestStreamMalformed(t *testing.T) {
	start := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1}}}\n\n"
	tests := []struct {
		name  string
		input string
		code  llmgate.ErrorCode
	}{
		{"bad_json", start + "data: {nope\n\n", llmgate.EUpstreamBadResponse},
		{"input_for_unknown_block", start + "data: {\"type\":\"content_block_delta\",\"index\":4,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n", llmgate.EUpstreamBadResponse},
		{"line_too_long", start + "data: \"" + strings.Repeat("x", 5000) + "\"\n\n", llmgate.EUpstreamBadResponse},
		{"data_too_long", start + strings.Repeat("data: "+strings.Repeat("y", 100)+"\n", 50) + "\n", llmgate.EUpstreamBadResponse},
		{"empty", "", llmgate.EUpstreamConnection},
		{"error_without_detail", "event: error\ndata: {\"type\":\"error\"}\n\n", llmgate.EUpstreamError},
		{"error_event_by_name", "event: error\ndata: {\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n", llmgate.ERateLimited},
		{"stream_prompt_too_long", "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 300000 tokens > 200000 maximum\"}}\n\n", llmgate.EContextLengthExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStream(context.Background(), io.NopCloser(strings.NewReader(tt.input)), "anthropic", "", 4096)
			_, err := providertest.Drain(t, s)
			if got := llmgate.ErrorCodeOf(err); got != tt.code {
				t.Errorf("code = %q, want %q (%v)", got, tt.code, err)
			}
		})
	}
}

// TestStreamCloseUnblocksRecv closes the stream from another goroutine
// while Recv waits for data that never comes.
func TestStreamCloseUnblocksRecv(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	s := newStream(context.Background(), pr, "anthropic", "", 0)
	done := make(chan error, 1)
	go func() {
		_, err := s.Recv()
		done <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; llmgate.ErrorCodeOf(err) != llmgate.EClientClosed {
		t.Errorf("Recv after Close = %v, want %s", err, llmgate.EClientClosed)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// FuzzStreamDecode feeds arbitrary bytes to the event parser: it must end
// every stream with a chunk sequence and io.EOF or an *llmgate.Error, never
// panic and never loop.
func FuzzStreamDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "stream_*.sse"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("data: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"tool_use\"}}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newStream(context.Background(), io.NopCloser(bytes.NewReader(data)), "anthropic", "", 1024)
		// Every Recv that returns a chunk consumes at least one event,
		// hence some bytes; more calls than bytes means a loop.
		for range len(data) + 2 {
			c, err := s.Recv()
			if err != nil {
				var e *llmgate.Error
				if err != io.EOF && !errors.As(err, &e) {
					t.Fatalf("Recv error %T %v, want io.EOF or *llmgate.Error", err, err)
				}
				return
			}
			if c == nil {
				t.Fatal("Recv returned neither a chunk nor an error")
			}
		}
		t.Fatal("stream did not end")
	})
}
