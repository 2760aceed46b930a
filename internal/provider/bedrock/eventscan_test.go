package bedrock

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeDeltaFast checks which contentBlockDelta payloads the fast
// decoder takes, and that it decodes those as encoding/json does; the
// others go to encoding/json.
func TestDecodeDeltaFast(t *testing.T) {
	tests := []struct {
		name, data string
		fast       bool
	}{
		{"text", `{"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcdefghijk"}`, true},
		{"tool input", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}},"p":"abc"}`, true},
		{"reasoning", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm","signature":"x"}},"p":"a"}`, true},
		{"nulls", `{"contentBlockIndex":null,"delta":{"text":null,"toolUse":null}}`, true},
		{"null delta", `{"contentBlockIndex":2,"delta":null}`, true},
		{"text then null", `{"delta":{"text":"a","text":null}}`, true},
		{"escaped text", `{"delta":{"text":"line\n\"q\" \u00e9"}}`, true},
		{"repeated index", `{"contentBlockIndex":1,"contentBlockIndex":3,"delta":{"text":"a"}}`, true},
		{"unknown tool member", `{"delta":{"toolUse":{"input":"x","extra":[1]}}}`, true},
		{"repeated delta", `{"delta":{"text":"a"},"delta":{"toolUse":{"input":"b"}}}`, false},
		{"repeated toolUse", `{"delta":{"toolUse":{"input":"a"},"toolUse":{}}}`, false},
		{"key in another case", `{"ContentBlockIndex":1,"delta":{"text":"a"}}`, false},
		{"key in lower case", `{"contentblockindex":1}`, false},
		{"delta key in another case", `{"delta":{"Text":"a"}}`, false},
		{"tool key in another case", `{"delta":{"toolUse":{"Input":"a"}}}`, false},
		{"text not a string", `{"delta":{"text":1}}`, false},
		{"fraction index", `{"contentBlockIndex":0.5}`, false},
		{"trailing data", `{"delta":{}} {}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got contentBlockDeltaEvent
			var text string
			var tool toolUseDelta
			if fast := decodeDeltaFast([]byte(tt.data), &got, &text, &tool); fast != tt.fast {
				t.Fatalf("decodeDeltaFast took it: %v, want %v", fast, tt.fast)
			}
			if !tt.fast {
				return
			}
			var want contentBlockDeltaEvent
			if err := json.Unmarshal([]byte(tt.data), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-json +fast)\n%s", diff)
			}
		})
	}
}

// TestStreamTextAllocations: the JSON of a text delta costs one
// allocation, its text (the event-stream decoder has its own).
func TestStreamTextAllocations(t *testing.T) {
	payload := []byte(`{"contentBlockIndex":0,"delta":{"text":"word "},"p":"abcdefgh"}`)
	s, _ := testStream(bytes.NewReader(nil))
	allocs := testing.AllocsPerRun(100, func() {
		c, err := s.event([]byte("contentBlockDelta"), payload)
		if err != nil || c.Deltas[0].Content != "word " {
			t.Fatalf("event = %+v, %v", c, err)
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations per text delta, want 1", allocs)
	}
}

// FuzzDecodeDeltaFast: whatever the fast decoder takes, encoding/json
// decodes to the same event.
func FuzzDecodeDeltaFast(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "stream_*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var frames []frameSpec
		if json.Unmarshal(b, &frames) != nil {
			continue // a fixture of another shape
		}
		for _, fr := range frames {
			f.Add([]byte(fr.Payload))
		}
	}
	f.Add([]byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":1}"}},"p":"ab"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got contentBlockDeltaEvent
		var text string
		var tool toolUseDelta
		if !decodeDeltaFast(data, &got, &text, &tool) {
			return
		}
		var want contentBlockDeltaEvent
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
	})
}
