package gemini

import (
	"encoding/json"
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonappend"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// appendChatRequest appends w to dst as json.Marshal(w) writes it, without
// reflection, but for the texts lits holds: those are written in the
// client's own JSON form (see jsonscan.Literals), which may escape less.
// It reports false for what json.Marshal reports as an error (a NaN or
// infinite number, raw JSON that is not valid), and for a function
// response's output of a type toolOutput never returns, and then leaves
// dst in any state: encodeChatRequest leaves those to json.Marshal.
//
// encoding/json escaped a prompt one byte at a time, through reflection.
func appendChatRequest(dst []byte, w *generateContentRequest, lits *jsonscan.Literals) ([]byte, bool) {
	ok := true
	b := append(dst, `{"contents":`...)
	if w.Contents == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range w.Contents {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendWireContent(b, &w.Contents[i], lits); !ok {
				return dst, false
			}
		}
		b = append(b, ']')
	}
	if w.SystemInstruction != nil {
		if b, ok = appendWireContent(append(b, `,"systemInstruction":`...), w.SystemInstruction, lits); !ok {
			return dst, false
		}
	}
	if len(w.Tools) > 0 {
		b = append(b, `,"tools":[`...)
		for i := range w.Tools {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"functionDeclarations":`...)
			fds := w.Tools[i].FunctionDeclarations
			if fds == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for j := range fds {
					fd := &fds[j]
					if j > 0 {
						b = append(b, ',')
					}
					b = jsonappend.String(append(b, `{"name":`...), fd.Name)
					if fd.Description != "" {
						b = jsonappend.String(append(b, `,"description":`...), fd.Description)
					}
					if len(fd.ParametersJSONSchema) > 0 {
						if b, ok = jsonappend.Raw(append(b, `,"parametersJsonSchema":`...), fd.ParametersJSONSchema); !ok {
							return dst, false
						}
					}
					b = append(b, '}')
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if tc := w.ToolConfig; tc != nil {
		fc := &tc.FunctionCallingConfig
		b = jsonappend.String(append(b, `,"toolConfig":{"functionCallingConfig":{"mode":`...), fc.Mode)
		if len(fc.AllowedFunctionNames) > 0 {
			b = appendStrings(append(b, `,"allowedFunctionNames":`...), fc.AllowedFunctionNames)
		}
		b = append(b, "}}"...)
	}
	if gc := w.GenerationConfig; gc != nil {
		if b, ok = appendGenerationConfig(append(b, `,"generationConfig":`...), gc); !ok {
			return dst, false
		}
	}
	return append(b, '}'), true
}

func appendWireContent(b []byte, c *content, lits *jsonscan.Literals) ([]byte, bool) {
	ok := true
	b = append(b, '{')
	if c.Role != "" {
		b = jsonappend.String(append(b, `"role":`...), c.Role)
		b = append(b, ',')
	}
	b = append(b, `"parts":`...)
	if c.Parts == nil {
		return append(b, "null}"...), true
	}
	b = append(b, '[')
	for i := range c.Parts {
		p := &c.Parts[i]
		if i > 0 {
			b = append(b, ',')
		}
		// Each member is written with a comma after it, the last one
		// taken back: omitempty may leave any of them out.
		b = append(b, '{')
		if p.Text != "" {
			b = lits.AppendText(append(b, `"text":`...), p.Text)
			b = append(b, ',')
		}
		if p.Thought {
			b = append(b, `"thought":true,`...)
		}
		if p.ThoughtSignature != "" {
			b = jsonappend.String(append(b, `"thoughtSignature":`...), p.ThoughtSignature)
			b = append(b, ',')
		}
		if d := p.InlineData; d != nil {
			b = jsonappend.String(append(b, `"inlineData":{"mimeType":`...), d.MimeType)
			b = lits.AppendText(append(b, `,"data":`...), d.Data)
			b = append(b, "},"...)
		}
		if f := p.FileData; f != nil {
			b = append(b, `"fileData":{`...)
			if f.MimeType != "" {
				b = jsonappend.String(append(b, `"mimeType":`...), f.MimeType)
				b = append(b, ',')
			}
			b = lits.AppendText(append(b, `"fileUri":`...), f.FileURI)
			b = append(b, "},"...)
		}
		if fc := p.FunctionCall; fc != nil {
			b = append(b, `"functionCall":{`...)
			if fc.ID != "" {
				b = jsonappend.String(append(b, `"id":`...), fc.ID)
				b = append(b, ',')
			}
			b = jsonappend.String(append(b, `"name":`...), fc.Name)
			if len(fc.Args) > 0 {
				if b, ok = jsonappend.Raw(append(b, `,"args":`...), fc.Args); !ok {
					return b, false
				}
			}
			b = append(b, "},"...)
		}
		if fr := p.FunctionResponse; fr != nil {
			b = jsonappend.String(append(b, `"functionResponse":{"name":`...), fr.Name)
			b = append(b, `,"response":{"output":`...)
			switch out := fr.Response.Output.(type) {
			case nil:
				b = append(b, "null"...)
			case string:
				b = lits.AppendText(b, out)
			case json.RawMessage:
				if b, ok = jsonappend.Raw(b, out); !ok {
					return b, false
				}
			default:
				return b, false
			}
			b = append(b, "}},"...)
		}
		if b[len(b)-1] == ',' {
			b = b[:len(b)-1]
		}
		b = append(b, '}')
	}
	return append(b, "]}"...), true
}

func appendGenerationConfig(b []byte, gc *generationConfig) ([]byte, bool) {
	ok := true
	b = append(b, '{')
	if len(gc.StopSequences) > 0 {
		b = appendStrings(append(b, `"stopSequences":`...), gc.StopSequences)
		b = append(b, ',')
	}
	if gc.ResponseMimeType != "" {
		b = jsonappend.String(append(b, `"responseMimeType":`...), gc.ResponseMimeType)
		b = append(b, ',')
	}
	if len(gc.ResponseJSONSchema) > 0 {
		if b, ok = jsonappend.Raw(append(b, `"responseJsonSchema":`...), gc.ResponseJSONSchema); !ok {
			return b, false
		}
		b = append(b, ',')
	}
	b = appendInt(b, `"candidateCount":`, gc.CandidateCount)
	b = appendInt(b, `"maxOutputTokens":`, gc.MaxOutputTokens)
	for _, f := range []struct {
		key string
		v   *float64
	}{{`"temperature":`, gc.Temperature}, {`"topP":`, gc.TopP}} {
		if f.v != nil {
			if b, ok = jsonappend.Float(append(b, f.key...), *f.v); !ok {
				return b, false
			}
			b = append(b, ',')
		}
	}
	if gc.Seed != nil {
		b = strconv.AppendInt(append(b, `"seed":`...), *gc.Seed, 10)
		b = append(b, ',')
	}
	for _, f := range []struct {
		key string
		v   *float64
	}{{`"presencePenalty":`, gc.PresencePenalty}, {`"frequencyPenalty":`, gc.FrequencyPenalty}} {
		if f.v != nil {
			if b, ok = jsonappend.Float(append(b, f.key...), *f.v); !ok {
				return b, false
			}
			b = append(b, ',')
		}
	}
	if gc.ResponseLogprobs {
		b = append(b, `"responseLogprobs":true,`...)
	}
	b = appendInt(b, `"logprobs":`, gc.Logprobs)
	if gc.MediaResolution != "" {
		b = jsonappend.String(append(b, `"mediaResolution":`...), gc.MediaResolution)
		b = append(b, ',')
	}
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, '}'), true
}

// appendInt appends key and *v and a comma when v is set.
func appendInt(b []byte, key string, v *int) []byte {
	if v == nil {
		return b
	}
	b = strconv.AppendInt(append(b, key...), int64(*v), 10)
	return append(b, ',')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(b, s)
	}
	return append(b, ']')
}

// chatRequestSize is about the length of w's JSON, with an eighth more for
// the escapes of its texts, so that appendChatRequest seldom grows its
// buffer.
func chatRequestSize(w *generateContentRequest) int {
	n := 512
	content := func(c *content) {
		for i := range c.Parts {
			p := &c.Parts[i]
			n += 48 + len(p.Text) + len(p.Text)/8 + len(p.ThoughtSignature)
			if p.InlineData != nil {
				n += 64 + len(p.InlineData.Data)
			}
			if p.FileData != nil {
				n += 64 + len(p.FileData.FileURI)
			}
			if p.FunctionCall != nil {
				n += 64 + len(p.FunctionCall.Name) + len(p.FunctionCall.Args)
			}
			if p.FunctionResponse != nil {
				n += 64
				switch out := p.FunctionResponse.Response.Output.(type) {
				case string:
					n += len(out) + len(out)/8
				case json.RawMessage:
					n += len(out)
				}
			}
		}
	}
	for i := range w.Contents {
		content(&w.Contents[i])
	}
	if w.SystemInstruction != nil {
		content(w.SystemInstruction)
	}
	for i := range w.Tools {
		for _, fd := range w.Tools[i].FunctionDeclarations {
			n += 64 + len(fd.Name) + len(fd.Description) + len(fd.ParametersJSONSchema)
		}
	}
	return n
}
