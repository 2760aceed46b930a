package bedrock

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestDecodeResponse(t *testing.T) {
	answer := func(finish llmgate.FinishReason, u llmgate.Usage, text string, calls ...llmgate.ToolCall) *llmgate.ChatResponse {
		m := llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: calls}
		if text != "" {
			m.Content = []llmgate.Part{llmgate.TextPart(text)}
		}
		return &llmgate.ChatResponse{Choices: []llmgate.Choice{{Message: m, FinishReason: finish}}, Usage: u}
	}
	tests := []struct {
		file string
		want *llmgate.ChatResponse
	}{
		{"converse_response_text.json", answer(llmgate.FinishStop,
			llmgate.Usage{PromptTokens: 12, CompletionTokens: 4, TotalTokens: 16}, "Hello there!")},
		// The reasoning block is left out; input documents become
		// argument text.
		{"converse_response_tool_use.json", answer(llmgate.FinishToolCalls,
			llmgate.Usage{PromptTokens: 380, CompletionTokens: 95, TotalTokens: 475}, "I'll check both.",
			llmgate.ToolCall{ID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", Name: "get_weather", Arguments: `{"city": "Boston", "unit": "celsius"}`},
			llmgate.ToolCall{ID: "tooluse_2", Name: "get_time", Arguments: `{}`})},
		{"converse_response_max_tokens.json", answer(llmgate.FinishLength,
			llmgate.Usage{PromptTokens: 9, CompletionTokens: 8, TotalTokens: 17}, "Once upon a time, in a")},
		{"converse_response_guardrail.json", answer(llmgate.FinishContentFilter,
			llmgate.Usage{PromptTokens: 20, TotalTokens: 20}, "Sorry, the model cannot answer this question.")},
		// Bedrock counts cache reads and writes apart from inputTokens.
		{"converse_response_cache.json", answer(llmgate.FinishStop,
			llmgate.Usage{PromptTokens: 3015, CompletionTokens: 9, TotalTokens: 3024, CachedTokens: 2000, CacheWriteTokens: 1000},
			"Summary: the contract renews yearly.")},
		// An unknown stop reason passes through; a missing total is summed.
		{"converse_response_no_total.json", answer("malformed_model_output",
			llmgate.Usage{PromptTokens: 15, CompletionTokens: 2, TotalTokens: 17, CachedTokens: 5}, "ok")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeResponse(providertest.ReadFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeResponseMalformed(t *testing.T) {
	for _, body := range []string{``, `{`, `[]`, `{"output":{}}`, `{"output":{"message":{"content":"text"}}}`} {
		if r, err := decodeResponse([]byte(body)); err == nil {
			t.Errorf("decodeResponse(%q) = %+v, want an error", body, r)
		}
	}
}

func TestFinishReason(t *testing.T) {
	tests := map[string]llmgate.FinishReason{
		"end_turn":                      llmgate.FinishStop,
		"stop_sequence":                 llmgate.FinishStop,
		"max_tokens":                    llmgate.FinishLength,
		"model_context_window_exceeded": llmgate.FinishLength,
		"tool_use":                      llmgate.FinishToolCalls,
		"guardrail_intervened":          llmgate.FinishContentFilter,
		"content_filtered":              llmgate.FinishContentFilter,
		"malformed_tool_use":            "malformed_tool_use",
	}
	for in, want := range tests {
		if got := finishReason(in); got != want {
			t.Errorf("finishReason(%q) = %q, want %q", in, got, want)
		}
	}
}
