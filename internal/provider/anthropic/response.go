package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate"
)

// decodeResponse translates a Message answer. Served.Model is set to the
// upstream's model id; the caller decides what Served finally holds.
func decodeResponse(body []byte) (*llmgate.ChatResponse, error) {
	var w messageResponse
	if !decodeMessageFast(body, &w) {
		w = messageResponse{}
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, fmt.Errorf("decoding message: %w", err)
		}
	}
	msg := llmgate.Message{Role: llmgate.RoleAssistant}
	var text strings.Builder
	for i := range w.Content {
		b := &w.Content[i]
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			args, err := compactInput(b.Input)
			if err != nil {
				return nil, fmt.Errorf("decoding the input of tool_use %s: %w", b.ID, err)
			}
			msg.ToolCalls = append(msg.ToolCalls, llmgate.ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		}
	}
	if text.Len() > 0 {
		msg.Content = []llmgate.Part{llmgate.TextPart(text.String())}
	}
	return &llmgate.ChatResponse{
		ID:      w.ID,
		Served:  llmgate.Served{Model: w.Model},
		Choices: []llmgate.Choice{{Message: msg, FinishReason: finishReason(w.StopReason)}},
		Usage:   w.Usage.domain(),
	}, nil
}

// compactInput returns a tool's input as compact JSON text; a missing input
// is the empty object.
func compactInput(in json.RawMessage) (string, error) {
	in = bytes.TrimSpace(in)
	if len(in) == 0 || string(in) == "null" {
		return "{}", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, in); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// finishReason maps a stop_reason to the domain's reasons. pause_turn (a
// server tool paused a long turn) and reasons added later have no
// equivalent and pass through unchanged.
func finishReason(s string) llmgate.FinishReason {
	switch s {
	case "end_turn", "stop_sequence":
		return llmgate.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return llmgate.FinishLength
	case "tool_use":
		return llmgate.FinishToolCalls
	case "refusal":
		return llmgate.FinishContentFilter
	}
	return llmgate.FinishReason(s)
}

// domain translates the counts. Anthropic's input_tokens excludes the
// tokens read from or written to the prompt cache; the domain's
// PromptTokens, as OpenAI's, counts the whole prompt.
func (u *usage) domain() llmgate.Usage {
	in, out := deref(u.InputTokens), deref(u.OutputTokens)
	read, write := deref(u.CacheReadInputTokens), deref(u.CacheCreationInputTokens)
	r := llmgate.Usage{
		PromptTokens:     in + read + write,
		CompletionTokens: out,
		CachedTokens:     read,
		CacheWriteTokens: write,
	}
	r.TotalTokens = r.PromptTokens + r.CompletionTokens
	if u.OutputTokensDetails != nil {
		r.ReasoningTokens = u.OutputTokensDetails.ThinkingTokens
	}
	return r
}

// merge overwrites u's counts with those set in d: a message_delta carries
// cumulative counts, which replace the ones of message_start.
func (u *usage) merge(d *usage) {
	set := func(dst **int, src *int) {
		if src != nil {
			v := *src
			*dst = &v
		}
	}
	set(&u.InputTokens, d.InputTokens)
	set(&u.OutputTokens, d.OutputTokens)
	set(&u.CacheCreationInputTokens, d.CacheCreationInputTokens)
	set(&u.CacheReadInputTokens, d.CacheReadInputTokens)
	if d.OutputTokensDetails != nil {
		v := *d.OutputTokensDetails
		u.OutputTokensDetails = &v
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
