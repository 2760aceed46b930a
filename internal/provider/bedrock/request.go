package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// imageFormats maps the media types of data: URLs to Bedrock's image
// formats, the only four the API accepts.
var imageFormats = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpeg",
	"image/jpg":  "jpeg",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// emptySchema is the input schema of a tool declared without parameters:
// the member is required.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// encodeRequest returns the Converse body for req. The same body serves
// Converse and ConverseStream: the operation is chosen by the URL. The
// texts lits holds are written in the client's own JSON form.
func encodeRequest(req *llmgate.ChatRequest, lits *jsonscan.Literals) ([]byte, error) {
	w, err := toWire(req)
	if err != nil {
		return nil, err
	}
	if b, ok := appendConverse(make([]byte, 0, converseSize(w)), w, lits); ok {
		return b, nil
	}
	// encoding/json says what is wrong.
	b, err := json.Marshal(w)
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "the request cannot be encoded as JSON", Err: fmt.Errorf("encoding converse request: %w", err)}
	}
	return b, nil
}

// unsupported returns the error for a parameter Converse has no equivalent
// of. Dropping it silently would answer a different question than the one
// asked.
func unsupported(param, hint string) *llmgate.Error {
	msg := "Bedrock's Converse API does not support the parameter " + param
	if hint != "" {
		msg += "; " + hint
	}
	return &llmgate.Error{Code: llmgate.EUnsupported, Message: msg}
}

func invalid(format string, args ...any) *llmgate.Error {
	return llmgate.Errorf(llmgate.EInvalidRequest, format, args...)
}

func toWire(req *llmgate.ChatRequest) (*converseRequest, error) {
	p := &req.Params
	if err := checkParams(p); err != nil {
		return nil, err
	}
	w := &converseRequest{}
	if p.MaxTokens != nil || p.Temperature != nil || p.TopP != nil || len(p.Stop) > 0 {
		if p.MaxTokens != nil && *p.MaxTokens < 1 {
			return nil, invalid("max_tokens must be at least 1, got %d", *p.MaxTokens)
		}
		w.InferenceConfig = &inferenceConfig{MaxTokens: p.MaxTokens, Temperature: p.Temperature, TopP: p.TopP, StopSequences: p.Stop}
	}
	hasToolBlocks, err := toWireMessages(w, req.Messages)
	if err != nil {
		return nil, err
	}
	if err := toWireTools(w, p, hasToolBlocks); err != nil {
		return nil, err
	}
	if rf := p.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_schema":
			schema := bytes.TrimSpace(rf.Schema)
			if len(schema) == 0 {
				return nil, invalid("response_format json_schema needs a schema")
			}
			if !json.Valid(schema) {
				return nil, invalid("the response_format schema is not valid JSON")
			}
			w.OutputConfig = &outputConfig{TextFormat: outputFormat{
				Type:      "json_schema",
				Structure: outputStructure{JSONSchema: jsonSchemaDefinition{Schema: string(schema), Name: rf.Name}},
			}}
		case "json_object":
			return nil, unsupported("response_format json_object", "use response_format json_schema with a schema for structured output")
		default:
			return nil, invalid("unknown response_format type %q", rf.Type)
		}
	}
	return w, nil
}

// checkParams rejects the parameters Converse cannot honour. Penalties of
// zero, n of 1 and parallel tool calls allowed are the defaults and ask for
// nothing.
func checkParams(p *llmgate.ChatParams) error {
	switch {
	case p.PresencePenalty != nil && *p.PresencePenalty != 0:
		return unsupported("presence_penalty", "")
	case p.FrequencyPenalty != nil && *p.FrequencyPenalty != 0:
		return unsupported("frequency_penalty", "")
	case p.Seed != nil:
		return unsupported("seed", "its sampling cannot be made reproducible")
	case p.N != nil && *p.N != 1:
		return unsupported("n", "send one request per answer")
	case p.Logprobs != nil && *p.Logprobs:
		return unsupported("logprobs", "")
	case p.TopLogprobs != nil && *p.TopLogprobs != 0:
		return unsupported("top_logprobs", "")
	case p.User != "":
		return unsupported("user", "")
	case p.ParallelToolCalls != nil && !*p.ParallelToolCalls:
		return unsupported("parallel_tool_calls", "the model decides whether to call several tools at once")
	}
	return nil
}

// toWireMessages moves system and developer messages to the top-level
// system prompt and merges consecutive turns of the same role, which
// Converse wants alternating; tool results become user turns. It reports
// whether the conversation holds toolUse or toolResult blocks, which
// Converse accepts only with a toolConfig.
func toWireMessages(w *converseRequest, msgs []llmgate.Message) (hasToolBlocks bool, err error) {
	w.Messages = make([]message, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		var role string
		var blocks []contentBlock
		switch m.Role {
		case llmgate.RoleSystem, llmgate.RoleDeveloper:
			for _, p := range m.Content {
				if p.Type != llmgate.PartText {
					return false, invalid("message %d: a %s message can hold only text", i, m.Role)
				}
				if strings.TrimSpace(p.Text) != "" {
					w.System = append(w.System, systemBlock{Text: p.Text})
				}
			}
			continue
		case llmgate.RoleUser:
			role = "user"
			if blocks, err = contentBlocks(m.Content, nil); err != nil {
				return false, fmt.Errorf("message %d: %w", i, err)
			}
		case llmgate.RoleAssistant:
			role = "assistant"
			if blocks, err = contentBlocks(m.Content, nil); err != nil {
				return false, fmt.Errorf("message %d: %w", i, err)
			}
			for _, c := range m.ToolCalls {
				b, err := toolUse(c)
				if err != nil {
					return false, fmt.Errorf("message %d: %w", i, err)
				}
				blocks = append(blocks, b)
				hasToolBlocks = true
			}
		case llmgate.RoleTool:
			role = "user"
			if m.ToolCallID == "" {
				return false, invalid("message %d: a tool message needs the id of the tool call it answers", i)
			}
			results, err := toolResultContents(m.Content)
			if err != nil {
				return false, fmt.Errorf("message %d: %w", i, err)
			}
			blocks = []contentBlock{{ToolResult: &toolResultBlock{ToolUseID: m.ToolCallID, Content: results}}}
			hasToolBlocks = true
		default:
			return false, invalid("message %d: unknown role %q", i, m.Role)
		}
		if n := len(w.Messages); n > 0 && w.Messages[n-1].Role == role {
			w.Messages[n-1].Content = append(w.Messages[n-1].Content, blocks...)
			continue
		}
		w.Messages = append(w.Messages, message{Role: role, Content: blocks})
	}
	for i := range w.Messages {
		if len(w.Messages[i].Content) == 0 {
			return false, invalid("a %s turn has no content: Bedrock needs at least one non-empty text, image or tool block in every turn", w.Messages[i].Role)
		}
	}
	return hasToolBlocks, nil
}

// contentBlocks translates text and image parts, appending to dst. Blank
// text is left out: Converse rejects a text block with no visible text.
func contentBlocks(parts []llmgate.Part, dst []contentBlock) ([]contentBlock, error) {
	for _, p := range parts {
		switch p.Type {
		case llmgate.PartText:
			if strings.TrimSpace(p.Text) != "" {
				dst = append(dst, contentBlock{Text: p.Text})
			}
		case llmgate.PartImage:
			img, err := image(p.ImageURL)
			if err != nil {
				return nil, err
			}
			dst = append(dst, contentBlock{Image: img})
		default:
			return nil, invalid("unsupported content part type %q", p.Type)
		}
	}
	return dst, nil
}

// toolResultContents translates a tool message's content. Text goes as
// text even when it holds JSON: every Converse model takes text results,
// while some refuse json ones.
func toolResultContents(parts []llmgate.Part) ([]toolResultContent, error) {
	out := make([]toolResultContent, 0, len(parts))
	for _, p := range parts {
		switch p.Type {
		case llmgate.PartText:
			if p.Text != "" {
				out = append(out, toolResultContent{Text: p.Text})
			}
		case llmgate.PartImage:
			img, err := image(p.ImageURL)
			if err != nil {
				return nil, err
			}
			out = append(out, toolResultContent{Image: img})
		default:
			return nil, invalid("unsupported content part type %q", p.Type)
		}
	}
	return out, nil
}

// image translates an image URL. Bedrock takes images only as bytes in the
// request or from S3, so only data: URLs can be sent.
func image(u string) (*imageBlock, error) {
	rest, ok := cutPrefixFold(u, "data:")
	if !ok {
		if _, web := cutPrefixFold(u, "http"); web {
			return nil, &llmgate.Error{Code: llmgate.EUnsupported, Message: "Bedrock does not fetch images from URLs; send the image inline as a data: URL (data:image/png;base64,…)"}
		}
		return nil, invalid("an image URL must be a data: URL")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, invalid("malformed data: URL for an image")
	}
	mediaType, params, _ := strings.Cut(meta, ";")
	if !strings.EqualFold(params, "base64") && !strings.HasSuffix(strings.ToLower(params), ";base64") {
		return nil, invalid("an image data: URL must be base64-encoded")
	}
	format, ok := imageFormats[strings.ToLower(mediaType)]
	if !ok {
		return nil, &llmgate.Error{Code: llmgate.EUnsupported, Message: fmt.Sprintf("Bedrock does not accept images of type %q; use PNG, JPEG, GIF or WebP", mediaType)}
	}
	if _, err := base64.StdEncoding.DecodeString(data); err != nil || data == "" {
		return nil, invalid("the image data: URL does not hold valid base64 data")
	}
	return &imageBlock{Format: format, Source: imageSource{Bytes: data}}, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// toolUse translates a call an assistant made. Converse wants the arguments
// as a JSON document, not as text; no arguments mean an empty object.
func toolUse(c llmgate.ToolCall) (contentBlock, error) {
	if c.ID == "" || c.Name == "" {
		return contentBlock{}, invalid("a tool call needs an id and a name")
	}
	input := json.RawMessage(bytes.TrimSpace([]byte(c.Arguments)))
	if len(input) == 0 {
		input = json.RawMessage(`{}`)
	} else if !json.Valid(input) {
		return contentBlock{}, invalid("the arguments of tool call %q are not valid JSON", c.ID)
	}
	return contentBlock{ToolUse: &toolUseBlock{ToolUseID: c.ID, Name: c.Name, Input: input}}, nil
}

// toWireTools translates the tools and the tool choice. Converse has no
// choice that forbids tools: "none" is honoured by declaring no tools,
// which works only while the conversation holds no tool blocks, since
// Converse then requires the tools to be declared.
func toWireTools(w *converseRequest, p *llmgate.ChatParams, hasToolBlocks bool) error {
	var choice *toolChoice
	if tc := p.ToolChoice; tc != nil {
		switch tc.Mode {
		case "", "auto":
			if len(p.Tools) > 0 {
				choice = &toolChoice{Auto: &struct{}{}}
			}
		case "required":
			choice = &toolChoice{Any: &struct{}{}}
		case "function":
			if tc.Name == "" {
				return invalid("tool_choice function needs a function name")
			}
			choice = &toolChoice{Tool: &specificTool{Name: tc.Name}}
		case "none":
			if hasToolBlocks && len(p.Tools) > 0 {
				return unsupported("tool_choice none", "Bedrock cannot forbid tool calls in a conversation that already holds tool calls")
			}
			return nil
		default:
			return invalid("unknown tool choice mode %q", tc.Mode)
		}
	}
	if len(p.Tools) == 0 {
		if choice != nil {
			return invalid("tool_choice %s needs tools", p.ToolChoice.Mode)
		}
		return nil
	}
	tc := &toolConfig{Tools: make([]tool, len(p.Tools)), ToolChoice: choice}
	for i, t := range p.Tools {
		if t.Name == "" {
			return invalid("tool %d has no name", i)
		}
		schema := json.RawMessage(bytes.TrimSpace(t.Parameters))
		switch {
		case len(schema) == 0 || string(schema) == "null":
			schema = emptySchema
		case !json.Valid(schema):
			return invalid("the parameters of tool %q are not valid JSON", t.Name)
		}
		tc.Tools[i] = tool{ToolSpec: toolSpec{Name: t.Name, Description: t.Description, InputSchema: inputSchema{JSON: schema}, Strict: t.Strict}}
	}
	w.ToolConfig = tc
	return nil
}
