package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
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

// TestFirstOutputIsNotHeldBack checks that the event carrying a stream's
// first text reaches the client at once, not with the chunks that arrived
// with it. The stream's third Recv stands for such a chunk: it does not
// wait for the provider (so it calls no flush hook), and it returns only
// once the client has read the first text. Every surface is checked.
func TestFirstOutputIsNotHeldBack(t *testing.T) {
	sv := llmgate.Served{Provider: "mock", Model: "mock-chat", Deployment: "mock/local", Attempts: 1}
	surfaces := []struct{ name, path, body, text string }{
		{"native", "/llm-gate/v1/chat", strings.Replace(seedChat, `{"provider"`, `{"stream":true,"provider"`, 1), `"content":"Hel"`},
		{"openai", "/llm-gate/openai/v1/chat/completions", `{"model":"mock/mock-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`, `"content":"Hel"`},
		{"anthropic", "/llm-gate/anthropic/v1/messages", `{"model":"mock/mock-chat","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, `"text":"Hel"`},
	}
	for _, sf := range surfaces {
		t.Run(sf.name, func(t *testing.T) {
			seen := make(chan struct{})
			b := &fakeBackend{
				chunks: []*llmgate.ChatChunk{
					{ID: "c1", Served: &sv, Deltas: []llmgate.ChoiceDelta{{Role: llmgate.RoleAssistant}}},
					{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Content: "Hel"}}},
					{ID: "c1", Deltas: []llmgate.ChoiceDelta{{Content: "lo"}}},
					{ID: "c1", Deltas: []llmgate.ChoiceDelta{{FinishReason: llmgate.FinishStop}}},
				},
				before: func(i int) {
					if i != 2 {
						return
					}
					select {
					case <-seen:
					case <-time.After(10 * time.Second):
					}
				},
			}
			ts, _ := newTestServer(t, b)
			req, _ := http.NewRequest("POST", ts.URL+sf.path, strings.NewReader(sf.body))
			for k, v := range goodHeaders() {
				req.Header.Set(k, v)
			}
			got := make(chan error, 1)
			go func() {
				resp, err := ts.Client().Do(req)
				if err != nil {
					got <- err
					return
				}
				defer resp.Body.Close()
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					if strings.Contains(sc.Text(), sf.text) {
						got <- nil
						io.Copy(io.Discard, resp.Body)
						return
					}
				}
				got <- fmt.Errorf("the stream ended without %s", sf.text)
			}()
			select {
			case err := <-got:
				if err != nil {
					t.Fatal(err)
				}
				close(seen)
			case <-time.After(5 * time.Second):
				close(seen)
				t.Fatal("the first text was held back behind the next chunk")
			}
		})
	}
}

// TestAnTextDeltaMatchesEncodingJSON checks that the hand-written
// content_block_delta event is byte for byte what encoding/json writes for
// an anBlockDelta.
func TestAnTextDeltaMatchesEncodingJSON(t *testing.T) {
	for i, text := range []string{"", "Hello", " world", "a\"b\\c\n\t\u0001", "<b>&amp;</b>", "é 人間 \u2028\u2029", "bad \xff utf8", "🙂"} {
		for _, index := range []int{0, 1, i * 13} {
			checkAnTextDelta(t, index, text)
		}
	}
}

// FuzzAnTextDelta compares the hand-written content_block_delta event with
// encoding/json's for any index and text.
func FuzzAnTextDelta(f *testing.F) {
	f.Add(0, "Hello")
	f.Add(-3, "\xff<\u2028\"")
	f.Fuzz(checkAnTextDelta)
}

func checkAnTextDelta(t *testing.T, index int, text string) {
	hand, json := httptest.NewRecorder(), httptest.NewRecorder()
	if err := newEventWriter(hand).anTextDelta(index, text); err != nil {
		t.Fatal(err)
	}
	if err := newEventWriter(json).event("content_block_delta", &anBlockDelta{Delta: anTextDelta{Text: text, Type: "text_delta"}, Index: index, Type: "content_block_delta"}); err != nil {
		t.Fatal(err)
	}
	if hand.Body.String() != json.Body.String() {
		t.Fatalf("index %d text %q:\nhand %q\njson %q", index, text, hand.Body.String(), json.Body.String())
	}
}

// BenchmarkAnTextDelta writes one token's content_block_delta event, by
// hand and with encoding/json.
func BenchmarkAnTextDelta(b *testing.B) {
	w := newEventWriter(discardWriter{h: http.Header{}})
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.anTextDelta(0, " token")
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.event("content_block_delta", &anBlockDelta{Delta: anTextDelta{Text: " token", Type: "text_delta"}, Index: 0, Type: "content_block_delta"})
		}
	})
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// FuzzDoneEvent compares the hand-written done event with encoding/json's.
func FuzzDoneEvent(f *testing.F) {
	f.Add("chatcmpl-1", "azure_openai", "gpt-4o", "azure_openai/east_us", 1, "stop", 12, 40, 52, 0, 0, false, true, "USD", int64(240000), int64(6000000), int64(6240000))
	f.Add("", "", "", "", 0, "", 0, 0, 0, 5, 7, true, false, "", int64(0), int64(0), int64(0))
	f.Add("\xff<\u2028", "p\"", "m\\", "d\n", -3, "length", -1, 1<<40, 0, 3, 0, true, true, "E&R", int64(-1), int64(1), int64(-999999999999))
	f.Fuzz(func(t *testing.T, id, provider, model, deployment string, attempts int, finish string,
		prompt, completion, total, cached, reasoning int, estimated, hasCost bool, currency string, in, out, tot int64) {
		d := doneEvent{ID: id, Provider: provider, Model: model, Deployment: deployment, Attempts: attempts, FinishReason: finish,
			Usage: usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: total, CachedTokens: cached, ReasoningTokens: reasoning, Estimated: estimated}}
		if hasCost {
			d.Cost = &cost{Currency: currency, Input: llmgate.Money(in), Output: llmgate.Money(out), Total: llmgate.Money(tot)}
		}
		hand, json := httptest.NewRecorder(), httptest.NewRecorder()
		newEventWriter(hand).done(&d)
		newEventWriter(json).event("done", &d)
		if hand.Body.String() != json.Body.String() {
			t.Fatalf("hand %q\njson %q", hand.Body.String(), json.Body.String())
		}
	})
}

// TestAnBlockEventsMatchEncodingJSON checks the hand-written
// content_block_start (text), content_block_stop and input_json_delta
// events against what encoding/json writes for the maps they replace.
func TestAnBlockEventsMatchEncodingJSON(t *testing.T) {
	for _, index := range []int{0, 1, 42, -1} {
		checkEvent(t, func(w *eventWriter) error { return w.anBlockEvent(index, true) },
			"content_block_start", map[string]any{"type": "content_block_start", "index": index, "content_block": map[string]any{"type": "text", "text": ""}})
		checkEvent(t, func(w *eventWriter) error { return w.anBlockEvent(index, false) },
			"content_block_stop", map[string]any{"type": "content_block_stop", "index": index})
		for _, partial := range []string{"", `{"city":`, " \"Paris\"}", "<a>&\u2028\xff"} {
			checkAnToolDelta(t, index, partial)
		}
	}
}

func FuzzAnToolDelta(f *testing.F) {
	f.Add(0, `{"city":"Paris"}`)
	f.Add(-7, "\xff<\u2028\"")
	f.Fuzz(checkAnToolDelta)
}

func checkAnToolDelta(t *testing.T, index int, partial string) {
	checkEvent(t, func(w *eventWriter) error { return w.anToolDelta(index, partial) },
		"content_block_delta", map[string]any{"type": "content_block_delta", "index": index, "delta": map[string]string{"type": "input_json_delta", "partial_json": partial}})
}

// checkEvent requires hand to write what event(name, v) writes.
func checkEvent(t *testing.T, hand func(*eventWriter) error, name string, v any) {
	t.Helper()
	h, j := httptest.NewRecorder(), httptest.NewRecorder()
	if err := hand(newEventWriter(h)); err != nil {
		t.Fatal(err)
	}
	if err := newEventWriter(j).event(name, v); err != nil {
		t.Fatal(err)
	}
	if h.Body.String() != j.Body.String() {
		t.Fatalf("%s:\nhand %q\njson %q", name, h.Body.String(), j.Body.String())
	}
}
