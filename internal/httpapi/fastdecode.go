package httpapi

import (
	"encoding/json"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The chat request bodies of the native and OpenAI surfaces are decoded by
// hand when they have the shapes clients send; encoding/json's cost per byte
// (a scan to validate, a second to decode, reflection on every value) was
// the largest part of the CPU a large prompt cost. The hand decoders fill
// the same structs encoding/json fills, and give up at the first thing they
// do not handle exactly as it does: an unknown name, a name spelled in
// another case (encoding/json folds case), a repeated name (encoding/json
// merges the second value into the first), a value of another type, a map
// that is not null, malformed JSON, data after the object. readJSON then
// decodes the same bytes with encoding/json, so that errors and odd bodies
// come out exactly as they always have.

// fastDecoder is a request body with a hand-written decoder.
type fastDecoder interface {
	// decodeFast fills the zero value it is called on from data, with a
	// Scanner from newScanner, and reports whether data was a body of the
	// shapes it handles; when it was not, the value is left untouched.
	// With jsonscan.NewShared, long texts may be views of data rather than
	// copies, and data must never change again; with jsonscan.NewLent,
	// only the prompt's texts (message content, image URLs, tool call
	// arguments) may be, and data must not change while the request that
	// carries them lasts.
	decodeFast(data []byte, newScanner func([]byte) jsonscan.Scanner) bool
}

var (
	_ fastDecoder = (*chatRequest)(nil)
	_ fastDecoder = (*oaChatRequest)(nil)
)

// The values a few string fields usually take, returned without a copy.
var (
	roleNames    = []string{"user", "assistant", "system", "tool", "developer"}
	partTypes    = []string{"text", "image_url"}
	functionType = []string{"function"}
	formatTypes  = []string{"json_schema", "json_object", "text"}
	choiceModes  = []string{"auto", "none", "required"}
	detailLevels = []string{"auto", "low", "high"}
)

func (r *chatRequest) decodeFast(data []byte, newScanner func([]byte) jsonscan.Scanner) bool {
	var v chatRequest
	s := newScanner(data)
	object(&s, func(k []byte) uint32 {
		switch string(k) {
		case "provider":
			readProvider(&s, &v.Provider)
			return 1 << 0
		case "prompt":
			readPrompt(&s, &v.Prompt)
			return 1 << 1
		case "stream":
			v.Stream = s.Bool()
			return 1 << 2
		case "routing":
			if !s.Null() {
				v.Routing = new(routing)
				readRouting(&s, v.Routing)
			}
			return 1 << 3
		}
		return 0
	})
	if !s.End() {
		return false
	}
	*r = v
	return true
}

func readProvider(s *jsonscan.Scanner, p *providerRef) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "name":
			p.Name = s.String("")
			return 1 << 0
		case "model":
			object(s, func(k []byte) uint32 {
				if string(k) == "name" {
					p.Model.Name = s.String("")
					return 1 << 0
				}
				return 0
			})
			return 1 << 1
		}
		return 0
	})
}

func readPrompt(s *jsonscan.Scanner, p *chatPrompt) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "parameter":
			if !s.Null() {
				p.Parameter = new(chatParameter)
				readParameter(s, p.Parameter)
			}
			return 1 << 0
		case "messages":
			p.Messages = array(s, func(e *message) { readMessage(s, e) })
			return 1 << 1
		}
		return 0
	})
}

func readParameter(s *jsonscan.Scanner, p *chatParameter) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "temperature":
			p.Temperature = optFloat(s)
			return 1 << 0
		case "maxTokens":
			p.MaxTokens = optInt(s)
			return 1 << 1
		case "topP":
			p.TopP = optFloat(s)
			return 1 << 2
		case "stop":
			p.Stop = readStop(s)
			return 1 << 3
		case "presencePenalty":
			p.PresencePenalty = optFloat(s)
			return 1 << 4
		case "frequencyPenalty":
			p.FrequencyPenalty = optFloat(s)
			return 1 << 5
		case "seed":
			p.Seed = optInt64(s)
			return 1 << 6
		case "n":
			p.N = optInt(s)
			return 1 << 7
		case "user":
			p.User = s.String("")
			return 1 << 8
		case "responseFormat":
			if !s.Null() {
				p.ResponseFormat = new(responseFormat)
				readResponseFormat(s, p.ResponseFormat)
			}
			return 1 << 9
		}
		return 0
	})
}

func readResponseFormat(s *jsonscan.Scanner, f *responseFormat) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			f.Type = s.StringFrom(formatTypes)
			return 1 << 0
		case "jsonSchema":
			if s.Null() {
				return 1 << 1
			}
			js := new(jsonSchema)
			f.JSONSchema = js
			object(s, func(k []byte) uint32 {
				switch string(k) {
				case "name":
					js.Name = s.String("")
					return 1 << 0
				case "schema":
					js.Schema = raw(s)
					return 1 << 1
				case "strict":
					js.Strict = optBool(s)
					return 1 << 2
				}
				return 0
			})
			return 1 << 1
		}
		return 0
	})
}

func readRouting(s *jsonscan.Scanner, r *routing) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "fallbacks":
			r.Fallbacks = readStrings(s)
			return 1 << 0
		case "timeout":
			r.Timeout = s.String("")
			return 1 << 1
		case "attemptTimeout":
			r.AttemptTimeout = s.String("")
			return 1 << 2
		case "firstTokenTimeout":
			r.FirstTokenTimeout = s.String("")
			return 1 << 3
		}
		return 0
	})
}

func readMessage(s *jsonscan.Scanner, m *message) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "role":
			m.Role = s.StringFrom(roleNames)
			return 1 << 0
		case "content":
			m.Content.parts = readContent(s, "imageUrl")
			return 1 << 1
		case "name":
			m.Name = s.String("")
			return 1 << 2
		case "toolCalls":
			m.ToolCalls = array(s, func(e *toolCall) { readToolCall(s, e) })
			return 1 << 3
		case "toolCallId":
			m.ToolCallID = s.String("")
			return 1 << 4
		}
		return 0
	})
}

func readToolCall(s *jsonscan.Scanner, tc *toolCall) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "id":
			tc.ID = s.String("")
			return 1 << 0
		case "name":
			tc.Name = s.String("")
			return 1 << 1
		case "arguments":
			tc.Arguments = s.Text()
			return 1 << 2
		}
		return 0
	})
}

func (r *oaChatRequest) decodeFast(data []byte, newScanner func([]byte) jsonscan.Scanner) bool {
	var v oaChatRequest
	s := newScanner(data)
	object(&s, func(k []byte) uint32 {
		switch string(k) {
		case "model":
			v.Model = s.String("")
			return 1 << 0
		case "messages":
			v.Messages = array(&s, func(e *oaMessage) { readOAMessage(&s, e) })
			return 1 << 1
		case "temperature":
			v.Temperature = optFloat(&s)
			return 1 << 2
		case "top_p":
			v.TopP = optFloat(&s)
			return 1 << 3
		case "n":
			v.N = optInt(&s)
			return 1 << 4
		case "stream":
			v.Stream = s.Bool()
			return 1 << 5
		case "stream_options":
			if !s.Null() {
				v.StreamOptions = new(oaStreamOptions)
				object(&s, func(k []byte) uint32 {
					if string(k) == "include_usage" {
						v.StreamOptions.IncludeUsage = s.Bool()
						return 1 << 0
					}
					return 0
				})
			}
			return 1 << 6
		case "stop":
			v.Stop = readStop(&s)
			return 1 << 7
		case "max_tokens":
			v.MaxTokens = optInt(&s)
			return 1 << 8
		case "max_completion_tokens":
			v.MaxCompletionTokens = optInt(&s)
			return 1 << 9
		case "presence_penalty":
			v.PresencePenalty = optFloat(&s)
			return 1 << 10
		case "frequency_penalty":
			v.FrequencyPenalty = optFloat(&s)
			return 1 << 11
		case "seed":
			v.Seed = optInt64(&s)
			return 1 << 12
		case "user":
			v.User = s.String("")
			return 1 << 13
		case "response_format":
			if !s.Null() {
				v.ResponseFormat = new(oaResponseFormat)
				readOAResponseFormat(&s, v.ResponseFormat)
			}
			return 1 << 14
		case "tools":
			v.Tools = array(&s, func(e *oaTool) { readOATool(&s, e) })
			return 1 << 15
		case "tool_choice":
			v.ToolChoice = readToolChoice(&s)
			return 1 << 16
		case "parallel_tool_calls":
			v.ParallelToolCalls = optBool(&s)
			return 1 << 17
		case "logprobs":
			v.Logprobs = optBool(&s)
			return 1 << 18
		case "top_logprobs":
			v.TopLogprobs = optInt(&s)
			return 1 << 19
		case "fallbacks":
			v.Fallbacks = readStrings(&s)
			return 1 << 20
		case "metadata", "logit_bias":
			// encoding/json makes a map of an object, even an empty one,
			// and the gateway refuses both: only null is taken here.
			if !s.Null() {
				s.Fail()
			}
			if k[0] == 'm' {
				return 1 << 21
			}
			return 1 << 22
		case "store":
			v.Store = optBool(&s)
			return 1 << 23
		}
		return 0
	})
	if !s.End() {
		return false
	}
	*r = v
	return true
}

func readOAMessage(s *jsonscan.Scanner, m *oaMessage) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "role":
			m.Role = s.StringFrom(roleNames)
			return 1 << 0
		case "content":
			m.Content.parts = readContent(s, "image_url")
			return 1 << 1
		case "name":
			m.Name = s.String("")
			return 1 << 2
		case "tool_calls":
			m.ToolCalls = array(s, func(e *oaToolCall) { readOAToolCall(s, e) })
			return 1 << 3
		case "tool_call_id":
			m.ToolCallID = s.String("")
			return 1 << 4
		case "refusal":
			if !s.Null() {
				v := s.String("")
				m.Refusal = &v
			}
			return 1 << 5
		}
		return 0
	})
}

func readOAToolCall(s *jsonscan.Scanner, tc *oaToolCall) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "index":
			tc.Index = optInt(s)
			return 1 << 0
		case "id":
			tc.ID = s.String("")
			return 1 << 1
		case "type":
			tc.Type = s.StringFrom(functionType)
			return 1 << 2
		case "function":
			object(s, func(k []byte) uint32 {
				switch string(k) {
				case "name":
					tc.Function.Name = s.String("")
					return 1 << 0
				case "arguments":
					tc.Function.Arguments = s.Text()
					return 1 << 1
				}
				return 0
			})
			return 1 << 3
		}
		return 0
	})
}

func readOATool(s *jsonscan.Scanner, t *oaTool) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			t.Type = s.StringFrom(functionType)
			return 1 << 0
		case "function":
			f := &t.Function
			object(s, func(k []byte) uint32 {
				switch string(k) {
				case "name":
					f.Name = s.String("")
					return 1 << 0
				case "description":
					f.Description = s.String("")
					return 1 << 1
				case "parameters":
					f.Parameters = raw(s)
					return 1 << 2
				case "strict":
					f.Strict = optBool(s)
					return 1 << 3
				}
				return 0
			})
			return 1 << 1
		}
		return 0
	})
}

func readOAResponseFormat(s *jsonscan.Scanner, f *oaResponseFormat) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			f.Type = s.StringFrom(formatTypes)
			return 1 << 0
		case "json_schema":
			if s.Null() {
				return 1 << 1
			}
			js := new(oaJSONSchema)
			f.JSONSchema = js
			object(s, func(k []byte) uint32 {
				switch string(k) {
				case "name":
					js.Name = s.String("")
					return 1 << 0
				case "description":
					js.Description = s.String("")
					return 1 << 1
				case "schema":
					js.Schema = raw(s)
					return 1 << 2
				case "strict":
					js.Strict = optBool(s)
					return 1 << 3
				}
				return 0
			})
			return 1 << 1
		}
		return 0
	})
}

// readToolChoice reads what oaToolChoice.UnmarshalJSON takes: a mode, or
// a named function. An object it would refuse, or whose names it would
// match in another case, is left to it.
func readToolChoice(s *jsonscan.Scanner) *oaToolChoice {
	switch s.Peek() {
	case 'n':
		s.Null()
		return nil
	case '"':
		return &oaToolChoice{mode: s.StringFrom(choiceModes)}
	}
	var typ, name string
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "type":
			typ = s.StringFrom(functionType)
			return 1 << 0
		case "function":
			object(s, func(k []byte) uint32 {
				if string(k) == "name" {
					name = s.String("")
					return 1 << 0
				}
				return 0
			})
			return 1 << 1
		}
		return 0
	})
	if typ != "function" || name == "" {
		s.Fail()
		return nil
	}
	return &oaToolChoice{mode: "function", name: name}
}

// readContent reads what parseContent takes: a string, null, or an array
// of parts, whose image field is named imageKey. Parts parseContent would
// refuse fail the scan, for it to say why.
func readContent(s *jsonscan.Scanner, imageKey string) []llmgate.Part {
	switch s.Peek() {
	case 'n':
		s.Null()
		return nil
	case '"':
		return []llmgate.Part{llmgate.TextPart(s.Text())}
	}
	if !s.Enter('[') {
		return nil
	}
	out := []llmgate.Part{}
	for first := true; s.Next(']', &first); {
		var typ, text string
		var img *imageURL
		object(s, func(k []byte) uint32 {
			switch string(k) {
			case "type":
				typ = s.StringFrom(partTypes)
				return 1 << 0
			case "text":
				text = s.Text()
				return 1 << 1
			case imageKey:
				if !s.Null() {
					img = new(imageURL)
					readImageURL(s, img)
				}
				return 1 << 2
			}
			return 0
		})
		switch {
		case typ == "text":
			out = append(out, llmgate.TextPart(text))
		case typ == "image_url" && img != nil && img.URL != "":
			out = append(out, llmgate.Part{Type: llmgate.PartImage, ImageURL: img.URL, ImageDetail: img.Detail})
		default:
			s.Fail()
		}
	}
	return out
}

func readImageURL(s *jsonscan.Scanner, img *imageURL) {
	object(s, func(k []byte) uint32 {
		switch string(k) {
		case "url":
			img.URL = s.Text()
			return 1 << 0
		case "detail":
			img.Detail = s.StringFrom(detailLevels)
			return 1 << 1
		}
		return 0
	})
}

// object reads the object ahead, or null, which encoding/json leaves a
// struct untouched by. For each member it calls member with the name;
// member decodes the value into its field and returns the field's bit, or
// 0 for a name it does not know. An unknown name or a field met twice fails
// the scan.
func object(s *jsonscan.Scanner, member func(key []byte) uint32) {
	if s.Null() || !s.Enter('{') {
		return
	}
	var seen uint32
	for first := true; s.Next('}', &first); {
		bit := member(s.Key())
		if bit == 0 || seen&bit != 0 {
			s.Fail()
			return
		}
		seen |= bit
	}
}

// array reads an array, or null, as encoding/json decodes it into a
// slice: null is nil, [] an empty slice that is not nil, and a null element
// the zero value. elem decodes the other elements; it is handed no scanner,
// which escape analysis would then move to the heap, but closes over it.
func array[T any](s *jsonscan.Scanner, elem func(*T)) []T {
	if s.Null() || !s.Enter('[') {
		return nil
	}
	out := []T{}
	for first := true; s.Next(']', &first); {
		if len(out) == cap(out) {
			// Start with room for a short conversation rather than
			// growing through 1, 2 and 4.
			out = append(make([]T, 0, max(4, 2*cap(out))), out...)
		}
		out = out[:len(out)+1]
		if !s.Null() {
			elem(&out[len(out)-1])
		}
	}
	return out
}

// readStrings reads an array of strings, or null.
func readStrings(s *jsonscan.Scanner) []string {
	return array(s, func(v *string) { *v = s.String("") })
}

// readStop reads what stopList.UnmarshalJSON takes: a string, null, or an
// array of strings.
func readStop(s *jsonscan.Scanner) stopList {
	if s.Peek() == '"' {
		return stopList{s.String("")}
	}
	return readStrings(s)
}

// raw copies the value ahead verbatim, as json.RawMessage keeps it; a null
// is kept as the text null.
func raw(s *jsonscan.Scanner) json.RawMessage {
	b := s.Raw()
	if b == nil {
		return nil
	}
	return append(json.RawMessage(nil), b...)
}

func optFloat(s *jsonscan.Scanner) *float64 {
	if s.Null() {
		return nil
	}
	v := s.Float()
	return &v
}

func optInt(s *jsonscan.Scanner) *int {
	if s.Null() {
		return nil
	}
	v := int(s.Int())
	return &v
}

func optInt64(s *jsonscan.Scanner) *int64 {
	if s.Null() {
		return nil
	}
	v := s.Int()
	return &v
}

func optBool(s *jsonscan.Scanner) *bool {
	if s.Null() {
		return nil
	}
	v := s.Bool()
	return &v
}

var (
	_ fastDecoder = (*embeddingRequest)(nil)
	_ fastDecoder = (*oaEmbeddingRequest)(nil)
)

func (r *embeddingRequest) decodeFast(data []byte, newScanner func([]byte) jsonscan.Scanner) bool {
	var v embeddingRequest
	s := newScanner(data)
	object(&s, func(k []byte) uint32 {
		switch string(k) {
		case "provider":
			readProvider(&s, &v.Provider)
			return 1 << 0
		case "prompt":
			object(&s, func(k []byte) uint32 {
				switch string(k) {
				case "input":
					v.Prompt.Input = readInput(&s)
					return 1 << 0
				case "parameter":
					if !s.Null() {
						p := new(embeddingParameter)
						v.Prompt.Parameter = p
						object(&s, func(k []byte) uint32 {
							switch string(k) {
							case "dimensions":
								p.Dimensions = optInt(&s)
								return 1 << 0
							case "user":
								p.User = s.String("")
								return 1 << 1
							}
							return 0
						})
					}
					return 1 << 1
				}
				return 0
			})
			return 1 << 1
		}
		return 0
	})
	if !s.End() {
		return false
	}
	*r = v
	return true
}

func (r *oaEmbeddingRequest) decodeFast(data []byte, newScanner func([]byte) jsonscan.Scanner) bool {
	var v oaEmbeddingRequest
	s := newScanner(data)
	object(&s, func(k []byte) uint32 {
		switch string(k) {
		case "model":
			v.Model = s.String("")
			return 1 << 0
		case "input":
			v.Input = readInput(&s)
			return 1 << 1
		case "encoding_format":
			v.EncodingFormat = s.StringFrom(encodingFormats)
			return 1 << 2
		case "dimensions":
			v.Dimensions = optInt(&s)
			return 1 << 3
		case "user":
			v.User = s.String("")
			return 1 << 4
		}
		return 0
	})
	if !s.End() {
		return false
	}
	*r = v
	return true
}

var encodingFormats = []string{"float", "base64"}

// readInput reads what input.UnmarshalJSON takes: a string, or an array of
// strings, or null. Anything else fails the scan, for encoding/json to say
// why.
func readInput(s *jsonscan.Scanner) input {
	if s.Peek() == '"' {
		return input{s.Text()}
	}
	return array(s, func(v *string) { *v = s.Text() })
}
