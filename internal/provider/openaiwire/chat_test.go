package openaiwire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func ptr[T any](v T) *T { return &v }

// Requests shared by the translation tests and the benchmarks.
var (
	simpleChat = &llmgate.ChatRequest{
		Provider: "openai",
		Model:    "gpt-4o",
		Messages: []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("You are terse.")}},
			{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("Say hello.")}},
		},
		Params: llmgate.ChatParams{Temperature: ptr(0.0), MaxTokens: ptr(64)},
	}
	allParamsChat = &llmgate.ChatRequest{
		Model: "gpt-4o",
		Messages: []llmgate.Message{
			{Role: llmgate.RoleDeveloper, Content: []llmgate.Part{llmgate.TextPart("Answer in JSON.")}},
			{Role: llmgate.RoleUser, Name: "alice", Content: []llmgate.Part{llmgate.TextPart("Weather in Paris?")}},
		},
		Params: llmgate.ChatParams{
			Temperature:      ptr(0.7),
			MaxTokens:        ptr(256),
			TopP:             ptr(0.9),
			Stop:             []string{"\n\n", "END"},
			PresencePenalty:  ptr(0.5),
			FrequencyPenalty: ptr(-0.5),
			Seed:             ptr(int64(42)),
			N:                ptr(2),
			User:             "user-1234",
			ResponseFormat: &llmgate.ResponseFormat{
				Type:   "json_schema",
				Name:   "weather",
				Schema: json.RawMessage(`{"type":"object","properties":{"temp":{"type":"number"}},"required":["temp"],"additionalProperties":false}`),
				Strict: ptr(true),
			},
			Tools: []llmgate.Tool{{
				Name:        "get_weather",
				Description: "Current weather of a city.",
				Parameters:  json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
				Strict:      ptr(false),
			}, {
				Name: "no_args",
			}},
			ToolChoice:        &llmgate.ToolChoice{Mode: "function", Name: "get_weather"},
			ParallelToolCalls: ptr(false),
			Logprobs:          ptr(true),
			TopLogprobs:       ptr(3),
		},
		Stream: true,
	}
	visionChat = &llmgate.ChatRequest{
		Model: "gpt-4o",
		Messages: []llmgate.Message{{
			Role: llmgate.RoleUser,
			Content: []llmgate.Part{
				llmgate.TextPart("What is in these images?"),
				{Type: llmgate.PartImage, ImageURL: "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg", ImageDetail: "high"},
				{Type: llmgate.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="},
			},
		}},
		Params: llmgate.ChatParams{MaxTokens: ptr(300)},
	}
	toolRoundTripChat = &llmgate.ChatRequest{
		Model: "gpt-4o-mini",
		Messages: []llmgate.Message{
			{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("Weather in Boston and the time?")}},
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{
				{ID: "call_abc123", Name: "get_current_weather", Arguments: `{"location":"Boston, MA"}`},
				{ID: "call_def456", Name: "get_current_time", Arguments: `{}`},
			}},
			{Role: llmgate.RoleTool, ToolCallID: "call_abc123", Content: []llmgate.Part{llmgate.TextPart(`{"temp":22}`)}},
			{Role: llmgate.RoleTool, ToolCallID: "call_def456", Content: []llmgate.Part{llmgate.TextPart("14:05")}},
			{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Let me also check."), llmgate.TextPart(" One moment.")}},
			{Role: llmgate.RoleUser},
		},
		Params: llmgate.ChatParams{
			Tools:          []llmgate.Tool{{Name: "get_current_weather", Parameters: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}}}`)}},
			ToolChoice:     &llmgate.ToolChoice{Mode: "required"},
			ResponseFormat: &llmgate.ResponseFormat{Type: "json_object"},
		},
	}
)

func TestEncodeChatRequest(t *testing.T) {
	tests := []struct {
		name   string
		req    *llmgate.ChatRequest
		opts   ChatOptions
		stream bool
	}{
		{"simple", simpleChat, ChatOptions{Model: "gpt-4o-2024-08-06"}, false},
		{"all_params_stream", allParamsChat, ChatOptions{Model: "gpt-4o"}, true},
		{"vision", visionChat, ChatOptions{Model: "gpt-4o"}, false},
		{"tool_round_trip", toolRoundTripChat, ChatOptions{Model: "gpt-4o-mini"}, false},
		// Azure: the deployment is in the URL, so no model field; the
		// request's own Stream flag does not override the method's choice.
		{"azure_no_model", allParamsChat, ChatOptions{}, false},
		{"max_completion_tokens", simpleChat, ChatOptions{Model: "o3-mini", MaxCompletionTokens: true}, false},
		{"schema_without_name", &llmgate.ChatRequest{
			Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("hi")}}},
			Params: llmgate.ChatParams{
				ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{"type":"object"}`)},
				ToolChoice:     &llmgate.ToolChoice{Mode: "none"},
			},
		}, ChatOptions{Model: "gpt-4o"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := encodeChatRequest(tt.req, tt.opts, tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			providertest.CheckGolden(t, "chat_request_"+tt.name+".golden.json", got)
		})
	}
}

func TestEncodeChatRequestOmitsUnset(t *testing.T) {
	got, _, err := encodeChatRequest(&llmgate.ChatRequest{
		Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("hi")}}},
	}, ChatOptions{Model: "m"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestEncodeChatRequestErrors(t *testing.T) {
	tests := []struct {
		name string
		req  *llmgate.ChatRequest
	}{
		{"unknown part type", &llmgate.ChatRequest{Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: "audio"}, llmgate.TextPart("x")}}}}},
		{"unknown tool choice", &llmgate.ChatRequest{Params: llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{Mode: "sometimes"}}}},
		{"invalid schema JSON", &llmgate.ChatRequest{Params: llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f", Parameters: json.RawMessage(`{`)}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := encodeChatRequest(tt.req, ChatOptions{Model: "m"}, false)
			if !errors.Is(err, &llmgate.Error{Code: llmgate.EInvalidRequest}) {
				t.Errorf("err = %v, want code %s", err, llmgate.EInvalidRequest)
			}
		})
	}
}

func TestDecodeChatResponse(t *testing.T) {
	tests := []struct {
		file string
		want *llmgate.ChatResponse
	}{
		{"chat_response_text.json", &llmgate.ChatResponse{
			ID:      "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
			Created: time.Unix(1741569952, 0).UTC(),
			Choices: []llmgate.Choice{{
				Message:      llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Hello! How can I assist you today?")}},
				FinishReason: llmgate.FinishStop,
			}},
			Usage:             llmgate.Usage{PromptTokens: 1117, CompletionTokens: 46, TotalTokens: 1163, CachedTokens: 1024},
			SystemFingerprint: "fp_fc9f1d7035",
		}},
		{"chat_response_tool_calls.json", &llmgate.ChatResponse{
			ID:      "chatcmpl-abc123",
			Created: time.Unix(1699896916, 0).UTC(),
			Choices: []llmgate.Choice{{
				Message: llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{
					{ID: "call_abc123", Name: "get_current_weather", Arguments: "{\n\"location\": \"Boston, MA\"\n}"},
					{ID: "call_def456", Name: "get_current_time", Arguments: `{"timezone":"America/New_York"}`},
				}},
				FinishReason: llmgate.FinishToolCalls,
			}},
			Usage: llmgate.Usage{PromptTokens: 82, CompletionTokens: 17, TotalTokens: 99},
		}},
		{"chat_response_reasoning_logprobs.json", &llmgate.ChatResponse{
			ID:      "chatcmpl-AyPJmTg1JrFmnF5kX3YHzWUkpbJuM",
			Created: time.Unix(1738960610, 0).UTC(),
			Choices: []llmgate.Choice{{
				Message:      llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Yes")}},
				FinishReason: llmgate.FinishLength,
				Logprobs:     json.RawMessage(`{"content": [{"token": "Yes", "logprob": -0.0001, "bytes": [89, 101, 115], "top_logprobs": []}], "refusal": null}`),
			}, {
				Index:        1,
				Message:      llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("No")}},
				FinishReason: "some_new_reason",
			}},
			Usage: llmgate.Usage{PromptTokens: 14, CompletionTokens: 1090, TotalTokens: 1104, ReasoningTokens: 1088},
		}},
		{"chat_response_azure.json", &llmgate.ChatResponse{
			ID:      "chatcmpl-AMH5JPGx1Dxs9pQBGJ9bq5O7vAAAA",
			Created: time.Unix(1730000000, 0).UTC(),
			Choices: []llmgate.Choice{{
				Message:      llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Azure OpenAI provides REST API access to OpenAI's language models.")}},
				FinishReason: llmgate.FinishStop,
			}},
			Usage:             llmgate.Usage{PromptTokens: 19, CompletionTokens: 14, TotalTokens: 33},
			SystemFingerprint: "fp_d54531d9eb",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeChatResponse(providertest.ReadFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeChatResponseMalformed(t *testing.T) {
	for _, body := range []string{``, `<html>`, `{"choices":"no"}`, `{"created":"yesterday"}`} {
		if _, err := decodeChatResponse([]byte(body)); err == nil {
			t.Errorf("decodeChatResponse(%q) succeeded, want an error", body)
		}
	}
}

func BenchmarkChatRequestEncode(b *testing.B) {
	b.Run("all_params", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := encodeChatRequest(allParamsChat, ChatOptions{Model: "gpt-4o"}, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range benchSizes {
		req := &llmgate.ChatRequest{
			Model: "gpt-4o",
			Messages: []llmgate.Message{
				{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("You are a helpful assistant.")}},
				{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(benchText(size.n))}},
			},
			Params: llmgate.ChatParams{MaxTokens: ptr(256)},
		}
		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := encodeChatRequest(req, ChatOptions{Model: "gpt-4o"}, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkChatResponseDecode(b *testing.B) {
	b.Run("text", func(b *testing.B) {
		body := providertest.ReadFile(b, "chat_response_text.json")
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := decodeChatResponse(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range benchSizes {
		body := []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1732700000,"model":"gpt-4o-2024-08-06",` +
			`"choices":[{"index":0,"message":{"role":"assistant","content":"` + benchText(size.n) + `","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
			`"usage":{"prompt_tokens":1000,"completion_tokens":250,"total_tokens":1250,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},` +
			`"system_fingerprint":"fp_bench"}`)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := decodeChatResponse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchSizes are the message sizes of the sized benchmarks.
var benchSizes = []struct {
	name string
	n    int
}{{"1KB", 1 << 10}, {"10KB", 10 << 10}, {"100KB", 100 << 10}}

// benchText returns n bytes of plain English text, as in a prompt.
func benchText(n int) string {
	const filler = "The quick brown fox jumps over the lazy dog. "
	return strings.Repeat(filler, n/len(filler)+1)[:n]
}
