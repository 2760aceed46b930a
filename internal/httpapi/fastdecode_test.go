package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/bufpool/bufpooltest"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// cmpBody compares decoded bodies field by field, unexported ones included,
// telling nil slices and maps from empty ones as encoding/json does.
var cmpBody = cmp.AllowUnexported(content{}, oaContent{}, oaToolChoice{}, anSystem{}, anContent{})

// errText is what a client would see of a decoding error: its code and
// its message.
func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// lent is a Scanner that lends texts and records no literals.
func lent(b []byte) jsonscan.Scanner { return jsonscan.NewLent(b, nil) }

// checkFast decodes data into a T with its hand-written decoder and with
// encoding/json, and reports how the two differ: when the fast decoder
// takes a body, encoding/json must take it too and fill the same value;
// when it declines, it must leave its value untouched; and decodeBody,
// what readJSON runs, must answer exactly what encoding/json answers.
func checkFast[T any, P interface {
	*T
	fastDecoder
}](data []byte) (took bool, problem string) {
	var fast, std, body T
	took = P(&fast).decodeFast(data, jsonscan.New)
	// Shared, lent or copied, the decoder must fill the same value; from
	// its own copy of data, as readJSON gives it.
	for _, views := range []struct {
		name string
		new  func([]byte) jsonscan.Scanner
	}{{"shared", jsonscan.NewShared}, {"lent", lent}} {
		var v T
		if vTook := P(&v).decodeFast(bytes.Clone(data), views.new); vTook != took {
			return took, fmt.Sprintf("the %s decode took the body: %v; the copying one: %v", views.name, vTook, took)
		} else if d := cmp.Diff(fast, v, cmpBody); d != "" {
			return took, fmt.Sprintf("%s and copying decodes differ (-copying +%s):\n%s", views.name, views.name, d)
		}
	}
	stdErr := decodeStrict(data, &std)
	switch {
	case took && stdErr != nil:
		return took, fmt.Sprintf("fast path took a body encoding/json refuses: %s", errText(stdErr))
	case took:
		if d := cmp.Diff(std, fast, cmpBody); d != "" {
			return took, "fast path and encoding/json differ (-json +fast):\n" + d
		}
	default:
		var zero T
		if d := cmp.Diff(zero, fast, cmpBody); d != "" {
			return took, "fast path declined but changed its value:\n" + d
		}
	}
	bodyErr := decodeBody(data, jsonscan.New, P(&body))
	if errText(bodyErr) != errText(stdErr) {
		return took, fmt.Sprintf("decodeBody error %s; encoding/json %s", errText(bodyErr), errText(stdErr))
	}
	if bodyErr == nil {
		if d := cmp.Diff(std, body, cmpBody); d != "" {
			return took, "decodeBody and encoding/json differ (-json +decodeBody):\n" + d
		}
	}
	return took, ""
}

// checkBoth runs checkFast for both chat bodies and reports whether each
// took the fast path.
func checkBoth(t testing.TB, data []byte) (native, openai bool) {
	t.Helper()
	native, p := checkFast[chatRequest](data)
	if p != "" {
		t.Errorf("chatRequest %q: %s", trim(data), p)
	}
	openai, p = checkFast[oaChatRequest](data)
	if p != "" {
		t.Errorf("oaChatRequest %q: %s", trim(data), p)
	}
	return native, openai
}

func trim(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// nest returns depth arrays, one in another.
func nest(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

const (
	nativeHead = `{"provider":{"name":"azure_openai","model":{"name":"gpt-4o"}},"prompt":{`
	nativeMsgs = `"messages":[{"role":"user","content":"hi"}]`
)

// native wraps prompt members in a native chat body.
func native(prompt string) string { return nativeHead + prompt + `}}` }

// nativeMsg is a native body with one message whose content is c.
func nativeMsg(c string) string {
	return native(`"messages":[{"role":"user","content":` + c + `}]`)
}

// nativeParam is a native body with the parameter object p.
func nativeParam(p string) string { return native(`"parameter":` + p + `,` + nativeMsgs) }

const oaMsgs = `"messages":[{"role":"user","content":"hi"}]`

// oa is an OpenAI body with the given members after model and messages.
func oa(members string) string {
	if members != "" {
		members = "," + members
	}
	return `{"model":"azure_openai/gpt-4o",` + oaMsgs + members + `}`
}

// oaMsg is an OpenAI body with one message whose content is c.
func oaMsg(c string) string {
	return `{"model":"m","messages":[{"role":"user","content":` + c + `}]}`
}

var nativeBodies = []struct {
	name string
	body string
	fast bool
}{
	{"plain", native(nativeMsgs), true},
	{"every field", `{"provider":{"name":"openai","model":{"name":"gpt-4o"}},"prompt":{"parameter":{"temperature":0.7,"maxTokens":256,"topP":1,` +
		`"stop":["\n\n","END"],"presencePenalty":-0.5,"frequencyPenalty":1e-3,"seed":-42,"n":2,"user":"u-1",` +
		`"responseFormat":{"type":"json_schema","jsonSchema":{"name":"answer","schema": {"type" : "object", "properties":{"a":{"type":["string","null"]}}} ,"strict":true}}},` +
		`"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is the weather?","name":"alice"},` +
		`{"role":"assistant","content":null,"toolCalls":[{"id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}"}]},` +
		`{"role":"tool","content":"sunny","toolCallId":"call_1"}]},"stream":true,` +
		`"routing":{"fallbacks":["openai/gpt-4o-mini","cheap"],"timeout":"30s","attemptTimeout":"20s","firstTokenTimeout":"5s"}}`, true},
	{"stop as string", nativeParam(`{"stop":"END"}`), true},
	{"stop empty", nativeParam(`{"stop":[]}`), true},
	{"stop null", nativeParam(`{"stop":null}`), true},
	{"stop with null", nativeParam(`{"stop":["a",null]}`), true},
	{"stop number", nativeParam(`{"stop":5}`), false},
	{"stop numbers", nativeParam(`{"stop":[1]}`), false},
	{"parts", nativeMsg(`[{"type":"text","text":"What is this?"},{"type":"image_url","imageUrl":{"url":"https://x/y.png","detail":"high"}},{"type":"image_url","imageUrl":{"url":"data:image/png;base64,AAAA"}}]`), true},
	{"parts empty", nativeMsg(`[]`), true},
	{"text part with image", nativeMsg(`[{"type":"text","text":"t","imageUrl":{"url":"u"}}]`), true},
	{"part of unknown type", nativeMsg(`[{"type":"input_audio"}]`), false},
	{"part null", nativeMsg(`[null]`), false},
	{"image part without url", nativeMsg(`[{"type":"image_url","imageUrl":{"detail":"low"}}]`), false},
	{"image part with null image", nativeMsg(`[{"type":"image_url","imageUrl":null}]`), false},
	{"part in OpenAI spelling", nativeMsg(`[{"type":"image_url","image_url":{"url":"u"}}]`), false},
	{"part key in another case", nativeMsg(`[{"Type":"text","text":"t"}]`), false},
	{"part with unknown key", nativeMsg(`[{"type":"text","text":"t","cache":true}]`), false},
	{"part repeated key", nativeMsg(`[{"type":"text","text":"a","text":"b"}]`), false},
	{"content object", nativeMsg(`{"text":"x"}`), false},
	{"content number", nativeMsg(`5`), false},
	{"content true", nativeMsg(`true`), false},
	{"escapes", nativeMsg(`"a\"b\\c\/d\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00 \u0000"`), true},
	{"unicode", nativeMsg(`"héllo 世界 🙂 ` + strings.Repeat("ünïcödé ", 20) + `"`), true},
	{"invalid UTF-8", nativeMsg("\"bad \xff\xfe byte, cut \xe2\x82 rune, surrogate \xed\xa0\x80 " + strings.Repeat("pad ", 10) + "\""), true},
	{"invalid UTF-8 and escapes", nativeMsg("\"\xff\\n\xc3\""), true},
	{"lone surrogates", nativeMsg(`"\ud83d \ude00 \ud83dx \ude00\ud83d \ud83d\u0041 \ud83d\ud83d\ude00"`), true},
	{"invalid UTF-8 in name", native(`"messages":[{"role":"user","name":"a` + "\xff" + `","content":"x"}]`), true},
	{"bad escape", nativeMsg(`"\x"`), false},
	{"short unicode escape", nativeMsg(`"\u12"`), false},
	{"control character", nativeMsg("\"a\x01b\""), false},
	{"key in another case", `{"Provider":{"name":"a","model":{"name":"b"}},"prompt":{` + nativeMsgs + `}}`, false},
	{"nested key in another case", native(`"messages":[{"ROLE":"user","content":"x"}]`), false},
	{"parameter key in another case", nativeParam(`{"MaxTokens":5}`), false},
	{"key with escape", `{"\u0070rovider":{"name":"a","model":{"name":"b"}},"prompt":{` + nativeMsgs + `}}`, false},
	{"key with unicode", `{"provıder":{}}`, false},
	{"repeated key", `{"stream":true,"stream":false,"provider":{"name":"a","model":{"name":"b"}},"prompt":{` + nativeMsgs + `}}`, false},
	{"repeated messages", native(nativeMsgs + `,` + nativeMsgs), false},
	{"repeated role", native(`"messages":[{"role":"user","role":"system","content":"x"}]`), false},
	{"repeated parameter", native(`"parameter":{"n":1},"parameter":{"seed":2},` + nativeMsgs), false},
	{"unknown top field", `{"extra":1,"provider":{"name":"a","model":{"name":"b"}},"prompt":{` + nativeMsgs + `}}`, false},
	{"unknown parameter", nativeParam(`{"max_tokens":5}`), false},
	{"unknown message field", native(`"messages":[{"role":"user","content":"x","refusal":null}]`), false},
	{"nulls", `{"provider":{"name":null,"model":null},"prompt":{"parameter":{"temperature":null,"maxTokens":null,"topP":null,"stop":null,` +
		`"presencePenalty":null,"frequencyPenalty":null,"seed":null,"n":null,"user":null,"responseFormat":null},` +
		`"messages":[null,{"role":null,"content":null,"name":null,"toolCalls":null,"toolCallId":null},{"role":"assistant","toolCalls":[null]}]},"stream":null,"routing":null}`, true},
	{"null objects", `{"provider":null,"prompt":null,"routing":{"fallbacks":null,"timeout":null}}`, true},
	{"null json schema", nativeParam(`{"responseFormat":{"type":"json_schema","jsonSchema":null}}`), true},
	{"null schema", nativeParam(`{"responseFormat":{"type":"json_schema","jsonSchema":{"name":"x","schema":null,"strict":null}}}`), true},
	{"schema scalar", nativeParam(`{"responseFormat":{"jsonSchema":{"schema":"text"}}}`), true},
	{"empty arrays", native(`"messages":[{"role":"assistant","content":"x","toolCalls":[]}]`) + ``, true},
	{"no messages", native(`"messages":[]`), true},
	{"empty object", `{}`, true},
	{"empty objects", `{"provider":{},"prompt":{},"routing":{}}`, true},
	{"fallbacks empty", `{"routing":{"fallbacks":[]}}`, true},
	{"white space", "\r\n\t {\n \"provider\" :\t{ \"name\" : \"a\" , \"model\" : { \"name\" : \"b\" } } ,\n\"prompt\" : { \"messages\" : [ { \"role\" : \"user\" , \"content\" : [ { \"type\" : \"text\" , \"text\" : \"x\" } ] } ] } }\n\r\t ", true},
	{"numbers", nativeParam(`{"temperature":-0,"topP":1E+0,"presencePenalty":0.1e1,"frequencyPenalty":2.5e-324,"maxTokens":-0,"seed":9223372036854775807,"n":0}`), true},
	{"big float", nativeParam(`{"temperature":123456789012345678901234567890.123456789}`), true},
	{"float out of range", nativeParam(`{"temperature":1e999}`), false},
	{"int overflow", nativeParam(`{"seed":9223372036854775808}`), false},
	{"int underflow", nativeParam(`{"seed":-9223372036854775809}`), false},
	{"fraction into int", nativeParam(`{"maxTokens":1.5}`), false},
	{"fraction zero into int", nativeParam(`{"n":1.0}`), false},
	{"exponent into int", nativeParam(`{"n":1e2}`), false},
	{"string into int", nativeParam(`{"maxTokens":"5"}`), false},
	{"string into float", nativeParam(`{"temperature":"0.5"}`), false},
	{"bool into float", nativeParam(`{"temperature":true}`), false},
	{"leading zero", nativeParam(`{"n":01}`), false},
	{"bare minus", nativeParam(`{"n":-}`), false},
	{"string into bool", `{"stream":"yes"}`, false},
	{"number into bool", `{"stream":1}`, false},
	{"number into string", `{"provider":{"name":5}}`, false},
	{"object into messages", native(`"messages":{}`), false},
	{"string into fallbacks", `{"routing":{"fallbacks":"a"}}`, false},
	{"array into provider", `{"provider":[]}`, false},
	{"string into strict", nativeParam(`{"responseFormat":{"jsonSchema":{"strict":"yes"}}}`), false},
	{"trailing garbage", native(nativeMsgs) + ` x`, false},
	{"trailing object", native(nativeMsgs) + `{}`, false},
	{"trailing comma", `{"stream":true,}`, false},
	{"missing comma", `{"stream":true "routing":null}`, false},
	{"missing colon", `{"stream" true}`, false},
	{"bad literal", `{"stream":tru}`, false},
	{"literal run on", `{"stream":truex}`, false},
	{"null run on", `{"routing":nullx}`, false},
	{"cut short", `{"provider":`, false},
	{"cut in string", `{"provider":{"name":"az`, false},
	{"cut after object", `{"stream":true`, false},
	{"unbalanced", `{"stream":true}}`, false},
	{"array body", `[]`, false},
	{"string body", `"x"`, false},
	{"null body", `null`, true}, // a no-op for encoding/json too
	{"number body", `1`, false},
	{"empty body", ``, false},
	{"space body", ` `, false},
	{"deep schema at the limit", nativeParam(`{"responseFormat":{"jsonSchema":{"schema":` + nest(10000-5) + `}}}`), true},
	{"deep schema past the limit", nativeParam(`{"responseFormat":{"jsonSchema":{"schema":` + nest(10000-4) + `}}}`), false},
	{"deep invalid schema", nativeParam(`{"responseFormat":{"jsonSchema":{"schema":[[[1,]]]}}}`), false},
}

var openAIBodies = []struct {
	name string
	body string
	fast bool
}{
	{"plain", oa(""), true},
	{"every field", `{"model":"azure_openai/gpt-4o","messages":[{"role":"developer","content":"Be brief."},` +
		`{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"auto"}}],"name":"bob"},` +
		`{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`{"role":"tool","content":"sunny","tool_call_id":"call_1"},{"role":"assistant","content":"","refusal":"I cannot."}],` +
		`"temperature":0.2,"top_p":0.9,"n":1,"stream":true,"stream_options":{"include_usage":true},"stop":"END",` +
		`"max_tokens":100,"max_completion_tokens":200,"presence_penalty":0.5,"frequency_penalty":-1.25,"seed":7,"user":"u",` +
		`"response_format":{"type":"json_schema","json_schema":{"name":"answer","description":"An answer.","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false},"strict":true}},` +
		`"tools":[{"type":"function","function":{"name":"weather","description":"Weather of a city.","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Rome"]}}},"strict":false}},` +
		`{"type":"function","function":{"name":"time"}}],` +
		`"tool_choice":{"type":"function","function":{"name":"weather"}},"parallel_tool_calls":false,"logprobs":true,"top_logprobs":3,` +
		`"fallbacks":["cheap"],"metadata":null,"store":false,"logit_bias":null}`, true},
	{"tool choice auto", oa(`"tool_choice":"auto"`), true},
	{"tool choice other mode", oa(`"tool_choice":"sometimes"`), true},
	{"tool choice null", oa(`"tool_choice":null`), true},
	{"tool choice escaped", oa(`"tool_choice":"\u0061uto"`), true},
	{"tool choice extra key", oa(`"tool_choice":{"type":"function","function":{"name":"f"},"x":1}`), false},
	{"tool choice folded key", oa(`"tool_choice":{"Type":"function","function":{"name":"f"}}`), false},
	{"tool choice without name", oa(`"tool_choice":{"type":"function","function":{"name":""}}`), false},
	{"tool choice of another type", oa(`"tool_choice":{"type":"tool","function":{"name":"f"}}`), false},
	{"tool choice number", oa(`"tool_choice":5`), false},
	{"tool choice null function", oa(`"tool_choice":{"type":"function","function":null}`), false},
	{"stop array", oa(`"stop":["a","b","c","d","e"]`), true},
	{"stop empty", oa(`"stop":[]`), true},
	{"stop object", oa(`"stop":{}`), false},
	{"parameters null", oa(`"tools":[{"type":"function","function":{"name":"f","parameters":null}}]`), true},
	{"parameters with white space", oa(`"tools":[{"type":"function","function":{"name":"f","parameters":   { "type" : "object" , "x":[ 1 , 2.5e3 , "\u00e9" ] }   }}]`), true},
	{"parameters scalars", oa(`"tools":[{"function":{"parameters":"s"}},{"function":{"parameters":-1.5}},{"function":{"parameters":true}},{"function":null},null]`), true},
	{"parameters invalid", oa(`"tools":[{"type":"function","function":{"name":"f","parameters":{"a":}}}]`), false},
	{"tools empty", oa(`"tools":[]`), true},
	{"tools null", oa(`"tools":null`), true},
	{"tool unknown key", oa(`"tools":[{"type":"function","function":{"name":"f"},"cache_control":{}}]`), false},
	{"tool call without index", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"arguments":""}},null]}]}`, true},
	{"tool call index null", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"index":null,"function":null}]}]}`, true},
	{"tool call index fraction", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"index":0.5}]}]}`, false},
	{"refusal number", `{"model":"m","messages":[{"role":"assistant","refusal":1}]}`, false},
	{"response format text", oa(`"response_format":{"type":"text"}`), true},
	{"response format null schema", oa(`"response_format":{"type":"json_schema","json_schema":null}`), true},
	{"response format unknown key", oa(`"response_format":{"type":"json_schema","jsonSchema":{}}`), false},
	{"stream options null", oa(`"stream":false,"stream_options":null`), true},
	{"stream options empty", oa(`"stream_options":{}`), true},
	{"stream options unknown", oa(`"stream_options":{"include_obfuscation":false}`), false},
	{"metadata", oa(`"metadata":{"a":"b"}`), false},
	{"metadata empty", oa(`"metadata":{}`), false},
	{"logit bias", oa(`"logit_bias":{"50256":-100}`), false},
	{"store", oa(`"store":true`), true},
	{"parts", oaMsg(`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}}]`), true},
	{"part in native spelling", oaMsg(`[{"type":"image_url","imageUrl":{"url":"u"}}]`), false},
	{"part audio", oaMsg(`[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]`), false},
	{"part detail escaped", oaMsg(`[{"type":"image_url","image_url":{"url":"u","detail":"\u0068igh"}}]`), true},
	{"content null", oaMsg(`null`), true},
	{"unknown field", oa(`"reasoning_effort":"low"`), false},
	{"key in another case", oa(`"Temperature":1`), false},
	{"snake and camel", oa(`"maxTokens":5`), false},
	{"repeated model", oa(`"model":"b"`), false},
	{"repeated tools", oa(`"tools":[],"tools":[]`), false},
	{"nulls", `{"model":null,"messages":null,"temperature":null,"top_p":null,"n":null,"stream":null,"stream_options":null,"stop":null,` +
		`"max_tokens":null,"max_completion_tokens":null,"presence_penalty":null,"frequency_penalty":null,"seed":null,"user":null,` +
		`"response_format":null,"tools":null,"tool_choice":null,"parallel_tool_calls":null,"logprobs":null,"top_logprobs":null,` +
		`"fallbacks":null,"metadata":null,"store":null,"logit_bias":null}`, true},
	{"wrong types", oa(`"n":"1"`), false},
	{"bool as number", oa(`"logprobs":1`), false},
	{"trailing garbage", oa("") + `]`, false},
	{"trailing white space", oa("") + " \n\t\r", true},
	{"long prompt", oaMsg(strconv.Quote(strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 300))), true},
}

// an is an Anthropic body with the given members after model, max_tokens
// and messages.
func an(members string) string {
	if members != "" {
		members = "," + members
	}
	return `{"model":"smart","max_tokens":256,"messages":[{"role":"user","content":"hi"}]` + members + `}`
}

// anMsg is an Anthropic body with one message whose content is c.
func anMsg(c string) string {
	return `{"model":"smart","max_tokens":256,"messages":[{"role":"user","content":` + c + `}]}`
}

var anthropicBodies = []struct {
	name string
	body string
	fast bool
}{
	{"plain", an(""), true},
	{"every field", an(`"system":"Be brief.","stop_sequences":["\n\nHuman:","END"],"temperature":0.5,"top_p":0.9,"top_k":40,` +
		`"tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}},"type":"custom"},` +
		`{"name":"t2","input_schema":{},"cache_control":{"type":"ephemeral"}}],` +
		`"tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},"metadata":{"user_id":"u-1"},"stream":true,"thinking":{"type":"enabled","budget_tokens":1024}`), true},
	{"system blocks", an(`"system":[{"type":"text","text":"One."},{"type":"text","text":"Two.","cache_control":{"type":"ephemeral"}}]`), true},
	{"system one block", an(`"system":[{"type":"text","text":"One."}]`), true},
	{"system no blocks", an(`"system":[]`), true},
	{"system image block", an(`"system":[{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]`), false},
	{"system null", an(`"system":null`), false},
	{"system number", an(`"system":1`), false},
	{"conversation", `{"model":"smart","max_tokens":9,"messages":[` +
		`{"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]},` +
		`{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city": "Paris"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"15 degrees","cache_control":{"type":"ephemeral"}},` +
		`{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"is_error":true},` +
		`{"type":"tool_result","tool_use_id":"toolu_3"}]}]}`, true},
	{"nulls", `{"model":null,"max_tokens":null,"messages":null,"stop_sequences":null,"temperature":null,"top_p":null,"top_k":null,"tools":null,"tool_choice":null,"metadata":null,"stream":null,"thinking":null}`, true},
	{"null elements", `{"messages":[null,{"role":null,"content":[null,{"type":null,"text":null,"source":null,"id":null,"name":null,"input":null,"tool_use_id":null,"content":null,"is_error":null,"cache_control":null}]}],"tools":[null],"stop_sequences":[null]}`, true},
	{"empty content", anMsg(`[]`), true},
	{"content null", anMsg(`null`), false},
	{"content number", anMsg(`1`), false},
	{"escaped text", anMsg(`"line\n\"quoted\" caf\u00e9 \ud83d\ude00"`), true},
	{"nested tool result content null", anMsg(`[{"type":"tool_result","content":null}]`), true},
	{"nested tool result content number", anMsg(`[{"type":"tool_result","content":5}]`), false},
	{"unknown top-level key", an(`"service_tier":"auto"`), false},
	{"unknown block key", anMsg(`[{"type":"text","text":"a","citations":[]}]`), false},
	{"unknown tool key", an(`"tools":[{"name":"t","input_schema":{},"strict":true}]`), false},
	{"unknown metadata key", an(`"metadata":{"session":"s"}`), false},
	{"key in another case", `{"Model":"smart","max_tokens":256,"messages":[{"role":"user","content":"hi"}]}`, false},
	{"repeated key", an(`"model":"other"`), false},
	{"max_tokens fraction", `{"model":"smart","max_tokens":1.5,"messages":[]}`, false},
	{"stream not a boolean", an(`"stream":"yes"`), false},
	{"trailing garbage", an("") + `}`, false},
	{"trailing white space", an("") + " \n", true},
	{"long prompt", anMsg(strconv.Quote(strings.Repeat("The quick brown fox jumps over the lazy dog.\n", 300))), true},
	{"long system blocks", an(`"system":[{"type":"text","text":` + strconv.Quote(strings.Repeat("Rule one. ", 200)) + `},{"type":"text","text":` + strconv.Quote(strings.Repeat("Rule two.\n", 200)) + `}]`), true},
}

func TestFastDecodeAnthropic(t *testing.T) {
	for _, tc := range anthropicBodies {
		t.Run(tc.name, func(t *testing.T) {
			took, p := checkFast[anRequest]([]byte(tc.body))
			if p != "" {
				t.Errorf("anRequest %q: %s", trim([]byte(tc.body)), p)
			}
			if took != tc.fast {
				t.Errorf("fast path took the body: %v, want %v", took, tc.fast)
			}
		})
	}
}

var embeddingBodies = []struct {
	name       string
	body       string
	native, oa bool // which fast decoder takes it
}{
	{"native one", `{"provider":{"name":"azure_openai","model":{"name":"text-embedding-3-small"}},"prompt":{"input":"hello"}}`, true, false},
	{"native many", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"input":["a","b\n\"c\"",null,""],"parameter":{"dimensions":256,"user":"u"}}}`, true, false},
	{"native nulls", `{"provider":null,"prompt":{"input":null,"parameter":null}}`, true, false},
	{"native unknown key", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"input":"x","dimensions":3}}`, false, false},
	{"native tokens", `{"provider":{"name":"a","model":{"name":"b"}},"prompt":{"input":[1,2]}}`, false, false},
	{"openai one", `{"model":"azure_openai/text-embedding-3-small","input":"hello"}`, false, true},
	{"openai every field", `{"model":"m","input":["a","é \u00e9",null],"encoding_format":"base64","dimensions":512,"user":"u-1"}`, false, true},
	{"openai nulls", `{"model":null,"input":null,"encoding_format":null,"dimensions":null,"user":null}`, false, true},
	{"openai empty input", `{"model":"m","input":[]}`, false, true},
	{"openai token arrays", `{"model":"m","input":[[1,2],[3]]}`, false, false},
	{"openai input number", `{"model":"m","input":5}`, false, false},
	{"openai key in another case", `{"Model":"m","input":"x"}`, false, false},
	{"openai repeated key", `{"model":"m","input":"x","input":"y"}`, false, false},
	{"openai dimensions fraction", `{"model":"m","input":"x","dimensions":1.5}`, false, false},
	{"openai trailing garbage", `{"model":"m","input":"x"}]`, false, false},
	{"openai long inputs", `{"model":"m","input":[` + strings.Repeat(strconv.Quote(strings.Repeat("The quick brown fox.\n", 60))+",", 20) + `"end"]}`, false, true},
}

func TestFastDecodeEmbeddings(t *testing.T) {
	for _, tc := range embeddingBodies {
		t.Run(tc.name, func(t *testing.T) {
			native, p := checkFast[embeddingRequest]([]byte(tc.body))
			if p != "" {
				t.Errorf("embeddingRequest: %s", p)
			}
			oa, p := checkFast[oaEmbeddingRequest]([]byte(tc.body))
			if p != "" {
				t.Errorf("oaEmbeddingRequest: %s", p)
			}
			if native != tc.native || oa != tc.oa {
				t.Errorf("fast paths took the body: native %v, OpenAI %v; want %v, %v", native, oa, tc.native, tc.oa)
			}
		})
	}
}

func TestFastDecodeNative(t *testing.T) {
	for _, tc := range nativeBodies {
		t.Run(tc.name, func(t *testing.T) {
			native, _ := checkBoth(t, []byte(tc.body))
			if native != tc.fast {
				t.Errorf("fast path took the body: %v, want %v", native, tc.fast)
			}
		})
	}
}

func TestFastDecodeOpenAI(t *testing.T) {
	for _, tc := range openAIBodies {
		t.Run(tc.name, func(t *testing.T) {
			_, openai := checkBoth(t, []byte(tc.body))
			if openai != tc.fast {
				t.Errorf("fast path took the body: %v, want %v", openai, tc.fast)
			}
		})
	}
}

// TestFastDecodeErrors pins the messages clients get for bodies the fast
// path leaves to encoding/json.
func TestFastDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{native(nativeMsgs) + ` x`, "invalid_json: the request body has data after its JSON object"},
		{`{"Stream":"yes"}`, "invalid_json: stream must be a boolean, not string"},
		{nativeParam(`{"max_tokens":5}`), `invalid_request: json: unknown field "max_tokens"`},
		{nativeMsg(`[{"type":"input_audio"}]`), `invalid_json: a content part's type must be text or image_url, not "input_audio"`},
		{`{"provider":`, "invalid_json: the JSON body ends too early"},
		{nativeParam(`{"maxTokens":1.5}`), "invalid_json: prompt.parameter.maxTokens must be a number, not number 1.5"},
	} {
		var v chatRequest
		if got := errText(decodeBody([]byte(tc.body), jsonscan.New, &v)); got != tc.want {
			t.Errorf("decodeBody(%s) = %s, want %s", tc.body, got, tc.want)
		}
	}
}

// TestReadJSONMatchesEncodingJSON runs every table body through readJSON,
// with and without a Content-Length, and compares what it answers with
// encoding/json's decoding of the same bytes.
func TestReadJSONMatchesEncodingJSON(t *testing.T) {
	s := &Server{}
	s.Handler()
	var bodies []string
	for _, tc := range nativeBodies {
		bodies = append(bodies, tc.body)
	}
	for _, tc := range openAIBodies {
		bodies = append(bodies, tc.body)
	}
	for _, body := range bodies {
		for _, known := range []bool{true, false} {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			if !known {
				r.ContentLength = -1
				r.Body = io.NopCloser(strings.NewReader(body))
			}
			var got, want chatRequest
			err := s.readJSON(httptest.NewRecorder(), r, &got)
			wantErr := decodeStrict([]byte(body), &want)
			if body == "" {
				wantErr = llmgate.Errorf(llmgate.EInvalidJSON, "the request body is empty; a JSON object is required")
			}
			if errText(err) != errText(wantErr) {
				t.Errorf("readJSON(%q) = %s; encoding/json %s", trim([]byte(body)), errText(err), errText(wantErr))
			} else if d := cmp.Diff(want, got, cmpBody); err == nil && d != "" {
				t.Errorf("readJSON(%q) differs from encoding/json (-want +got):\n%s", trim([]byte(body)), d)
			}
		}
	}
}

// TestReadJSONLimits checks the size limit with and without a declared
// length, and a body larger than the buffers kept in the pool.
func TestReadJSONLimits(t *testing.T) {
	s := &Server{MaxBodyBytes: 4 << 20}
	s.Handler()
	big := []byte(oaMsg(strconv.Quote(strings.Repeat("x", 2<<20))))
	for _, tc := range []struct {
		name  string
		body  []byte
		limit int64
		known bool
		want  string
	}{
		{"big body", big, 4 << 20, true, "<nil>"},
		{"big body without length", big, 4 << 20, false, "<nil>"},
		{"declared too large", big, 1 << 20, true, fmt.Sprintf("body_too_large: the request body is %d bytes; the limit is 1048576", len(big))},
		{"too large", big, 1 << 20, false, "body_too_large: the request body is larger than the limit of 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.MaxBodyBytes = tc.limit
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tc.body))
			if !tc.known {
				r.ContentLength = -1
				r.Body = io.NopCloser(bytes.NewReader(tc.body))
			}
			var v oaChatRequest
			err := s.readJSON(httptest.NewRecorder(), r, &v)
			if got := errText(err); got != tc.want {
				t.Fatalf("readJSON = %s, want %s", got, tc.want)
			}
			if err == nil && len(v.Messages[0].Content.parts[0].Text) != 2<<20 {
				t.Errorf("prompt of %d bytes, want %d", len(v.Messages[0].Content.parts[0].Text), 2<<20)
			}
		})
	}
}

// TestReadJSONPooledBodyOwnsNothing reads bodies of lengths that readJSON
// reads into bufpool's buffers, with each buffer overwritten as it goes
// back, and checks that the decoded prompt is intact: its text must be a
// copy, not a view of the buffer.
func TestReadJSONPooledBodyOwnsNothing(t *testing.T) {
	puts := bufpooltest.Poison(t)
	s := &Server{MaxBodyBytes: 4 << 20}
	s.Handler()
	for _, n := range []int{maxPooledBody, 100 << 10, maxBodyPrealloc - 1024} {
		prompt := strings.Repeat("abcdefgh", n/8)
		before := puts.Load()
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(oaMsg(strconv.Quote(prompt))))
		var v oaChatRequest
		if err := s.readJSON(httptest.NewRecorder(), r, &v); err != nil {
			t.Fatal(err)
		}
		if puts.Load() == before {
			t.Fatalf("a %d-byte prompt: no buffer went back to bufpool", n)
		}
		if got := v.Messages[0].Content.parts[0].Text; got != prompt {
			t.Fatalf("a %d-byte prompt reads back as %d bytes starting %.16q after its buffer was reused", n, len(got), got)
		}
	}
}

// FuzzChatDecode checks on any input that the fast paths of the three chat
// bodies (native, OpenAI, Anthropic) and of the two embeddings bodies take
// only what encoding/json takes, fill the same values, and leave readJSON's
// answer exactly encoding/json's.
func FuzzChatDecode(f *testing.F) {
	for _, tc := range nativeBodies {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	for _, tc := range openAIBodies {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	for _, tc := range anthropicBodies {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	for _, tc := range embeddingBodies {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBoth(t, data)
		if _, p := checkFast[anRequest](data); p != "" {
			t.Errorf("anRequest %q: %s", trim(data), p)
		}
		if _, p := checkFast[embeddingRequest](data); p != "" {
			t.Errorf("embeddingRequest %q: %s", trim(data), p)
		}
		if _, p := checkFast[oaEmbeddingRequest](data); p != "" {
			t.Errorf("oaEmbeddingRequest %q: %s", trim(data), p)
		}
	})
}

// benchBody pads a chat body to size bytes with filler in its user message,
// as the request-path benchmarks of cmd/llmgate do.
func benchBody(pre, post string, size int) []byte {
	const filler = "The quick brown fox jumps over the lazy dog. "
	n := max(size-len(pre)-len(post), 1)
	b := append([]byte(nil), pre...)
	for i := range n {
		b = append(b, filler[i%len(filler)])
	}
	return append(b, post...)
}

func benchDecode[T any, P interface {
	*T
	fastDecoder
}](b *testing.B, pre, post string) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"10KB", 10 << 10}, {"100KB", 100 << 10}} {
		body := benchBody(pre, post, size.n)
		for _, dec := range []struct {
			name   string
			decode func([]byte, any) error
		}{
			{"fast", func(data []byte, v any) error { return decodeBody(data, jsonscan.New, v) }},
			{"fast_shared", func(data []byte, v any) error { return decodeBody(data, jsonscan.NewShared, v) }},
			{"fast_lent", func(data []byte, v any) error { return decodeBody(data, lent, v) }},
			{"encoding_json", decodeStrict},
		} {
			b.Run(size.name+"/"+dec.name, func(b *testing.B) {
				var probe T
				if !P(&probe).decodeFast(body, jsonscan.New) {
					b.Fatal("the fast path declines the benchmark body")
				}
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					var v T
					if err := dec.decode(body, P(&v)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecodeNativeChat(b *testing.B) {
	benchDecode[chatRequest](b,
		`{"provider":{"name":"azure_openai","model":{"name":"gpt-4o"}},"prompt":{"parameter":{"maxTokens":256},"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`,
		`"}]},"stream":false}`)
}

func BenchmarkDecodeAnthropicMessages(b *testing.B) {
	benchDecode[anRequest](b,
		`{"model":"azure_openai/gpt-4o","max_tokens":256,"system":"You are a helpful assistant.","messages":[{"role":"user","content":"`,
		`"}],"stream":false}`)
}

func BenchmarkDecodeOpenAIChat(b *testing.B) {
	benchDecode[oaChatRequest](b,
		`{"model":"azure_openai/gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`,
		`"}],"max_tokens":256,"stream":false}`)
}

// TestReadJSONTextsOutliveTheBuffer reads a body, then another of the same
// size, and checks that the first body's text did not change: a pooled
// buffer is reused by the second read, so texts decoded from it must be
// copies, while those of a body too large for the pool may share it.
func TestReadJSONTextsOutliveTheBuffer(t *testing.T) {
	s := &Server{MaxBodyBytes: 4 << 20}
	s.Handler()
	for _, size := range []int{8 << 10, maxPooledBody / 2, 2 * maxPooledBody} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			read := func(fill string) string {
				body := []byte(`{"provider":{"name":"p","model":{"name":"m"}},"prompt":{"messages":[{"role":"user","content":"` + strings.Repeat(fill, size) + `"}]}}`)
				var v chatRequest
				r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				if err := s.readJSON(httptest.NewRecorder(), r, &v); err != nil {
					t.Fatal(err)
				}
				return v.Prompt.Messages[0].Content.parts[0].Text
			}
			first := read("a")
			read("b")
			if first != strings.Repeat("a", size) {
				t.Error("the first body's text changed when the second body was read")
			}
		})
	}
}
