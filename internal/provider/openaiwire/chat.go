// Package openaiwire holds the wire format of OpenAI's Chat Completions,
// Embeddings and Images APIs, the pure translations between it and the
// llmgate domain, and Upstream, the HTTP caller shared by every provider
// that speaks this format (OpenAI itself, Azure OpenAI, and OpenAI-compatible
// servers).
//
// The wire types are unexported: adapters describe where to send a request
// (an Endpoint) and how to shape it (ChatOptions), and get domain values back.
package openaiwire

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/bufpool"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// ChatOptions shapes the chat completions body for one upstream.
type ChatOptions struct {
	// Model is the upstream's name for the model, sent as the body's "model".
	// Empty omits the field, as Azure OpenAI wants: its URL names the
	// deployment instead.
	Model string
	// MaxCompletionTokens sends the request's MaxTokens as
	// "max_completion_tokens" instead of "max_tokens", which OpenAI's
	// reasoning models (o-series, gpt-5) require.
	MaxCompletionTokens bool
	// Literals are the JSON forms of the request's long texts as the client
	// sent them, which the encoder copies instead of escaping a text again
	// (see jsonscan.Literals). Chat and ChatStream take them from the
	// context; nil has none.
	Literals *jsonscan.Literals
}

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model               string          `json:"model,omitempty"`
	Messages            []chatMessage   `json:"messages"`
	Temperature         *float64        `json:"temperature,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	N                   *int            `json:"n,omitempty"`
	User                string          `json:"user,omitempty"`
	ResponseFormat      *responseFormat `json:"response_format,omitempty"`
	Tools               []tool          `json:"tools,omitempty"`
	// ToolChoice is a string ("auto", "none", "required") or a namedToolChoice.
	ToolChoice        any            `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool          `json:"parallel_tool_calls,omitempty"`
	Logprobs          *bool          `json:"logprobs,omitempty"`
	TopLogprobs       *int           `json:"top_logprobs,omitempty"`
	Stream            bool           `json:"stream,omitempty"`
	StreamOptions     *streamOptions `json:"stream_options,omitempty"`
}

type chatMessage struct {
	Role string `json:"role"`
	// Content is a string, or a slice of textPart and imagePart values; nil
	// omits it (an assistant message that only calls tools).
	Content    any        `json:"content,omitempty"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type textPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type imagePart struct {
	Type     string   `json:"type"`
	ImageURL imageURL `json:"image_url"`
}

type imageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type toolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type"`
	Function functionCall `json:"function"`
}

type functionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict *bool           `json:"strict,omitempty"`
}

type tool struct {
	Type     string       `json:"type"`
	Function functionDecl `json:"function"`
}

type functionDecl struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type namedToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// defaultSchemaName names a json_schema response format whose request gave
// no name: OpenAI requires one.
const defaultSchemaName = "response"

// encodeChatRequest returns the chat completions body for req. stream, not
// req.Stream, decides whether the answer is streamed, so that the caller's
// choice of method wins over a flag in the request. The body is in a buffer
// from bufpool.Get; pooled reports one from the pool, which the body must be
// sent with transport.NewRequest to go back to.
func encodeChatRequest(req *llmgate.ChatRequest, opts ChatOptions, stream bool) (body []byte, pooled bool, err error) {
	buf, pooled := bufpool.Get(chatRequestSize(req, opts))
	if b, ok := appendChatRequest(buf, req, opts, stream); ok {
		return b, pooled, nil
	}
	b, err := marshalChatRequest(req, opts, stream)
	return b, false, err
}

// marshalChatRequest is encodeChatRequest through the wire types and
// encoding/json: the path for requests appendChatRequest refuses, which
// returns their errors, and the reference it is tested against.
func marshalChatRequest(req *llmgate.ChatRequest, opts ChatOptions, stream bool) ([]byte, error) {
	w, err := toWireChat(req, opts, stream)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "the request cannot be encoded as JSON", Err: fmt.Errorf("encoding chat request: %w", err)}
	}
	return b, nil
}

func toWireChat(req *llmgate.ChatRequest, opts ChatOptions, stream bool) (*chatRequest, error) {
	p := &req.Params
	w := &chatRequest{
		Model:             opts.Model,
		Messages:          make([]chatMessage, len(req.Messages)),
		Temperature:       p.Temperature,
		TopP:              p.TopP,
		Stop:              p.Stop,
		PresencePenalty:   p.PresencePenalty,
		FrequencyPenalty:  p.FrequencyPenalty,
		Seed:              p.Seed,
		N:                 p.N,
		User:              p.User,
		ParallelToolCalls: p.ParallelToolCalls,
		Logprobs:          p.Logprobs,
		TopLogprobs:       p.TopLogprobs,
		Stream:            stream,
	}
	if opts.MaxCompletionTokens {
		w.MaxCompletionTokens = p.MaxTokens
	} else {
		w.MaxTokens = p.MaxTokens
	}
	if stream {
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	for i := range req.Messages {
		if err := toWireMessage(&w.Messages[i], &req.Messages[i]); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
	}
	if rf := p.ResponseFormat; rf != nil {
		w.ResponseFormat = &responseFormat{Type: rf.Type}
		if rf.Type == "json_schema" {
			name := rf.Name
			if name == "" {
				name = defaultSchemaName
			}
			w.ResponseFormat.JSONSchema = &jsonSchema{Name: name, Schema: rf.Schema, Strict: rf.Strict}
		}
	}
	if len(p.Tools) > 0 {
		w.Tools = make([]tool, len(p.Tools))
		for i, t := range p.Tools {
			w.Tools[i] = tool{Type: "function", Function: functionDecl{
				Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict,
			}}
		}
	}
	if tc := p.ToolChoice; tc != nil {
		switch tc.Mode {
		case "auto", "none", "required":
			w.ToolChoice = tc.Mode
		case "function":
			var n namedToolChoice
			n.Type = "function"
			n.Function.Name = tc.Name
			w.ToolChoice = n
		default:
			return nil, llmgate.Errorf(llmgate.EInvalidRequest, "unknown tool choice mode %q", tc.Mode)
		}
	}
	return w, nil
}

func toWireMessage(w *chatMessage, m *llmgate.Message) error {
	w.Role = string(m.Role)
	w.Name = m.Name
	w.ToolCallID = m.ToolCallID
	switch {
	case len(m.Content) == 1 && m.Content[0].Type == llmgate.PartText:
		w.Content = m.Content[0].Text
	case len(m.Content) == 0:
		// An assistant turn that only calls tools has no content; every
		// other role requires the field.
		if len(m.ToolCalls) == 0 {
			w.Content = ""
		}
	default:
		parts := make([]any, len(m.Content))
		for i, p := range m.Content {
			switch p.Type {
			case llmgate.PartText:
				parts[i] = textPart{Type: "text", Text: p.Text}
			case llmgate.PartImage:
				parts[i] = imagePart{Type: "image_url", ImageURL: imageURL{URL: p.ImageURL, Detail: p.ImageDetail}}
			default:
				return llmgate.Errorf(llmgate.EInvalidRequest, "unsupported content part type %q", p.Type)
			}
		}
		w.Content = parts
	}
	if len(m.ToolCalls) > 0 {
		w.ToolCalls = make([]toolCall, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			w.ToolCalls[i] = toolCall{ID: c.ID, Type: "function", Function: functionCall{Name: c.Name, Arguments: c.Arguments}}
		}
	}
	return nil
}

// chatResponse is the body of a non-streamed chat completion.
type chatResponse struct {
	ID                string           `json:"id"`
	Created           int64            `json:"created"`
	Model             string           `json:"model"`
	Choices           []responseChoice `json:"choices"`
	Usage             *usage           `json:"usage"`
	SystemFingerprint string           `json:"system_fingerprint"`
}

type responseChoice struct {
	Index        int             `json:"index"`
	Message      responseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

type responseMessage struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	ToolCalls []toolCall `json:"tool_calls"`
}

type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

func (u *usage) domain() llmgate.Usage {
	return llmgate.Usage{
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		TotalTokens:      u.TotalTokens,
		CachedTokens:     u.PromptTokensDetails.CachedTokens,
		ReasoningTokens:  u.CompletionTokensDetails.ReasoningTokens,
	}
}

// decodeChatResponse translates a chat completion body. Served is left for
// the caller to fill.
func decodeChatResponse(body []byte) (*llmgate.ChatResponse, error) {
	if r, ok := decodeChatResponseFast(body); ok {
		return r, nil
	}
	return unmarshalChatResponse(body)
}

// unmarshalChatResponse is decodeChatResponse through the wire types and
// encoding/json: the path for answers decodeChatResponseFast refuses, which
// returns their errors, and the reference it is tested against.
func unmarshalChatResponse(body []byte) (*llmgate.ChatResponse, error) {
	var w chatResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decoding chat completion: %w", err)
	}
	r := &llmgate.ChatResponse{
		ID:                w.ID,
		Created:           unixTime(w.Created),
		Choices:           make([]llmgate.Choice, len(w.Choices)),
		SystemFingerprint: w.SystemFingerprint,
	}
	if w.Usage != nil {
		r.Usage = w.Usage.domain()
	}
	for i := range w.Choices {
		c := &w.Choices[i]
		d := &r.Choices[i]
		d.Index = c.Index
		d.FinishReason = llmgate.FinishReason(c.FinishReason)
		d.Logprobs = rawOrNil(c.Logprobs)
		d.Message.Role = llmgate.Role(c.Message.Role)
		if d.Message.Role == "" {
			d.Message.Role = llmgate.RoleAssistant
		}
		if c.Message.Content != "" {
			d.Message.Content = []llmgate.Part{llmgate.TextPart(c.Message.Content)}
		}
		if len(c.Message.ToolCalls) > 0 {
			d.Message.ToolCalls = make([]llmgate.ToolCall, len(c.Message.ToolCalls))
			for j, tc := range c.Message.ToolCalls {
				d.Message.ToolCalls[j] = llmgate.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
			}
		}
	}
	return r, nil
}

// unixTime converts a wire timestamp; zero, which Azure sends in chunks that
// carry only filter results, stays the zero time.
func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// rawOrNil drops a JSON null, which json.RawMessage keeps as the text "null".
func rawOrNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}
