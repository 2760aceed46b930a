package httpapi

import (
	"net/http/httptest"
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
