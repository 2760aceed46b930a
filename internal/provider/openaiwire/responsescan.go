package openaiwire

import (
	"bytes"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// decodeChatResponseFast translates a chat completion of the usual shape
// straight into the domain, without reflection or wire values: the fields
// of chatResponse with plain values, null logprobs, and any other member
// skipped. It reports false for anything else (non-null logprobs, which
// are kept as raw text, a repeated or case-folded key, a value of the wrong
// type, malformed JSON), and decodeChatResponse then decodes with
// encoding/json, which has the last word on odd answers and on errors.
func decodeChatResponseFast(data []byte) (*llmgate.ChatResponse, bool) {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return nil, false
	}
	b := new(responseBlock)
	r := &b.r
	// encoding/json merges a repeated object into the first and leaves a
	// value in place when a later one is null: refusing repeated keys
	// spares this path those rules.
	var seen uint
	for first := true; s.Next('}', &first); {
		key := s.Key()
		var bit uint
		switch string(key) {
		case "id":
			bit = 1 << 0
			r.ID = s.String("")
		case "created":
			bit = 1 << 1
			r.Created = unixTime(s.Int())
		case "model":
			bit = 1 << 2
			// Checked for its type, as encoding/json decodes it, but not
			// kept: Served.Model names the catalog's model.
			if c := s.Peek(); c == '"' || c == 'n' {
				s.Skip()
			} else {
				s.Fail()
			}
		case "choices":
			bit = 1 << 3
			if !decodeResponseChoicesFast(&s, b) {
				return nil, false
			}
		case "usage":
			bit = 1 << 4
			if !decodeUsageFast(&s, &r.Usage) {
				return nil, false
			}
		case "system_fingerprint":
			bit = 1 << 5
			r.SystemFingerprint = s.String("")
		default:
			if foldsTo(key, responseKeys) {
				return nil, false
			}
			s.Skip()
		}
		if seen&bit != 0 {
			return nil, false
		}
		seen |= bit
	}
	if !s.End() {
		return nil, false
	}
	if r.Choices == nil {
		r.Choices = []llmgate.Choice{}
	}
	for i := range r.Choices {
		if m := &r.Choices[i].Message; m.Role == "" {
			m.Role = llmgate.RoleAssistant
		}
	}
	return r, true
}

var (
	responseKeys        = []string{"id", "created", "model", "choices", "usage", "system_fingerprint"}
	responseChoiceKeys  = []string{"index", "message", "finish_reason", "logprobs"}
	responseMessageKeys = []string{"role", "content", "tool_calls"}
	toolCallKeys        = []string{"id", "type", "function"}
	functionCallKeys    = []string{"name", "arguments"}
	usageKeys           = []string{"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details"}
)

// responseBlock holds a response with room for the usual answer, one choice
// with one text part, so that the three take one allocation.
type responseBlock struct {
	r      llmgate.ChatResponse
	choice [1]llmgate.Choice
	part   [1]llmgate.Part
}

// text returns the content of a message whose text is s, in b's part if it
// is still free.
func (b *responseBlock) text(s string) []llmgate.Part {
	if b.part[0].Type == "" {
		b.part[0] = llmgate.TextPart(s)
		return b.part[:1:1]
	}
	return []llmgate.Part{llmgate.TextPart(s)}
}

func decodeResponseChoicesFast(s *jsonscan.Scanner, b *responseBlock) bool {
	if s.Null() {
		return true
	}
	if !s.Enter('[') {
		return false
	}
	r := &b.r
	r.Choices = b.choice[:0:1]
	for first := true; s.Next(']', &first); {
		r.Choices = append(r.Choices, llmgate.Choice{})
		if !s.Null() && !decodeResponseChoiceFast(s, b, &r.Choices[len(r.Choices)-1]) {
			return false
		}
	}
	return s.OK()
}

func decodeResponseChoiceFast(s *jsonscan.Scanner, b *responseBlock, c *llmgate.Choice) bool {
	if !s.Enter('{') {
		return false
	}
	var seen uint
	for first := true; s.Next('}', &first); {
		key := s.Key()
		var bit uint
		switch string(key) {
		case "index":
			bit = 1 << 0
			c.Index = int(s.Int())
		case "message":
			bit = 1 << 1
			if !decodeResponseMessageFast(s, b, &c.Message) {
				return false
			}
		case "finish_reason":
			bit = 1 << 2
			c.FinishReason = llmgate.FinishReason(s.String(string(llmgate.FinishStop)))
		case "logprobs":
			// Kept as raw text, which this path cannot slice out.
			bit = 1 << 3
			if !s.Null() {
				return false
			}
		default:
			if foldsTo(key, responseChoiceKeys) {
				return false
			}
			s.Skip()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	return s.OK()
}

func decodeResponseMessageFast(s *jsonscan.Scanner, b *responseBlock, m *llmgate.Message) bool {
	if s.Null() {
		return true
	}
	if !s.Enter('{') {
		return false
	}
	var seen uint
	for first := true; s.Next('}', &first); {
		key := s.Key()
		var bit uint
		switch string(key) {
		case "role":
			bit = 1 << 0
			m.Role = llmgate.Role(s.String(string(llmgate.RoleAssistant)))
		case "content":
			bit = 1 << 1
			if text := s.String(""); text != "" {
				m.Content = b.text(text)
			}
		case "tool_calls":
			bit = 1 << 2
			if !decodeToolCallsFast(s, m) {
				return false
			}
		default:
			if foldsTo(key, responseMessageKeys) {
				return false
			}
			s.Skip()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	return s.OK()
}

func decodeToolCallsFast(s *jsonscan.Scanner, m *llmgate.Message) bool {
	if s.Null() {
		return true
	}
	if !s.Enter('[') {
		return false
	}
	for first := true; s.Next(']', &first); {
		m.ToolCalls = append(m.ToolCalls, llmgate.ToolCall{})
		if s.Null() {
			continue
		}
		c := &m.ToolCalls[len(m.ToolCalls)-1]
		if !s.Enter('{') {
			return false
		}
		var seen uint
		for first := true; s.Next('}', &first); {
			key := s.Key()
			var bit uint
			switch string(key) {
			case "id":
				bit = 1 << 0
				c.ID = s.String("")
			case "type":
				bit = 1 << 1
				s.String("function") // checked, not kept
			case "function":
				bit = 1 << 2
				if !decodeFunctionCallFast(s, c) {
					return false
				}
			default:
				if foldsTo(key, toolCallKeys) {
					return false
				}
				s.Skip()
			}
			if seen&bit != 0 {
				return false
			}
			seen |= bit
		}
	}
	return s.OK()
}

func decodeFunctionCallFast(s *jsonscan.Scanner, c *llmgate.ToolCall) bool {
	if s.Null() {
		return true
	}
	if !s.Enter('{') {
		return false
	}
	var seen uint
	for first := true; s.Next('}', &first); {
		key := s.Key()
		var bit uint
		switch string(key) {
		case "name":
			bit = 1 << 0
			c.Name = s.String("")
		case "arguments":
			bit = 1 << 1
			c.Arguments = s.String("")
		default:
			if foldsTo(key, functionCallKeys) {
				return false
			}
			s.Skip()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	return s.OK()
}

func decodeUsageFast(s *jsonscan.Scanner, u *llmgate.Usage) bool {
	if s.Null() {
		return true
	}
	if !s.Enter('{') {
		return false
	}
	var seen uint
	for first := true; s.Next('}', &first); {
		key := s.Key()
		var bit uint
		switch string(key) {
		case "prompt_tokens":
			bit = 1 << 0
			u.PromptTokens = int(s.Int())
		case "completion_tokens":
			bit = 1 << 1
			u.CompletionTokens = int(s.Int())
		case "total_tokens":
			bit = 1 << 2
			u.TotalTokens = int(s.Int())
		case "prompt_tokens_details":
			bit = 1 << 3
			if !decodeTokenDetailFast(s, "cached_tokens", &u.CachedTokens) {
				return false
			}
		case "completion_tokens_details":
			bit = 1 << 4
			if !decodeTokenDetailFast(s, "reasoning_tokens", &u.ReasoningTokens) {
				return false
			}
		default:
			if foldsTo(key, usageKeys) {
				return false
			}
			s.Skip()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	return s.OK()
}

// decodeTokenDetailFast reads one of usage's details objects, of which
// only the member called name is kept, in n.
func decodeTokenDetailFast(s *jsonscan.Scanner, name string, n *int) bool {
	if s.Null() {
		return true
	}
	if !s.Enter('{') {
		return false
	}
	seen := false
	for first := true; s.Next('}', &first); {
		key := s.Key()
		switch {
		case string(key) == name:
			if seen {
				return false
			}
			seen = true
			*n = int(s.Int())
		case bytes.EqualFold(key, []byte(name)):
			return false
		default:
			s.Skip()
		}
	}
	return s.OK()
}
