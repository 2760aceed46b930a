package bedrock

import (
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The members of a contentBlockDelta event and of its delta that
// encoding/json would fill: a key that differs from one of them only in
// case is one the fast decoder leaves to encoding/json, which matches it.
var (
	deltaEventKeys = jsonscan.NewKeySet("contentBlockIndex", "delta")
	deltaKeys      = jsonscan.NewKeySet("text", "toolUse")
	toolUseKeys    = jsonscan.NewKeySet("input")
)

// decodeDeltaFast fills ev, which must be zero, from the payload of a
// contentBlockDelta event, the one a stream sends per token or so, with a
// piece of text or of a tool call's input and Bedrock's padding:
//
//	{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijk"}
//
// The text, or the tool input, is read into *text or *tool, which the
// stream owns, rather than into new memory. It reports false for anything
// it does not handle (a key repeated where encoding/json would merge, a key
// in another case, malformed data), leaving ev in any state; the caller
// then decodes the payload with encoding/json, which has the last word.
func decodeDeltaFast(payload []byte, ev *contentBlockDeltaEvent, text *string, tool *toolUseDelta) bool {
	s := jsonscan.New(payload)
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
		case "contentBlockIndex":
			s.SetInt(&ev.ContentBlockIndex)
		case "delta":
			// encoding/json merges a repeated object into the first.
			if seenDelta {
				return false
			}
			seenDelta = true
			if s.Peek() == 'n' {
				s.Null()
				break
			}
			if !decodeDeltaMembers(&s, ev, text, tool) {
				return false
			}
		default:
			if deltaEventKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.End()
}

func decodeDeltaMembers(s *jsonscan.Scanner, ev *contentBlockDeltaEvent, text *string, tool *toolUseDelta) bool {
	if !s.Enter('{') {
		return false
	}
	d := &ev.Delta
	seenTool := false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "text":
			// A null sets a pointer to nil, as encoding/json does.
			if s.Peek() == 'n' {
				s.Null()
				d.Text = nil
				break
			}
			*text = s.String("")
			d.Text = text
		case "toolUse":
			if seenTool {
				return false
			}
			seenTool = true
			if s.Peek() == 'n' {
				s.Null()
				d.ToolUse = nil
				break
			}
			*tool = toolUseDelta{}
			d.ToolUse = tool
			if !decodeToolUse(s, tool) {
				return false
			}
		default:
			if deltaKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.OK()
}

func decodeToolUse(s *jsonscan.Scanner, tool *toolUseDelta) bool {
	if !s.Enter('{') {
		return false
	}
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch {
		case string(key) == "input":
			if s.Peek() == 'n' {
				s.Null()
				break
			}
			tool.Input = s.String("")
		case toolUseKeys.Folds(key):
			return false
		default:
			s.Skip()
		}
	}
	return s.OK()
}
