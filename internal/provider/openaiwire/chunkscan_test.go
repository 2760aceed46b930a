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
	fast := 0
	for _, data := range chunkSamples(t) {
		var want chatChunk
		wantErr := json.Unmarshal(data, &want)
		var got chatChunk
		if !decodeChunkFast(data, &got, "", "") {
			continue
		}
		fast++
		if wantErr != nil {
			t.Errorf("fast path accepted %s, which encoding/json refuses: %v", data, wantErr)
			continue
		}
		if diff := cmp.Diff(normalized(want), normalized(got), cmp.AllowUnexported(chatChunk{})); diff != "" {
			t.Errorf("%s: (-json +fast)\n%s", data, diff)
		}
	}
	if fast < 5 {
		t.Errorf("the fast path took only %d samples; it should take the usual chunks", fast)
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
