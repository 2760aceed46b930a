package anthropic

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

// TestDecodeEventFast checks which events the fast decoder takes, and that
// it decodes those as encoding/json does; the others go to encoding/json.
func TestDecodeEventFast(t *testing.T) {
	tests := []struct {
		name, data string
		fast       bool
	}{
		{"text", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`, true},
		{"tool input", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}`, true},
		{"spaced", ` { "type" : "content_block_delta" , "index" : 1 , "delta" : { "type" : "text_delta" , "text" : "a\nb" } } `, true},
		{"ping", `{"type": "ping"}`, true},
		{"block stop", `{"type":"content_block_stop","index":0}`, true},
		{"message stop", `{"type":"message_stop"}`, true},
		{"unknown members", `{"type":"content_block_delta","index":0,"x":[1,{"y":null}],"delta":{"type":"text_delta","text":"é","z":true}}`, true},
		{"nulls", `{"type":null,"index":null,"delta":{"type":"text_delta","text":null}}`, true},
		{"null delta", `{"type":"content_block_delta","delta":null}`, true},
		{"repeated scalars", `{"type":"a","type":"content_block_delta","index":1,"index":3,"delta":{"text":"a","text":"b"}}`, true},
		{"not ASCII text", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"東京 \u00e9 \ud83d\ude00"}}`, true},
		{"message start", `{"type":"message_start","message":{"id":"msg_1","model":"claude"}}`, false},
		{"block start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`, false},
		{"message delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}`, false},
		{"error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, false},
		{"key in another case", `{"type":"content_block_delta","Index":1,"delta":{"type":"text_delta","text":"a"}}`, false},
		{"delta key in another case", `{"type":"content_block_delta","delta":{"type":"text_delta","TEXT":"a"}}`, false},
		{"repeated delta", `{"delta":{"type":"text_delta"},"delta":{"text":"a"}}`, false},
		{"escaped key", `{"typ\u0065":"content_block_delta"}`, false},
		{"fraction index", `{"type":"content_block_delta","index":1.5}`, false},
		{"text not a string", `{"type":"content_block_delta","delta":{"text":5}}`, false},
		{"trailing data", `{"type":"ping"} x`, false},
		{"not an object", `["type"]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got streamEvent
			if fast := decodeEventFast([]byte(tt.data), &got); fast != tt.fast {
				t.Fatalf("decodeEventFast took it: %v, want %v", fast, tt.fast)
			}
			if !tt.fast {
				return
			}
			var want streamEvent
			if err := json.Unmarshal([]byte(tt.data), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-json +fast)\n%s", diff)
			}
		})
	}
}

// TestStreamTextAllocations: a text delta costs one allocation, its text.
func TestStreamTextAllocations(t *testing.T) {
	var b strings.Builder
	b.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude\",\"usage\":{\"input_tokens\":5}}}\n\n")
	const deltas = 100
	// AllocsPerRun calls its function once more to warm up.
	for range 2 * deltas {
		b.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"word \"}}\n\n")
	}
	data := []byte(b.String())
	s := newStream(context.Background(), io.NopCloser(bytes.NewReader(data)), "anthropic", "", 0)
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1, func() {
		for range deltas {
			c, err := s.Recv()
			if err != nil || c.Deltas[0].Content != "word " {
				t.Fatalf("Recv = %+v, %v", c, err)
			}
		}
	})
	if allocs > deltas {
		t.Errorf("%v allocations for %d text deltas, want at most one each", allocs, deltas)
	}
}

// FuzzDecodeEventFast: whatever the fast decoder takes, encoding/json
// decodes to the same event.
func FuzzDecodeEventFast(f *testing.F) {
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
	f.Add([]byte(`{"type":"content_block_delta","Delta":{"text":"a"},"index":9223372036854775807}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got streamEvent
		if !decodeEventFast(data, &got) {
			return
		}
		var want streamEvent
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
	})
}

// TestDecodeMessageFast checks which answers the fast decoder takes, and
// that it decodes those as encoding/json does.
func TestDecodeMessageFast(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "response_*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal("no answers in testdata", err)
	}
	tests := []struct {
		name, data string
		fast       bool
	}{
		{"nulls", `{"id":null,"model":null,"role":null,"content":null,"stop_reason":null,"usage":null}`, true},
		{"null members", `{"content":[null,{"type":null,"text":null,"id":null,"name":null,"input":null}],"usage":{"input_tokens":null,"output_tokens_details":null}}`, true},
		{"empty content", `{"content":[]}`, true},
		{"count set then null", `{"usage":{"input_tokens":5,"input_tokens":null,"output_tokens":2}}`, true},
		{"thinking block and cache counts", `{"content":[{"type":"thinking","thinking":"hm","signature":"x"},{"type":"text","text":"a\n\u00e9","citations":[]}],"usage":{"cache_creation_input_tokens":3,"cache_read_input_tokens":4,"output_tokens_details":{"thinking_tokens":7,"x":1}},"container":null}`, true},
		{"repeated content", `{"content":[],"content":[{"type":"text"}]}`, false},
		{"repeated usage", `{"usage":{"input_tokens":1},"usage":{"output_tokens":2}}`, false},
		{"key in another case", `{"Model":"m"}`, false},
		{"usage key in another case", `{"usage":{"Input_Tokens":1}}`, false},
		{"fraction count", `{"usage":{"input_tokens":1.5}}`, false},
		{"text not a string", `{"content":[{"type":"text","text":1}]}`, false},
		{"cut short", `{"content":[{"type":"text","text":"a"`, false},
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct {
			name, data string
			fast       bool
		}{filepath.Base(f), string(b), true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got messageResponse
			if fast := decodeMessageFast([]byte(tt.data), &got); fast != tt.fast {
				t.Fatalf("decodeMessageFast took it: %v, want %v", fast, tt.fast)
			}
			if !tt.fast {
				return
			}
			var want messageResponse
			if err := json.Unmarshal([]byte(tt.data), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-json +fast)\n%s", diff)
			}
		})
	}
}

// FuzzDecodeMessageFast: whatever the fast decoder takes, encoding/json
// decodes to the same answer.
func FuzzDecodeMessageFast(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "response_*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"usage":{"input_tokens":5,"input_tokens":null,"output_tokens_details":{"thinking_tokens":null}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got messageResponse
		if !decodeMessageFast(data, &got) {
			return
		}
		var want messageResponse
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
	})
}
