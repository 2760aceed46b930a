package httpapi

import (
	"net/http/httptest"
	"testing"
)

// TestDeltaEventMatchesEncodingJSON checks that the hand-written delta
// event is byte for byte what encoding/json writes for it.
func TestDeltaEventMatchesEncodingJSON(t *testing.T) {
	texts := []string{"", "Hello", " world", "a\"b\\c\n\t\u0001", "<b>&amp;</b>", "é 人間 \u2028\u2029", "bad \xff utf8", "🙂"}
	var evs []deltaEvent
	for i, text := range texts {
		for _, role := range []string{"", "assistant"} {
			evs = append(evs, deltaEvent{ID: "chatcmpl-" + text, Index: i * 7, Delta: delta{Role: role, Content: text}})
		}
	}
	evs = append(evs, deltaEvent{ID: "x", Index: -1, Delta: delta{ToolCalls: []toolCallDelta{{Index: 0, ID: "t", Name: "f", Arguments: `{"a":1}`}}}})
	for _, ev := range evs {
		hand, json := httptest.NewRecorder(), httptest.NewRecorder()
		if err := newEventWriter(hand).delta(&ev); err != nil {
			t.Fatal(err)
		}
		if err := newEventWriter(json).event("delta", &ev); err != nil {
			t.Fatal(err)
		}
		if hand.Body.String() != json.Body.String() {
			t.Errorf("%+v:\nhand %q\njson %q", ev, hand.Body.String(), json.Body.String())
		}
	}
}

// FuzzDeltaEvent compares the hand-written delta event with encoding/json's
// for any id, role and text.
func FuzzDeltaEvent(f *testing.F) {
	f.Add("chatcmpl-1", "assistant", "Hello", 0)
	f.Add("", "", "\xff<\u2028", 3)
	f.Fuzz(func(t *testing.T, id, role, text string, index int) {
		ev := deltaEvent{ID: id, Index: index, Delta: delta{Role: role, Content: text}}
		hand, json := httptest.NewRecorder(), httptest.NewRecorder()
		newEventWriter(hand).delta(&ev)
		newEventWriter(json).event("delta", &ev)
		if hand.Body.String() != json.Body.String() {
			t.Fatalf("hand %q\njson %q", hand.Body.String(), json.Body.String())
		}
	})
}
