package gemini

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeResponseFast checks which events the fast decoder takes, and
// that it decodes those as encoding/json does; the others go to
// encoding/json.
func TestDecodeResponseFast(t *testing.T) {
	tests := []struct {
		name, data string
		fast       bool
	}{
		{"text", `{"candidates": [{"content": {"parts": [{"text": "Hello"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 7,"totalTokenCount": 7},"modelVersion": "gemini-2.0-flash","responseId": "stream-1"}`, true},
		{"finish", `{"candidates":[{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,"totalTokenCount":10,"thoughtsTokenCount":2,"cachedContentTokenCount":1}}`, true},
		{"thought", `{"candidates":[{"content":{"parts":[{"text":"Let me check.","thought":true,"thoughtSignature":"Q2lJ"}],"role":"model"},"index":0}]}`, true},
		{"members skipped", `{"candidates":[{"content":{"parts":[{"text":"a","x":{}}],"role":"model","y":1},"safetyRatings":[{"category":"HARM","probability":"NEGLIGIBLE"}],"avgLogprobs":-0.5,"index":1}],"usageMetadata":{"promptTokensDetails":[{"modality":"TEXT","tokenCount":7}],"totalTokenCount":7},"modelVersion":"m","createTime":"2026-01-01T00:00:00Z"}`, true},
		{"several parts and candidates", `{"candidates":[{"content":{"parts":[{"text":"a"},{"text":"b"},null]}},null,{"index":2,"content":null}]}`, true},
		{"nulls", `{"candidates":null,"usageMetadata":null,"modelVersion":null,"responseId":null,"promptFeedback":null,"error":null}`, true},
		{"null members", `{"candidates":[{"content":{"parts":null,"role":null},"finishReason":null,"index":null,"finishMessage":null}],"usageMetadata":{"totalTokenCount":null}}`, true},
		{"empty parts", `{"candidates":[{"content":{"parts":[]}}]}`, true},
		{"repeated scalars", `{"modelVersion":"a","modelVersion":"b","candidates":[{"index":1,"index":2,"content":{"role":"x","role":"model","parts":[{"text":"a","text":"b","thought":true,"thought":null}]}}]}`, true},
		{"escaped text", `{"candidates":[{"content":{"parts":[{"text":"line\n\"q\" \u00e9 \ud83d\ude00"}]}}]}`, true},
		{"function call", `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]}}]}`, false},
		{"inline data", `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}}]}`, false},
		{"logprobs", `{"candidates":[{"logprobsResult":{"topCandidates":[]},"index":0}]}`, false},
		{"blocked prompt", `{"promptFeedback":{"blockReason":"SAFETY"}}`, false},
		{"error", `{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}`, false},
		{"key in another case", `{"ModelVersion":"m"}`, false},
		{"key in lower case", `{"modelversion":"m"}`, false},
		{"part key in another case", `{"candidates":[{"content":{"parts":[{"Text":"a"}]}}]}`, false},
		{"repeated candidates", `{"candidates":[{"index":0}],"candidates":[{"finishReason":"STOP"}]}`, false},
		{"repeated content", `{"candidates":[{"content":{"role":"model"},"content":{"parts":[]}}]}`, false},
		{"repeated parts", `{"candidates":[{"content":{"parts":[{"text":"a"}],"parts":[{"thought":true}]}}]}`, false},
		{"repeated usage", `{"usageMetadata":{"promptTokenCount":1},"usageMetadata":{"totalTokenCount":2}}`, false},
		{"fraction index", `{"candidates":[{"index":0.5}]}`, false},
		{"index out of range", `{"candidates":[{"index":99999999999999999999}]}`, false},
		{"text not a string", `{"candidates":[{"content":{"parts":[{"text":1}]}}]}`, false},
		{"cut short", `{"candidates":[{"content":{"parts":[{"text":"a"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got generateContentResponse
			if fast := decodeResponseFast([]byte(tt.data), &got, "stream-1", "gemini-2.0-flash"); fast != tt.fast {
				t.Fatalf("decodeResponseFast took it: %v, want %v", fast, tt.fast)
			}
			if !tt.fast {
				return
			}
			var want generateContentResponse
			if err := json.Unmarshal([]byte(tt.data), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-json +fast)\n%s", diff)
			}
		})
	}
}

// TestStreamTextAllocations: an event of text costs a few allocations: its
// text, its content and parts, and its usage.
func TestStreamTextAllocations(t *testing.T) {
	const events = 100
	var b strings.Builder
	// AllocsPerRun calls its function once more to warm up.
	for range 2*events + 1 {
		b.WriteString(`data: {"candidates": [{"content": {"parts": [{"text": "word "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 7,"candidatesTokenCount": 2,"totalTokenCount": 9},"modelVersion": "gemini-2.0-flash","responseId": "stream-1"}` + "\r\n\r\n")
	}
	s := newStream(context.Background(), io.NopCloser(strings.NewReader(b.String())), "gemini", "", 0, received)
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1, func() {
		for range events {
			c, err := s.Recv()
			if err != nil || c.Deltas[0].Content != "word " {
				t.Fatalf("Recv = %+v, %v", c, err)
			}
		}
	})
	if allocs > 4*events {
		t.Errorf("%v allocations for %d text events, want at most four each", allocs, events)
	}
}

// FuzzDecodeResponseFast: whatever the fast decoder takes, encoding/json
// decodes to the same event.
func FuzzDecodeResponseFast(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "stream_*.sse"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for sc := bufio.NewScanner(bytes.NewReader(b)); sc.Scan(); {
			if data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:")); ok {
				f.Add(bytes.Clone(data))
			}
		}
	}
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"text":"a","thought":false}],"role":"model"},"finishReason":"MAX_TOKENS","index":3},{}],"usageMetadata":{"totalTokenCount":5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got generateContentResponse
		if !decodeResponseFast(data, &got, "stream-1", "gemini-2.0-flash") {
			return
		}
		var want generateContentResponse
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
	})
}

// TestDecodeEmbeddingsFast checks which batchEmbedContents answers the fast
// decoder takes, that it decodes those as encoding/json does, and that
// each vector's kept text reads back as the vector.
func TestDecodeEmbeddingsFast(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		fast       bool
		kept       []string
	}{
		{"answer", `{"embeddings":[{"values":[0.013168523, -0.008711934]},{"values":[1e-3,0]}]}`, true, []string{"[0.013168523, -0.008711934]", "[1e-3,0]"}},
		{"nulls", `{"embeddings":[null,{"values":null},{"values":[null,1]},{}],"x":1}`, true, []string{"", "", "", ""}},
		{"empty", `{"embeddings":[]}`, true, []string{}},
		{"skipped member", `{"embeddings":[{"values":[1],"statistics":{"truncated":false}}]}`, true, []string{"[1]"}},
		{"repeated values", `{"embeddings":[{"values":[1],"values":[2]}]}`, false, nil},
		{"repeated embeddings", `{"embeddings":[],"embeddings":[]}`, false, nil},
		{"key in another case", `{"Embeddings":[]}`, false, nil},
		{"values key in another case", `{"embeddings":[{"Values":[1]}]}`, false, nil},
		{"string number", `{"embeddings":[{"values":["1"]}]}`, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got batchEmbedContentsResponse
			var raws [][]byte
			if fast := decodeEmbeddingsFast([]byte(tc.data), &got, &raws); fast != tc.fast {
				t.Fatalf("decodeEmbeddingsFast took it: %v, want %v", fast, tc.fast)
			}
			if !tc.fast {
				return
			}
			var want batchEmbedContentsResponse
			if err := json.Unmarshal([]byte(tc.data), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-json +fast)\n%s", diff)
			}
			if len(raws) != len(tc.kept) {
				t.Fatalf("%d texts kept, want %d", len(raws), len(tc.kept))
			}
			for i, raw := range raws {
				if string(raw) != tc.kept[i] {
					t.Errorf("vector %d kept %q, want %q", i, raw, tc.kept[i])
				}
			}
		})
	}
}

// FuzzDecodeEmbeddingsFast: whatever the fast decoder takes, encoding/json
// decodes to the same answer, and each kept text reads back as its vector.
func FuzzDecodeEmbeddingsFast(f *testing.F) {
	f.Add([]byte(`{"embeddings":[{"values":[0.013168523, -0.008711934]},null,{"values":[null]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got batchEmbedContentsResponse
		var raws [][]byte
		if !decodeEmbeddingsFast(data, &got, &raws) {
			return
		}
		var want batchEmbedContentsResponse
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
		if len(raws) != len(got.Embeddings) {
			t.Fatalf("%q: %d texts for %d vectors", data, len(raws), len(got.Embeddings))
		}
		for i, raw := range raws {
			if raw == nil {
				continue
			}
			var back []float64
			if err := json.Unmarshal(raw, &back); err != nil || !cmp.Equal(back, got.Embeddings[i].Values) {
				t.Fatalf("%q: vector %d's text %q reads back as %v, %v", data, i, raw, back, err)
			}
		}
	})
}
