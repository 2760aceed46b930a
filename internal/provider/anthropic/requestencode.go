package anthropic

import (
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonappend"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// appendRequest appends w to dst as json.Marshal(w) writes it, without
// reflection, but for the texts lits holds: those are written in the
// client's own JSON form (see jsonscan.Literals), which may escape less.
// It reports false for what json.Marshal reports as an error (a NaN or
// infinite number, raw JSON that is not valid), and for a tool result's
// content of a type toolResultBlock never sets, and then leaves dst in any
// state: encodeRequest leaves those to json.Marshal.
//
// encoding/json escaped a prompt one byte at a time, through reflection:
// about 75 us for a 100 KB prompt, three times what the OpenAI wire
// encoder takes.
func appendRequest(dst []byte, w *messagesRequest, lits *jsonscan.Literals) ([]byte, bool) {
	ok := true
	b := jsonappend.String(append(dst, `{"model":`...), w.Model)
	b = strconv.AppendInt(append(b, `,"max_tokens":`...), int64(w.MaxTokens), 10)
	if len(w.System) > 0 {
		if b, ok = appendBlocks(append(b, `,"system":`...), w.System, lits); !ok {
			return dst, false
		}
	}
	b = append(b, `,"messages":`...)
	if w.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range w.Messages {
			m := &w.Messages[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(append(b, `{"role":`...), m.Role)
			b = append(b, `,"content":`...)
			if m.Content == nil {
				b = append(b, "null"...)
			} else if b, ok = appendBlocks(b, m.Content, lits); !ok {
				return dst, false
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if w.Temperature != nil {
		if b, ok = jsonappend.Float(append(b, `,"temperature":`...), *w.Temperature); !ok {
			return dst, false
		}
	}
	if w.TopP != nil {
		if b, ok = jsonappend.Float(append(b, `,"top_p":`...), *w.TopP); !ok {
			return dst, false
		}
	}
	if len(w.StopSequences) > 0 {
		b = append(b, `,"stop_sequences":[`...)
		for i, s := range w.StopSequences {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(b, s)
		}
		b = append(b, ']')
	}
	if w.Metadata != nil {
		b = jsonappend.String(append(b, `,"metadata":{"user_id":`...), w.Metadata.UserID)
		b = append(b, '}')
	}
	if len(w.Tools) > 0 {
		b = append(b, `,"tools":[`...)
		for i := range w.Tools {
			t := &w.Tools[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(append(b, `{"name":`...), t.Name)
			if t.Description != "" {
				b = jsonappend.String(append(b, `,"description":`...), t.Description)
			}
			if b, ok = jsonappend.Raw(append(b, `,"input_schema":`...), t.InputSchema); !ok {
				return dst, false
			}
			if t.Strict != nil {
				b = strconv.AppendBool(append(b, `,"strict":`...), *t.Strict)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if tc := w.ToolChoice; tc != nil {
		b = jsonappend.String(append(b, `,"tool_choice":{"type":`...), tc.Type)
		if tc.Name != "" {
			b = jsonappend.String(append(b, `,"name":`...), tc.Name)
		}
		if tc.DisableParallelToolUse {
			b = append(b, `,"disable_parallel_tool_use":true`...)
		}
		b = append(b, '}')
	}
	if oc := w.OutputConfig; oc != nil {
		b = jsonappend.String(append(b, `,"output_config":{"format":{"type":`...), oc.Format.Type)
		if b, ok = jsonappend.Raw(append(b, `,"schema":`...), oc.Format.Schema); !ok {
			return dst, false
		}
		b = append(b, "}}"...)
	}
	if w.Stream {
		b = append(b, `,"stream":true`...)
	}
	return append(b, '}'), true
}

// appendBlocks appends blocks, a non-nil slice, as a JSON array.
func appendBlocks(b []byte, blocks []block, lits *jsonscan.Literals) ([]byte, bool) {
	ok := true
	b = append(b, '[')
	for i := range blocks {
		bl := &blocks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(append(b, `{"type":`...), bl.Type)
		if bl.Text != "" {
			b = lits.AppendText(append(b, `,"text":`...), bl.Text)
		}
		if src := bl.Source; src != nil {
			b = jsonappend.String(append(b, `,"source":{"type":`...), src.Type)
			if src.MediaType != "" {
				b = jsonappend.String(append(b, `,"media_type":`...), src.MediaType)
			}
			if src.Data != "" {
				b = lits.AppendText(append(b, `,"data":`...), src.Data)
			}
			if src.URL != "" {
				b = lits.AppendText(append(b, `,"url":`...), src.URL)
			}
			b = append(b, '}')
		}
		if bl.ID != "" {
			b = jsonappend.String(append(b, `,"id":`...), bl.ID)
		}
		if bl.Name != "" {
			b = jsonappend.String(append(b, `,"name":`...), bl.Name)
		}
		if len(bl.Input) > 0 {
			if b, ok = jsonappend.Raw(append(b, `,"input":`...), bl.Input); !ok {
				return b, false
			}
		}
		if bl.ToolUseID != "" {
			b = jsonappend.String(append(b, `,"tool_use_id":`...), bl.ToolUseID)
		}
		switch c := bl.Content.(type) {
		case nil:
		case string:
			b = lits.AppendText(append(b, `,"content":`...), c)
		case []block:
			b = append(b, `,"content":`...)
			if c == nil {
				b = append(b, "null"...)
			} else if b, ok = appendBlocks(b, c, lits); !ok {
				return b, false
			}
		default:
			return b, false
		}
		b = append(b, '}')
	}
	return append(b, ']'), true
}

// requestSize is about the length of w's JSON, with an eighth more for
// the escapes of its texts, so that appendRequest seldom grows its buffer.
func requestSize(w *messagesRequest) int {
	n := 512 + len(w.Model)
	text := func(s string) { n += len(s) + len(s)/8 }
	blocks := func(bs []block) {
		for i := range bs {
			bl := &bs[i]
			n += 64 + len(bl.Input) + len(bl.ID) + len(bl.Name) + len(bl.ToolUseID)
			text(bl.Text)
			if src := bl.Source; src != nil {
				n += 64 + len(src.Data) + len(src.URL)
			}
			if c, ok := bl.Content.(string); ok {
				text(c)
			}
		}
	}
	blocks(w.System)
	for i := range w.Messages {
		n += 32
		blocks(w.Messages[i].Content)
	}
	for i := range w.Tools {
		n += 64 + len(w.Tools[i].Name) + len(w.Tools[i].Description) + len(w.Tools[i].InputSchema)
	}
	return n
}
