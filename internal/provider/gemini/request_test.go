package gemini

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func ptr[T any](v T) *T { return &v }

func text(role llmgate.Role, s string) llmgate.Message {
	return llmgate.Message{Role: role, Content: []llmgate.Part{llmgate.TextPart(s)}}
}

// Requests shared by the translation tests and the benchmarks.
var (
	plainChat = &llmgate.ChatRequest{
		Provider: "gemini",
		Model:    "gemini-2.0-flash",
		Messages: []llmgate.Message{text(llmgate.RoleUser, "Say hello.")},
	}
	multiTurnChat = &llmgate.ChatRequest{
		Model: "gemini-2.5-flash",
		Messages: []llmgate.Message{
			text(llmgate.RoleSystem, "You are terse."),
			text(llmgate.RoleDeveloper, "Answer in French."),
			text(llmgate.RoleUser, "Hi."),
			text(llmgate.RoleUser, "Who are you?"),
			{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Un assistant."), llmgate.TextPart("")}},
			text(llmgate.RoleUser, "Merci."),
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
			Logprobs:         ptr(true),
			TopLogprobs:      ptr(3),
		},
	}
	visionChat = &llmgate.ChatRequest{
		Model: "gemini-2.5-flash",
		Messages: []llmgate.Message{{
			Role: llmgate.RoleUser,
			Content: []llmgate.Part{
				llmgate.TextPart("What is in these images?"),
				{Type: llmgate.PartImage, ImageURL: "https://upload.wikimedia.org/wikipedia/commons/d/dd/Boardwalk.JPG", ImageDetail: "high"},
				{Type: llmgate.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", ImageDetail: "auto"},
				{Type: llmgate.PartImage, ImageURL: "https://generativelanguage.googleapis.com/v1beta/files/abc-123"},
			},
		}},
	}
	// toolRoundTripChat replays the answer of response_function_call.json:
	// the IDs carry the thought signature the adapter put in them.
	toolRoundTripChat = &llmgate.ChatRequest{
		Model: "gemini-3-flash-preview",
		Messages: []llmgate.Message{
			text(llmgate.RoleUser, "Weather in Paris and the time?"),
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{
				{ID: "call_0__ts_CiIBVKhc7v-_9nSTa6Yd0Q", Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`},
				{ID: "call_1", Name: "get_time", Arguments: ``},
			}},
			{Role: llmgate.RoleTool, ToolCallID: "call_0__ts_CiIBVKhc7v-_9nSTa6Yd0Q", Content: []llmgate.Part{llmgate.TextPart(`{"temp": 22}`)}},
			{Role: llmgate.RoleTool, ToolCallID: "call_1", Content: []llmgate.Part{llmgate.TextPart("14:05")}},
			text(llmgate.RoleAssistant, "22°C at 14:05."),
			text(llmgate.RoleUser, "And in Rome?"),
			// A call from another provider's history: no signature.
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "toolu_01", Name: "get_weather", Arguments: `{"city":"Rome"}`}}},
			{Role: llmgate.RoleTool, ToolCallID: "toolu_01", Name: "get_weather", Content: []llmgate.Part{llmgate.TextPart(`[1, 2]`)}},
		},
		Params: llmgate.ChatParams{
			Tools: []llmgate.Tool{
				{Name: "get_weather", Description: "Current weather of a city.", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`), Strict: ptr(true)},
				{Name: "get_time"},
			},
			ToolChoice:        &llmgate.ToolChoice{Mode: "auto"},
			ParallelToolCalls: ptr(true),
		},
	}
	jsonModeChat = &llmgate.ChatRequest{
		Model:    "gemini-2.0-flash",
		Messages: []llmgate.Message{text(llmgate.RoleUser, "List three colours as JSON.")},
		Params: llmgate.ChatParams{
			ResponseFormat: &llmgate.ResponseFormat{Type: "json_object"},
			Tools:          []llmgate.Tool{{Name: "lookup", Parameters: json.RawMessage(`{"type":"object"}`)}},
			ToolChoice:     &llmgate.ToolChoice{Mode: "function", Name: "lookup"},
		},
	}
	jsonSchemaChat = &llmgate.ChatRequest{
		Model:    "gemini-2.5-pro",
		Messages: []llmgate.Message{text(llmgate.RoleUser, "Weather in Paris?")},
		Params: llmgate.ChatParams{
			ResponseFormat: &llmgate.ResponseFormat{
				Type:   "json_schema",
				Name:   "weather",
				Schema: json.RawMessage(`{"type":"object","properties":{"temp":{"type":"number"}},"required":["temp"],"additionalProperties":false}`),
				Strict: ptr(true),
			},
			Tools:      []llmgate.Tool{{Name: "get_weather"}},
			ToolChoice: &llmgate.ToolChoice{Mode: "none"},
		},
	}
)

// The thought signature in toolRoundTripChat's first ID must be the one
// response_function_call.json carries, or the round trip proves nothing.
func TestToolCallIDRoundTrip(t *testing.T) {
	for _, sig := range []string{"", "CiIBVKhc7v+/9nSTa6Yd0Q==", "c2lnbmF0dXJl", "YQ==", "YWI=", "+/+/"} {
		id := toolCallID("call_3", sig)
		if strings.ContainsAny(id, "+/=") {
			t.Errorf("toolCallID(%q) = %q, want only [A-Za-z0-9_-]", sig, id)
		}
		base, got := splitToolCallID(id)
		if base != "call_3" || got != sig {
			t.Errorf("splitToolCallID(%q) = %q, %q, want call_3, %q", id, base, got, sig)
		}
	}
	if id := toolCallID("call_0", "CiIBVKhc7v+/9nSTa6Yd0Q=="); id != toolRoundTripChat.Messages[1].ToolCalls[0].ID {
		t.Errorf("toolCallID = %q, the round-trip request uses %q", id, toolRoundTripChat.Messages[1].ToolCalls[0].ID)
	}
}

func TestEncodeChatRequest(t *testing.T) {
	tests := []struct {
		golden string
		req    *llmgate.ChatRequest
	}{
		{"chat_request_plain.golden.json", plainChat},
		{"chat_request_system_multiturn.golden.json", multiTurnChat},
		{"chat_request_vision.golden.json", visionChat},
		{"chat_request_tools_round_trip.golden.json", toolRoundTripChat},
		{"chat_request_json_mode.golden.json", jsonModeChat},
		{"chat_request_json_schema.golden.json", jsonSchemaChat},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := encodeChatRequest(tt.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			providertest.CheckGolden(t, tt.golden, got)
		})
	}
}

func TestEncodeChatRequestRejects(t *testing.T) {
	user := text(llmgate.RoleUser, "hi")
	withParams := func(p llmgate.ChatParams) *llmgate.ChatRequest {
		return &llmgate.ChatRequest{Model: "m", Messages: []llmgate.Message{user}, Params: p}
	}
	withMessages := func(m ...llmgate.Message) *llmgate.ChatRequest {
		return &llmgate.ChatRequest{Model: "m", Messages: m}
	}
	image := func(url, detail string) llmgate.Part {
		return llmgate.Part{Type: llmgate.PartImage, ImageURL: url, ImageDetail: detail}
	}
	call := llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}}}
	tests := []struct {
		name string
		req  *llmgate.ChatRequest
		code llmgate.ErrorCode
		msg  string // a part of the message
	}{
		// Parameters Gemini cannot honour.
		{"user", withParams(llmgate.ChatParams{User: "u-1"}), llmgate.EUnsupported, "user"},
		{"parallel_tool_calls false", withParams(llmgate.ChatParams{ParallelToolCalls: ptr(false)}), llmgate.EUnsupported, "parallel_tool_calls"},
		{"message name", withMessages(llmgate.Message{Role: llmgate.RoleUser, Name: "alice", Content: user.Content}), llmgate.EUnsupported, "name"},
		{"system image", withMessages(llmgate.Message{Role: llmgate.RoleSystem, Content: []llmgate.Part{image("https://x.test/a.png", "")}}, user), llmgate.EUnsupported, "system instruction"},
		{"tool image", withMessages(user, call, llmgate.Message{Role: llmgate.RoleTool, ToolCallID: "c1", Content: []llmgate.Part{image("https://x.test/a.png", "")}}), llmgate.EUnsupported, "images"},
		{"mixed image detail", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("https://x.test/a.png", "low"), image("https://x.test/b.png", "high")}}), llmgate.EUnsupported, "media resolution"},
		// Malformed requests.
		{"no messages", withMessages(), llmgate.EInvalidRequest, "at least one"},
		{"system only", withMessages(text(llmgate.RoleSystem, "be nice")), llmgate.EInvalidRequest, "at least one"},
		{"empty user", withMessages(llmgate.Message{Role: llmgate.RoleUser}), llmgate.EInvalidRequest, "no content"},
		{"unknown role", withMessages(text("narrator", "x")), llmgate.EInvalidRequest, "role"},
		{"bad arguments", withMessages(user, llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "c", Name: "f", Arguments: "{oops"}}}), llmgate.EInvalidRequest, "JSON object"},
		{"array arguments", withMessages(user, llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "c", Name: "f", Arguments: "[1]"}}}), llmgate.EInvalidRequest, "JSON object"},
		{"call without name", withMessages(user, llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "c"}}}), llmgate.EInvalidRequest, "function name"},
		{"unknown tool call id", withMessages(user, call, llmgate.Message{Role: llmgate.RoleTool, ToolCallID: "c2", Content: user.Content}), llmgate.EInvalidRequest, `"c2"`},
		{"tool result before its call", withMessages(user, llmgate.Message{Role: llmgate.RoleTool, ToolCallID: "c1", Content: user.Content}, call), llmgate.EInvalidRequest, `"c1"`},
		{"tool without id or name", withMessages(user, call, text(llmgate.RoleTool, "x")), llmgate.EInvalidRequest, "tool_call_id"},
		{"tool name mismatch", withMessages(user, call, llmgate.Message{Role: llmgate.RoleTool, ToolCallID: "c1", Name: "g", Content: user.Content}), llmgate.EInvalidRequest, "differs"},
		{"image gif", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("https://x.test/a.gif", "")}}), llmgate.EInvalidRequest, "Files API"},
		{"image no extension", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("https://x.test/image?id=3", "")}}), llmgate.EInvalidRequest, "data: URL"},
		{"image ftp", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("ftp://x.test/a.png", "")}}), llmgate.EInvalidRequest, "http(s)"},
		{"data url not base64", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("data:image/png,abc", "")}}), llmgate.EInvalidRequest, "base64"},
		{"data url no type", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("data:;base64,abc", "")}}), llmgate.EInvalidRequest, "base64"},
		{"unknown detail", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{image("https://x.test/a.png", "ultra")}}), llmgate.EInvalidRequest, "detail"},
		{"unknown part", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: "audio"}}}), llmgate.EInvalidRequest, "audio"},
		{"top_logprobs alone", withParams(llmgate.ChatParams{TopLogprobs: ptr(2)}), llmgate.EInvalidRequest, "logprobs"},
		{"schema missing", withParams(llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema"}}), llmgate.EInvalidRequest, "JSON Schema"},
		{"unknown format", withParams(llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "yaml"}}), llmgate.EInvalidRequest, "yaml"},
		{"tool without name", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{}}}), llmgate.EInvalidRequest, "no name"},
		{"tool bad schema", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f", Parameters: json.RawMessage(`"x"`)}}}), llmgate.EInvalidRequest, "JSON Schema"},
		{"choice unknown function", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f"}}, ToolChoice: &llmgate.ToolChoice{Mode: "function", Name: "g"}}), llmgate.EInvalidRequest, `"g"`},
		{"choice required without tools", withParams(llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{Mode: "required"}}), llmgate.EInvalidRequest, "needs tools"},
		{"choice unknown mode", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f"}}, ToolChoice: &llmgate.ToolChoice{Mode: "sometimes"}}), llmgate.EInvalidRequest, "sometimes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeChatRequest(tt.req, nil)
			var e *llmgate.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("err = %v (body %s), want code %s", err, b, tt.code)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.msg)
			}
		})
	}
}

// Parameters that are accepted without a field of their own must not
// change the body, or they were not really accepted.
func TestEncodeChatRequestAccepts(t *testing.T) {
	base, err := encodeChatRequest(plainChat, nil)
	if err != nil {
		t.Fatal(err)
	}
	same := *plainChat
	same.Stream = true
	same.Params.ParallelToolCalls = ptr(true)
	same.Params.Logprobs = ptr(false)
	same.Params.ResponseFormat = &llmgate.ResponseFormat{Type: "text"}
	same.Params.ToolChoice = &llmgate.ToolChoice{Mode: "none"}
	got, err := encodeChatRequest(&same, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(base), string(got)); diff != "" {
		t.Errorf("body changed (-plain +got):\n%s", diff)
	}
}

func TestEncodeEmbeddingRequest(t *testing.T) {
	got, err := encodeEmbeddingRequest(&llmgate.EmbeddingRequest{Model: "embed", Input: []string{"first text", "second"}, Dimensions: ptr(768)}, "gemini-embedding-001")
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckGolden(t, "embed_request.golden.json", got)

	rejects := []struct {
		name string
		req  llmgate.EmbeddingRequest
		code llmgate.ErrorCode
	}{
		{"user", llmgate.EmbeddingRequest{Input: []string{"a"}, User: "u"}, llmgate.EUnsupported},
		{"no input", llmgate.EmbeddingRequest{}, llmgate.EInvalidRequest},
		{"empty input", llmgate.EmbeddingRequest{Input: []string{"a", ""}}, llmgate.EInvalidRequest},
		{"zero dimensions", llmgate.EmbeddingRequest{Input: []string{"a"}, Dimensions: ptr(0)}, llmgate.EInvalidRequest},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			_, err := encodeEmbeddingRequest(&tt.req, "m")
			if llmgate.ErrorCodeOf(err) != tt.code {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}

func BenchmarkRequestEncode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeChatRequest(toolRoundTripChat, nil); err != nil {
			b.Fatal(err)
		}
	}
}
