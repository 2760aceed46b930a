package openaiwire

import (
	"github.com/llmgate/llmgate"

	"github.com/llmgate/llmgate/internal/jsonscan"
)

// decodeChunkFast fills w, which must be zero but for the capacity of its
// Choices, from a chunk of the usual shape: id, created, model, and choices
// whose delta has a role and content, with null or absent logprobs, error
// and tool calls, and usage. It reports false for anything else, leaving w in
// any state; the caller then decodes data with encoding/json, which has the
// last word on odd chunks and on errors. On a stream this path takes every
// chunk but the last one or two, and it is where the stream's CPU went:
// json.Unmarshal validated, then decoded with reflection, every chunk.
//
// prevID and prevModel are the previous chunk's, whose strings are reused
// when they repeat, as they do on every chunk of a stream.
func decodeChunkFast(data []byte, w *chatChunk, prevID, prevModel string) bool {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return false
	}
	seenChoices, seenUsage := false, false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "id":
			s.SetString(&w.ID, prevID)
		case "created":
			s.SetInt64(&w.Created)
		case "model":
			s.SetString(&w.Model, prevModel)
		case "choices":
			// encoding/json decodes a repeated array into the elements of
			// the first: leave that to it.
			if seenChoices || !decodeChoicesFast(&s, w) {
				return false
			}
			seenChoices = true
		case "usage":
			// encoding/json merges a repeated object into the first.
			if seenUsage {
				return false
			}
			seenUsage = true
			if s.Null() {
				w.Usage = nil
				break
			}
			var u llmgate.Usage
			if !decodeUsageFast(&s, &u) {
				return false
			}
			w.Usage = &usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
			w.Usage.PromptTokensDetails.CachedTokens = u.CachedTokens
			w.Usage.CompletionTokensDetails.ReasoningTokens = u.ReasoningTokens
		case "error":
			if !s.Null() {
				return false
			}
			w.Error = nil
		default:
			if chunkKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.End()
}

var (
	chunkKeys  = jsonscan.NewKeySet("id", "created", "model", "choices", "usage", "error")
	choiceKeys = jsonscan.NewKeySet("index", "delta", "finish_reason", "logprobs")
	deltaKeys  = jsonscan.NewKeySet("role", "content", "tool_calls")
)

// The decoders below test for a rare null with Peek, which is inlined,
// before they call Null: on the usual value, that saves a call.

func decodeChoicesFast(s *jsonscan.Scanner, w *chatChunk) bool {
	if s.Peek() == 'n' {
		w.Choices = w.Choices[:0]
		return s.Null()
	}
	if !s.Enter('[') {
		return false
	}
	for first := true; s.Next(']', &first); {
		w.Choices = append(w.Choices, chunkChoice{})
		c := &w.Choices[len(w.Choices)-1]
		if s.Peek() == 'n' {
			s.Null()
			continue
		}
		if !s.Enter('{') {
			return false
		}
		for first := true; ; {
			key, ok := s.Member(&first)
			if !ok {
				break
			}
			switch string(key) {
			case "index":
				s.SetInt(&c.Index)
			case "finish_reason":
				s.SetString(&c.FinishReason, "stop")
			case "logprobs":
				if !s.Null() {
					return false
				}
				c.Logprobs = nil
			case "delta":
				if !decodeDeltaFast(s, &c.Delta) {
					return false
				}
			default:
				if choiceKeys.Folds(key) {
					return false
				}
				s.Skip()
			}
		}
	}
	return s.OK()
}

func decodeDeltaFast(s *jsonscan.Scanner, d *chunkDelta) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('{') {
		return false
	}
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "role":
			s.SetString(&d.Role, string(llmgate.RoleAssistant))
		case "content":
			s.SetString(&d.Content, "")
		case "tool_calls":
			if !s.Null() {
				return false
			}
			d.ToolCalls = nil
		default:
			if deltaKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.OK()
}
