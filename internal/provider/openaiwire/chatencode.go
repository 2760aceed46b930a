package openaiwire

import (
	"strconv"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonappend"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// appendChatRequest appends the chat completions body for req to dst
// without reflection or intermediate wire values, writing the bytes that
// json.Marshal(toWireChat(req, opts, stream)) writes. It reports false for
// what that path reports as an error (an unknown content part type or tool
// choice mode, a NaN or infinite parameter, an invalid schema) and then
// leaves dst in any state: encodeChatRequest falls back to encoding/json
// for the error it returns.
//
// encoding/json's reflection, and its escaping of message text one byte at
// a time, were a visible cost per KiB of prompt in profiles of the request
// path.
func appendChatRequest(dst []byte, req *llmgate.ChatRequest, opts ChatOptions, stream bool) ([]byte, bool) {
	p := &req.Params
	ok := true
	b := append(dst, '{')
	if opts.Model != "" {
		b = append(b, `"model":`...)
		b = jsonappend.String(b, opts.Model)
		b = append(b, ',')
	}
	b = append(b, `"messages":[`...)
	for i := range req.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendMessage(b, &req.Messages[i], opts.Literals); !ok {
			return dst, false
		}
	}
	b = append(b, ']')
	if b, ok = appendFloatField(b, `,"temperature":`, p.Temperature); !ok {
		return dst, false
	}
	if p.MaxTokens != nil {
		if opts.MaxCompletionTokens {
			b = append(b, `,"max_completion_tokens":`...)
		} else {
			b = append(b, `,"max_tokens":`...)
		}
		b = strconv.AppendInt(b, int64(*p.MaxTokens), 10)
	}
	if b, ok = appendFloatField(b, `,"top_p":`, p.TopP); !ok {
		return dst, false
	}
	if len(p.Stop) > 0 {
		b = append(b, `,"stop":[`...)
		for i, s := range p.Stop {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(b, s)
		}
		b = append(b, ']')
	}
	if b, ok = appendFloatField(b, `,"presence_penalty":`, p.PresencePenalty); !ok {
		return dst, false
	}
	if b, ok = appendFloatField(b, `,"frequency_penalty":`, p.FrequencyPenalty); !ok {
		return dst, false
	}
	if p.Seed != nil {
		b = strconv.AppendInt(append(b, `,"seed":`...), *p.Seed, 10)
	}
	if p.N != nil {
		b = strconv.AppendInt(append(b, `,"n":`...), int64(*p.N), 10)
	}
	if p.User != "" {
		b = jsonappend.String(append(b, `,"user":`...), p.User)
	}
	if rf := p.ResponseFormat; rf != nil {
		b = jsonappend.String(append(b, `,"response_format":{"type":`...), rf.Type)
		if rf.Type == "json_schema" {
			name := rf.Name
			if name == "" {
				name = defaultSchemaName
			}
			b = jsonappend.String(append(b, `,"json_schema":{"name":`...), name)
			if len(rf.Schema) > 0 {
				if b, ok = jsonappend.Raw(append(b, `,"schema":`...), rf.Schema); !ok {
					return dst, false
				}
			}
			if rf.Strict != nil {
				b = strconv.AppendBool(append(b, `,"strict":`...), *rf.Strict)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if len(p.Tools) > 0 {
		b = append(b, `,"tools":[`...)
		for i := range p.Tools {
			t := &p.Tools[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(append(b, `{"type":"function","function":{"name":`...), t.Name)
			if t.Description != "" {
				b = jsonappend.String(append(b, `,"description":`...), t.Description)
			}
			if len(t.Parameters) > 0 {
				if b, ok = jsonappend.Raw(append(b, `,"parameters":`...), t.Parameters); !ok {
					return dst, false
				}
			}
			if t.Strict != nil {
				b = strconv.AppendBool(append(b, `,"strict":`...), *t.Strict)
			}
			b = append(b, '}', '}')
		}
		b = append(b, ']')
	}
	if tc := p.ToolChoice; tc != nil {
		switch tc.Mode {
		case "auto", "none", "required":
			b = jsonappend.String(append(b, `,"tool_choice":`...), tc.Mode)
		case "function":
			b = jsonappend.String(append(b, `,"tool_choice":{"type":"function","function":{"name":`...), tc.Name)
			b = append(b, '}', '}')
		default:
			return dst, false
		}
	}
	if p.ParallelToolCalls != nil {
		b = strconv.AppendBool(append(b, `,"parallel_tool_calls":`...), *p.ParallelToolCalls)
	}
	if p.Logprobs != nil {
		b = strconv.AppendBool(append(b, `,"logprobs":`...), *p.Logprobs)
	}
	if p.TopLogprobs != nil {
		b = strconv.AppendInt(append(b, `,"top_logprobs":`...), int64(*p.TopLogprobs), 10)
	}
	if stream {
		b = append(b, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	return append(b, '}'), true
}

// appendFloatField appends key and *f when f is set, and reports false if
// *f has no JSON form.
func appendFloatField(b []byte, key string, f *float64) ([]byte, bool) {
	if f == nil {
		return b, true
	}
	return jsonappend.Float(append(b, key...), *f)
}

// appendMessage appends m as toWireMessage shapes it, with the texts lits
// holds as the client sent them.
func appendMessage(b []byte, m *llmgate.Message, lits *jsonscan.Literals) ([]byte, bool) {
	b = jsonappend.String(append(b, `{"role":`...), string(m.Role))
	switch {
	case len(m.Content) == 1 && m.Content[0].Type == llmgate.PartText:
		b = lits.AppendText(append(b, `,"content":`...), m.Content[0].Text)
	case len(m.Content) == 0:
		if len(m.ToolCalls) == 0 {
			b = append(b, `,"content":""`...)
		}
	default:
		b = append(b, `,"content":[`...)
		for i := range m.Content {
			p := &m.Content[i]
			if i > 0 {
				b = append(b, ',')
			}
			switch p.Type {
			case llmgate.PartText:
				b = lits.AppendText(append(b, `{"type":"text","text":`...), p.Text)
				b = append(b, '}')
			case llmgate.PartImage:
				b = lits.AppendText(append(b, `{"type":"image_url","image_url":{"url":`...), p.ImageURL)
				if p.ImageDetail != "" {
					b = jsonappend.String(append(b, `,"detail":`...), p.ImageDetail)
				}
				b = append(b, '}', '}')
			default:
				return b, false
			}
		}
		b = append(b, ']')
	}
	if m.Name != "" {
		b = jsonappend.String(append(b, `,"name":`...), m.Name)
	}
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i := range m.ToolCalls {
			c := &m.ToolCalls[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if c.ID != "" {
				b = jsonappend.String(append(b, `"id":`...), c.ID)
				b = append(b, ',')
			}
			b = jsonappend.String(append(b, `"type":"function","function":{"name":`...), c.Name)
			b = lits.AppendText(append(b, `,"arguments":`...), c.Arguments)
			b = append(b, '}', '}')
		}
		b = append(b, ']')
	}
	if m.ToolCallID != "" {
		b = jsonappend.String(append(b, `,"tool_call_id":`...), m.ToolCallID)
	}
	return append(b, '}'), true
}

// chatRequestSize returns a capacity that holds the body of req, so that
// encoding a long prompt allocates once: the length of every text plus
// room for the JSON around it and for escapes. Text that escapes more than
// the room left costs one more allocation, no error.
func chatRequestSize(req *llmgate.ChatRequest, opts ChatOptions) int {
	const (
		fixed   = 512 // braces, parameter names and values
		perItem = 64  // a message, part, tool call, tool or stop string's keys
	)
	n := fixed + len(opts.Model)
	for i := range req.Messages {
		m := &req.Messages[i]
		n += perItem + len(m.Role) + len(m.Name) + len(m.ToolCallID)
		for j := range m.Content {
			p := &m.Content[j]
			n += perItem + len(p.Text) + len(p.ImageURL) + len(p.ImageDetail)
			if m.Role == llmgate.RoleTool {
				// A tool's result is usually JSON, whose quotes are all
				// escaped.
				n += len(p.Text) / 4
			}
		}
		for j := range m.ToolCalls {
			c := &m.ToolCalls[j]
			// Arguments are JSON too.
			n += perItem + len(c.ID) + len(c.Name) + len(c.Arguments) + len(c.Arguments)/4
		}
	}
	p := &req.Params
	for _, s := range p.Stop {
		n += perItem + len(s)
	}
	n += len(p.User)
	if rf := p.ResponseFormat; rf != nil {
		n += perItem + len(rf.Type) + len(rf.Name) + len(rf.Schema)
	}
	for i := range p.Tools {
		t := &p.Tools[i]
		n += perItem + len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	if tc := p.ToolChoice; tc != nil {
		n += perItem + len(tc.Name)
	}
	// Prose has the odd newline or quote to escape.
	return n + n/16
}
