package gemini

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
func wireOf(text, name string, f float64, raw []byte, flags uint16) *generateContentRequest {
	bit := func(n uint) bool { return flags&(1<<n) != 0 }
	n, seed := len(text), int64(-len(name))
	parts := []part{
		{Text: text},
		{Text: text, Thought: true, ThoughtSignature: name},
		{InlineData: &blob{MimeType: name, Data: text}},
		{FileData: &fileData{MimeType: name, FileURI: text}},
		{FileData: &fileData{FileURI: name}},
		{FunctionCall: &functionCall{ID: name, Name: name, Args: raw}},
		{FunctionCall: &functionCall{Name: name}},
		{FunctionResponse: &functionResponse{Name: name, Response: functionResponseValue{Output: text}}},
		{FunctionResponse: &functionResponse{Name: name, Response: functionResponseValue{Output: json.RawMessage(raw)}}},
		{},
	}
	if bit(0) {
		parts = append(parts, part{FunctionResponse: &functionResponse{Name: name}}, part{FunctionResponse: &functionResponse{Response: functionResponseValue{Output: json.RawMessage(nil)}}})
	}
	w := &generateContentRequest{Contents: []content{{Role: "user", Parts: parts}, {Role: "model"}, {Parts: []part{}}}}
	if bit(1) {
		w.SystemInstruction = &content{Parts: []part{{Text: text}}}
	}
	if bit(2) {
		w.Tools = []tool{{FunctionDeclarations: []functionDeclaration{{Name: name, Description: text, ParametersJSONSchema: raw}, {Name: name}}}, {}}
		w.ToolConfig = &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "ANY"}}
	}
	if bit(3) {
		w.ToolConfig = &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{name, text}}}
	}
	if bit(4) {
		w.GenerationConfig = &generationConfig{}
	}
	if bit(5) {
		gc := &generationConfig{StopSequences: []string{text}, ResponseMimeType: name, ResponseJSONSchema: raw, CandidateCount: &n, MaxOutputTokens: &n,
			Temperature: &f, TopP: &f, Seed: &seed, PresencePenalty: &f, FrequencyPenalty: &f, ResponseLogprobs: bit(6), Logprobs: &n, MediaResolution: name}
		w.GenerationConfig = gc
	}
	if bit(7) && w.GenerationConfig != nil {
		w.GenerationConfig.Temperature, w.GenerationConfig.Seed = nil, nil
	}
	if bit(8) {
		w.Contents = nil
	}
	return w
}

// checkAppendChatRequest requires appendChatRequest without literals to
// write exactly what json.Marshal writes, and to refuse what it refuses.
func checkAppendChatRequest(t *testing.T, w *generateContentRequest) {
	t.Helper()
	want, err := json.Marshal(w)
	got, ok := appendChatRequest(nil, w, nil)
	switch {
	case err != nil && ok:
		t.Fatalf("appendChatRequest took what json.Marshal refuses (%v): %s", err, got)
	case err == nil && !ok:
		t.Fatalf("appendChatRequest refused what json.Marshal writes: %s", want)
	case err == nil && !bytes.Equal(got, want):
		t.Fatalf("appendChatRequest wrote\n%s\njson.Marshal\n%s", got, want)
	}
}

func TestAppendChatRequest(t *testing.T) {
	for flags := range 512 {
		checkAppendChatRequest(t, wireOf("a <b> & \"c\"\n\u2028 é \xff", "m", 0.25, []byte(` {"a": [1, "<x>"]} `), uint16(flags)))
	}
	for _, w := range []*generateContentRequest{
		wireOf("t", "m", math.NaN(), []byte(`{}`), 1<<5),
		wireOf("t", "m", 1, []byte(`{`), 0),
		wireOf("t", "m", 1, []byte{}, 1<<2),
	} {
		checkAppendChatRequest(t, w)
	}
}

// TestAppendChatRequestLiterals: a long text the client sent is written in
// the client's JSON form, wherever it appears; a copy is escaped as usual.
func TestAppendChatRequestLiterals(t *testing.T) {
	long := strings.Repeat("<b>", 400)
	body := []byte(`["` + long + `"]`)
	var lits jsonscan.Literals
	s := jsonscan.NewLent(body, &lits)
	s.Enter('[')
	first := true
	s.Next(']', &first)
	text := s.Text()
	got, ok := appendChatRequest(nil, wireOf(text, "m", 1, []byte(`{}`), 1<<1), &lits)
	if !ok {
		t.Fatal("appendChatRequest refused the request")
	}
	// Text twice, inline data, file URI, tool output, system instruction.
	if n := bytes.Count(got, []byte(`"`+long+`"`)); n != 6 {
		t.Errorf("the client's form of the text appears %d times, want 6", n)
	}
	var back generateContentRequest
	if err := json.Unmarshal(got, &back); err != nil || back.Contents[0].Parts[0].Text != text {
		t.Errorf("the body does not decode to the text: %v", err)
	}
	if got, _ := appendChatRequest(nil, wireOf(strings.Clone(text), "m", 1, []byte(`{}`), 0), &lits); bytes.Contains(got, []byte(long)) {
		t.Error("a copy of the text was written in the client's form")
	}
}

func FuzzAppendChatRequest(f *testing.F) {
	f.Add("hello", "gemini", 0.7, []byte(`{"type":"object"}`), uint16(0x1ff))
	f.Add("<a> & \u2028\xff\"\\", "", math.Inf(1), []byte(" [1, \"<a>\" ,\n{}] "), uint16(0x5a))
	f.Add("", "\x00", -0.0, []byte(`{`), uint16(0x28))
	f.Fuzz(func(t *testing.T, text, name string, fl float64, raw []byte, flags uint16) {
		checkAppendChatRequest(t, wireOf(text, name, fl, raw, flags))
	})
}

// BenchmarkChatRequestEncodeLarge encodes a request whose user message is
// a 100 KB prompt, plain and with the escapes of markdown; the last case's
// prompt was read from a client's body, whose JSON form of it is copied.
func BenchmarkChatRequestEncodeLarge(b *testing.B) {
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
			text(llmgate.RoleSystem, "You are a helpful assistant."),
			text(llmgate.RoleUser, prompt),
		}}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(100 << 10)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeChatRequest(req, lits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
