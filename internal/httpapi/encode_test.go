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
