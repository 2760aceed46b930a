package anthropic

import (
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The members of a stream event and of its delta that encoding/json would
// fill: a key that differs from one of them only in case is one the fast
// decoder leaves to encoding/json, which matches it.
var (
	eventKeys = jsonscan.NewKeySet("type", "message", "index", "content_block", "delta", "usage", "error")
	deltaKeys = jsonscan.NewKeySet("type", "text", "partial_json", "stop_reason")
)

// decodeEventFast fills w, which must be zero, from an event of the kind a
// stream is made of, one per token or so: a content_block_delta, whose
// delta carries a piece of text or of a tool call's input.
//
//	{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}
//
// It reports false for an event with a message, content_block, usage or
// error (message_start, content_block_start, message_delta, error: a few
// per stream), or anything else it does not handle, leaving w in any
// state; the caller then decodes the data with encoding/json, which has the
// last word on those and on malformed data. With encoding/json alone,
// reflection over streamEvent's every field took most of a stream's CPU.
func decodeEventFast(data []byte, w *streamEvent) bool {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return false
	}
	seenDelta := false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "type":
			s.SetKnown(&w.Type, eventTypes)
		case "index":
			s.SetInt(&w.Index)
		case "delta":
			// encoding/json merges a repeated object into the first.
			if seenDelta || !decodeDeltaFast(&s, &w.Delta) {
				return false
			}
			seenDelta = true
		case "message", "content_block", "usage", "error":
			return false
		default:
			if eventKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.End()
}

func decodeDeltaFast(s *jsonscan.Scanner, d *streamDelta) bool {
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
		case "type":
			s.SetKnown(&d.Type, deltaTypes)
		case "text":
			s.SetKnown(&d.Text, nil)
		case "partial_json":
			s.SetKnown(&d.PartialJSON, nil)
		case "stop_reason":
			s.SetKnown(&d.StopReason, nil)
		default:
			if deltaKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.OK()
}

// The types of the events and deltas decodeEventFast reads, which it
// returns without a copy.
var (
	eventTypes = []string{"content_block_delta"}
	deltaTypes = []string{"text_delta", "input_json_delta"}
)

// The members of a Message and of what it holds that encoding/json would
// fill.
var (
	messageKeys = jsonscan.NewKeySet("id", "model", "role", "content", "stop_reason", "usage")
	blockKeys   = jsonscan.NewKeySet("type", "text", "id", "name", "input")
	usageKeys   = jsonscan.NewKeySet("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens_details")
)

// Values read without a copy.
var (
	blockTypes  = []string{"text", "tool_use"}
	stopReasons = []string{"end_turn", "tool_use", "max_tokens", "stop_sequence"}
	assistant   = []string{"assistant"}
)

// decodeMessageFast fills w, which must be zero, from a Message, the
// answer of a non-streamed call, by the rules of decodeEventFast: it
// reports false, leaving w in any state, for a key in another case, a key
// repeated where encoding/json would merge, a value of another type or
// malformed data, and the caller then decodes it with encoding/json.
// Members encoding/json would not fill (type, stop_sequence, a thinking
// block's thinking and signature) are skipped.
func decodeMessageFast(data []byte, w *messageResponse) bool {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return false
	}
	seenContent, seenUsage := false, false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "id":
			s.SetKnown(&w.ID, nil)
		case "model":
			s.SetKnown(&w.Model, nil)
		case "role":
			s.SetKnown(&w.Role, assistant)
		case "stop_reason":
			s.SetKnown(&w.StopReason, stopReasons)
		case "content":
			// encoding/json decodes a repeated array into the elements of
			// the first.
			if seenContent || !decodeBlocksFast(&s, w) {
				return false
			}
			seenContent = true
		case "usage":
			if seenUsage || !decodeUsageFast(&s, &w.Usage) {
				return false
			}
			seenUsage = true
		default:
			if messageKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.End()
}

func decodeBlocksFast(s *jsonscan.Scanner, w *messageResponse) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('[') {
		return false
	}
	// encoding/json makes an empty array an empty slice, not nil.
	w.Content = make([]responseBlock, 0, 2)
	for first := true; s.Next(']', &first); {
		w.Content = append(w.Content, responseBlock{})
		b := &w.Content[len(w.Content)-1]
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
			case "type":
				s.SetKnown(&b.Type, blockTypes)
			case "text":
				s.SetKnown(&b.Text, nil)
			case "id":
				s.SetKnown(&b.ID, nil)
			case "name":
				s.SetKnown(&b.Name, nil)
			case "input":
				// A json.RawMessage keeps a null as the text null.
				raw := s.Raw()
				if raw == nil {
					return false
				}
				b.Input = append([]byte(nil), raw...)
			default:
				if blockKeys.Folds(key) {
					return false
				}
				s.Skip()
			}
		}
	}
	return s.OK()
}

// decodeUsageFast decodes a usage object into u, which holds what an
// earlier one set, as encoding/json does: a count set to null is nil.
func decodeUsageFast(s *jsonscan.Scanner, u *usage) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('{') {
		return false
	}
	seenDetails := false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		var n **int
		switch string(key) {
		case "input_tokens":
			n = &u.InputTokens
		case "output_tokens":
			n = &u.OutputTokens
		case "cache_creation_input_tokens":
			n = &u.CacheCreationInputTokens
		case "cache_read_input_tokens":
			n = &u.CacheReadInputTokens
		case "output_tokens_details":
			// A repeated object is merged into the first.
			if seenDetails {
				return false
			}
			seenDetails = true
			if s.Peek() == 'n' {
				s.Null()
				u.OutputTokensDetails = nil
				continue
			}
			if !s.Enter('{') {
				return false
			}
			u.OutputTokensDetails = &struct {
				ThinkingTokens int `json:"thinking_tokens"`
			}{}
			for first := true; ; {
				key, ok := s.Member(&first)
				if !ok {
					break
				}
				switch {
				case string(key) == "thinking_tokens":
					s.SetInt(&u.OutputTokensDetails.ThinkingTokens)
				case jsonscan.FoldsTo(key, []string{"thinking_tokens"}):
					return false
				default:
					s.Skip()
				}
			}
			continue
		default:
			if usageKeys.Folds(key) {
				return false
			}
			s.Skip()
			continue
		}
		if s.Peek() == 'n' {
			s.Null()
			*n = nil
			continue
		}
		count := 0
		s.SetInt(&count)
		*n = &count
	}
	return s.OK()
}
