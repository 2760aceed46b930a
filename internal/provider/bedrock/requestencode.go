package bedrock

import (
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonappend"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// appendConverse appends w to dst as json.Marshal(w) writes it, without
// reflection, but for the texts lits holds: those are written in the
// client's own JSON form (see jsonscan.Literals), which may escape less.
// It reports false for what json.Marshal reports as an error (a NaN or
// infinite number, raw JSON that is not valid), and then leaves dst in any
// state: encodeRequest leaves those to json.Marshal.
func appendConverse(dst []byte, w *converseRequest, lits *jsonscan.Literals) ([]byte, bool) {
	ok := true
	b := append(dst, `{"messages":`...)
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
			} else {
				b = append(b, '[')
				for j := range m.Content {
					if j > 0 {
						b = append(b, ',')
					}
					if b, ok = appendBlock(b, &m.Content[j], lits); !ok {
						return dst, false
					}
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(w.System) > 0 {
		b = append(b, `,"system":[`...)
		for i := range w.System {
			if i > 0 {
				b = append(b, ',')
			}
			b = lits.AppendText(append(b, `{"text":`...), w.System[i].Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if ic := w.InferenceConfig; ic != nil {
		// Each member is written with a comma after it, the last one
		// taken back: omitempty may leave any of them out.
		b = append(b, `,"inferenceConfig":{`...)
		if ic.MaxTokens != nil {
			b = strconv.AppendInt(append(b, `"maxTokens":`...), int64(*ic.MaxTokens), 10)
			b = append(b, ',')
		}
		if ic.Temperature != nil {
			if b, ok = jsonappend.Float(append(b, `"temperature":`...), *ic.Temperature); !ok {
				return dst, false
			}
			b = append(b, ',')
		}
		if ic.TopP != nil {
			if b, ok = jsonappend.Float(append(b, `"topP":`...), *ic.TopP); !ok {
				return dst, false
			}
			b = append(b, ',')
		}
		if len(ic.StopSequences) > 0 {
			b = append(b, `"stopSequences":[`...)
			for i, s := range ic.StopSequences {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonappend.String(b, s)
			}
			b = append(b, "],"...)
		}
		if b[len(b)-1] == ',' {
			b = b[:len(b)-1]
		}
		b = append(b, '}')
	}
	if tc := w.ToolConfig; tc != nil {
		b = append(b, `,"toolConfig":{"tools":`...)
		if tc.Tools == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i := range tc.Tools {
				spec := &tc.Tools[i].ToolSpec
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonappend.String(append(b, `{"toolSpec":{"name":`...), spec.Name)
				if spec.Description != "" {
					b = jsonappend.String(append(b, `,"description":`...), spec.Description)
				}
				if b, ok = jsonappend.Raw(append(b, `,"inputSchema":{"json":`...), spec.InputSchema.JSON); !ok {
					return dst, false
				}
				b = append(b, '}')
				if spec.Strict != nil {
					b = strconv.AppendBool(append(b, `,"strict":`...), *spec.Strict)
				}
				b = append(b, "}}"...)
			}
			b = append(b, ']')
		}
		if ch := tc.ToolChoice; ch != nil {
			b = append(b, `,"toolChoice":{`...)
			if ch.Auto != nil {
				b = append(b, `"auto":{},`...)
			}
			if ch.Any != nil {
				b = append(b, `"any":{},`...)
			}
			if ch.Tool != nil {
				b = jsonappend.String(append(b, `"tool":{"name":`...), ch.Tool.Name)
				b = append(b, "},"...)
			}
			if b[len(b)-1] == ',' {
				b = b[:len(b)-1]
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if oc := w.OutputConfig; oc != nil {
		f := &oc.TextFormat
		d := &f.Structure.JSONSchema
		b = jsonappend.String(append(b, `,"outputConfig":{"textFormat":{"type":`...), f.Type)
		b = jsonappend.String(append(b, `,"structure":{"jsonSchema":{"schema":`...), d.Schema)
		if d.Name != "" {
			b = jsonappend.String(append(b, `,"name":`...), d.Name)
		}
		if d.Description != "" {
			b = jsonappend.String(append(b, `,"description":`...), d.Description)
		}
		b = append(b, "}}}}"...)
	}
	return append(b, '}'), true
}

// appendBlock appends a ContentBlock, of which any member may be set.
func appendBlock(b []byte, c *contentBlock, lits *jsonscan.Literals) ([]byte, bool) {
	ok := true
	b = append(b, '{')
	if c.Text != "" {
		b = lits.AppendText(append(b, `"text":`...), c.Text)
		b = append(b, ',')
	}
	if c.Image != nil {
		b = appendImage(append(b, `"image":`...), c.Image, lits)
		b = append(b, ',')
	}
	if tu := c.ToolUse; tu != nil {
		b = jsonappend.String(append(b, `"toolUse":{"toolUseId":`...), tu.ToolUseID)
		b = jsonappend.String(append(b, `,"name":`...), tu.Name)
		if b, ok = jsonappend.Raw(append(b, `,"input":`...), tu.Input); !ok {
			return b, false
		}
		b = append(b, "},"...)
	}
	if tr := c.ToolResult; tr != nil {
		b = jsonappend.String(append(b, `"toolResult":{"toolUseId":`...), tr.ToolUseID)
		b = append(b, `,"content":`...)
		if tr.Content == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i := range tr.Content {
				rc := &tr.Content[i]
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '{')
				if rc.Text != "" {
					b = lits.AppendText(append(b, `"text":`...), rc.Text)
					b = append(b, ',')
				}
				if rc.Image != nil {
					b = appendImage(append(b, `"image":`...), rc.Image, lits)
					b = append(b, ',')
				}
				if b[len(b)-1] == ',' {
					b = b[:len(b)-1]
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, "},"...)
	}
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, '}'), true
}

func appendImage(b []byte, img *imageBlock, lits *jsonscan.Literals) []byte {
	b = jsonappend.String(append(b, `{"format":`...), img.Format)
	b = lits.AppendText(append(b, `,"source":{"bytes":`...), img.Source.Bytes)
	return append(b, "}}"...)
}

// converseSize is about the length of w's JSON, with an eighth more for
// the escapes of its texts, so that appendConverse seldom grows its
// buffer.
func converseSize(w *converseRequest) int {
	n := 512
	text := func(s string) { n += 16 + len(s) + len(s)/8 }
	for i := range w.Messages {
		for j := range w.Messages[i].Content {
			c := &w.Messages[i].Content[j]
			text(c.Text)
			if c.Image != nil {
				n += 64 + len(c.Image.Source.Bytes)
			}
			if c.ToolUse != nil {
				n += 64 + len(c.ToolUse.Name) + len(c.ToolUse.Input)
			}
			if c.ToolResult != nil {
				for k := range c.ToolResult.Content {
					text(c.ToolResult.Content[k].Text)
				}
			}
		}
	}
	for i := range w.System {
		text(w.System[i].Text)
	}
	if w.ToolConfig != nil {
		for i := range w.ToolConfig.Tools {
			s := &w.ToolConfig.Tools[i].ToolSpec
			n += 64 + len(s.Name) + len(s.Description) + len(s.InputSchema.JSON)
		}
	}
	return n
}
