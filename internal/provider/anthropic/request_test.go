package anthropic

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// normalizeJSON decodes JSON text into generic values, so that goldens
// compare regardless of spacing and key order.
func normalizeJSON(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func text(role llmgate.Role, s string) llmgate.Message {
	return llmgate.Message{Role: role, Content: []llmgate.Part{llmgate.TextPart(s)}}
}

const weatherSchema = `{"type":"object","properties":{"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}`

func TestEncodeRequestGolden(t *testing.T) {
	tests := []struct {
		golden string
		model  string
		stream bool
		req    llmgate.ChatRequest
	}{
		{"request_plain.golden.json", "claude-sonnet-4-5-20250929", false, llmgate.ChatRequest{
			Model:    "claude-sonnet-4-5",
			Messages: []llmgate.Message{text(llmgate.RoleUser, "Hello, Claude")},
			// The method, not the flag, decides whether to stream.
			Stream: true,
		}},
		{"request_system_multiturn.golden.json", "claude-sonnet-4-5", false, llmgate.ChatRequest{
			Messages: []llmgate.Message{
				text(llmgate.RoleSystem, "You are a terse assistant."),
				text(llmgate.RoleUser, "Hi."),
				text(llmgate.RoleDeveloper, "Answer in French."),
				{Role: llmgate.RoleUser, Name: "bob", Content: []llmgate.Part{llmgate.TextPart(""), llmgate.TextPart("What is the capital of Italy?")}},
				text(llmgate.RoleAssistant, "Rome."),
				text(llmgate.RoleUser, "And of Spain?"),
			},
			Params: llmgate.ChatParams{MaxTokens: ptr(1024), N: ptr(1), PresencePenalty: ptr(0.0), FrequencyPenalty: ptr(0.0), Logprobs: ptr(false), TopLogprobs: ptr(0)},
		}},
		{"request_vision.golden.json", "claude-sonnet-4-5", false, llmgate.ChatRequest{
			Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{
				llmgate.TextPart("Compare these two images."),
				{Type: llmgate.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", ImageDetail: "high"},
				{Type: llmgate.PartImage, ImageURL: "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"},
			}}},
		}},
		{"request_tools.golden.json", "claude-sonnet-4-5", false, llmgate.ChatRequest{
			Messages: []llmgate.Message{
				text(llmgate.RoleUser, "What is the weather in Paris and in Rome?"),
				{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("Let me check both.")}, ToolCalls: []llmgate.ToolCall{
					{ID: "toolu_01A09q90qw90lq917835lq9", Name: "get_weather", Arguments: "{\n  \"location\": \"Paris\",\n  \"unit\": \"celsius\"\n}"},
					{ID: "toolu_01B", Name: "get_weather", Arguments: `{"location":"Rome"}`},
				}},
				{Role: llmgate.RoleTool, ToolCallID: "toolu_01A09q90qw90lq917835lq9", Content: []llmgate.Part{llmgate.TextPart("15 degrees, "), llmgate.TextPart("cloudy")}},
				{Role: llmgate.RoleTool, ToolCallID: "toolu_01B", Content: []llmgate.Part{llmgate.TextPart("22 degrees, sunny")}},
				text(llmgate.RoleUser, "Which is warmer?"),
			},
			Params: llmgate.ChatParams{
				Tools: []llmgate.Tool{
					{Name: "get_weather", Description: "Get the current weather in a given location", Parameters: json.RawMessage(weatherSchema), Strict: ptr(true)},
					{Name: "get_time"},
				},
				ToolChoice:        &llmgate.ToolChoice{Mode: "function", Name: "get_weather"},
				ParallelToolCalls: ptr(false),
			},
		}},
		{"request_stop.golden.json", "claude-haiku-4-5", true, llmgate.ChatRequest{
			Messages: []llmgate.Message{text(llmgate.RoleUser, "Count to ten.")},
			Params: llmgate.ChatParams{
				MaxTokens: ptr(256), Temperature: ptr(0.0), TopP: ptr(0.9),
				Stop: []string{"\n\nHuman:", "7"}, User: "user-42",
			},
		}},
		{"request_json_schema.golden.json", "claude-sonnet-4-5", false, llmgate.ChatRequest{
			Messages: []llmgate.Message{text(llmgate.RoleUser, "Extract the name and age: John is 30.")},
			Params: llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{
				Type: "json_schema", Name: "person", Strict: ptr(true),
				Schema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}`),
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := encodeRequest(&tt.req, tt.model, DefaultMaxTokens, tt.stream, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := providertest.ReadFile(t, tt.golden)
			if diff := cmp.Diff(normalizeJSON(t, want), normalizeJSON(t, got)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s\ngot: %s", diff, got)
			}
		})
	}
}

func TestEncodeRequestToolChoice(t *testing.T) {
	tools := []llmgate.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}
	tests := []struct {
		name     string
		choice   *llmgate.ToolChoice
		parallel *bool
		tools    []llmgate.Tool
		want     *toolChoice
	}{
		{"absent", nil, nil, tools, nil},
		{"auto", &llmgate.ToolChoice{Mode: "auto"}, nil, tools, &toolChoice{Type: "auto"}},
		{"none", &llmgate.ToolChoice{Mode: "none"}, ptr(false), tools, &toolChoice{Type: "none"}},
		{"required", &llmgate.ToolChoice{Mode: "required"}, nil, tools, &toolChoice{Type: "any"}},
		{"required_serial", &llmgate.ToolChoice{Mode: "required"}, ptr(false), tools, &toolChoice{Type: "any", DisableParallelToolUse: true}},
		{"function", &llmgate.ToolChoice{Mode: "function", Name: "f"}, ptr(true), tools, &toolChoice{Type: "tool", Name: "f"}},
		{"serial_without_choice", nil, ptr(false), tools, &toolChoice{Type: "auto", DisableParallelToolUse: true}},
		// Without tools there is nothing to call in parallel, and the API
		// refuses a tool_choice without tools.
		{"serial_without_tools", nil, ptr(false), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &llmgate.ChatRequest{
				Messages: []llmgate.Message{text(llmgate.RoleUser, "hi")},
				Params:   llmgate.ChatParams{Tools: tt.tools, ToolChoice: tt.choice, ParallelToolCalls: tt.parallel},
			}
			w, err := toWire(req, "m", 10, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, w.ToolChoice); diff != "" {
				t.Errorf("tool_choice mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeRequestMaxTokens(t *testing.T) {
	req := &llmgate.ChatRequest{Messages: []llmgate.Message{text(llmgate.RoleUser, "hi")}}
	w, err := toWire(req, "m", 777, false)
	if err != nil {
		t.Fatal(err)
	}
	if w.MaxTokens != 777 {
		t.Errorf("max_tokens = %d, want the default 777", w.MaxTokens)
	}
	req.Params.MaxTokens = ptr(5)
	if w, err = toWire(req, "m", 777, false); err != nil || w.MaxTokens != 5 {
		t.Errorf("max_tokens = %d, %v; want the request's 5", w.MaxTokens, err)
	}
}

// TestEncodeRequestRejects covers every parameter the API cannot honour and
// every request it cannot express: each is refused with a code and a message
// naming the problem, never dropped.
func TestEncodeRequestRejects(t *testing.T) {
	user := []llmgate.Message{text(llmgate.RoleUser, "hi")}
	tests := []struct {
		name     string
		params   llmgate.ChatParams
		messages []llmgate.Message
		code     llmgate.ErrorCode
		msg      string
	}{
		{"presence_penalty", llmgate.ChatParams{PresencePenalty: ptr(0.5)}, user, llmgate.EUnsupported, "presence_penalty"},
		{"frequency_penalty", llmgate.ChatParams{FrequencyPenalty: ptr(-1.0)}, user, llmgate.EUnsupported, "frequency_penalty"},
		{"seed", llmgate.ChatParams{Seed: ptr(int64(0))}, user, llmgate.EUnsupported, "seed"},
		{"n", llmgate.ChatParams{N: ptr(2)}, user, llmgate.EUnsupported, "parameter n"},
		{"logprobs", llmgate.ChatParams{Logprobs: ptr(true)}, user, llmgate.EUnsupported, "logprobs"},
		{"top_logprobs", llmgate.ChatParams{TopLogprobs: ptr(3)}, user, llmgate.EUnsupported, "top_logprobs"},
		{"json_object", llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_object"}}, user, llmgate.EUnsupported, "use response_format json_schema with a schema, or tools, for structured output"},
		{"temperature_above_1", llmgate.ChatParams{Temperature: ptr(1.5)}, user, llmgate.EInvalidRequest, "temperature must be between 0 and 1 for Anthropic models, got 1.5"},
		{"temperature_negative", llmgate.ChatParams{Temperature: ptr(-0.1)}, user, llmgate.EInvalidRequest, "temperature must be between 0 and 1"},
		{"max_tokens_zero", llmgate.ChatParams{MaxTokens: ptr(0)}, user, llmgate.EInvalidRequest, "max_tokens must be at least 1"},
		{"json_schema_without_schema", llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema"}}, user, llmgate.EInvalidRequest, "needs a schema"},
		{"unknown_response_format", llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "yaml"}}, user, llmgate.EInvalidRequest, `unknown response_format type "yaml"`},
		{"unknown_tool_choice", llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{Mode: "sometimes"}}, user, llmgate.EInvalidRequest, `unknown tool choice mode "sometimes"`},
		{"function_without_name", llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{Mode: "function"}}, user, llmgate.EInvalidRequest, "needs a function name"},
		{"tool_without_name", llmgate.ChatParams{Tools: []llmgate.Tool{{Description: "x"}}}, user, llmgate.EInvalidRequest, "tool 0 needs a name"},
		{"invalid_tool_arguments", llmgate.ChatParams{}, []llmgate.Message{
			text(llmgate.RoleUser, "hi"),
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "t1", Name: "f", Arguments: `{"a":`}}},
		}, llmgate.EInvalidRequest, "message 1: the arguments of tool call 0 (f) are not a JSON object"},
		{"array_tool_arguments", llmgate.ChatParams{}, []llmgate.Message{
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "t1", Name: "f", Arguments: `[1]`}}},
		}, llmgate.EInvalidRequest, "not a JSON object"},
		{"tool_call_without_id", llmgate.ChatParams{}, []llmgate.Message{
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{Name: "f", Arguments: `{}`}}},
		}, llmgate.EInvalidRequest, "needs an id and a name"},
		{"tool_message_without_id", llmgate.ChatParams{}, []llmgate.Message{text(llmgate.RoleTool, "42")}, llmgate.EInvalidRequest, "message 0: a tool message needs the id"},
		{"unknown_role", llmgate.ChatParams{}, []llmgate.Message{text("robot", "beep")}, llmgate.EInvalidRequest, `unknown role "robot"`},
		{"image_in_system", llmgate.ChatParams{}, []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "https://example.com/a.png"}}}, text(llmgate.RoleUser, "hi"),
		}, llmgate.EInvalidRequest, "a system message can hold only text"},
		{"unknown_part", llmgate.ChatParams{}, []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: "audio"}}}}, llmgate.EInvalidRequest, `unsupported content part type "audio"`},
		{"image_bmp", llmgate.ChatParams{}, []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "data:image/bmp;base64,Qk0="}}}}, llmgate.EUnsupported, `images of type "image/bmp"`},
		{"image_not_base64", llmgate.ChatParams{}, []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "data:image/png,rawbytes"}}}}, llmgate.EInvalidRequest, "must hold base64 data"},
		{"image_data_without_comma", llmgate.ChatParams{}, []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "data:image/png;base64"}}}}, llmgate.EInvalidRequest, "has no data"},
		{"image_ftp", llmgate.ChatParams{}, []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "ftp://user:pw@example.com/a.png"}}}}, llmgate.EInvalidRequest, "must be an http, https or data: URL"},
		{"only_system", llmgate.ChatParams{}, []llmgate.Message{text(llmgate.RoleSystem, "be nice")}, llmgate.EInvalidRequest, "at least one user or assistant message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &llmgate.ChatRequest{Model: "claude", Messages: tt.messages, Params: tt.params}
			_, err := encodeRequest(req, "claude", 100, false, nil)
			var e *llmgate.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *llmgate.Error", err)
			}
			if e.Code != tt.code {
				t.Errorf("code = %q, want %q (%v)", e.Code, tt.code, err)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tt.msg)
			}
			if strings.Contains(e.Message, "pw@") {
				t.Errorf("message %q quotes a URL with credentials", e.Message)
			}
		})
	}
}

func TestEncodeRequestToolResultWithImage(t *testing.T) {
	req := &llmgate.ChatRequest{Messages: []llmgate.Message{
		{Role: llmgate.RoleTool, ToolCallID: "toolu_1", Content: []llmgate.Part{
			llmgate.TextPart("the chart:"),
			{Type: llmgate.PartImage, ImageURL: "data:image/jpeg;base64,/9j/4AAQ"},
		}},
		{Role: llmgate.RoleTool, ToolCallID: "toolu_2"},
	}}
	got, err := encodeRequest(req, "m", 10, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
		{"type":"tool_result","tool_use_id":"toolu_1","content":[
			{"type":"text","text":"the chart:"},
			{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}}]},
		{"type":"tool_result","tool_use_id":"toolu_2"}]}]}`
	if diff := cmp.Diff(normalizeJSON(t, []byte(want)), normalizeJSON(t, got)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}
