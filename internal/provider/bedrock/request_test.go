package bedrock

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

func text(role llmgate.Role, s ...string) llmgate.Message {
	m := llmgate.Message{Role: role}
	for _, p := range s {
		m.Content = append(m.Content, llmgate.TextPart(p))
	}
	return m
}

// onePixelPNG is a valid 1×1 PNG, base64-encoded.
const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// Requests shared by the translation tests, the client tests and the
// benchmarks.
var (
	plainChat = &llmgate.ChatRequest{
		Provider: "bedrock",
		Model:    "claude-sonnet",
		Messages: []llmgate.Message{text(llmgate.RoleUser, "Say hello.")},
	}
	multiTurnChat = &llmgate.ChatRequest{
		Model: "claude-sonnet",
		Messages: []llmgate.Message{
			text(llmgate.RoleSystem, "You are terse."),
			text(llmgate.RoleDeveloper, "Answer in French."),
			text(llmgate.RoleUser, "Hello."),
			text(llmgate.RoleAssistant, "Bonjour."),
			// Two user turns in a row are merged into one Converse turn;
			// blank text is left out.
			text(llmgate.RoleUser, "How are you?"),
			text(llmgate.RoleUser, "  ", "And the weather?"),
		},
		Params: llmgate.ChatParams{
			Temperature:      ptr(0.5),
			MaxTokens:        ptr(256),
			TopP:             ptr(0.9),
			Stop:             []string{"\n\nHuman:", "END"},
			PresencePenalty:  ptr(0.0),
			FrequencyPenalty: ptr(0.0),
			N:                ptr(1),
			Logprobs:         ptr(false),
			ResponseFormat:   &llmgate.ResponseFormat{Type: "text"},
		},
	}
	visionChat = &llmgate.ChatRequest{
		Model: "nova-pro",
		Messages: []llmgate.Message{{
			Role: llmgate.RoleUser,
			Content: []llmgate.Part{
				llmgate.TextPart("What is in these images?"),
				{Type: llmgate.PartImage, ImageURL: "data:image/png;base64," + onePixelPNG, ImageDetail: "high"},
				{Type: llmgate.PartImage, ImageURL: "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ=="},
			},
		}},
		Params: llmgate.ChatParams{MaxTokens: ptr(300)},
	}
	toolChat = &llmgate.ChatRequest{
		Model: "claude-sonnet",
		Messages: []llmgate.Message{
			text(llmgate.RoleSystem, "Use the tools."),
			text(llmgate.RoleUser, "Weather in Boston and the time?"),
			{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Let me check.")}, ToolCalls: []llmgate.ToolCall{
				{ID: "tooluse_1", Name: "get_weather", Arguments: `{"city": "Boston"}`},
				{ID: "tooluse_2", Name: "get_time", Arguments: ""},
			}},
			// Consecutive tool results become one user turn.
			{Role: llmgate.RoleTool, ToolCallID: "tooluse_1", Content: []llmgate.Part{llmgate.TextPart(`{"temp_c": 21}`)}},
			{Role: llmgate.RoleTool, ToolCallID: "tooluse_2", Content: []llmgate.Part{llmgate.TextPart("14:05")}},
		},
		Params: llmgate.ChatParams{
			Tools: []llmgate.Tool{{
				Name:        "get_weather",
				Description: "Current weather of a city.",
				Parameters:  json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
				Strict:      ptr(true),
			}, {
				Name: "get_time",
			}},
			ToolChoice:        &llmgate.ToolChoice{Mode: "auto"},
			ParallelToolCalls: ptr(true),
		},
	}
	structuredChat = &llmgate.ChatRequest{
		Model:    "claude-sonnet",
		Messages: []llmgate.Message{text(llmgate.RoleUser, "Temperature in Paris?")},
		Params: llmgate.ChatParams{
			ResponseFormat: &llmgate.ResponseFormat{
				Type:   "json_schema",
				Name:   "weather",
				Schema: json.RawMessage(`{"type":"object","properties":{"temp":{"type":"number"}},"required":["temp"],"additionalProperties":false}`),
				Strict: ptr(true),
			},
			ToolChoice: &llmgate.ToolChoice{Mode: "none"},
		},
	}
)

func TestEncodeRequestGolden(t *testing.T) {
	tests := []struct {
		golden string
		req    *llmgate.ChatRequest
	}{
		{"converse_request_plain.golden.json", plainChat},
		{"converse_request_multi_turn.golden.json", multiTurnChat},
		{"converse_request_vision.golden.json", visionChat},
		{"converse_request_tools.golden.json", toolChat},
		{"converse_request_structured.golden.json", structuredChat},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := encodeRequest(tt.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			providertest.CheckGolden(t, tt.golden, got)
		})
	}
}

// TestToolChoice checks each tool choice mode against the ToolChoice union.
func TestToolChoice(t *testing.T) {
	tools := []llmgate.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}
	tests := []struct {
		mode, name string
		want       string // the toolConfig member, or "" when none is sent
	}{
		{"auto", "", `{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"auto":{}}}`},
		{"required", "", `{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}`},
		{"function", "f", `{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"f"}}}`},
		{"none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			req := &llmgate.ChatRequest{Model: "m", Messages: []llmgate.Message{text(llmgate.RoleUser, "hi")},
				Params: llmgate.ChatParams{Tools: tools, ToolChoice: &llmgate.ToolChoice{Mode: tt.mode, Name: tt.name}}}
			w, err := toWire(req)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if w.ToolConfig != nil {
				b, _ := json.Marshal(w.ToolConfig)
				got = string(b)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("toolConfig mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodeRequestRejects checks that what Converse cannot express is an
// error naming it, never silently dropped.
func TestEncodeRequestRejects(t *testing.T) {
	user := []llmgate.Message{text(llmgate.RoleUser, "hi")}
	withParams := func(p llmgate.ChatParams) *llmgate.ChatRequest {
		return &llmgate.ChatRequest{Model: "m", Messages: user, Params: p}
	}
	withMessages := func(m ...llmgate.Message) *llmgate.ChatRequest {
		return &llmgate.ChatRequest{Model: "m", Messages: m}
	}
	image := func(url string) llmgate.Message {
		return llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: url}}}
	}
	toolHistory := []llmgate.Message{
		text(llmgate.RoleUser, "hi"),
		{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "a", Name: "f", Arguments: "{}"}}},
		{Role: llmgate.RoleTool, ToolCallID: "a", Content: []llmgate.Part{llmgate.TextPart("ok")}},
	}
	tests := []struct {
		name string
		req  *llmgate.ChatRequest
		code llmgate.ErrorCode
		msg  string // a part of the message
	}{
		{"presence penalty", withParams(llmgate.ChatParams{PresencePenalty: ptr(0.5)}), llmgate.EUnsupported, "presence_penalty"},
		{"frequency penalty", withParams(llmgate.ChatParams{FrequencyPenalty: ptr(-1.0)}), llmgate.EUnsupported, "frequency_penalty"},
		{"seed", withParams(llmgate.ChatParams{Seed: ptr(int64(42))}), llmgate.EUnsupported, "seed"},
		{"n", withParams(llmgate.ChatParams{N: ptr(2)}), llmgate.EUnsupported, "parameter n"},
		{"logprobs", withParams(llmgate.ChatParams{Logprobs: ptr(true)}), llmgate.EUnsupported, "logprobs"},
		{"top logprobs", withParams(llmgate.ChatParams{TopLogprobs: ptr(3)}), llmgate.EUnsupported, "top_logprobs"},
		{"user", withParams(llmgate.ChatParams{User: "u-1"}), llmgate.EUnsupported, "user"},
		{"parallel tool calls off", withParams(llmgate.ChatParams{ParallelToolCalls: ptr(false)}), llmgate.EUnsupported, "parallel_tool_calls"},
		{"json object", withParams(llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_object"}}), llmgate.EUnsupported, "json_object"},
		{"json schema without schema", withParams(llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema"}}), llmgate.EInvalidRequest, "schema"},
		{"json schema invalid", withParams(llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{`)}}), llmgate.EInvalidRequest, "not valid JSON"},
		{"unknown response format", withParams(llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "yaml"}}), llmgate.EInvalidRequest, "yaml"},
		{"max tokens zero", withParams(llmgate.ChatParams{MaxTokens: ptr(0)}), llmgate.EInvalidRequest, "max_tokens"},
		{"tool choice without tools", withParams(llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{Mode: "required"}}), llmgate.EInvalidRequest, "needs tools"},
		{"tool choice function without name", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f"}}, ToolChoice: &llmgate.ToolChoice{Mode: "function"}}), llmgate.EInvalidRequest, "function name"},
		{"tool choice unknown", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f"}}, ToolChoice: &llmgate.ToolChoice{Mode: "sometimes"}}), llmgate.EInvalidRequest, "sometimes"},
		{"tool choice none with tool history", &llmgate.ChatRequest{Model: "m", Messages: toolHistory,
			Params: llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f"}}, ToolChoice: &llmgate.ToolChoice{Mode: "none"}}}, llmgate.EUnsupported, "tool_choice none"},
		{"tool without name", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Description: "x"}}}), llmgate.EInvalidRequest, "no name"},
		{"tool schema invalid", withParams(llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":`)}}}), llmgate.EInvalidRequest, "not valid JSON"},
		{"http image", withMessages(image("https://example.com/cat.png")), llmgate.EUnsupported, "data: URL"},
		{"image format", withMessages(image("data:image/tiff;base64,AAAA")), llmgate.EUnsupported, "image/tiff"},
		{"image not base64", withMessages(image("data:image/png,rawbytes")), llmgate.EInvalidRequest, "base64"},
		{"image bad base64", withMessages(image("data:image/png;base64,!!!")), llmgate.EInvalidRequest, "base64"},
		{"image ftp", withMessages(image("ftp://example.com/cat.png")), llmgate.EInvalidRequest, "data: URL"},
		{"tool call arguments", withMessages(text(llmgate.RoleUser, "hi"),
			llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "a", Name: "f", Arguments: `{"x":`}}}), llmgate.EInvalidRequest, "not valid JSON"},
		{"tool call without id", withMessages(text(llmgate.RoleUser, "hi"),
			llmgate.Message{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{Name: "f"}}}), llmgate.EInvalidRequest, "id and a name"},
		{"tool message without id", withMessages(text(llmgate.RoleUser, "hi"),
			llmgate.Message{Role: llmgate.RoleTool, Content: []llmgate.Part{llmgate.TextPart("x")}}), llmgate.EInvalidRequest, "tool call"},
		{"system image", withMessages(llmgate.Message{Role: llmgate.RoleSystem, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "data:image/png;base64," + onePixelPNG}}}, text(llmgate.RoleUser, "hi")), llmgate.EInvalidRequest, "only text"},
		{"unknown role", withMessages(llmgate.Message{Role: "narrator", Content: []llmgate.Part{llmgate.TextPart("x")}}), llmgate.EInvalidRequest, "narrator"},
		{"unknown part", withMessages(llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: "audio"}}}), llmgate.EInvalidRequest, "audio"},
		{"empty turn", withMessages(text(llmgate.RoleUser, "   ")), llmgate.EInvalidRequest, "no content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := encodeRequest(tt.req, nil)
			var e *llmgate.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *llmgate.Error", err)
			}
			if e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("err = %v, want code %s with %q in the message", err, tt.code, tt.msg)
			}
		})
	}
}

func BenchmarkRequestEncode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeRequest(toolChat, nil); err != nil {
			b.Fatal(err)
		}
	}
}
