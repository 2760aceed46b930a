package gemini

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

var received = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func assistant(text string) llmgate.Message {
	m := llmgate.Message{Role: llmgate.RoleAssistant}
	if text != "" {
		m.Content = []llmgate.Part{llmgate.TextPart(text)}
	}
	return m
}

func TestDecodeChatResponse(t *testing.T) {
	calls := assistant("")
	calls.ToolCalls = []llmgate.ToolCall{
		{ID: "call_0__ts_CiIBVKhc7v-_9nSTa6Yd0Q", Name: "get_weather", Arguments: `{"city": "Paris", "unit": "celsius"}`},
		{ID: "call_1", Name: "get_time", Arguments: `{}`},
		{ID: "fc-7", Name: "ping", Arguments: `{}`},
	}
	tests := []struct {
		file string
		want *llmgate.ChatResponse
	}{
		{"response_text.json", &llmgate.ChatResponse{
			ID: "mdZ1aKzfHvq9nvgP5q2y4Aw", Created: received,
			Choices: []llmgate.Choice{{Message: assistant("Hello there!"), FinishReason: llmgate.FinishStop}},
			Usage:   llmgate.Usage{PromptTokens: 8, CompletionTokens: 3, TotalTokens: 11},
		}},
		{"response_function_call.json", &llmgate.ChatResponse{
			ID: "fc-response-1", Created: received,
			Choices: []llmgate.Choice{{Message: calls, FinishReason: llmgate.FinishToolCalls}},
			Usage:   llmgate.Usage{PromptTokens: 60, CompletionTokens: 52, TotalTokens: 112, ReasoningTokens: 32},
		}},
		{"response_max_tokens.json", &llmgate.ChatResponse{
			ID: "max-1", Created: received,
			Choices: []llmgate.Choice{{Message: assistant("Once upon a"), FinishReason: llmgate.FinishLength}},
			Usage:   llmgate.Usage{PromptTokens: 5, CompletionTokens: 4, TotalTokens: 9},
		}},
		// Thought summaries are not content; thinking counts as completion.
		{"response_thoughts.json", &llmgate.ChatResponse{
			ID: "thoughts-1", Created: received,
			Choices: []llmgate.Choice{
				{Message: assistant("42"), FinishReason: llmgate.FinishStop,
					Logprobs: json.RawMessage(`{"topCandidates": [{"candidates": [{"token": "42", "logProbability": -0.01}]}], "chosenCandidates": [{"token": "42", "logProbability": -0.01}]}`)},
				{Index: 1, Message: assistant("Forty-two"), FinishReason: llmgate.FinishStop},
			},
			Usage: llmgate.Usage{PromptTokens: 1200, CompletionTokens: 206, TotalTokens: 1406, CachedTokens: 1024, ReasoningTokens: 200},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeChatResponse(providertest.ReadFile(t, tt.file), received)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeChatResponseRefusals(t *testing.T) {
	tests := []struct {
		file string
		code llmgate.ErrorCode
		msg  string
	}{
		{"response_prompt_blocked.json", llmgate.EContentFiltered, "Gemini blocked the prompt (SAFETY)"},
		{"response_candidate_blocked.json", llmgate.EContentFiltered, "Gemini blocked the answer (SAFETY)"},
		{"response_malformed_call.json", llmgate.EUpstreamBadResponse, "MALFORMED_FUNCTION_CALL"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := decodeChatResponse(providertest.ReadFile(t, tt.file), received)
			e := llmgate.AsError(err)
			if e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("err = %v, want code %s and message with %q", err, tt.code, tt.msg)
			}
		})
	}
}

// One blocked candidate among answered ones is a choice with finish reason
// content_filter, not an error.
func TestDecodeChatResponsePartlyBlocked(t *testing.T) {
	body := `{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"},{"finishReason":"RECITATION","index":1}]}`
	got, err := decodeChatResponse([]byte(body), received)
	if err != nil {
		t.Fatal(err)
	}
	want := []llmgate.Choice{
		{Message: assistant("ok"), FinishReason: llmgate.FinishStop},
		{Index: 1, Message: assistant(""), FinishReason: llmgate.FinishContentFilter},
	}
	if diff := cmp.Diff(want, got.Choices); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestFinishReason(t *testing.T) {
	tests := []struct {
		in     string
		called bool
		want   llmgate.FinishReason
	}{
		{"", false, ""},
		{"STOP", false, llmgate.FinishStop},
		{"STOP", true, llmgate.FinishToolCalls},
		{"MAX_TOKENS", true, llmgate.FinishLength},
		{"SAFETY", false, llmgate.FinishContentFilter},
		{"RECITATION", false, llmgate.FinishContentFilter},
		{"BLOCKLIST", false, llmgate.FinishContentFilter},
		{"PROHIBITED_CONTENT", false, llmgate.FinishContentFilter},
		{"SPII", false, llmgate.FinishContentFilter},
		{"IMAGE_SAFETY", false, llmgate.FinishContentFilter},
		{"OTHER", false, llmgate.FinishStop},
		{"LANGUAGE", false, llmgate.FinishStop},
		{"MALFORMED_FUNCTION_CALL", false, llmgate.FinishStop},
		{"SOMETHING_NEW", true, llmgate.FinishToolCalls},
	}
	for _, tt := range tests {
		if got := finishReason(tt.in, tt.called); got != tt.want {
			t.Errorf("finishReason(%q, %v) = %q, want %q", tt.in, tt.called, got, tt.want)
		}
	}
}

func TestDecodeChatResponseMalformed(t *testing.T) {
	for _, body := range []string{`{"candidates":`, `<html></html>`, `{}`, `{"candidates":[]}`} {
		if _, err := decodeChatResponse([]byte(body), received); err == nil {
			t.Errorf("decodeChatResponse(%q) succeeded", body)
		}
	}
}

func TestDecodeEmbeddingResponse(t *testing.T) {
	inputs := []string{"first text", "second"}
	got, err := decodeEmbeddingResponse(providertest.ReadFile(t, "embed_response.json"), inputs)
	if err != nil {
		t.Fatal(err)
	}
	want := &llmgate.EmbeddingResponse{
		Data: []llmgate.Embedding{
			// Arrays of numbers keep their JSON text.
			{Index: 0, Vector: []float64{0.013168523, -0.008711934, -0.046782676}, JSON: []byte("[0.013168523, -0.008711934, -0.046782676]")},
			{Index: 1, Vector: []float64{-0.0215, 0.0044, 0.0312}, JSON: []byte("[-0.0215, 0.0044, 0.0312]")},
		},
		// ceil(10/4) + ceil(6/4)
		Usage: llmgate.Usage{PromptTokens: 5, TotalTokens: 5, Estimated: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if _, err := decodeEmbeddingResponse(providertest.ReadFile(t, "embed_response.json"), inputs[:1]); err == nil {
		t.Error("a count mismatch was accepted")
	}
	if _, err := decodeEmbeddingResponse([]byte(`{"embeddings":[{"values":[]}]}`), inputs[:1]); err == nil {
		t.Error("an empty vector was accepted")
	}
}
