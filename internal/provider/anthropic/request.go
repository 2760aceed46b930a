package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// maxTemperature is the upper bound of Anthropic's temperature range, 0 to
// 1 (OpenAI's goes to 2). A value above it is rejected rather than clamped:
// the caller asked for more randomness than the model can give.
const maxTemperature = 1.0

// supportedImageTypes are the media types the API accepts for base64 images.
var supportedImageTypes = map[string]bool{
	"image/jpeg": true,
	"image/png":  true,
	"image/gif":  true,
	"image/webp": true,
}

// encodeRequest returns the Messages API body for req under the upstream
// model name model. defaultMaxTokens fills max_tokens, which the API
// requires, when req sets none. stream, not req.Stream, decides whether the
// answer is streamed, so that the caller's choice of method wins. The texts
// lits holds are written in the client's own JSON form.
func encodeRequest(req *llmgate.ChatRequest, model string, defaultMaxTokens int, stream bool, lits *jsonscan.Literals) ([]byte, error) {
	w, err := toWire(req, model, defaultMaxTokens, stream)
	if err != nil {
		return nil, err
	}
	if b, ok := appendRequest(make([]byte, 0, requestSize(w)), w, lits); ok {
		return b, nil
	}
	// encoding/json says what is wrong.
	b, err := json.Marshal(w)
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "the request cannot be encoded as JSON", Err: fmt.Errorf("encoding messages request: %w", err)}
	}
	return b, nil
}

// unsupported returns the error for a parameter the Messages API has no
// equivalent of. Dropping it silently would answer a different question
// than the one asked.
func unsupported(param, hint string) *llmgate.Error {
	msg := fmt.Sprintf("Anthropic models do not support the parameter %s", param)
	if hint != "" {
		msg += "; " + hint
	}
	return &llmgate.Error{Code: llmgate.EUnsupported, Message: msg}
}

func invalid(format string, args ...any) *llmgate.Error {
	return llmgate.Errorf(llmgate.EInvalidRequest, format, args...)
}

func toWire(req *llmgate.ChatRequest, model string, defaultMaxTokens int, stream bool) (*messagesRequest, error) {
	p := &req.Params
	if err := checkParams(p); err != nil {
		return nil, err
	}
	w := &messagesRequest{
		Model:         model,
		MaxTokens:     defaultMaxTokens,
		Temperature:   p.Temperature,
		TopP:          p.TopP,
		StopSequences: p.Stop,
		Stream:        stream,
	}
	if p.MaxTokens != nil {
		if *p.MaxTokens < 1 {
			return nil, invalid("max_tokens must be at least 1, got %d", *p.MaxTokens)
		}
		w.MaxTokens = *p.MaxTokens
	}
	if p.User != "" {
		w.Metadata = &metadata{UserID: p.User}
	}
	if err := toWireMessages(w, req.Messages); err != nil {
		return nil, err
	}
	if err := toWireTools(w, p); err != nil {
		return nil, err
	}
	if rf := p.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_schema":
			if len(bytes.TrimSpace(rf.Schema)) == 0 {
				return nil, invalid("response_format json_schema needs a schema")
			}
			w.OutputConfig = &outputConfig{Format: outputFormat{Type: "json_schema", Schema: rf.Schema}}
		case "json_object":
			return nil, unsupported("response_format json_object", "use response_format json_schema with a schema, or tools, for structured output")
		default:
			return nil, invalid("unknown response_format type %q", rf.Type)
		}
	}
	return w, nil
}

// checkParams rejects the parameters the Messages API cannot honour.
// Penalties of zero and n of 1 are the defaults and ask for nothing.
func checkParams(p *llmgate.ChatParams) error {
	if t := p.Temperature; t != nil && (*t < 0 || *t > maxTemperature) {
		return invalid("temperature must be between 0 and 1 for Anthropic models, got %g", *t)
	}
	switch {
	case p.PresencePenalty != nil && *p.PresencePenalty != 0:
		return unsupported("presence_penalty", "")
	case p.FrequencyPenalty != nil && *p.FrequencyPenalty != 0:
		return unsupported("frequency_penalty", "")
	case p.Seed != nil:
		return unsupported("seed", "their sampling cannot be made reproducible")
	case p.N != nil && *p.N != 1:
		return unsupported("n", "send one request per answer")
	case p.Logprobs != nil && *p.Logprobs:
		return unsupported("logprobs", "")
	case p.TopLogprobs != nil && *p.TopLogprobs != 0:
		return unsupported("top_logprobs", "")
	}
	return nil
}

// toWireMessages moves system and developer messages to the top-level
// system prompt and merges consecutive turns of the same role, which the
// API wants alternating; tool results become user turns.
func toWireMessages(w *messagesRequest, msgs []llmgate.Message) error {
	w.Messages = make([]message, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		var role string
		var blocks []block
		var err error
		switch m.Role {
		case llmgate.RoleSystem, llmgate.RoleDeveloper:
			for _, p := range m.Content {
				if p.Type != llmgate.PartText {
					return invalid("message %d: a %s message can hold only text", i, m.Role)
				}
				if p.Text != "" {
					w.System = append(w.System, block{Type: "text", Text: p.Text})
				}
			}
			continue
		case llmgate.RoleUser:
			role = "user"
			blocks, err = contentBlocks(nil, m.Content)
		case llmgate.RoleAssistant:
			role = "assistant"
			blocks, err = contentBlocks(nil, m.Content)
			if err == nil {
				blocks, err = toolUseBlocks(blocks, m.ToolCalls)
			}
		case llmgate.RoleTool:
			role = "user"
			blocks, err = toolResultBlock(m)
		default:
			return invalid("message %d: unknown role %q", i, m.Role)
		}
		if err != nil {
			return atMessage(i, err)
		}
		if len(blocks) == 0 {
			continue
		}
		if n := len(w.Messages); n > 0 && w.Messages[n-1].Role == role {
			w.Messages[n-1].Content = append(w.Messages[n-1].Content, blocks...)
			continue
		}
		w.Messages = append(w.Messages, message{Role: role, Content: blocks})
	}
	if len(w.Messages) == 0 {
		return invalid("at least one user or assistant message with content is required")
	}
	return nil
}

// atMessage names message i in err's client-facing message.
func atMessage(i int, err error) error {
	if e, ok := err.(*llmgate.Error); ok {
		e.Message = fmt.Sprintf("message %d: %s", i, e.Message)
	}
	return err
}

// contentBlocks appends the text and image blocks of parts to dst.
func contentBlocks(dst []block, parts []llmgate.Part) ([]block, error) {
	for _, p := range parts {
		switch p.Type {
		case llmgate.PartText:
			if p.Text != "" {
				dst = append(dst, block{Type: "text", Text: p.Text})
			}
		case llmgate.PartImage:
			src, err := imageSourceOf(p.ImageURL)
			if err != nil {
				return nil, err
			}
			dst = append(dst, block{Type: "image", Source: src})
		default:
			return nil, invalid("unsupported content part type %q", p.Type)
		}
	}
	return dst, nil
}

// imageSourceOf translates an image address: a data: URL with base64 data
// is sent inline, an http or https URL is fetched by the API.
func imageSourceOf(addr string) (*imageSource, error) {
	if rest, ok := cutPrefixFold(addr, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		if !ok {
			return nil, invalid("an image data URL has no data")
		}
		mediaType, enc, _ := strings.Cut(meta, ";")
		if !strings.EqualFold(enc, "base64") {
			return nil, invalid("an image data URL must hold base64 data")
		}
		mediaType = strings.ToLower(strings.TrimSpace(mediaType))
		if !supportedImageTypes[mediaType] {
			return nil, &llmgate.Error{Code: llmgate.EUnsupported, Message: fmt.Sprintf("Anthropic models do not accept images of type %q; use JPEG, PNG, GIF or WebP", mediaType)}
		}
		return &imageSource{Type: "base64", MediaType: mediaType, Data: data}, nil
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The address is not quoted: it may be long, or hold credentials.
		return nil, invalid("an image URL must be an http, https or data: URL")
	}
	return &imageSource{Type: "url", URL: addr}, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// toolUseBlocks appends a tool_use block for each call, whose input is the
// call's arguments parsed: the API takes an object, not JSON text.
func toolUseBlocks(dst []block, calls []llmgate.ToolCall) ([]block, error) {
	for j, c := range calls {
		input := json.RawMessage(`{}`)
		if args := bytes.TrimSpace([]byte(c.Arguments)); len(args) > 0 {
			var buf bytes.Buffer
			if err := json.Compact(&buf, args); err != nil || args[0] != '{' {
				return nil, &llmgate.Error{Code: llmgate.EInvalidRequest,
					Message: fmt.Sprintf("the arguments of tool call %d (%s) are not a JSON object", j, c.Name), Err: err}
			}
			input = buf.Bytes()
		}
		if c.ID == "" || c.Name == "" {
			return nil, invalid("tool call %d needs an id and a name", j)
		}
		dst = append(dst, block{Type: "tool_use", ID: c.ID, Name: c.Name, Input: input})
	}
	return dst, nil
}

// toolResultBlock translates a tool message: its text becomes the result's
// content, as a string, or as blocks when it holds images.
func toolResultBlock(m *llmgate.Message) ([]block, error) {
	if m.ToolCallID == "" {
		return nil, invalid("a tool message needs the id of the tool call it answers")
	}
	b := block{Type: "tool_result", ToolUseID: m.ToolCallID}
	if m.HasImages() {
		parts, err := contentBlocks(nil, m.Content)
		if err != nil {
			return nil, err
		}
		b.Content = parts
	} else if text := m.Text(); text != "" {
		b.Content = text
	}
	return []block{b}, nil
}

// toWireTools translates the tools, the tool choice and parallel_tool_calls,
// which Anthropic expresses as disable_parallel_tool_use on the choice.
func toWireTools(w *messagesRequest, p *llmgate.ChatParams) error {
	if len(p.Tools) > 0 {
		w.Tools = make([]tool, len(p.Tools))
		for i, t := range p.Tools {
			if t.Name == "" {
				return invalid("tool %d needs a name", i)
			}
			schema := t.Parameters
			if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
				// OpenAI lets a function without arguments omit its schema;
				// Anthropic requires one.
				schema = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			w.Tools[i] = tool{Name: t.Name, Description: t.Description, InputSchema: schema, Strict: t.Strict}
		}
	}
	noParallel := p.ParallelToolCalls != nil && !*p.ParallelToolCalls
	if tc := p.ToolChoice; tc != nil {
		switch tc.Mode {
		case "auto":
			w.ToolChoice = &toolChoice{Type: "auto"}
		case "none":
			// The model calls no tool, so parallelism has no meaning here.
			w.ToolChoice = &toolChoice{Type: "none"}
			return nil
		case "required":
			w.ToolChoice = &toolChoice{Type: "any"}
		case "function":
			if tc.Name == "" {
				return invalid("tool choice function needs a function name")
			}
			w.ToolChoice = &toolChoice{Type: "tool", Name: tc.Name}
		default:
			return invalid("unknown tool choice mode %q", tc.Mode)
		}
	}
	if noParallel && len(w.Tools) > 0 {
		if w.ToolChoice == nil {
			w.ToolChoice = &toolChoice{Type: "auto"}
		}
		w.ToolChoice.DisableParallelToolUse = true
	}
	return nil
}
