package openaiwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonappend"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// awkward is text that exercises every escaping rule of encoding/json.
const awkward = "a\"b\\c/d\b\f\n\r\t\x00\x01\x1f\x7f <script>&amp;</script> é 日本語 🎉 \u2028\u2029 \xff\xfe bad \xe2\x80 cut \xed\xa0\x80 surrogate"

// encoderCases are requests for the differential test of the encoder, each
// of which appendChatRequest must encode itself.
func encoderCases() []struct {
	name   string
	req    *llmgate.ChatRequest
	opts   ChatOptions
	stream bool
} {
	text := func(role llmgate.Role, s string) llmgate.Message {
		return llmgate.Message{Role: role, Content: []llmgate.Part{llmgate.TextPart(s)}}
	}
	var floats []*llmgate.ChatRequest
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.7, 1e-6, 1e-7, 9.999999e-7, 1.5e-300,
		1e20, 1e21, 123456789.123, 1e100, -2.5e-8, math.MaxFloat64, math.SmallestNonzeroFloat64, 100, 2.0 / 3} {
		floats = append(floats, &llmgate.ChatRequest{
			Messages: []llmgate.Message{text(llmgate.RoleUser, "x")},
			Params:   llmgate.ChatParams{Temperature: ptr(f), TopP: ptr(-f), PresencePenalty: ptr(f / 3), FrequencyPenalty: ptr(f * 7)},
		})
	}
	cases := []struct {
		name   string
		req    *llmgate.ChatRequest
		opts   ChatOptions
		stream bool
	}{
		{"simple", simpleChat, ChatOptions{Model: "gpt-4o"}, false},
		{"all_params", allParamsChat, ChatOptions{Model: "gpt-4o"}, true},
		{"all_params_no_stream", allParamsChat, ChatOptions{Model: "gpt-4o", MaxCompletionTokens: true}, false},
		{"vision", visionChat, ChatOptions{Model: "gpt-4o"}, false},
		{"tool_round_trip", toolRoundTripChat, ChatOptions{}, false},
		{"empty", &llmgate.ChatRequest{}, ChatOptions{}, false},
		{"empty_messages", &llmgate.ChatRequest{Messages: []llmgate.Message{}}, ChatOptions{Model: "m"}, true},
		{"awkward_everywhere", &llmgate.ChatRequest{
			Messages: []llmgate.Message{
				{Role: llmgate.Role(awkward), Name: awkward, ToolCallID: awkward, Content: []llmgate.Part{llmgate.TextPart(awkward)}},
				{Role: llmgate.RoleUser, Content: []llmgate.Part{
					llmgate.TextPart(awkward),
					{Type: llmgate.PartImage, ImageURL: awkward, ImageDetail: awkward},
					{Type: llmgate.PartImage, ImageURL: "https://example.com/a.png?x=1&y=<2>"},
					llmgate.TextPart(""),
				}},
				{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: awkward, Name: awkward, Arguments: awkward}, {Name: "f", Arguments: `{"a":"<b>"}`}}},
				{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("calling")}, ToolCalls: []llmgate.ToolCall{{ID: "c", Name: "g"}}},
				{Role: llmgate.RoleAssistant, Content: []llmgate.Part{{Type: llmgate.PartImage, ImageURL: "u"}}},
				{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("")}, ToolCalls: []llmgate.ToolCall{}},
				{},
			},
			Params: llmgate.ChatParams{
				Stop: []string{awkward, "", "\n"},
				User: awkward,
				ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema", Name: awkward,
					Schema: json.RawMessage(" {\n  \"type\" : \"object\",\t\"description\": \"a <b> & \u2028 \\\" \\\\ \xff\" ,\r\n \"enum\": [ 1 , -2.50e+3, true, null ] }\n "),
					Strict: ptr(false)},
				Tools: []llmgate.Tool{
					{Name: awkward, Description: awkward, Parameters: json.RawMessage(`  "just a string <>"  `), Strict: ptr(true)},
					{Name: "empty_params", Parameters: json.RawMessage{}},
					{Name: "null_params", Parameters: json.RawMessage(`null`)},
				},
				ToolChoice: &llmgate.ToolChoice{Mode: "function", Name: awkward},
			},
		}, ChatOptions{Model: awkward}, true},
		{"response_format_text", &llmgate.ChatRequest{
			Messages: []llmgate.Message{text(llmgate.RoleUser, "x")},
			Params: llmgate.ChatParams{
				ResponseFormat: &llmgate.ResponseFormat{Type: "text", Name: "ignored", Schema: json.RawMessage(`{`)},
				ToolChoice:     &llmgate.ToolChoice{Mode: "auto"},
			},
		}, ChatOptions{Model: "m"}, false},
		{"schema_empty", &llmgate.ChatRequest{
			Params: llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema", Schema: json.RawMessage{}}},
		}, ChatOptions{Model: "m"}, false},
		{"ints", &llmgate.ChatRequest{
			Messages: []llmgate.Message{text(llmgate.RoleUser, "x")},
			Params: llmgate.ChatParams{MaxTokens: ptr(-1), Seed: ptr(int64(math.MinInt64)), N: ptr(0), TopLogprobs: ptr(math.MaxInt),
				ParallelToolCalls: ptr(true), Logprobs: ptr(false)},
		}, ChatOptions{Model: "m", MaxCompletionTokens: true}, false},
		{"long_text", &llmgate.ChatRequest{
			Messages: []llmgate.Message{text(llmgate.RoleUser, strings.Repeat("plain text, then \"quotes\"\n and <tags> 日本 ", 2000))},
		}, ChatOptions{Model: "m"}, false},
	}
	for _, r := range floats {
		cases = append(cases, struct {
			name   string
			req    *llmgate.ChatRequest
			opts   ChatOptions
			stream bool
		}{"float_" + strconv.FormatFloat(*r.Params.Temperature, 'g', -1, 64), r, ChatOptions{Model: "m"}, false})
	}
	return cases
}

// checkEncoderAgrees fails unless encodeChatRequest and marshalChatRequest
// agree on req: the same bytes, or errors with the same text.
func checkEncoderAgrees(t *testing.T, req *llmgate.ChatRequest, opts ChatOptions, stream bool) {
	t.Helper()
	want, wantErr := marshalChatRequest(req, opts, stream)
	got, ok := appendChatRequest(nil, req, opts, stream)
	if ok != (wantErr == nil) {
		t.Fatalf("fast path ok = %v, encoding/json error = %v", ok, wantErr)
	}
	if ok && !bytes.Equal(got, want) {
		t.Fatalf("fast path differs from encoding/json:\n got %q\nwant %q", got, want)
	}
	got, _, err := encodeChatRequest(req, opts, stream)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("encodeChatRequest error = %v, want %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeChatRequest differs from encoding/json:\n got %q\nwant %q", got, want)
	}
}

func TestAppendChatRequestMatchesMarshal(t *testing.T) {
	for _, tt := range encoderCases() {
		t.Run(tt.name, func(t *testing.T) {
			checkEncoderAgrees(t, tt.req, tt.opts, tt.stream)
		})
	}
}

func TestAppendChatRequestRefusesErrors(t *testing.T) {
	msgs := []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("x")}}}
	tests := []struct {
		name string
		req  *llmgate.ChatRequest
	}{
		{"unknown part type", &llmgate.ChatRequest{Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("x"), {Type: "audio"}}}}}},
		{"unknown tool choice", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{Mode: "sometimes"}}}},
		{"both errors", &llmgate.ChatRequest{Messages: []llmgate.Message{{Content: []llmgate.Part{{}, {}}}}, Params: llmgate.ChatParams{ToolChoice: &llmgate.ToolChoice{}}}},
		{"invalid parameters", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{Tools: []llmgate.Tool{{Name: "f", Parameters: json.RawMessage(`{"a":}`)}}}}},
		{"invalid schema", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{ResponseFormat: &llmgate.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{} {}`)}}}},
		{"NaN temperature", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{Temperature: ptr(math.NaN())}}},
		{"infinite top_p", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{TopP: ptr(math.Inf(1))}}},
		{"infinite presence penalty", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{PresencePenalty: ptr(math.Inf(-1))}}},
		{"NaN frequency penalty", &llmgate.ChatRequest{Messages: msgs, Params: llmgate.ChatParams{FrequencyPenalty: ptr(math.NaN())}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEncoderAgrees(t, tt.req, ChatOptions{Model: "m"}, true)
			_, _, err := encodeChatRequest(tt.req, ChatOptions{Model: "m"}, true)
			if !errors.Is(err, &llmgate.Error{Code: llmgate.EInvalidRequest}) {
				t.Errorf("err = %v, want code %s", err, llmgate.EInvalidRequest)
			}
		})
	}
}

// TestEncodeChatRequestAllocatesOnce checks that the body is sized up front
// for long prompts with the escapes they usually have.
func TestEncodeChatRequestAllocatesOnce(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts do not hold under the race detector")
	}
	const size = 100 << 10
	prose := strings.Repeat("A line of prose, with a \"quote\" now and then, and the odd tab\tin it.\n", size/70)
	toolResult := strings.Repeat(`{"name":"Paris","temp":21.5,"tags":["a","b"]},`, size/46)
	tests := []struct {
		name string
		msgs []llmgate.Message
	}{
		{"prose", []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("Be brief.")}},
			{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(prose)}},
		}},
		{"tool_result", []llmgate.Message{
			{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "c", Name: "f", Arguments: toolResult}}},
			{Role: llmgate.RoleTool, ToolCallID: "c", Content: []llmgate.Part{llmgate.TextPart(toolResult)}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &llmgate.ChatRequest{Messages: tt.msgs, Params: allParamsChat.Params}
			allocs := testing.AllocsPerRun(10, func() {
				if _, _, err := encodeChatRequest(req, ChatOptions{Model: "gpt-4o"}, true); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 1 {
				t.Errorf("encodeChatRequest allocated %v times, want 1", allocs)
			}
		})
	}
}

// FuzzEncodeChatRequest puts fuzzed text, numbers and raw JSON in every
// place of a request and checks the fast encoder against encoding/json.
func FuzzEncodeChatRequest(f *testing.F) {
	f.Add("hello", "gpt-4o", 0.7, 1e-7, []byte(`{"type":"object"}`), uint8(0))
	f.Add(awkward, "", math.Copysign(0, -1), 1e21, []byte(" [1, \"<a>\" ,\n{}] "), uint8(0xff))
	f.Add("\u2028\xff", "\x00", 123456789.123, -0.1, []byte(`{`), uint8(0x5a))
	f.Fuzz(func(t *testing.T, text, name string, f1, f2 float64, raw []byte, flags uint8) {
		bit := func(n uint) bool { return flags&(1<<n) != 0 }
		parts := []llmgate.Part{llmgate.TextPart(text)}
		if bit(0) {
			parts = append(parts, llmgate.Part{Type: llmgate.PartImage, ImageURL: name, ImageDetail: text})
		}
		req := &llmgate.ChatRequest{
			Messages: []llmgate.Message{
				{Role: llmgate.Role(name), Name: text, Content: parts},
				{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: name, Name: text, Arguments: text}}},
				{Role: llmgate.RoleTool, ToolCallID: text, Content: []llmgate.Part{llmgate.TextPart(name)}},
			},
			Params: llmgate.ChatParams{Temperature: &f1, TopP: &f2, Stop: []string{text, name}, User: name},
		}
		if bit(1) {
			req.Params.PresencePenalty, req.Params.FrequencyPenalty = &f2, &f1
		}
		if bit(2) {
			req.Params.Tools = []llmgate.Tool{{Name: name, Description: text, Parameters: raw, Strict: ptr(bit(3))}}
		}
		if bit(4) {
			req.Params.ResponseFormat = &llmgate.ResponseFormat{Type: "json_schema", Name: name, Schema: raw}
		}
		if bit(5) {
			req.Params.ToolChoice = &llmgate.ToolChoice{Mode: "function", Name: text}
		}
		opts := ChatOptions{Model: name, MaxCompletionTokens: bit(6)}
		checkEncoderAgrees(t, req, opts, bit(7))
		if want, _ := json.Marshal(text); !bytes.Equal(jsonappend.String(nil, text), want) {
			t.Fatalf("jsonappend.String(%q) differs from encoding/json", text)
		}
	})
}

// TestEncodeCopiesLiterals encodes requests whose long texts (content,
// an image URL, tool call arguments) were read by a jsonscan Scanner that
// keeps their JSON forms: the body carries each form as the client sent it, and says what the body encoded without them
// says. A text that is not the one read (a copy, as a change would make)
// is escaped as usual.
func TestEncodeCopiesLiterals(t *testing.T) {
	forms := []string{
		// \/ is a form jsonappend does not write: it writes /.
		strings.Repeat(`line\n\tof \"text\" at a\/b with é and 東京; `, 40),
		strings.Repeat("plain words ", 100),
		`data:image\/png;base64,` + strings.Repeat(`iVBORw0KGgo+\/=`, 100),
		`{\"city\":\"` + strings.Repeat(`Paris\/`, 200) + `\"}`,
	}
	var lits jsonscan.Literals
	var texts []string
	for _, f := range forms {
		s := jsonscan.NewLent([]byte(`"`+f+`"`), &lits)
		texts = append(texts, s.Text())
		if _, ok := lits.Literal(texts[len(texts)-1]); !ok {
			t.Fatalf("no literal kept for %.20q", f)
		}
	}
	req := &llmgate.ChatRequest{Model: "gpt-4o", Messages: []llmgate.Message{
		{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(texts[0])}},
		{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(texts[1]), llmgate.TextPart("short")}},
		{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(strings.Clone(texts[0]))}},
		{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("look"), {Type: llmgate.PartImage, ImageURL: texts[2]}}},
		{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCall{{ID: "call_1", Name: "weather", Arguments: texts[3]}}},
		{Role: llmgate.RoleTool, ToolCallID: "call_1", Content: []llmgate.Part{llmgate.TextPart("sunny")}},
	}}
	with, _, err := encodeChatRequest(req, ChatOptions{Model: "gpt-4o", Literals: &lits}, false)
	if err != nil {
		t.Fatal(err)
	}
	without, _, err := encodeChatRequest(req, ChatOptions{Model: "gpt-4o"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range forms {
		if !bytes.Contains(with, []byte(`"`+f+`"`)) {
			t.Errorf("the body does not carry the form %.30q as sent", f)
		}
	}
	if n := bytes.Count(with, []byte(forms[0])); n != 1 {
		t.Errorf("the first form is in the body %d times; want once (the copied text is escaped)", n)
	}
	var a, b any
	if err := json.Unmarshal(with, &a); err != nil {
		t.Fatalf("the body with literals is not JSON: %v", err)
	}
	if err := json.Unmarshal(without, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the bodies with and without literals say different things:\n%.300s\n%.300s", with, without)
	}
}
