package httpapi

import (
	"strings"

	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The Anthropic surface's request body has a hand-written decoder too, by
// the rules of fastdecode.go: Messages API clients (agents above all) send
// large bodies, a long system prompt, tool definitions and the whole
// conversation, which encoding/json decoded at about 10 ns a byte, a
// millisecond for 100 KB. Its string-or-blocks fields (system, content),
// which encoding/json hands to their UnmarshalJSON, are read here as those
// methods read them.

var _ fastDecoder = (*anRequest)(nil)

// The values a few string fields usually take, returned without a copy.
var (
	anRoles       = []string{"user", "assistant"}
	anBlockTypes  = []string{"text", "image", "tool_use", "tool_result"}
	anSourceTypes = []string{"base64", "url"}
	anChoiceTypes = []string{"auto", "any", "tool", "none"}
)

func (r *anRequest) decodeFast(data []byte, newScanner func([]byte) jsonscan.Scanner) bool {
	var v anRequest
	s := newScanner(data)
	object(&s, func(k []byte) uint32 {
		switch string(k) {
		case "model":
			v.Model = s.String("")
			return 1 << 0
		case "max_tokens":
			v.MaxTokens = int(s.Int())
			return 1 << 1
		case "messages":
			v.Messages = array(&s, func(m *anMessage) { readAnMessage(&s, m) })
			return 1 << 2
		case "system":
			v.System.text = readAnSystem(&s)
			return 1 << 3
		case "stop_sequences":
			v.StopSequences = readStrings(&s)
			return 1 << 4
		case "temperature":
			v.Temperature = optFloat(&s)
			return 1 << 5
		case "top_p":
			v.TopP = optFloat(&s)
			return 1 << 6
		case "top_k":
			v.TopK = optInt(&s)
			return 1 << 7
		case "tools":
			v.Tools = array(&s, func(t *anTool) { readAnTool(&s, t) })
			return 1 << 8
		case "tool_choice":
			if !s.Null() {
				v.ToolChoice = new(anToolChoice)
				readAnToolChoice(&s, v.ToolChoice)
			}
			return 1 << 9
		case "metadata":
			if !s.Null() {
				v.Metadata = new(anMetadata)
				object(&s, func(k []byte) uint32 {
					if string(k) == "user_id" {
						v.Metadata.UserID = s.String("")
						return 1 << 0
					}
					return 0
				})
			}
			return 1 << 10
		case "stream":
			v.Stream = s.Bool()
			return 1 << 11
		case "thinking":
			v.Thinking = raw(&s)
			return 1 << 12
		}
		return 0
	})
	if !s.End() {
		return false
	}
	*r = v
	return true
}

func readAnMessage(s *jsonscan.Scanner, m *anMessage) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "role":
			m.Role = s.StringFrom(anRoles)
			return 1 << 0
		case "content":
			m.Content.blocks = readAnContent(s)
			return 1 << 1
		}
		return 0
	})
}

// readAnContent reads what anContent.UnmarshalJSON takes: a string, a text
// block of its own, or an array of blocks. Anything else, null included,
// fails the scan, for encoding/json to say why.
func readAnContent(s *jsonscan.Scanner) []anBlock {
	switch s.Peek() {
	case '"':
		return []anBlock{{Type: "text", Text: s.Text()}}
	case '[':
		return array(s, func(b *anBlock) { readAnBlock(s, b) })
	}
	s.Fail()
	return nil
}

// readAnSystem reads what anSystem.UnmarshalJSON takes: a string, or text
// blocks, joined by blank lines.
func readAnSystem(s *jsonscan.Scanner) string {
	if s.Peek() == '"' {
		return s.Text()
	}
	blocks := readAnContent(s)
	parts := make([]string, len(blocks))
	for i := range blocks {
		if blocks[i].Type != "text" {
			s.Fail()
			return ""
		}
		parts[i] = blocks[i].Text
	}
	return strings.Join(parts, "\n\n")
}

func readAnBlock(s *jsonscan.Scanner, b *anBlock) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			b.Type = s.StringFrom(anBlockTypes)
			return 1 << 0
		case "text":
			b.Text = s.Text()
			return 1 << 1
		case "source":
			if !s.Null() {
				b.Source = new(anImageSource)
				readAnSource(s, b.Source)
			}
			return 1 << 2
		case "id":
			b.ID = s.String("")
			return 1 << 3
		case "name":
			b.Name = s.String("")
			return 1 << 4
		case "input":
			b.Input = raw(s)
			return 1 << 5
		case "tool_use_id":
			b.ToolUseID = s.String("")
			return 1 << 6
		case "content":
			if !s.Null() {
				b.Content = &anContent{blocks: readAnContent(s)}
			}
			return 1 << 7
		case "is_error":
			b.IsError = s.Bool()
			return 1 << 8
		case "cache_control":
			b.CacheControl = raw(s)
			return 1 << 9
		}
		return 0
	})
}

func readAnSource(s *jsonscan.Scanner, src *anImageSource) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			src.Type = s.StringFrom(anSourceTypes)
			return 1 << 0
		case "media_type":
			src.MediaType = s.String("")
			return 1 << 1
		case "data":
			src.Data = s.Text()
			return 1 << 2
		case "url":
			src.URL = s.Text()
			return 1 << 3
		}
		return 0
	})
}

func readAnTool(s *jsonscan.Scanner, t *anTool) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "name":
			t.Name = s.String("")
			return 1 << 0
		case "description":
			t.Description = s.String("")
			return 1 << 1
		case "input_schema":
			t.InputSchema = raw(s)
			return 1 << 2
		case "type":
			t.Type = s.String("")
			return 1 << 3
		case "cache_control":
			t.CacheControl = raw(s)
			return 1 << 4
		}
		return 0
	})
}

func readAnToolChoice(s *jsonscan.Scanner, tc *anToolChoice) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			tc.Type = s.StringFrom(anChoiceTypes)
			return 1 << 0
		case "name":
			tc.Name = s.String("")
			return 1 << 1
		case "disable_parallel_tool_use":
			tc.DisableParallelToolUse = optBool(s)
			return 1 << 2
		}
		return 0
	})
}
