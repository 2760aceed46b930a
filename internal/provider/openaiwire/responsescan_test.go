package openaiwire

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// responseSamples are chat completion bodies: the fixtures, and odd shapes
// that the fast path must either decode as encoding/json does or refuse.
func responseSamples(t testing.TB) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob("testdata/chat_response_*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, s := range []string{
		`{}`,
		`null`,
		` {"id":"a","choices":[]} `,
		`{"id":"a","choices":null,"usage":null,"created":null,"model":null,"system_fingerprint":null}`,
		`{"id":"a","choices":[null,{"index":2,"message":null},{"message":{"role":"","content":""}}]}`,
		`{"id":"a","choices":[{"index":0,"message":{"role":"user","content":"Hi \"there\"\n\u00e9\ud83d\ude00 \ud800 x","refusal":null,"annotations":[{"type":"url"}],"audio":null},"finish_reason":"length","logprobs":null}]}`,
		`{"id":"a","choices":[{"message":{"content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},null,{"function":null},{"type":"function","function":{"name":"g"}}]}}]}`,
		`{"id":"a","choices":[{"message":{"tool_calls":[]}}]}`,
		`{"id":"a","choices":[{"message":{"tool_calls":null,"function_call":{"name":"old"}}}]}`,
		`{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":null,"completion_tokens_details":{"reasoning_tokens":7,"audio_tokens":1}}}`,
		`{"usage":{"prompt_tokens_details":{"cached_tokens":5,"audio_tokens":0},"completion_tokens_details":null,"extra":{"x":[1,2.5,true]}}}`,
		`{"usage":{}}`,
		`{"id":"a","object":"chat.completion","service_tier":"default","prompt_filter_results":[{"prompt_index":0}],"choices":[{"content_filter_results":{},"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}]}`,
		// Odd shapes the fast path refuses, for encoding/json to decide.
		`{"id":"a","choices":[{"logprobs":{"content":[]},"message":{"content":"x"}}]}`,
		`{"id":"a","id":"b"}`,
		`{"id":"a","choices":[{"message":{"content":"a"}}],"choices":[{"index":1}]}`,
		`{"choices":[{"message":{"content":"a","content":null}}]}`,
		`{"choices":[{"message":{"content":"a"},"message":{"role":"tool"}}]}`,
		`{"usage":{"prompt_tokens":1},"usage":{"total_tokens":2}}`,
		`{"usage":{"prompt_tokens_details":{"cached_tokens":1,"cached_tokens":2}}}`,
		`{"ID":"upper"}`,
		`{"Choices":[{"Message":{"Content":"x"}}]}`,
		`{"choices":[{"Index":3,"message":{"Role":"x","Tool_Calls":[]}}]}`,
		`{"usage":{"Prompt_Tokens":3,"prompt_tokens_details":{"Cached_Tokens":1}}}`,
		`{"choices":[{"message":{"tool_calls":[{"ID":"x","function":{"Name":"f"}}]}}]}`,
		`{"i\u0064":"escaped key"}`,
		`{"id":"a","created":1.5}`,
		`{"id":"a","created":"yesterday"}`,
		`{"id":5}`,
		`{"model":5}`,
		`{"created":99999999999999999999}`,
		`{"choices":"no"}`,
		`{"choices":{}}`,
		`{"choices":[{"index":-1,"finish_reason":7}]}`,
		`{"choices":[{"message":{"content":["part"]}}]}`,
		`{"choices":[{"message":{"tool_calls":[{"type":1}]}}]}`,
		`{"usage":{"total_tokens":1e3}}`,
		`{"id":"a",}`,
		`{"id":"a"} x`,
		`{"id":"a"`,
		``,
		`<html>`,
		"{\"id\":\"bad \xff utf8\",\"choices\":[{\"message\":{\"content\":\"\xe2\x80 cut\"}}]}",
		"{\"id\":\"ctl \x01\"}",
	} {
		out = append(out, []byte(s))
	}
	return out
}

// checkDecoderAgrees fails unless decodeChatResponseFast either refuses
// data or decodes it as unmarshalChatResponse does.
func checkDecoderAgrees(t *testing.T, data []byte) bool {
	t.Helper()
	got, ok := decodeChatResponseFast(data)
	if !ok {
		return false
	}
	want, err := unmarshalChatResponse(data)
	if err != nil {
		t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", data, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%q: (-json +fast)\n%s", data, diff)
	}
	return true
}

func TestDecodeChatResponseFastAgreesWithEncodingJSON(t *testing.T) {
	fast := 0
	for _, data := range responseSamples(t) {
		if checkDecoderAgrees(t, data) {
			fast++
		}
	}
	if fast < 15 {
		t.Errorf("the fast path took %d samples, want the plain ones", fast)
	}
	// The fixtures of real answers take the fast path but for logprobs.
	for _, name := range []string{"chat_response_text.json", "chat_response_tool_calls.json", "chat_response_azure.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeChatResponseFast(data); !ok {
			t.Errorf("the fast path refused %s", name)
		}
	}
}

func FuzzDecodeChatResponse(f *testing.F) {
	for _, d := range responseSamples(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoderAgrees(t, data)
	})
}
