package bedrock

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// wireOf builds a request with every field set from a few values, flags
// choosing which optional fields are present.
func wireOf(text, name string, f float64, raw []byte, flags uint16) *converseRequest {
	bit := func(n uint) bool { return flags&(1<<n) != 0 }
	n := len(text)
	img := &imageBlock{Format: name, Source: imageSource{Bytes: text}}
	blocks := []contentBlock{
		{Text: text},
		{Image: img},
		{ToolUse: &toolUseBlock{ToolUseID: name, Name: name, Input: raw}},
		{ToolUse: &toolUseBlock{ToolUseID: name}},
		{ToolResult: &toolResultBlock{ToolUseID: name, Content: []toolResultContent{{Text: text}, {Image: img}, {}}}},
		{ToolResult: &toolResultBlock{ToolUseID: name}},
		{},
	}
	if bit(0) {
		blocks = append(blocks, contentBlock{Text: text, Image: img, ToolUse: &toolUseBlock{Input: raw}})
	}
	w := &converseRequest{Messages: []message{{Role: "user", Content: blocks}, {Role: "assistant"}, {Content: []contentBlock{}}}}
	if bit(1) {
		w.System = []systemBlock{{Text: text}, {}}
	}
	if bit(2) {
		w.InferenceConfig = &inferenceConfig{}
	}
	if bit(3) {
		w.InferenceConfig = &inferenceConfig{MaxTokens: &n, Temperature: &f, TopP: &f, StopSequences: []string{text, name}}
	}
	if bit(4) && w.InferenceConfig != nil {
		w.InferenceConfig.MaxTokens, w.InferenceConfig.StopSequences = nil, nil
	}
	if bit(5) {
		strict := bit(6)
		w.ToolConfig = &toolConfig{Tools: []tool{{ToolSpec: toolSpec{Name: name, Description: text, InputSchema: inputSchema{JSON: raw}, Strict: &strict}}, {}}}
	}
	if bit(6) {
		if w.ToolConfig == nil {
			w.ToolConfig = &toolConfig{}
		}
		w.ToolConfig.ToolChoice = &toolChoice{Auto: &struct{}{}, Any: &struct{}{}, Tool: &specificTool{Name: name}}
	}
	if bit(7) {
		w.ToolConfig = &toolConfig{Tools: []tool{}, ToolChoice: &toolChoice{}}
	}
	if bit(8) {
		w.OutputConfig = &outputConfig{TextFormat: outputFormat{Type: "json_schema", Structure: outputStructure{JSONSchema: jsonSchemaDefinition{Schema: string(raw), Name: name, Description: text}}}}
	}
	if bit(9) {
		w.Messages = nil
	}
	return w
}

// checkAppendConverse requires appendConverse without literals to write
// exactly what json.Marshal writes, and to refuse what it refuses.
func checkAppendConverse(t *testing.T, w *converseRequest) {
	t.Helper()
	want, err := json.Marshal(w)
	got, ok := appendConverse(nil, w, nil)
	switch {
	case err != nil && ok:
		t.Fatalf("appendConverse took what json.Marshal refuses (%v): %s", err, got)
	case err == nil && !ok:
		t.Fatalf("appendConverse refused what json.Marshal writes: %s", want)
	case err == nil && !bytes.Equal(got, want):
		t.Fatalf("appendConverse wrote\n%s\njson.Marshal\n%s", got, want)
	}
}

func TestAppendConverse(t *testing.T) {
	for flags := range 1024 {
		checkAppendConverse(t, wireOf("a <b> & \"c\"\n\u2028 é \xff", "m", 0.25, []byte(` {"a": [1, "<x>"]} `), uint16(flags)))
	}
	for _, w := range []*converseRequest{
		wireOf("t", "m", math.NaN(), []byte(`{}`), 1<<3),
		wireOf("t", "m", 1, []byte(`{`), 0),
		wireOf("t", "m", 1, []byte{}, 1<<5),
		wireOf("t", "m", 1, nil, 1<<5),
	} {
		checkAppendConverse(t, w)
	}
}

// TestAppendConverseLiterals: a long text the client sent is written in
// the client's JSON form, wherever it appears; a copy is escaped as usual.
func TestAppendConverseLiterals(t *testing.T) {
	long := strings.Repeat("<b>", 400)
	body := []byte(`["` + long + `"]`)
	var lits jsonscan.Literals
	s := jsonscan.NewLent(body, &lits)
	s.Enter('[')
	first := true
	s.Next(']', &first)
	text := s.Text()
	got, ok := appendConverse(nil, wireOf(text, "m", 1, []byte(`{}`), 1<<1), &lits)
	if !ok {
		t.Fatal("appendConverse refused the request")
	}
	// Text, image bytes twice, tool result text, system.
	if n := bytes.Count(got, []byte(`"`+long+`"`)); n != 5 {
		t.Errorf("the client's form of the text appears %d times, want 5", n)
	}
	var back converseRequest
	if err := json.Unmarshal(got, &back); err != nil || back.Messages[0].Content[0].Text != text {
		t.Errorf("the body does not decode to the text: %v", err)
	}
	if got, _ := appendConverse(nil, wireOf(strings.Clone(text), "m", 1, []byte(`{}`), 0), &lits); bytes.Contains(got, []byte(long)) {
		t.Error("a copy of the text was written in the client's form")
	}
}

func FuzzAppendConverse(f *testing.F) {
	f.Add("hello", "bedrock", 0.7, []byte(`{"type":"object"}`), uint16(0x3ff))
	f.Add("<a> & \u2028\xff\"\\", "", math.Inf(1), []byte(" [1, \"<a>\" ,\n{}] "), uint16(0x15a))
	f.Add("", "\x00", -0.0, []byte(`{`), uint16(0x28))
	f.Fuzz(func(t *testing.T, text, name string, fl float64, raw []byte, flags uint16) {
		checkAppendConverse(t, wireOf(text, name, fl, raw, flags))
	})
}

// BenchmarkRequestEncodeLarge encodes a request whose user message is a
// 100 KB prompt, plain and with the escapes of markdown; the last case's
// prompt was read from a client's body, whose JSON form of it is copied.
func BenchmarkRequestEncodeLarge(b *testing.B) {
	const markdown = "## Usage\n\tclient.chat(\"hi\")\nReturns a \"reply\"; see the café menu (東京).\n"
	for _, tc := range []struct {
		name, unit string
		literal    bool
	}{
		{"100KB", "The quick brown fox jumps over the lazy dog. ", false},
		{"100KB_markdown", markdown, false},
		{"100KB_markdown_from_client", markdown, true},
	} {
		prompt := strings.Repeat(tc.unit, 100<<10/len(tc.unit))
		var lits *jsonscan.Literals
		if tc.literal {
			lits = new(jsonscan.Literals)
			body, _ := json.Marshal(prompt)
			s := jsonscan.NewLent(body, lits)
			prompt = s.Text()
		}
		req := &llmgate.ChatRequest{Messages: []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("You are a helpful assistant.")}},
			{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(prompt)}},
		}}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(100 << 10)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeRequest(req, lits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
