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
			setString(&s, &w.Type, eventTypes)
		case "index":
			if s.Peek() == 'n' {
				s.Null() // null leaves the field as it is, as encoding/json does
				break
			}
			n := s.Int()
			if int64(int(n)) != n {
				return false
			}
			w.Index = int(n)
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
			setString(s, &d.Type, deltaTypes)
		case "text":
			setString(s, &d.Text, nil)
		case "partial_json":
			setString(s, &d.PartialJSON, nil)
		case "stop_reason":
			setString(s, &d.StopReason, nil)
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

// setString reads a string into *dst, as the element of known its text
// equals, if any; a null leaves *dst as it is, as encoding/json does.
func setString(s *jsonscan.Scanner, dst *string, known []string) {
	if s.Peek() == 'n' {
		s.Null()
		return
	}
	*dst = s.StringFrom(known)
}
