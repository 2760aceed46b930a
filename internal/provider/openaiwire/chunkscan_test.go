package openaiwire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chunkSamples are chunk data lines: the stream fixtures' and odd shapes
// that the fast path must either decode as encoding/json does or refuse.
func chunkSamples(t testing.TB) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob("testdata/*.sse")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok && d != "[DONE]" {
				out = append(out, []byte(d))
			}
		}
	}
	for _, s := range []string{
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi \"there\"\n\u00e9","refusal":null},"logprobs":null,"finish_reason":null,"content_filter_results":{"hate":{"filtered":false}}}],"usage":null}`,
		`{"id":"c1","created":1,"model":"m","choices":[{"index":1,"delta":{},"finish_reason":"stop"}]}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":40,"total_tokens":1040,"prompt_tokens_details":{"cached_tokens":512,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":7,"accepted_prediction_tokens":0}}}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":1,"prompt_tokens_details":null,"completion_tokens_details":null}}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":1},"usage":{"completion_tokens":2}}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":1,"prompt_tokens":2}}`,
		`{"id":"c1","choices":[],"usage":{"Prompt_Tokens":1}}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":1.5}}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens":"1"}}`,
		`{"id":"c1","choices":[],"usage":[]}`,
		`{"id":"c1","choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":1,"Cached_Tokens":2}}}`,
		`{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"{}"}}]}}]}`,
		`{"ID":"upper","choices":null}`,
		`{"id":"c1","choices":[{"Index":2,"delta":{"Content":"x"}}]}`,
		`{"id":"c1","choices":[{"index":0,"delta":{"content":"a"}}],"choices":[{"index":1}]}`,
		`{"id":"c1","choices":[{"index":0,"logprobs":{"content":[]},"delta":{"content":"a"}}]}`,
		`{"id":"c1","created":1.5}`,
		`{"id":5}`,
		`{"id":"c1","choices":[null,{"index":3}]}`,
		`{"error":{"message":"boom","type":"server_error"}}`,
		`{"id":"c1",}`,
		`{"id":"c1"} x`,
		`{"id":"c1","choices":[{"delta":{"content":"\ud83d"}}]}`,
		"{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"bad \xff\"}}]}",
		`{"id":"c1","created":null,"model":null,"choices":[{"index":null,"delta":null,"finish_reason":null}]}`,
		// A null leaves a repeated key's value in place; other values win.
		`{"id":"c1","id":null,"model":"m","model":null,"created":5,"created":null,"choices":[{"index":1,"index":null,"finish_reason":"stop","finish_reason":null,"delta":{"role":"assistant","role":null,"content":"a","content":null}}]}`,
		`{"id":"c1","id":"c2","created":5,"created":6,"choices":[{"index":1,"index":2,"delta":{"content":"a","content":"b"}}]}`,
		`{"choices":[{"delta":{"content":"a"},"delta":{"role":"assistant"},"delta":null}]}`,
		`{"choices":[{"delta":{"content":"a","tool_calls":null,"refusal":null},"logprobs":null}],"error":null}`,
		// Repeated usage objects merge; a null resets the pointer.
		`{"usage":{"prompt_tokens":1},"usage":null}`,
		`{"usage":null,"usage":{"total_tokens":3}}`,
		`{"usage":{"prompt_tokens":null,"prompt_tokens_details":{"cached_tokens":1},"prompt_tokens_details":{"audio_tokens":2},"prompt_tokens_details":null}}`,
		`{"usage":{"completion_tokens_details":{"reasoning_tokens":1,"reasoning_tokens":null,"Reasoning_Tokens":2}}}`,
		`{"usage":{"Total_Tokens":1}}`,
		`{"usage":5}`,
		// White space, as Python's json.dumps writes it, and more.
		" \t\r\n{ \"id\" : \"c1\" , \"created\" :\t7 , \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"x\" } , \"logprobs\" : null } ] , \"usage\" : { \"total_tokens\" : 3 } } \n",
		"{\"id\":\"c1\"}\x00",
		"{\"id\":\"c1\"}\x0b",
		// Integers.
		`{"created":-0,"choices":[{"index":-1}]}`,
		`{"created":123456789012345678}`,
		`{"created":1234567890123456789}`,
		`{"created":9223372036854775808}`,
		`{"created":-9223372036854775809}`,
		`{"created":01}`,
		`{"created":-}`,
		`{"created":1e3}`,
		`{"created":1.0}`,
		`{"created":"1"}`,
		`{"created":true}`,
		`{"choices":[{"index":2147483648}]}`,
		// Skipped values of every kind, valid and not.
		`{"x":[1,-2.5e+3,0.1E-2,0,-0,true,false,null,{"a":{"b":[]}},"\u00e9\"\\\/\b\f\n\r\t",[]],"y":{},"z":{"\u00e9":1,"é":2,"A":3}}`,
		`{"\u00e9":1}`,
		`{"x":01}`,
		`{"x":1.}`,
		`{"x":.5}`,
		`{"x":1e}`,
		`{"x":1e+}`,
		`{"x":-}`,
		`{"x":+1}`,
		`{"x":"\x"}`,
		`{"x":"\u12"}`,
		`{"x":"\u12g4"}`,
		`{"x":tru}`,
		`{"x":nul}`,
		`{"x":[1,]}`,
		`{"x":[,1]}`,
		`{"x":{"a":1,}}`,
		`{"x":{"a" 1}}`,
		`{"x":{1:1}}`,
		`{"x":{"a":1 "b":2}}`,
		`{"x":"` + strings.Repeat("a", 100) + `"}`,
		`{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 39) + `}`,
		"{\"x\":\"a\x01\"}",
		"{\"x\":\"a\x7f\"}",
		"{\"x\":\"\xff\"}",
		// Keys encoding/json matches other than by their bytes.
		`{"uſage":{"prompt_tokens":1}}`,
		`{"choices":[{"delta":{"content":"a","\u0063ontent":"b"}}]}`,
		`{"Model":"m","MODELS":"x","Id":"i"}`,
		`{"choices":[{"Finish_Reason":"stop"}]}`,
		`{"choices":[{"delta":{"Role":"user"}}]}`,
		// Strings.
		`{"id":"é","model":"\ud83d\ude00","choices":[{"delta":{"content":"こんにちは\n\n"}}]}`,
		"{\"id\":\"\xff\xfe\",\"model\":\"a\xc3\"}",
		"{\"id\":\"a\x01\"}",
		`{"id":"abc\"}`,
		`{"id":"abc`,
		// Malformed objects.
		``,
		` `,
		`null`,
		`[]`,
		`{}`,
		`{"id":"c1"}}`,
		`{"id":"c1"`,
		`{"id" "c1"}`,
		`{"id":"c1" "model":"m"}`,
		`{,"id":"c1"}`,
		`{"choices":[{"index":0}`,
		`{"choices":[{"index":0]}`,
		// Names Member reads on its short path, near the end of the data,
		// and with white space around the colon.
		`{"id":"c1","model":"gpt-4o"}`,
		`{"id":"c1","x":1}`,
		`{"x":1,"id":"c1"`,
		`{"x":1,"id"`,
		`{"x":1,"id":`,
		`{"id" :"c1" ,"model"` + "\t:\n" + `"m"}`,
		`{"id":"c1",  "created":1}`,
		`{"id":"c1","system_fingerprint":"fp","system_fingerprint":null}`,
		`{"` + strings.Repeat("k", 70) + `":1,"id":"c1"}`,
		`{"` + strings.Repeat("K", 70) + `":1,"id":"c1"}`,
		`{"Usage":null,"Error":null,"Choices":[]}`,
		`{"choices":[{"Delta":{"content":"a"},"INDEX":1,"Logprobs":null}]}`,
		`{"choices":[{"delta":{"Tool_Calls":null,"ROLE":"user"}}]}`,
		`{"choices":[{"delta":{"content":"a","Tool_Calls":[{"index":0,"id":"t"}]}}]}`,
		`{"choices":[{"Finish_reason":"stop","LOGPROBS":{"content":[]}}]}`,
		`{"choices":[{"delta":{"content":"a","x":1,}}]}`,
		`{"choices":[{"delta":{"content":"a"},}]}`,
		`{"choices":[{"delta":{"content":"a"}},]}`,
		// The id and the model of the previous chunk, as they are and
		// spelled otherwise.
		`{"id":"c1","model":"gpt-4o","choices":[]}`,
		`{"id":"c\u0031","model":"gpt\u002d4o"}`,
		`{"id":"c1\n","model":"gpt-4o\"}`,
		`{"id":"c1"x,"model":"gpt-4o"}`,
		`{"id":"c1","model":"gpt-4o`,
		`{"id":"c1` + "\x01" + `"}`,
		"{\"id\":\"c1\x01\",\"model\":\"gpt-4o\x7f\"}",
		`{"id": "c1", "model": "gpt-4o"}`,
		`{"id":"chatcmpl-bench-1","model":"gpt-4o-2024-08-06"}`,
		`{"id":"chatcmpl-bench-1x","model":"gpt-4o-2024-08-0"}`,
		// Times of every length around the eight digits read at once.
		`{"created":12345678}`,
		`{"created":123456789,"id":"c1"}`,
		`{"created":1732700000,"id":"c1"}`,
		`{"created":01732700000,"id":"c1"}`,
		`{"created":-1732700000,"id":"c1"}`,
		`{"created":1732700000.5,"id":"c1"}`,
		`{"created":17327000e1,"id":"c1"}`,
		`{"created":99999999999999999999,"id":"c1"}`,
		`{"created":17327/00,"id":"c1"}`,
		`{"created":17327:00,"id":"c1"}`,
		// Skipped objects, as Azure sends them, well formed or not, and
		// nested deeper than the 64 levels Skip keeps in a word.
		`{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"}},"delta":{"content":"a"}}]}`,
		`{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe",}},"delta":{"content":"a"}}]}`,
		`{"choices":[{"content_filter_results":{"hate":{"filtered":false "severity":"safe"}},"delta":{"content":"a"}}]}`,
		`{"choices":[{"content_filter_results":{"hate":{"filtered":fals,"severity":"safe"}},"delta":{"content":"a"}}]}`,
		`{"choices":[{"content_filter_results":{"hate":{"filtered":false,"sev"erity":"sáfe"}},"delta":{"content":"a"}}]}`,
		`{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}]},"delta":{"content":"a"}}]}`,
		"{\"choices\":[{\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"sa\x01fe\"}},\"delta\":{\"content\":\"a\"}}]}",
		`{"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"choices":[]}`,
		`{"prompt_filter_results":[{"prompt_index":01}],"choices":[]}`,
		`{"x":` + strings.Repeat(`{"a":[`, 40) + strings.Repeat(`]}`, 40) + `,"id":"c1"}`,
		`{"x":` + strings.Repeat(`{"a":[`, 40) + strings.Repeat(`}]`, 40) + `,"id":"c1"}`,
		`{"x":` + strings.Repeat(`[{"a":`, 40) + `1` + strings.Repeat(`}]`, 40) + `,"id":"c1"}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// normalized drops the differences the stream's code does not see: a null
// logprobs kept as text, and a nil against an empty choice list.
func normalized(w chatChunk) chatChunk {
	if len(w.Choices) == 0 {
		w.Choices = nil
	}
	for i := range w.Choices {
		w.Choices[i].Logprobs = rawOrNil(w.Choices[i].Logprobs)
	}
	return w
}

func TestDecodeChunkFastAgreesWithEncodingJSON(t *testing.T) {
	// The previous chunk's id and model are compared with the chunk's
	// before it is read: none, others, and those of the samples.
	prevs := [][2]string{{"", ""}, {"c1", "gpt-4o"}, {"chatcmpl-bench-1", "gpt-4o-2024-08-06"}, {"c1\n", `gpt-4o"`}}
	for _, prev := range prevs {
		fast := 0
		for _, data := range chunkSamples(t) {
			var want chatChunk
			wantErr := json.Unmarshal(data, &want)
			var got chatChunk
			if !decodeChunkFast(data, &got, prev[0], prev[1]) {
				continue
			}
			fast++
			if wantErr != nil {
				t.Errorf("fast path accepted %s, which encoding/json refuses: %v", data, wantErr)
				continue
			}
			if diff := cmp.Diff(normalized(want), normalized(got), cmp.AllowUnexported(chatChunk{})); diff != "" {
				t.Errorf("%s, after %q: (-json +fast)\n%s", data, prev, diff)
			}
		}
		if fast < 5 {
			t.Errorf("the fast path took only %d samples; it should take the usual chunks", fast)
		}
	}
}

// usualChunks are chunks of the shapes the usual providers send, which the
// fast path must take.
var usualChunks = []struct{ name, data string }{
	{"openai", `{"id":"chatcmpl-bench-1","object":"chat.completion.chunk","created":1732700000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}],"usage":null}`},
	{"azure", `{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}},"delta":{"content":"Bonjour"},"finish_reason":null,"index":0,"logprobs":null}],"created":1730000000,"id":"chatcmpl-AzureXYZ","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","system_fingerprint":"fp_d54531d9eb","usage":null}`},
	{"obfuscated", `{"id":"chatcmpl-bench-1","object":"chat.completion.chunk","created":1732700000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"Qm9uam91cg"}`},
	{"escaped", `{"id":"chatcmpl-bench-1","object":"chat.completion.chunk","created":1732700000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":".\n\n"},"logprobs":null,"finish_reason":null}],"usage":null}`},
	{"unicode", `{"id":"chatcmpl-bench-1","object":"chat.completion.chunk","created":1732700000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":"こんにちは"},"logprobs":null,"finish_reason":null}],"usage":null}`},
	{"spaced", `{"id": "chatcmpl-bench-1", "object": "chat.completion.chunk", "created": 1732700000, "model": "gpt-4o-2024-08-06", "choices": [{"index": 0, "delta": {"content": " word"}, "logprobs": null, "finish_reason": null}]}`},
	{"usage", `{"id":"chatcmpl-bench-1","object":"chat.completion.chunk","created":1732700000,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_bench","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":40,"total_tokens":1040,"prompt_tokens_details":{"cached_tokens":512,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":7,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`},
	{"azure_prompt_filter", `{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":false,"detected":false}}}]}`},
}

func TestDecodeChunkFastTakesUsualChunks(t *testing.T) {
	for _, c := range usualChunks {
		var got chatChunk
		if !decodeChunkFast([]byte(c.data), &got, "", "") {
			t.Errorf("%s: the fast path refused %s", c.name, c.data)
		}
	}
}

// On a stream, a chunk allocates nothing but its content: the id and the
// model are the previous chunk's strings, and a role or a finish reason the
// usual one.
func TestDecodeChunkFastAllocations(t *testing.T) {
	for _, s := range []string{
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}`,
	} {
		data := []byte(s)
		w := chatChunk{Choices: make([]chunkChoice, 0, 1)}
		allocs := testing.AllocsPerRun(100, func() {
			w = chatChunk{Choices: w.Choices[:0]}
			if !decodeChunkFast(data, &w, "chatcmpl-1", "gpt-4o") {
				t.Fatalf("the fast path refused %s", data)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations, want none", data, allocs)
		}
	}
}

func FuzzDecodeChunkFast(f *testing.F) {
	for _, d := range chunkSamples(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got chatChunk
		if !decodeChunkFast(data, &got, "c1", "gpt-4o") {
			return
		}
		var want chatChunk
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(normalized(want), normalized(got), cmp.AllowUnexported(chatChunk{})); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
	})
}
