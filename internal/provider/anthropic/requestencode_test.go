package anthropic

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/internal/jsonscan"
)

// wireOf builds a request with every field set from a few values, flags
// choosing which optional fields are present.
func wireOf(text, name string, f float64, raw []byte, flags uint8) *messagesRequest {
	bit := func(n uint) bool { return flags&(1<<n) != 0 }
	w := &messagesRequest{Model: name, MaxTokens: len(text), Stream: bit(0)}
	if bit(1) {
		w.System = []block{{Type: "text", Text: text}}
	}
	blocks := []block{
		{Type: "text", Text: text},
		{Type: "image", Source: &imageSource{Type: "base64", MediaType: name, Data: text}},
		{Type: "image", Source: &imageSource{Type: "url", URL: text}},
		{Type: "tool_use", ID: name, Name: name, Input: raw},
		{Type: "tool_result", ToolUseID: name, Content: text},
		{Type: "tool_result", ToolUseID: name, Content: []block{{Type: "text", Text: text}}},
	}
	if bit(2) {
		blocks = append(blocks, block{Type: "tool_result", Content: []block(nil)}, block{Type: "tool_result", Content: ""})
	}
	w.Messages = []message{{Role: "user", Content: blocks}, {Role: "assistant"}}
	if bit(3) {
		w.Temperature, w.TopP = &f, &f
	}
	if bit(4) {
		w.StopSequences = []string{text, name}
		w.Metadata = &metadata{UserID: name}
	}
	if bit(5) {
		strict := bit(6)
		w.Tools = []tool{{Name: name, Description: text, InputSchema: raw, Strict: &strict}, {Name: name}}
		w.ToolChoice = &toolChoice{Type: "tool", Name: name, DisableParallelToolUse: bit(7)}
	}
	if bit(6) {
		w.OutputConfig = &outputConfig{Format: outputFormat{Type: "json_schema", Schema: raw}}
	}
	if bit(7) {
		w.Messages = nil
	}
	return w
}

// checkAppendRequest requires appendRequest without literals to write
// exactly what json.Marshal writes, and to refuse what it refuses.
func checkAppendRequest(t *testing.T, w *messagesRequest) {
	t.Helper()
	want, err := json.Marshal(w)
	got, ok := appendRequest(nil, w, nil)
	switch {
	case err != nil && ok:
		t.Fatalf("appendRequest took what json.Marshal refuses (%v): %s", err, got)
	case err == nil && !ok:
		t.Fatalf("appendRequest refused what json.Marshal writes: %s", want)
	case err == nil && !bytes.Equal(got, want):
		t.Fatalf("appendRequest wrote\n%s\njson.Marshal\n%s", got, want)
	}
}

func TestAppendRequest(t *testing.T) {
	for flags := range 256 {
		checkAppendRequest(t, wireOf("a <b> & \"c\"\n\u2028 é \xff", "m", 0.25, []byte(` {"a": [1, "<x>"]} `), uint8(flags)))
	}
	for _, w := range []*messagesRequest{
		wireOf("t", "m", math.NaN(), []byte(`{}`), 1<<3),
		wireOf("t", "m", 1, []byte(`{`), 0),
		wireOf("t", "m", 1, nil, 1<<5|1<<6),
	} {
		checkAppendRequest(t, w)
	}
}

// TestAppendRequestLiterals: a long text the client sent is written in the
// client's JSON form, wherever it appears; another is escaped as usual.
func TestAppendRequestLiterals(t *testing.T) {
	long := strings.Repeat("<b>", 400)
	body := []byte(`["` + long + `"]`)
	var lits jsonscan.Literals
	s := jsonscan.NewLent(body, &lits)
	s.Enter('[')
	first := true
	s.Next(']', &first)
	text := s.Text()
	w := wireOf(text, "m", 1, []byte(`{}`), 1<<1)
	got, ok := appendRequest(nil, w, &lits)
	if !ok {
		t.Fatal("appendRequest refused the request")
	}
	if n := bytes.Count(got, []byte(`"`+long+`"`)); n != 6 {
		t.Errorf("the client's form of the text appears %d times, want 6 (system, text, data, url, two tool results)", n)
	}
	var back messagesRequest
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back.Messages[0].Content[0].Text != text || back.System[0].Text != text {
		t.Error("the text does not decode to itself")
	}
	if got, _ := appendRequest(nil, wireOf(strings.Clone(text), "m", 1, []byte(`{}`), 0), &lits); bytes.Contains(got, []byte(long)) {
		t.Error("a copy of the text was written in the client's form")
	}
}

func FuzzAppendRequest(f *testing.F) {
	f.Add("hello", "claude", 0.7, []byte(`{"type":"object"}`), uint8(0xff))
	f.Add("<a> & \u2028\xff\"\\", "", math.Inf(1), []byte(" [1, \"<a>\" ,\n{}] "), uint8(0x5a))
	f.Add("", "\x00", -0.0, []byte(`{`), uint8(0x08))
	f.Fuzz(func(t *testing.T, text, name string, fl float64, raw []byte, flags uint8) {
		checkAppendRequest(t, wireOf(text, name, fl, raw, flags))
	})
}
