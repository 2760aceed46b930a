package openaiwire

import (
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
	if s.Peek() != '{' {
		return nil, false
	}
	b := new(responseBlock)
	r := &b.r
	ok := members(&s, responseKeys, func(key []byte) uint {
		switch string(key) {
		case "id":
			r.ID = s.String("")
			return 1 << 0
		case "created":
			r.Created = unixTime(s.Int())
			return 1 << 1
		case "model":
			// Checked for its type, as encoding/json decodes it, but not
			// kept: Served.Model names the catalog's model.
			if c := s.Peek(); c == '"' || c == 'n' {
				s.Skip()
			} else {
				s.Fail()
			}
			return 1 << 2
		case "choices":
			failUnless(&s, decodeResponseChoicesFast(&s, b))
			return 1 << 3
		case "usage":
			failUnless(&s, decodeUsageFast(&s, &r.Usage))
			return 1 << 4
		case "system_fingerprint":
			r.SystemFingerprint = s.String("")
			return 1 << 5
		}
		return 0
	})
	if !ok || !s.End() {
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

// members reads the members of the object ahead, as every decoder of this
// file does. member decodes the value of a key it knows and returns the
// key's bit, or returns 0, without reading the value, for any other key:
// that value is skipped, unless the key folds to one of names, which
// encoding/json would match. A repeated known key fails: encoding/json
// merges a repeated object into the first and leaves a value in place when
// a later one is null, rules this path spares itself. member calls s.Fail
// when the value is not of the usual shape.
func members(s *jsonscan.Scanner, names []string, member func(key []byte) uint) bool {
	if !s.Enter('{') {
		return false
	}
	var seen uint
	for first := true; s.Next('}', &first); {
		key := s.Key()
		bit := member(key)
		if bit == 0 {
			if jsonscan.FoldsTo(key, names) {
				return false
			}
			s.Skip()
			continue
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	return s.OK()
}

// failUnless fails the scan unless ok.
func failUnless(s *jsonscan.Scanner, ok bool) {
	if !ok {
		s.Fail()
	}
}

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
	return members(s, responseChoiceKeys, func(key []byte) uint {
		switch string(key) {
		case "index":
			c.Index = int(s.Int())
			return 1 << 0
		case "message":
			failUnless(s, decodeResponseMessageFast(s, b, &c.Message))
			return 1 << 1
		case "finish_reason":
			c.FinishReason = llmgate.FinishReason(s.String(string(llmgate.FinishStop)))
			return 1 << 2
		case "logprobs":
			// Kept as raw text, which this path cannot slice out.
			failUnless(s, s.Null())
			return 1 << 3
		}
		return 0
	})
}

func decodeResponseMessageFast(s *jsonscan.Scanner, b *responseBlock, m *llmgate.Message) bool {
	if s.Null() {
		return true
	}
	return members(s, responseMessageKeys, func(key []byte) uint {
		switch string(key) {
		case "role":
			m.Role = llmgate.Role(s.String(string(llmgate.RoleAssistant)))
			return 1 << 0
		case "content":
			if text := s.String(""); text != "" {
				m.Content = b.text(text)
			}
			return 1 << 1
		case "tool_calls":
			failUnless(s, decodeToolCallsFast(s, m))
			return 1 << 2
		}
		return 0
	})
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
		ok := members(s, toolCallKeys, func(key []byte) uint {
			switch string(key) {
			case "id":
				c.ID = s.String("")
				return 1 << 0
			case "type":
				s.String("function") // checked, not kept
				return 1 << 1
			case "function":
				failUnless(s, decodeFunctionCallFast(s, c))
				return 1 << 2
			}
			return 0
		})
		if !ok {
			return false
		}
	}
	return s.OK()
}

func decodeFunctionCallFast(s *jsonscan.Scanner, c *llmgate.ToolCall) bool {
	if s.Null() {
		return true
	}
	return members(s, functionCallKeys, func(key []byte) uint {
		switch string(key) {
		case "name":
			c.Name = s.String("")
			return 1 << 0
		case "arguments":
			c.Arguments = s.String("")
			return 1 << 1
		}
		return 0
	})
}

func decodeUsageFast(s *jsonscan.Scanner, u *llmgate.Usage) bool {
	if s.Null() {
		return true
	}
	return members(s, usageKeys, func(key []byte) uint {
		switch string(key) {
		case "prompt_tokens":
			u.PromptTokens = int(s.Int())
			return 1 << 0
		case "completion_tokens":
			u.CompletionTokens = int(s.Int())
			return 1 << 1
		case "total_tokens":
			u.TotalTokens = int(s.Int())
			return 1 << 2
		case "prompt_tokens_details":
			failUnless(s, decodeTokenDetailFast(s, "cached_tokens", &u.CachedTokens))
			return 1 << 3
		case "completion_tokens_details":
			failUnless(s, decodeTokenDetailFast(s, "reasoning_tokens", &u.ReasoningTokens))
			return 1 << 4
		}
		return 0
	})
}

// decodeTokenDetailFast reads one of usage's details objects, of which
// only the member called name is kept, in n.
func decodeTokenDetailFast(s *jsonscan.Scanner, name string, n *int) bool {
	if s.Null() {
		return true
	}
	return members(s, []string{name}, func(key []byte) uint {
		if string(key) != name {
			return 0
		}
		*n = int(s.Int())
		return 1
	})
}
