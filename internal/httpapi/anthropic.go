package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate"
)

// The Anthropic-compatible surface, at {APIPath}/anthropic/v1/messages, so
// that Anthropic's SDKs and the tools built on them can use any provider
// behind the gateway. Models are named as on the OpenAI surface.

func (s *Server) anthropicRoutes() []route {
	return []route{
		{method: http.MethodPost, path: "/anthropic/v1/messages", handler: s.anthropicMessages, api: "anthropic", doc: docAnthropicMessages},
	}
}

// anError is Anthropic's error body.
type anError struct {
	Type  string        `json:"type"`
	Error anErrorDetail `json:"error"`
}

type anErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func anthropicErrorOf(e *llmgate.Error, status int) *anError {
	typ := "api_error"
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		typ = "invalid_request_error"
	case http.StatusUnauthorized:
		typ = "authentication_error"
	case http.StatusForbidden:
		typ = "permission_error"
	case http.StatusNotFound:
		typ = "not_found_error"
	case http.StatusRequestEntityTooLarge:
		typ = "request_too_large"
	case http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case http.StatusServiceUnavailable:
		typ = "overloaded_error"
	}
	msg := string(e.Code) + ": " + e.Message
	if e.Provider != "" {
		msg = e.Provider + ": " + msg
	}
	return &anError{Type: "error", Error: anErrorDetail{Type: typ, Message: msg}}
}

type anRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	Messages      []anMessage     `json:"messages"`
	System        anSystem        `json:"system,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	Tools         []anTool        `json:"tools,omitempty"`
	ToolChoice    *anToolChoice   `json:"tool_choice,omitempty"`
	Metadata      *anMetadata     `json:"metadata,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Thinking      json.RawMessage `json:"thinking,omitempty"`
}

type anMetadata struct {
	UserID string `json:"user_id,omitempty"`
}

type anTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	Type        string          `json:"type,omitempty"`
	// CacheControl marks a prompt-caching breakpoint, as on content
	// blocks; clients that cache their tool definitions send it on the
	// last tool. The gateway accepts it and has no use for it.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type anToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use,omitempty"`
}

type anMessage struct {
	Role    string    `json:"role"`
	Content anContent `json:"content"`
}

// anSystem is a string or an array of text blocks.
type anSystem struct {
	text string
}

func (s *anSystem) UnmarshalJSON(b []byte) error {
	blocks, err := parseBlocks(b)
	if err != nil {
		return err
	}
	var parts []string
	for _, bl := range blocks {
		if bl.Type != "text" {
			return &badValueError{"system blocks must be text"}
		}
		parts = append(parts, bl.Text)
	}
	s.text = strings.Join(parts, "\n\n")
	return nil
}

// anContent is a string or an array of content blocks.
type anContent struct {
	blocks []anBlock
}

func (c *anContent) UnmarshalJSON(b []byte) error {
	blocks, err := parseBlocks(b)
	c.blocks = blocks
	return err
}

type anBlock struct {
	Type         string          `json:"type"`
	Text         string          `json:"text,omitempty"`
	Source       *anImageSource  `json:"source,omitempty"`
	ID           string          `json:"id,omitempty"`
	Name         string          `json:"name,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	ToolUseID    string          `json:"tool_use_id,omitempty"`
	Content      *anContent      `json:"content,omitempty"`
	IsError      bool            `json:"is_error,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type anImageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

func parseBlocks(b []byte) ([]anBlock, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		return []anBlock{{Type: "text", Text: s}}, nil
	}
	if len(b) > 0 && b[0] == '[' {
		var blocks []anBlock
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&blocks); err != nil {
			return nil, err
		}
		return blocks, nil
	}
	return nil, &badValueError{"content must be a string or an array of content blocks"}
}

func (c *anContent) text() string {
	var parts []string
	for _, b := range c.blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// domain converts the Anthropic request into the domain's.
func (b *anRequest) domain(s *Server) (*llmgate.ChatRequest, error) {
	provider, model, err := s.resolveModel(b.Model)
	if err != nil {
		return nil, err
	}
	switch {
	case b.MaxTokens < 1:
		return nil, invalid("max_tokens is required and must be at least 1")
	case len(b.Messages) == 0:
		return nil, invalid("messages must hold at least one message")
	case b.TopK != nil:
		return nil, llmgate.Errorf(llmgate.EUnsupported, "top_k is not supported by the gateway")
	case len(b.Thinking) > 0:
		return nil, llmgate.Errorf(llmgate.EUnsupported, "thinking is not supported by the gateway")
	}
	if err := inRange("temperature", b.Temperature, 0, 1); err != nil {
		return nil, err
	}
	if err := inRange("top_p", b.TopP, 0, 1); err != nil {
		return nil, err
	}
	req := &llmgate.ChatRequest{Provider: provider, Model: model, Stream: b.Stream}
	if b.System.text != "" {
		req.Messages = append(req.Messages, llmgate.Message{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart(b.System.text)}})
	}
	for i, m := range b.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return nil, invalid("messages[%d].role must be user or assistant", i)
		}
		msg := llmgate.Message{Role: llmgate.Role(m.Role)}
		flush := func() {
			if len(msg.Content) > 0 || len(msg.ToolCalls) > 0 {
				req.Messages = append(req.Messages, msg)
			}
			msg = llmgate.Message{Role: llmgate.Role(m.Role)}
		}
		for j, bl := range m.Content.blocks {
			switch bl.Type {
			case "text":
				msg.Content = append(msg.Content, llmgate.TextPart(bl.Text))
			case "image":
				if m.Role != "user" || bl.Source == nil {
					return nil, invalid("messages[%d].content[%d]: images need a source and belong in user messages", i, j)
				}
				switch bl.Source.Type {
				case "base64":
					msg.Content = append(msg.Content, llmgate.Part{Type: llmgate.PartImage, ImageURL: "data:" + bl.Source.MediaType + ";base64," + bl.Source.Data})
				case "url":
					msg.Content = append(msg.Content, llmgate.Part{Type: llmgate.PartImage, ImageURL: bl.Source.URL})
				default:
					return nil, invalid("messages[%d].content[%d].source.type must be base64 or url", i, j)
				}
			case "tool_use":
				if m.Role != "assistant" {
					return nil, invalid("messages[%d].content[%d]: tool_use belongs in assistant messages", i, j)
				}
				args := string(bl.Input)
				if args == "" {
					args = "{}"
				}
				msg.ToolCalls = append(msg.ToolCalls, llmgate.ToolCall{ID: bl.ID, Name: bl.Name, Arguments: args})
			case "tool_result":
				// Each tool result is a tool message of its own in the domain.
				flush()
				text := ""
				if bl.Content != nil {
					text = bl.Content.text()
				}
				if bl.IsError {
					text = "Error: " + text
				}
				req.Messages = append(req.Messages, llmgate.Message{Role: llmgate.RoleTool, ToolCallID: bl.ToolUseID, Content: []llmgate.Part{llmgate.TextPart(text)}})
			default:
				return nil, llmgate.Errorf(llmgate.EUnsupported, "messages[%d].content[%d]: content blocks of type %q are not supported by the gateway", i, j, bl.Type)
			}
		}
		flush()
	}
	req.Params = llmgate.ChatParams{MaxTokens: &b.MaxTokens, Temperature: b.Temperature, TopP: b.TopP, Stop: b.StopSequences}
	if b.Metadata != nil {
		req.Params.User = b.Metadata.UserID
	}
	for i, t := range b.Tools {
		if t.Type != "" && t.Type != "custom" {
			return nil, llmgate.Errorf(llmgate.EUnsupported, "tools[%d]: server tools of type %q are not supported by the gateway", i, t.Type)
		}
		req.Params.Tools = append(req.Params.Tools, llmgate.Tool{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	if tc := b.ToolChoice; tc != nil {
		mode := map[string]string{"auto": "auto", "any": "required", "tool": "function", "none": "none"}[tc.Type]
		if mode == "" {
			return nil, invalid("tool_choice.type must be auto, any, tool or none")
		}
		req.Params.ToolChoice = &llmgate.ToolChoice{Mode: mode, Name: tc.Name}
		if tc.DisableParallelToolUse != nil {
			parallel := !*tc.DisableParallelToolUse
			req.Params.ParallelToolCalls = &parallel
		}
	}
	return req, nil
}

type anResponse struct {
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	Role         string       `json:"role"`
	Model        string       `json:"model"`
	Content      []anOutBlock `json:"content"`
	StopReason   *string      `json:"stop_reason"`
	StopSequence *string      `json:"stop_sequence"`
	Usage        anUsage      `json:"usage"`
}

type anOutBlock struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

type anUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// anUsageOf undoes the domain's convention that prompt tokens include the
// cached ones: Anthropic counts them apart.
func anUsageOf(u *llmgate.Usage) anUsage {
	in := u.PromptTokens - u.CachedTokens - u.CacheWriteTokens
	if in < 0 {
		in = 0
	}
	return anUsage{InputTokens: in, OutputTokens: u.CompletionTokens, CacheCreationInputTokens: u.CacheWriteTokens, CacheReadInputTokens: u.CachedTokens}
}

func stopReason(f llmgate.FinishReason) string {
	switch f {
	case llmgate.FinishStop:
		return "end_turn"
	case llmgate.FinishLength:
		return "max_tokens"
	case llmgate.FinishToolCalls:
		return "tool_use"
	case llmgate.FinishContentFilter:
		return "refusal"
	}
	return string(f)
}

// toolInput is a tool call's arguments as a JSON object, {} when they are
// not valid JSON (a model may stop mid-arguments).
func toolInput(args string) json.RawMessage {
	if args != "" && json.Valid([]byte(args)) {
		return json.RawMessage(args)
	}
	return json.RawMessage("{}")
}

func (s *Server) anthropicMessages(w http.ResponseWriter, r *http.Request) {
	var body anRequest
	if err := s.readJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	req, err := body.domain(s)
	info := infoOf(r)
	if req != nil {
		info.provider, info.model = req.Provider, req.Model
		err = routingOverrides(r, nil, req)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	if req.Stream {
		s.anthropicStream(w, r, req, body.Model)
		return
	}
	resp, err := s.Backend.Chat(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	servedHeaders(w.Header(), &resp.Served, resp.Cost)
	writeJSON(w, http.StatusOK, anResponseOf(resp, body.Model))
}

// anResponseOf is the Anthropic answer to a chat, model as the client named
// it. It is a function of its own to keep its temporaries out of
// anthropicMessages' frame, which a stream keeps on its handler's stack
// (see mux.route).
func anResponseOf(resp *llmgate.ChatResponse, model string) *anResponse {
	out := &anResponse{ID: resp.ID, Type: "message", Role: "assistant", Model: model, Content: []anOutBlock{}, Usage: anUsageOf(&resp.Usage)}
	if len(resp.Choices) > 0 {
		c := &resp.Choices[0]
		if text := c.Message.Text(); text != "" {
			out.Content = append(out.Content, anOutBlock{Type: "text", Text: &text})
		}
		for _, tc := range c.Message.ToolCalls {
			out.Content = append(out.Content, anOutBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: toolInput(tc.Arguments)})
		}
		sr := stopReason(c.FinishReason)
		out.StopReason = &sr
	}
	return out
}

// anthropicStream answers Anthropic's event sequence: message_start, then
// for each content block content_block_start, deltas and content_block_stop,
// then message_delta with the stop reason and usage, and message_stop.
func (s *Server) anthropicStream(w http.ResponseWriter, r *http.Request, req *llmgate.ChatRequest, model string) {
	sse := s.eventWriter(w)
	st, err := s.Backend.ChatStream(sse.streamContext(r), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer st.Close()
	var (
		started bool
		block   = -1 // index of the open content block
		kind    string
		tools   = map[int]int{} // domain tool-call index → block index
		finish  llmgate.FinishReason
		usage   *llmgate.Usage
	)
	closeBlock := func() error {
		if block < 0 || kind == "" {
			return nil
		}
		kind = ""
		return sse.anBlockEvent(block, false)
	}
	// openBlock opens a block of kind k, a tool_use block described by cb
	// or, for a nil cb, a text block.
	openBlock := func(k string, cb any) error {
		if err := closeBlock(); err != nil {
			return err
		}
		block++
		kind = k
		if cb == nil {
			return sse.anBlockEvent(block, true)
		}
		return sse.event("content_block_start", map[string]any{"type": "content_block_start", "index": block, "content_block": cb})
	}
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := llmgate.AsError(err)
			infoOf(r).code = e.Code
			sse.event("error", anthropicErrorOf(e, StatusOf(e.Code)))
			return
		}
		if !started {
			if ch.Served != nil {
				served(w.Header(), ch.Served)
			}
			msg := anResponse{ID: ch.ID, Type: "message", Role: "assistant", Model: model, Content: []anOutBlock{}}
			if err := sse.event("message_start", map[string]any{"type": "message_start", "message": msg}); err != nil {
				return
			}
			started = true
		}
		if ch.Usage != nil {
			// A copy: the stream may reuse the chunk's memory.
			u := *ch.Usage
			usage = &u
		}
		for i := range ch.Deltas {
			d := &ch.Deltas[i]
			if d.Index != 0 {
				continue // Anthropic has one answer per request; n > 1 is not asked for here
			}
			if d.FinishReason != "" {
				finish = d.FinishReason
			}
			if d.Content != "" {
				if kind != "text" {
					if err := openBlock("text", nil); err != nil {
						return
					}
				}
				if err := sse.anTextDelta(block, d.Content); err != nil {
					return
				}
			}
			for _, tc := range d.ToolCalls {
				bi, ok := tools[tc.Index]
				if !ok || tc.ID != "" {
					if err := openBlock("tool_use", map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": map[string]any{}}); err != nil {
						return
					}
					bi = block
					tools[tc.Index] = bi
				}
				if tc.Arguments != "" {
					if err := sse.anToolDelta(bi, tc.Arguments); err != nil {
						return
					}
				}
			}
		}
		sse.firstOutput(ch)
	}
	if err := closeBlock(); err != nil {
		return
	}
	delta := map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stopReason(finish), "stop_sequence": nil}}
	if usage != nil {
		delta["usage"] = anUsageOf(usage)
	} else {
		delta["usage"] = map[string]int{"output_tokens": 0}
	}
	if err := sse.event("message_delta", delta); err != nil {
		return
	}
	sse.event("message_stop", map[string]string{"type": "message_stop"})
}

// anBlockDelta is the data of a content_block_delta event that carries
// text, the event sent once per chunk. A struct rather than the maps the
// other events use saves two maps per chunk; its fields are in the order
// encoding/json writes a map's keys (sorted), so the bytes are the same.
// eventWriter.anTextDelta writes it by hand; the struct remains its
// reference in the tests.
type anBlockDelta struct {
	Delta anTextDelta `json:"delta"`
	Index int         `json:"index"`
	Type  string      `json:"type"`
}

type anTextDelta struct {
	Text string `json:"text"`
	Type string `json:"type"`
}
