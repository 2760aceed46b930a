package openaiwire

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
)

// embeddingsBody is an embeddings answer of n vectors of dims numbers,
// printed as OpenAI prints them.
func embeddingsBody(n, dims int) []byte {
	var b strings.Builder
	b.WriteString(`{"object":"list","data":[`)
	r := rand.New(rand.NewSource(1))
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"object":"embedding","index":` + strconv.Itoa(i) + `,"embedding":[`)
		for j := range dims {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.FormatFloat(float64(float32(r.NormFloat64()*0.03)), 'g', -1, 32))
		}
		b.WriteString("]}")
	}
	b.WriteString(`],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}`)
	return []byte(b.String())
}

// TestDecodeEmbeddingsFast checks which answers the fast decoder takes,
// and that it decodes those as encoding/json does.
func TestDecodeEmbeddingsFast(t *testing.T) {
	tests := []struct {
		name, data string
		fast       bool
	}{
		{"generated", string(embeddingsBody(3, 8)), true},
		{"numbers of every form", `{"data":[{"index":0,"embedding":[0,-0,1.5,-2e-3,1E+2,12345678901234567890,0.1234567890123456789]}]}`, true},
		{"nulls", `{"data":null,"model":null,"usage":null}`, true},
		{"null members", `{"data":[null,{"index":null,"embedding":null},{"embedding":[null,1]}],"usage":{"prompt_tokens":null}}`, true},
		{"empty", `{"data":[],"usage":{}}`, true},
		{"members skipped", `{"object":"list","data":[{"object":"embedding","embedding":[1],"x":{}}],"system_fingerprint":null}`, true},
		{"base64", `{"data":[{"index":0,"embedding":"AACAPw=="}]}`, false},
		{"repeated embedding", `{"data":[{"embedding":[1],"embedding":[2]}]}`, false},
		{"repeated data", `{"data":[],"data":[{"index":1}]}`, false},
		{"repeated usage", `{"usage":{"prompt_tokens":1},"usage":{"total_tokens":2}}`, false},
		{"key in another case", `{"Data":[]}`, false},
		{"number out of range", `{"data":[{"embedding":[1e400]}]}`, false},
		{"string number", `{"data":[{"embedding":["1"]}]}`, false},
		{"cut short", `{"data":[{"embedding":[1,2`, false},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "embedding*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct {
			name, data string
			fast       bool
		}{filepath.Base(f), string(b), !strings.Contains(string(b), `"embedding": "`) && !strings.Contains(string(b), `"embedding":"`)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got embeddingResponse
			if fast := decodeEmbeddingsFast([]byte(tt.data), &got, nil); fast != tt.fast {
				t.Fatalf("decodeEmbeddingsFast took it: %v, want %v", fast, tt.fast)
			}
			if !tt.fast {
				return
			}
			var want embeddingResponse
			if err := json.Unmarshal([]byte(tt.data), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-json +fast)\n%s", diff)
			}
		})
	}
}

// TestVectorJSON: the JSON text kept of each vector reads back as the
// vector; a vector with a null element, or of null, keeps none.
func TestVectorJSON(t *testing.T) {
	body := `{"data":[{"index":0,"embedding":[ 1.5, -2e-3 ,0 ]},{"index":1,"embedding":[null,1]},{"index":2,"embedding":null},{"index":3,"embedding":[]},null,{"index":5,"embedding":[5]}]}`
	r, err := decodeEmbeddingResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	// The null entry, index 0 as encoding/json decodes it, sorts after
	// the first (the sort is stable), each vector keeping its own text.
	want := []string{"[ 1.5, -2e-3 ,0 ]", "", "", "", "[]", "[5]"}
	for i, e := range r.Data {
		if string(e.JSON) != want[i] {
			t.Errorf("vector %d kept %q, want %q", i, e.JSON, want[i])
		}
		if e.JSON == nil {
			continue
		}
		var back []float64
		if err := json.Unmarshal(e.JSON, &back); err != nil || !cmp.Equal(back, e.Vector) {
			t.Errorf("vector %d: its JSON reads back as %v, %v; want %v", i, back, err, e.Vector)
		}
	}
}

// FuzzDecodeEmbeddingsFast: whatever the fast decoder takes, encoding/json
// decodes to the same answer, and each vector's kept JSON reads back as the
// vector.
func FuzzDecodeEmbeddingsFast(f *testing.F) {
	f.Add(embeddingsBody(2, 4))
	f.Add([]byte(`{"data":[{"index":0,"embedding":[0,-0,1.5,-2e-3,1E+2,null]}],"usage":{"prompt_tokens":3}}`))
	f.Add([]byte(`{"data":[{"embedding":"AACAPw=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got embeddingResponse
		var raws [][]byte
		if !decodeEmbeddingsFast(data, &got, &raws) {
			return
		}
		for i, raw := range raws {
			if raw == nil {
				continue
			}
			var back []float64
			if err := json.Unmarshal(raw, &back); err != nil || !cmp.Equal(back, []float64(got.Data[i].Embedding)) {
				t.Fatalf("%q: vector %d's JSON %q reads back as %v, %v", data, i, raw, back, err)
			}
		}
		var want embeddingResponse
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: (-json +fast)\n%s", data, diff)
		}
	})
}

// BenchmarkEmbeddingResponseDecode decodes an answer of 10 vectors of 1536
// numbers, 190 KB.
func BenchmarkEmbeddingResponseDecode(b *testing.B) {
	body := embeddingsBody(10, 1536)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeEmbeddingResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// checkEmbeddingRequest requires encodeEmbeddingRequest to write what
// json.Marshal writes for the wire value.
func checkEmbeddingRequest(t *testing.T, req *llmgate.EmbeddingRequest, model string) {
	t.Helper()
	w := embeddingRequest{Input: req.Input, Model: model, Dimensions: req.Dimensions, User: req.User, EncodingFormat: "float"}
	if w.Input == nil {
		w.Input = []string{}
	}
	want, err := json.Marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeEmbeddingRequest(req, model)
	if err != nil || string(got) != string(want) {
		t.Fatalf("encodeEmbeddingRequest = %s, %v\njson.Marshal          %s", got, err, want)
	}
}

func TestEncodeEmbeddingRequestMatchesMarshal(t *testing.T) {
	dims := 256
	for _, req := range []*llmgate.EmbeddingRequest{
		{},
		{Input: []string{}},
		{Input: []string{"hello"}},
		{Input: []string{"a <b> & \"c\"\n\u2028", "é \xff", ""}, Dimensions: &dims, User: "u-<1>"},
	} {
		checkEmbeddingRequest(t, req, "text-embedding-3-small")
		checkEmbeddingRequest(t, req, "")
	}
}

func FuzzEncodeEmbeddingRequest(f *testing.F) {
	f.Add("hello", "world", "m", "u", 3)
	f.Add("<a>\u2028\xff", "", "", "", -1)
	f.Fuzz(func(t *testing.T, a, b, model, user string, dims int) {
		req := &llmgate.EmbeddingRequest{Input: []string{a, b}, User: user}
		if dims >= 0 {
			req.Dimensions = &dims
		}
		checkEmbeddingRequest(t, req, model)
	})
}
