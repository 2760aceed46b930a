package httpapi

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
)

// TestChatResponseMatchesEncodingJSON checks that the hand-written chat
// answer is byte for byte what writeJSON (encoding/json) writes, headers
// included.
func TestChatResponseMatchesEncodingJSON(t *testing.T) {
	money := func(s string) llmgate.Money {
		m, err := llmgate.ParseMoney(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	full := func() *chatResponse {
		r := &chatResponse{ID: "chatcmpl-1", Provider: "azure_openai", Model: "gpt-4o", Deployment: "azure_openai/east_us", Attempts: 2,
			FinishReason: "stop", Usage: usage{CompletionTokens: 40, PromptTokens: 1000, TotalTokens: 1040},
			Messages: []outMessage{{Role: "assistant", Content: "Hello <b>&</b> \"world\"\n\u2028 é \xff"}}}
		r.cost = cost{Currency: "USD", Input: money("0.0025"), Output: money("0.0004"), Total: money("0.0029")}
		r.Cost = &r.cost
		return r
	}
	cases := map[string]func() *chatResponse{
		"full":    full,
		"no cost": func() *chatResponse { r := full(); r.Cost = nil; return r },
		"usage details": func() *chatResponse {
			r := full()
			r.Usage.CachedTokens, r.Usage.ReasoningTokens, r.Usage.Estimated = 512, 7, true
			return r
		},
		"tool calls": func() *chatResponse {
			r := full()
			r.Messages[0].Content = ""
			r.Messages[0].ToolCalls = []toolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}, {ID: "call_2", Name: "f", Arguments: "{}"}}
			return r
		},
		"several messages": func() *chatResponse {
			r := full()
			r.Messages = append(r.Messages, outMessage{Role: "assistant", Content: "second"})
			return r
		},
		"no messages":    func() *chatResponse { r := full(); r.Messages = []outMessage{}; return r },
		"nil messages":   func() *chatResponse { r := full(); r.Messages = nil; return r },
		"empty":          func() *chatResponse { return &chatResponse{} },
		"negative money": func() *chatResponse { r := full(); r.cost.Total = money("-1.5"); return r },
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			hand, json := httptest.NewRecorder(), httptest.NewRecorder()
			writeChatResponse(hand, mk())
			writeJSON(json, 200, mk())
			if hand.Body.String() != json.Body.String() {
				t.Errorf("\nhand %s\njson %s", hand.Body.String(), json.Body.String())
			}
			for _, k := range []string{"Content-Type", "Content-Length"} {
				if hand.Header().Get(k) != json.Header().Get(k) {
					t.Errorf("%s: hand %q, json %q", k, hand.Header().Get(k), json.Header().Get(k))
				}
			}
		})
	}
}

// TestOAChatResponseMatchesEncodingJSON checks the hand-written OpenAI
// answers and stream events against encoding/json, byte for byte.
func TestOAChatResponseMatchesEncodingJSON(t *testing.T) {
	str := func(s string) *string { return &s }
	idx := func(i int) *int { return &i }
	cases := map[string]*oaChatResponse{
		"answer": {ID: "chatcmpl-1", Object: "chat.completion", Created: 1732700000, Model: "azure_openai/gpt-4o", SystemFingerprint: "fp_1",
			Choices: []oaChoice{{Index: 0, Message: &oaOutMessage{Role: "assistant", Content: str("Hi <b>&</b> \"x\"\n\u2028\xff")}, Logprobs: nullJSON, FinishReason: str("stop")}},
			Usage:   &oaUsage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}},
		"usage details": {ID: "c", Object: "chat.completion", Choices: []oaChoice{},
			Usage: &oaUsage{PromptTokens: 10, PromptTokensDetails: &oaPromptDetails{CachedTokens: 4}, CompletionTokensDetails: &oaCompletionDetail{ReasoningTokens: 3}}},
		"tool calls": {ID: "c", Object: "chat.completion", Choices: []oaChoice{{Message: &oaOutMessage{Role: "assistant", ToolCalls: []oaToolCall{
			{ID: "call_1", Type: "function", Function: oaFunctionCall{Name: "f", Arguments: `{"a":"<1>"}`}},
			{Function: oaFunctionCall{Arguments: "{}"}}}}, Logprobs: nullJSON, FinishReason: str("tool_calls")}}},
		"refusal and logprobs": {ID: "c", Object: "chat.completion", Choices: []oaChoice{{Index: 1, Message: &oaOutMessage{Role: "assistant", Refusal: str("no")},
			Logprobs: []byte(`{"content": [ {"token":"<a>","logprob":-0.5} ]}`), FinishReason: str("stop")}}},
		"chunk":      {ID: "c", Object: "chat.completion.chunk", Created: 1, Model: "m", Choices: []oaChoice{{Delta: &oaOutMessage{Content: str("word")}, Logprobs: nullJSON}}},
		"chunk role": {ID: "c", Object: "chat.completion.chunk", Created: 1, Model: "m", Choices: []oaChoice{{Delta: &oaOutMessage{Role: "assistant", Content: str("")}, Logprobs: nullJSON}}},
		"chunk tool delta": {ID: "c", Object: "chat.completion.chunk", Choices: []oaChoice{{Delta: &oaOutMessage{ToolCalls: []oaToolCall{
			{Index: idx(0), ID: "call_1", Type: "function", Function: oaFunctionCall{Name: "f"}}, {Index: idx(1), Function: oaFunctionCall{Arguments: `{"x`}}}}, Logprobs: nullJSON}}},
		"chunk empty delta, finish": {ID: "c", Object: "chat.completion.chunk", Choices: []oaChoice{{Delta: &oaOutMessage{}, Logprobs: nullJSON, FinishReason: str("length")}}},
		"chunk usage only":          {ID: "c", Object: "chat.completion.chunk", Choices: []oaChoice{}, Usage: &oaUsage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
		"nil choices":               {ID: "c"},
		"nil logprobs":              {ID: "c", Choices: []oaChoice{{Message: &oaOutMessage{}}}},
		"invalid logprobs":          {ID: "c", Choices: []oaChoice{{Message: &oaOutMessage{}, Logprobs: []byte(`{"a":`)}}},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			hand, json := httptest.NewRecorder(), httptest.NewRecorder()
			writeOAChatResponse(hand, r)
			writeJSON(json, 200, r)
			if hand.Code != json.Code || hand.Body.String() != json.Body.String() || hand.Header().Get("Content-Length") != json.Header().Get("Content-Length") {
				t.Errorf("answer:\nhand %d %s\njson %d %s", hand.Code, hand.Body.String(), json.Code, json.Body.String())
			}
			hand, json = httptest.NewRecorder(), httptest.NewRecorder()
			newEventWriter(hand).oaChunk(r)
			newEventWriter(json).data(r)
			if hand.Body.String() != json.Body.String() {
				t.Errorf("event:\nhand %q\njson %q", hand.Body.String(), json.Body.String())
			}
		})
	}
}

// FuzzOAChunk compares the hand-written OpenAI chunk event with
// encoding/json's for any text.
func FuzzOAChunk(f *testing.F) {
	f.Add("chatcmpl-1", "assistant", "Hello", "stop", int64(1))
	f.Add("", "", "\xff<\u2028&", "", int64(-1))
	f.Fuzz(func(t *testing.T, id, role, text, finish string, created int64) {
		r := &oaChatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: text, SystemFingerprint: finish,
			Choices: []oaChoice{{Delta: &oaOutMessage{Role: role, Content: &text}, Logprobs: nullJSON, FinishReason: &finish}}}
		hand, json := httptest.NewRecorder(), httptest.NewRecorder()
		newEventWriter(hand).oaChunk(r)
		newEventWriter(json).data(r)
		if hand.Body.String() != json.Body.String() {
			t.Fatalf("hand %q\njson %q", hand.Body.String(), json.Body.String())
		}
	})
}

// TestEmbeddingResponsesMatchEncodingJSON checks the hand-written
// embeddings answers of both surfaces against writeJSON, byte for byte,
// when no vector's JSON text was kept; and that a kept text is copied, and
// reads back as the same numbers.
func TestEmbeddingResponsesMatchEncodingJSON(t *testing.T) {
	money, _ := llmgate.ParseMoney("0.000002")
	vectors := [][]float64{{0.0023064255, -0.009327292, 0, -0, 1e21, 1e-7, 123456789}, {}, nil}
	native := func() *embeddingResponse {
		r := &embeddingResponse{Provider: "azure_openai", Model: "text-embedding-3-small", Deployment: "azure_openai/<east>", Attempts: 1,
			Usage: usage{PromptTokens: 8, TotalTokens: 8, Estimated: true}, Cost: &cost{Currency: "USD", Input: money, Total: money}}
		for i, v := range vectors {
			r.Data = append(r.Data, embedding{Index: i, Embedding: v})
		}
		return r
	}
	openai := func(base64 bool) *oaEmbeddingResponse {
		r := &oaEmbeddingResponse{Object: "list", Model: "azure_openai/text-embedding-3-small"}
		r.Usage.PromptTokens, r.Usage.TotalTokens = 8, 8
		for i, v := range vectors {
			r.Data = append(r.Data, oaEmbedding{Object: "embedding", Index: i, Embedding: v})
			if base64 {
				r.Data[i].Embedding = float32Base64(v)
			}
		}
		return r
	}
	check := func(t *testing.T, v any, appended func([]byte) ([]byte, bool)) {
		t.Helper()
		hand, json := httptest.NewRecorder(), httptest.NewRecorder()
		writeAppendedOr(hand, v, 0, appended)
		writeJSON(json, 200, v)
		if hand.Body.String() != json.Body.String() || hand.Header().Get("Content-Length") != json.Header().Get("Content-Length") {
			t.Errorf("\nhand %s\njson %s", hand.Body.String(), json.Body.String())
		}
	}
	// The vectors' JSON text as encoding/json writes them: copied, the
	// answer is byte for byte encoding/json's.
	var kept []llmgate.Embedding
	for i, v := range vectors {
		e := llmgate.Embedding{Index: i, Vector: v}
		if v != nil {
			e.JSON, _ = json.Marshal(v)
		}
		kept = append(kept, e)
	}
	t.Run("native", func(t *testing.T) {
		for _, mk := range []func() *embeddingResponse{
			native,
			func() *embeddingResponse {
				r := native()
				r.Cost, r.Usage = nil, usage{CachedTokens: 1, ReasoningTokens: 2}
				return r
			},
			func() *embeddingResponse { r := native(); r.Data = nil; return r },
			func() *embeddingResponse { return &embeddingResponse{} },
		} {
			r := mk()
			check(t, r, func(b []byte) ([]byte, bool) { return appendEmbeddingResponse(b, r, kept) })
			// Without the text, encoding/json writes the answer.
			check(t, r, func(b []byte) ([]byte, bool) { return appendEmbeddingResponse(b, r, nil) })
		}
	})
	t.Run("no JSON form", func(t *testing.T) {
		r := native()
		r.Data[0].Embedding = []float64{math.NaN()}
		check(t, r, func(b []byte) ([]byte, bool) { return appendEmbeddingResponse(b, r, nil) })
	})
	t.Run("openai", func(t *testing.T) {
		for _, base64 := range []bool{false, true} {
			r := openai(base64)
			check(t, r, func(b []byte) ([]byte, bool) { return appendOAEmbeddingResponse(b, r, kept) })
			check(t, r, func(b []byte) ([]byte, bool) { return appendOAEmbeddingResponse(b, r, nil) })
		}
	})
	t.Run("kept JSON", func(t *testing.T) {
		const kept = "[0.0023064255, -0.009327292, 0.0,0,1E+21,1e-07,123456789]"
		data := []llmgate.Embedding{{Index: 0, Vector: vectors[0], JSON: []byte(kept)}, {Index: 1, Vector: vectors[1], JSON: []byte("[]")}, {Index: 2}}
		r := native()
		b, ok := appendEmbeddingResponse(nil, r, data)
		o := openai(false)
		ob, ook := appendOAEmbeddingResponse(nil, o, data)
		for _, out := range []struct {
			b  []byte
			ok bool
		}{{b, ok}, {ob, ook}} {
			if !out.ok || !strings.Contains(string(out.b), `"embedding":`+kept+`}`) {
				t.Fatalf("the kept JSON was not copied: %s", out.b)
			}
			var back struct {
				Data []struct {
					Embedding []float64 `json:"embedding"`
				} `json:"data"`
			}
			if err := json.Unmarshal(out.b, &back); err != nil || !slices.Equal(back.Data[0].Embedding, vectors[0]) {
				t.Errorf("the copied JSON reads back as %v, %v; want %v", back.Data[0].Embedding, err, vectors[0])
			}
		}
	})
}

// BenchmarkEmbeddingResponse writes the native answer of 10 vectors of 1536
// numbers: with the provider's JSON text kept, and formatted again.
func BenchmarkEmbeddingResponse(b *testing.B) {
	var data []llmgate.Embedding
	r := &embeddingResponse{Provider: "azure_openai", Model: "text-embedding-3-small"}
	for i := range 10 {
		v := make([]float64, 1536)
		raw := []byte{'['}
		for j := range v {
			v[j] = float64(float32(math.Sin(float64(i*1536+j)) * 0.03))
			if j > 0 {
				raw = append(raw, ',')
			}
			raw = strconv.AppendFloat(raw, v[j], 'g', -1, 32)
		}
		raw = append(raw, ']')
		data = append(data, llmgate.Embedding{Index: i, Vector: v, JSON: raw})
		r.Data = append(r.Data, embedding{Index: i, Embedding: v})
	}
	b.Run("kept_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeAppendedOr(httptest.NewRecorder(), r, embeddingsSize(data), func(buf []byte) ([]byte, bool) { return appendEmbeddingResponse(buf, r, data) })
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), 200, r)
		}
	})
}
