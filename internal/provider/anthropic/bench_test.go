package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func BenchmarkRequestEncode(b *testing.B) {
	req := &llmgate.ChatRequest{
		Messages: []llmgate.Message{
			text(llmgate.RoleSystem, "You are a helpful assistant."),
			text(llmgate.RoleUser, "What is the weather in Paris?"),
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "toolu_1", Name: "get_weather", Arguments: `{"location":"Paris"}`}}},
			{Role: llmgate.RoleTool, ToolCallID: "toolu_1", Content: []llmgate.Part{llmgate.TextPart("15 degrees")}},
			text(llmgate.RoleUser, "Thanks. And tomorrow?"),
		},
		Params: llmgate.ChatParams{
			MaxTokens: ptr(512), Temperature: ptr(0.2),
			Tools: []llmgate.Tool{{Name: "get_weather", Description: "Weather", Parameters: json.RawMessage(weatherSchema)}},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeRequest(req, "claude-sonnet-4-5", DefaultMaxTokens, true, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamDecode decodes a whole stream: one with text and tool
// calls, and a text answer of 100 deltas, the usual stream.
func BenchmarkStreamDecode(b *testing.B) {
	var text strings.Builder
	text.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n")
	text.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
	for range 100 {
		text.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" word\"}}\n\n")
	}
	text.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
	text.WriteString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":100}}\n\n")
	text.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"tool_use", providertest.ReadFile(b, "stream_tool_use.sse")},
		{"text_100", []byte(text.String())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			r := bytes.NewReader(bc.data)
			for b.Loop() {
				r.Reset(bc.data)
				s := newStream(context.Background(), io.NopCloser(r), "anthropic", "", 0)
				for {
					if _, err := s.Recv(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}

// BenchmarkRequestEncodeLarge encodes a request whose user message is a
// 100 KB prompt, plain and with the escapes of markdown; the last case's
// prompt was read from a client's body, whose JSON form of it is copied.
func BenchmarkRequestEncodeLarge(b *testing.B) {
	const markdown = "## Usage\n\tclient.chat(\"hi\")\nReturns a \"reply\"; see the café menu (東京).\n"
	for _, tc := range []struct {
		name, unit string
		literal    bool
	}{
		{"100KB", "The quick brown fox jumps over the lazy dog. ", false},
		{"100KB_markdown", markdown, false},
		{"100KB_markdown_from_client", markdown, true},
	} {
		prompt := strings.Repeat(tc.unit, 100<<10/len(tc.unit))
		var lits *jsonscan.Literals
		if tc.literal {
			lits = new(jsonscan.Literals)
			body, _ := json.Marshal(prompt)
			s := jsonscan.NewLent(body, lits)
			prompt = s.Text()
		}
		req := &llmgate.ChatRequest{Messages: []llmgate.Message{
			text(llmgate.RoleSystem, "You are a helpful assistant."),
			text(llmgate.RoleUser, prompt),
		}}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(100 << 10)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeRequest(req, "claude-sonnet-4-5", DefaultMaxTokens, false, lits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
