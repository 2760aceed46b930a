package anthropic

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestDecodeResponse(t *testing.T) {
	assistant := func(text string, calls ...llmgate.ToolCall) llmgate.Message {
		m := llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: calls}
		if text != "" {
			m.Content = []llmgate.Part{llmgate.TextPart(text)}
		}
		return m
	}
	tests := []struct {
		file string
		want *llmgate.ChatResponse
	}{
		{"response_text.json", &llmgate.ChatResponse{
			ID:      "msg_013Zva2CMHLNnXjNJJKqJ2EF",
			Served:  llmgate.Served{Model: "claude-sonnet-4-5-20250929"},
			Choices: []llmgate.Choice{{Message: assistant("Hi! My name is Claude. How can I help?"), FinishReason: llmgate.FinishStop}},
			Usage:   llmgate.Usage{PromptTokens: 2095, CompletionTokens: 503, TotalTokens: 2598},
		}},
		// The thinking block is not part of the answer; its tokens are
		// reported as reasoning tokens.
		{"response_tool_use.json", &llmgate.ChatResponse{
			ID:     "msg_01Aq9w938a90dw8q",
			Served: llmgate.Served{Model: "claude-sonnet-4-5-20250929"},
			Choices: []llmgate.Choice{{Message: assistant("I'll check the weather in Paris and Rome.",
				llmgate.ToolCall{ID: "toolu_01A09q90qw90lq917835lq9", Name: "get_weather", Arguments: `{"location":"Paris, France","unit":"celsius"}`},
				llmgate.ToolCall{ID: "toolu_01B", Name: "get_time", Arguments: `{}`},
			), FinishReason: llmgate.FinishToolCalls}},
			Usage: llmgate.Usage{PromptTokens: 472, CompletionTokens: 91, TotalTokens: 563, ReasoningTokens: 12},
		}},
		{"response_max_tokens.json", &llmgate.ChatResponse{
			ID:      "msg_01MaxTok",
			Served:  llmgate.Served{Model: "claude-haiku-4-5-20251001"},
			Choices: []llmgate.Choice{{Message: assistant("Once upon a time, in a land far"), FinishReason: llmgate.FinishLength}},
			Usage:   llmgate.Usage{PromptTokens: 12, CompletionTokens: 10, TotalTokens: 22},
		}},
		{"response_refusal.json", &llmgate.ChatResponse{
			ID:      "msg_01Refusal",
			Served:  llmgate.Served{Model: "claude-sonnet-4-5-20250929"},
			Choices: []llmgate.Choice{{Message: assistant(""), FinishReason: llmgate.FinishContentFilter}},
			Usage:   llmgate.Usage{PromptTokens: 30, TotalTokens: 30},
		}},
		// Prompt tokens count the whole prompt: uncached, read from the
		// cache and written to it.
		{"response_cache.json", &llmgate.ChatResponse{
			ID:      "msg_01Cache",
			Served:  llmgate.Served{Model: "claude-sonnet-4-5-20250929"},
			Choices: []llmgate.Choice{{Message: assistant("The contract's term is five years."), FinishReason: llmgate.FinishStop}},
			Usage:   llmgate.Usage{PromptTokens: 21 + 1800 + 188, CompletionTokens: 393, TotalTokens: 21 + 1800 + 188 + 393, CachedTokens: 1800, CacheWriteTokens: 188},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeResponse(providertest.ReadFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinishReason(t *testing.T) {
	for in, want := range map[string]llmgate.FinishReason{
		"end_turn":                      llmgate.FinishStop,
		"stop_sequence":                 llmgate.FinishStop,
		"max_tokens":                    llmgate.FinishLength,
		"model_context_window_exceeded": llmgate.FinishLength,
		"tool_use":                      llmgate.FinishToolCalls,
		"refusal":                       llmgate.FinishContentFilter,
		"pause_turn":                    "pause_turn",
		"something_new":                 "something_new",
		"":                              "",
	} {
		if got := finishReason(in); got != want {
			t.Errorf("finishReason(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeResponseMalformed(t *testing.T) {
	for _, body := range []string{
		`not json`,
		`{"content":[{"type":"tool_use","id":"t","name":"f","input":{"a":}}]}`,
		`{"content":"text"}`,
	} {
		if _, err := decodeResponse([]byte(body)); err == nil {
			t.Errorf("decodeResponse(%s) succeeded, want an error", body)
		}
	}
}
