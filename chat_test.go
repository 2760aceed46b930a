package llmgate

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestChatChunkClone checks that a clone shares no memory with its chunk:
// the stream that made the chunk may overwrite all of it on its next Recv.
func TestChatChunkClone(t *testing.T) {
	orig := &ChatChunk{
		ID:     "c1",
		Model:  "gpt-4o",
		Deltas: []ChoiceDelta{{Index: 0, Role: RoleAssistant, Content: "Hi", ToolCalls: []ToolCallDelta{{Index: 0, ID: "call_1", Name: "f", Arguments: "{"}}, FinishReason: FinishStop, Logprobs: json.RawMessage(`{"content":[]}`)}},
		Usage:  &Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5},
		Cost:   &Cost{Currency: "USD", Total: 7},
		Served: &Served{Provider: "openai", Model: "gpt-4o", Deployment: "openai/default", Attempts: 1},
	}
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone %+v differs from %+v", c, orig)
	}
	// Overwrite everything the chunk points to, as a stream reusing it would.
	orig.Deltas[0] = ChoiceDelta{Content: "junk"}
	orig.Deltas = orig.Deltas[:0]
	*orig.Usage = Usage{PromptTokens: -1}
	*orig.Cost = Cost{Currency: "XXX"}
	*orig.Served = Served{Provider: "junk"}
	if len(c.Deltas) != 1 || c.Deltas[0].Content != "Hi" || c.Deltas[0].ToolCalls[0].ID != "call_1" || string(c.Deltas[0].Logprobs) != `{"content":[]}` {
		t.Errorf("deltas changed with the original: %+v", c.Deltas)
	}
	if c.Usage.PromptTokens != 3 || c.Cost.Currency != "USD" || c.Served.Provider != "openai" {
		t.Errorf("usage, cost or served changed with the original: %+v %+v %+v", c.Usage, c.Cost, c.Served)
	}
	if bare := (&ChatChunk{ID: "c2"}).Clone(); bare.Deltas != nil || bare.Usage != nil || bare.Cost != nil || bare.Served != nil {
		t.Errorf("a bare chunk's clone gained fields: %+v", bare)
	}
}
