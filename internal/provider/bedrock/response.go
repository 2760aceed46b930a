package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate"
)

// finishReason translates a Converse stopReason. A reason the gateway does
// not know (malformed_model_output, malformed_tool_use, or one added later)
// is passed through unchanged rather than disguised as a normal stop.
func finishReason(s string) llmgate.FinishReason {
	switch s {
	case "end_turn", "stop_sequence":
		return llmgate.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return llmgate.FinishLength
	case "tool_use":
		return llmgate.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return llmgate.FinishContentFilter
	}
	return llmgate.FinishReason(s)
}

// domain translates token counts. The prompt is the uncached input plus
// what was read from and written to the cache, so that PromptTokens means
// what it means for every other provider.
func (u *tokenUsage) domain() llmgate.Usage {
	d := llmgate.Usage{
		PromptTokens:     u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens,
		CompletionTokens: u.OutputTokens,
		TotalTokens:      u.TotalTokens,
		CachedTokens:     u.CacheReadInputTokens,
		CacheWriteTokens: u.CacheWriteInputTokens,
	}
	if sum := d.PromptTokens + d.CompletionTokens; d.TotalTokens < sum {
		d.TotalTokens = sum
	}
	return d
}

var errNoMessage = errors.New("the answer has no output message")

// decodeResponse translates a Converse answer. Text blocks are joined into
// one text part; toolUse blocks become tool calls; reasoning and citation
// blocks, which the domain has no place for, are left out. ID, Created and
// Served are left for the caller to fill.
func decodeResponse(body []byte) (*llmgate.ChatResponse, error) {
	var w converseResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decoding converse response: %w", err)
	}
	if w.Output.Message == nil {
		return nil, errNoMessage
	}
	msg := llmgate.Message{Role: llmgate.RoleAssistant}
	var text strings.Builder
	for _, b := range w.Output.Message.Content {
		switch {
		case b.ToolUse != nil:
			args := bytes.TrimSpace(b.ToolUse.Input)
			if len(args) == 0 || string(args) == "null" {
				args = []byte("{}")
			}
			msg.ToolCalls = append(msg.ToolCalls, llmgate.ToolCall{ID: b.ToolUse.ToolUseID, Name: b.ToolUse.Name, Arguments: string(args)})
		case b.Text != "":
			text.WriteString(b.Text)
		}
	}
	if text.Len() > 0 {
		msg.Content = []llmgate.Part{llmgate.TextPart(text.String())}
	}
	r := &llmgate.ChatResponse{Choices: []llmgate.Choice{{Message: msg, FinishReason: finishReason(w.StopReason)}}}
	if w.Usage != nil {
		r.Usage = w.Usage.domain()
	}
	return r, nil
}
