package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/llmgate/llmgate"
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
		if _, err := encodeRequest(req, "claude-sonnet-4-5", DefaultMaxTokens, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamDecode(b *testing.B) {
	data := providertest.ReadFile(b, "stream_tool_use.sse")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	for b.Loop() {
		r.Reset(data)
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
}
