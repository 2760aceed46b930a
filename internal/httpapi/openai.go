package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
)

// The OpenAI-compatible surface, at {APIPath}/openai/v1, so that OpenAI's
// SDKs work by changing only their base URL. Models are named
// "provider/model"; a bare name is the first configured provider's model of
// that name in catalog order.

func (s *Server) openAIRoutes() []route {
	return []route{
		{method: http.MethodPost, path: "/openai/v1/chat/completions", handler: s.openAIChat, api: "openai", doc: docOpenAIChat},
		{method: http.MethodPost, path: "/openai/v1/embeddings", handler: s.openAIEmbeddings, api: "openai", doc: docOpenAIEmbeddings},
		{method: http.MethodPost, path: "/openai/v1/images/generations", handler: s.openAIImages, api: "openai", doc: docOpenAIImages},
		{method: http.MethodGet, path: "/openai/v1/models", handler: s.openAIModels, api: "openai", doc: docOpenAIModels},
	}
}

// openAIError is OpenAI's error body.
type openAIError struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func openAIErrorOf(e *llmgate.Error, status int) *openAIError {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case status == http.StatusNotFound:
		typ = "not_found_error"
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status >= 500:
		typ = "server_error"
	}
	msg := e.Message
	if e.Provider != "" {
		msg = e.Provider + ": " + msg
	}
	return &openAIError{Error: openAIErrorDetail{Message: msg, Type: typ, Code: string(e.Code)}}
}

// resolveModel reads a compatible API's model name: an alias that routing
// defines (returned as model with no provider), "provider/model", or a bare
// model name looked up among configured providers in catalog order.
func (s *Server) resolveModel(name string) (provider, model string, err error) {
	if name == "" {
		return "", "", invalid("model is required")
	}
	if s.Backend.HasAlias(name) {
		return "", name, nil
	}
	if p, m, ok := strings.Cut(name, "/"); ok {
		return p, m, nil
	}
	cat := s.Backend.Catalog()
	for _, p := range cat.Providers {
		if !p.Configured || !p.Enabled {
			continue
		}
		for _, m := range p.Models {
			if m.Name == name && m.Enabled {
				return p.Name, m.Name, nil
			}
		}
	}
	return "", "", &llmgate.Error{Code: llmgate.EModelNotFound, Message: "no configured provider has a model \"" + name + "\"; name it as provider/model (GET /openai/v1/models lists them)"}
}

type oaChatRequest struct {
	Model               string             `json:"model"`
	Messages            []oaMessage        `json:"messages"`
	Temperature         *float64           `json:"temperature,omitempty"`
	TopP                *float64           `json:"top_p,omitempty"`
	N                   *int               `json:"n,omitempty"`
	Stream              bool               `json:"stream,omitempty"`
	StreamOptions       *oaStreamOptions   `json:"stream_options,omitempty"`
	Stop                stopList           `json:"stop,omitempty"`
	MaxTokens           *int               `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int               `json:"max_completion_tokens,omitempty"`
	PresencePenalty     *float64           `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64           `json:"frequency_penalty,omitempty"`
	Seed                *int64             `json:"seed,omitempty"`
	User                string             `json:"user,omitempty"`
	ResponseFormat      *oaResponseFormat  `json:"response_format,omitempty"`
	Tools               []oaTool           `json:"tools,omitempty"`
	ToolChoice          *oaToolChoice      `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool              `json:"parallel_tool_calls,omitempty"`
	Logprobs            *bool              `json:"logprobs,omitempty"`
	TopLogprobs         *int               `json:"top_logprobs,omitempty"`
	Fallbacks           []string           `json:"fallbacks,omitempty"`
	Metadata            map[string]string  `json:"metadata,omitempty"`
	Store               *bool              `json:"store,omitempty"`
	LogitBias           map[string]float64 `json:"logit_bias,omitempty"`
}

type oaStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type oaMessage struct {
	Role       string       `json:"role"`
	Content    oaContent    `json:"content"`
	Name       string       `json:"name,omitempty"`
	ToolCalls  []oaToolCall `json:"tool_calls,omitempty"`
	ToolCallID string       `json:"tool_call_id,omitempty"`
	Refusal    *string      `json:"refusal,omitempty"`
}

type oaToolCall struct {
	Index    *int           `json:"index,omitempty"`
	ID       string         `json:"id,omitempty"`
	Type     string         `json:"type,omitempty"`
	Function oaFunctionCall `json:"function"`
}

type oaFunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type oaTool struct {
	Type     string     `json:"type"`
	Function oaFunction `json:"function"`
}

type oaFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type oaResponseFormat struct {
	Type       string        `json:"type"`
	JSONSchema *oaJSONSchema `json:"json_schema,omitempty"`
}

type oaJSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// oaToolChoice is "auto", "none", "required" or {"type":"function","function":{"name"}}.
type oaToolChoice struct {
	mode, name string
}

func (t *oaToolChoice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.mode)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(b, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
		return &badValueError{"tool_choice must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":…}}"}
	}
	t.mode, t.name = "function", obj.Function.Name
	return nil
}

// domain converts the OpenAI request; what the domain cannot carry is
// rejected rather than dropped.
func (b *oaChatRequest) domain(s *Server) (*llmgate.ChatRequest, error) {
	provider, model, err := s.resolveModel(b.Model)
	if err != nil {
		return nil, err
	}
	switch {
	case len(b.Metadata) > 0 || b.Store != nil:
		return nil, llmgate.Errorf(llmgate.EUnsupported, "store and metadata are not supported by the gateway")
	case len(b.LogitBias) > 0:
		return nil, llmgate.Errorf(llmgate.EUnsupported, "logit_bias is not supported by the gateway")
	case len(b.Messages) == 0:
		return nil, invalid("messages must hold at least one message")
	}
	req := &llmgate.ChatRequest{Provider: provider, Model: model, Stream: b.Stream, Fallbacks: b.Fallbacks, Messages: make([]llmgate.Message, len(b.Messages))}
	for i := range b.Messages {
		m := &b.Messages[i]
		role := llmgate.Role(m.Role)
		if !role.Valid() {
			return nil, invalid("messages[%d].role must be system, developer, user, assistant or tool", i)
		}
		if len(m.Content.parts) == 0 && len(m.ToolCalls) == 0 {
			return nil, invalid("messages[%d].content is required", i)
		}
		if role == llmgate.RoleTool && m.ToolCallID == "" {
			return nil, invalid("messages[%d].tool_call_id is required for a tool message", i)
		}
		out := llmgate.Message{Role: role, Content: m.Content.parts, Name: m.Name, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			out.ToolCalls = append(out.ToolCalls, llmgate.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		req.Messages[i] = out
	}
	for _, err := range []error{
		inRange("temperature", b.Temperature, 0, 2),
		inRange("top_p", b.TopP, 0, 1),
		inRange("presence_penalty", b.PresencePenalty, -2, 2),
		inRange("frequency_penalty", b.FrequencyPenalty, -2, 2),
	} {
		if err != nil {
			return nil, err
		}
	}
	maxTokens := b.MaxTokens
	if b.MaxCompletionTokens != nil {
		maxTokens = b.MaxCompletionTokens
	}
	if maxTokens != nil && *maxTokens < 1 {
		return nil, invalid("max_tokens must be at least 1")
	}
	if b.N != nil && (*b.N < 1 || *b.N > 128) {
		return nil, invalid("n must be between 1 and 128")
	}
	if len(b.Stop) > 4 {
		return nil, invalid("stop holds at most 4 sequences")
	}
	req.Params = llmgate.ChatParams{
		Temperature: b.Temperature, MaxTokens: maxTokens, TopP: b.TopP, Stop: b.Stop,
		PresencePenalty: b.PresencePenalty, FrequencyPenalty: b.FrequencyPenalty, Seed: b.Seed,
		N: b.N, User: b.User, ParallelToolCalls: b.ParallelToolCalls, Logprobs: b.Logprobs, TopLogprobs: b.TopLogprobs,
	}
	if rf := b.ResponseFormat; rf != nil {
		f := &llmgate.ResponseFormat{Type: rf.Type}
		switch rf.Type {
		case "text", "json_object":
		case "json_schema":
			if rf.JSONSchema == nil || rf.JSONSchema.Name == "" {
				return nil, invalid("response_format.json_schema needs a name and a schema")
			}
			f.Name, f.Schema, f.Strict = rf.JSONSchema.Name, rf.JSONSchema.Schema, rf.JSONSchema.Strict
		default:
			return nil, invalid("response_format.type must be text, json_object or json_schema")
		}
		req.Params.ResponseFormat = f
	}
	for i, t := range b.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return nil, invalid("tools[%d] must be a function with a name", i)
		}
		req.Params.Tools = append(req.Params.Tools, llmgate.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters, Strict: t.Function.Strict})
	}
	if tc := b.ToolChoice; tc != nil {
		switch tc.mode {
		case "auto", "none", "required", "function":
		default:
			return nil, invalid("tool_choice must be auto, none, required or a function")
		}
		req.Params.ToolChoice = &llmgate.ToolChoice{Mode: tc.mode, Name: tc.name}
	}
	return req, nil
}

type oaChatResponse struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	Created           int64      `json:"created"`
	Model             string     `json:"model"`
	Choices           []oaChoice `json:"choices"`
	Usage             *oaUsage   `json:"usage,omitempty"`
	SystemFingerprint string     `json:"system_fingerprint,omitempty"`
}

type oaChoice struct {
	Index        int             `json:"index"`
	Message      *oaOutMessage   `json:"message,omitempty"`
	Delta        *oaOutMessage   `json:"delta,omitempty"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type oaOutMessage struct {
	Role      string       `json:"role,omitempty"`
	Content   *string      `json:"content,omitempty"`
	Refusal   *string      `json:"refusal,omitempty"`
	ToolCalls []oaToolCall `json:"tool_calls,omitempty"`
}

type oaUsage struct {
	PromptTokens            int                 `json:"prompt_tokens"`
	CompletionTokens        int                 `json:"completion_tokens"`
	TotalTokens             int                 `json:"total_tokens"`
	PromptTokensDetails     *oaPromptDetails    `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *oaCompletionDetail `json:"completion_tokens_details,omitempty"`
}

type oaPromptDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type oaCompletionDetail struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

func oaUsageOf(u *llmgate.Usage) *oaUsage {
	out := &oaUsage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if u.CachedTokens > 0 {
		out.PromptTokensDetails = &oaPromptDetails{CachedTokens: u.CachedTokens}
	}
	if u.ReasoningTokens > 0 {
		out.CompletionTokensDetails = &oaCompletionDetail{ReasoningTokens: u.ReasoningTokens}
	}
	return out
}

var nullJSON = json.RawMessage("null")

func rawOrNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return nullJSON
	}
	return r
}

// servedHeaders adds the cost to the headers that say who answered.
func servedHeaders(h http.Header, sv *llmgate.Served, c *llmgate.Cost) {
	served(h, sv)
	if c != nil {
		h[canonCost] = []string{c.Total.String()}
	}
}

func (s *Server) openAIChat(w http.ResponseWriter, r *http.Request) {
	var body oaChatRequest
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
		s.openAIChatStream(w, r, req, body.Model, body.StreamOptions != nil && body.StreamOptions.IncludeUsage)
		return
	}
	resp, err := s.Backend.Chat(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	servedHeaders(w.Header(), &resp.Served, resp.Cost)
	writeOAChatResponse(w, oaChatResponseOf(resp, body.Model, s.Now()))
}

// oaChatResponseOf is the OpenAI answer to a chat, model as the client named
// it. It is a function of its own to keep its temporaries out of
// openAIChat's frame, which a stream keeps on its handler's stack (see
// mux.route).
func oaChatResponseOf(resp *llmgate.ChatResponse, model string, now time.Time) *oaChatResponse {
	out := &oaChatResponse{
		ID: resp.ID, Object: "chat.completion", Created: unixOr(resp.Created, now), Model: model,
		Choices: make([]oaChoice, len(resp.Choices)), Usage: oaUsageOf(&resp.Usage), SystemFingerprint: resp.SystemFingerprint,
	}
	// What the choices point to, allocated together.
	parts := make([]struct {
		msg          oaOutMessage
		text, finish string
	}, len(resp.Choices))
	for i := range resp.Choices {
		c := &resp.Choices[i]
		p := &parts[i]
		m := &p.msg
		m.Role = "assistant"
		if p.text = c.Message.Text(); p.text != "" || len(c.Message.ToolCalls) == 0 {
			m.Content = &p.text
		}
		for _, tc := range c.Message.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, oaToolCall{ID: tc.ID, Type: "function", Function: oaFunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
		}
		p.finish = string(c.FinishReason)
		out.Choices[i] = oaChoice{Index: c.Index, Message: m, Logprobs: rawOrNull(c.Logprobs), FinishReason: &p.finish}
	}
	return out
}

func unixOr(t, now time.Time) int64 {
	if t.IsZero() {
		return now.Unix()
	}
	return t.Unix()
}

// openAIChatStream answers chat.completion.chunk events and [DONE].
func (s *Server) openAIChatStream(w http.ResponseWriter, r *http.Request, req *llmgate.ChatRequest, model string, includeUsage bool) {
	sse := s.eventWriter(w)
	st, err := s.Backend.ChatStream(sse.streamContext(r), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer st.Close()
	created := s.Now().Unix()
	id := ""
	// Reused from chunk to chunk: each is written before the next. out
	// escapes (to the encoding/json fallback of oaChunk), so it is made
	// once, not per chunk.
	var (
		choices []oaChoice
		msgs    []oaOutMessage
		out     = new(oaChatResponse)
	)
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := llmgate.AsError(err)
			infoOf(r).code = e.Code
			sse.data(openAIErrorOf(e, StatusOf(e.Code)))
			return
		}
		if ch.Served != nil {
			served(w.Header(), ch.Served)
		}
		if id == "" {
			id = ch.ID
		}
		msgs = slices.Grow(msgs[:0], len(ch.Deltas))[:len(ch.Deltas)]
		*out = oaChatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: choices[:0]}
		for i := range ch.Deltas {
			d := &ch.Deltas[i]
			m := &msgs[i]
			*m = oaOutMessage{Role: string(d.Role), ToolCalls: m.ToolCalls[:0]}
			if d.Content != "" {
				m.Content = &d.Content
			}
			for _, tc := range d.ToolCalls {
				idx := tc.Index
				call := oaToolCall{Index: &idx, ID: tc.ID, Function: oaFunctionCall{Name: tc.Name, Arguments: tc.Arguments}}
				if tc.ID != "" {
					call.Type = "function"
				}
				m.ToolCalls = append(m.ToolCalls, call)
			}
			c := oaChoice{Index: d.Index, Delta: m, Logprobs: rawOrNull(d.Logprobs)}
			if d.FinishReason != "" {
				fr := string(d.FinishReason)
				c.FinishReason = &fr
			}
			out.Choices = append(out.Choices, c)
		}
		choices = out.Choices
		if ch.Usage != nil && includeUsage {
			out.Usage = oaUsageOf(ch.Usage)
		}
		if len(out.Choices) == 0 && out.Usage == nil {
			continue
		}
		if err := sse.oaChunk(out); err != nil {
			return
		}
		sse.firstOutput(ch)
	}
	sse.raw("[DONE]")
}

type oaEmbeddingRequest struct {
	Model          string `json:"model"`
	Input          input  `json:"input"`
	EncodingFormat string `json:"encoding_format,omitempty"`
	Dimensions     *int   `json:"dimensions,omitempty"`
	User           string `json:"user,omitempty"`
}

type oaEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type oaEmbeddingResponse struct {
	Object string        `json:"object"`
	Data   []oaEmbedding `json:"data"`
	Model  string        `json:"model"`
	Usage  struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

func (s *Server) openAIEmbeddings(w http.ResponseWriter, r *http.Request) {
	var body oaEmbeddingRequest
	if err := s.readJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	provider, model, err := s.resolveModel(body.Model)
	info := infoOf(r)
	info.provider, info.model = provider, model
	switch {
	case err != nil:
	case len(body.Input) == 0:
		err = invalid("input is required: a string or an array of strings")
	case body.EncodingFormat != "" && body.EncodingFormat != "float" && body.EncodingFormat != "base64":
		err = invalid("encoding_format must be float or base64")
	case body.Dimensions != nil && *body.Dimensions < 1:
		err = invalid("dimensions must be at least 1")
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	resp, err := s.Backend.Embed(r.Context(), &llmgate.EmbeddingRequest{Provider: provider, Model: model, Input: body.Input, Dimensions: body.Dimensions, User: body.User})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := oaEmbeddingResponse{Object: "list", Model: body.Model, Data: make([]oaEmbedding, len(resp.Data))}
	out.Usage.PromptTokens, out.Usage.TotalTokens = resp.Usage.PromptTokens, resp.Usage.TotalTokens
	for i, e := range resp.Data {
		out.Data[i] = oaEmbedding{Object: "embedding", Index: e.Index, Embedding: e.Vector}
		if body.EncodingFormat == "base64" {
			out.Data[i].Embedding = float32Base64(e.Vector)
		}
	}
	servedHeaders(w.Header(), &resp.Served, resp.Cost)
	writeAppendedOr(w, &out, embeddingsSize(resp.Data), func(b []byte) ([]byte, bool) { return appendOAEmbeddingResponse(b, &out, resp.Data) })
}

// float32Base64 encodes a vector as OpenAI does for encoding_format base64:
// little-endian float32 values.
func float32Base64(v []float64) string {
	buf := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(f)))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

type oaImageRequest struct {
	Prompt         string `json:"prompt"`
	Model          string `json:"model"`
	N              int    `json:"n,omitempty"`
	Size           string `json:"size,omitempty"`
	Quality        string `json:"quality,omitempty"`
	Style          string `json:"style,omitempty"`
	ResponseFormat string `json:"response_format,omitempty"`
	User           string `json:"user,omitempty"`
}

type oaImage struct {
	URL           string `json:"url,omitempty"`
	B64JSON       string `json:"b64_json,omitempty"`
	RevisedPrompt string `json:"revised_prompt,omitempty"`
}

type oaImageResponse struct {
	Created int64     `json:"created"`
	Data    []oaImage `json:"data"`
}

func (s *Server) openAIImages(w http.ResponseWriter, r *http.Request) {
	var body oaImageRequest
	if err := s.readJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	provider, model, err := s.resolveModel(body.Model)
	info := infoOf(r)
	info.provider, info.model = provider, model
	switch {
	case err != nil:
	case strings.TrimSpace(body.Prompt) == "":
		err = invalid("prompt is required")
	case body.N < 0 || body.N > 10:
		err = invalid("n must be between 1 and 10")
	case body.Size != "" && body.Size != "auto" && !validSize(body.Size):
		err = invalid("size must be WIDTHxHEIGHT, such as 1024x1024")
	case body.ResponseFormat != "" && body.ResponseFormat != "url" && body.ResponseFormat != "b64_json":
		err = invalid("response_format must be url or b64_json")
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	resp, err := s.Backend.GenerateImage(r.Context(), &llmgate.ImageRequest{
		Provider: provider, Model: model, Prompt: body.Prompt, N: body.N, Size: body.Size,
		Quality: body.Quality, Style: body.Style, ResponseFormat: body.ResponseFormat, User: body.User,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := oaImageResponse{Created: unixOr(resp.Created, s.Now()), Data: make([]oaImage, len(resp.Data))}
	for i, im := range resp.Data {
		out.Data[i] = oaImage{URL: im.URL, B64JSON: im.B64JSON, RevisedPrompt: im.RevisedPrompt}
	}
	servedHeaders(w.Header(), &resp.Served, resp.Cost)
	writeJSON(w, http.StatusOK, &out)
}

type oaModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type oaModelList struct {
	Object string    `json:"object"`
	Data   []oaModel `json:"data"`
}

// openAIModels lists every enabled model of every configured provider.
func (s *Server) openAIModels(w http.ResponseWriter, r *http.Request) {
	out := oaModelList{Object: "list", Data: []oaModel{}}
	for _, p := range s.Backend.Catalog().Providers {
		if !p.Enabled || !p.Configured {
			continue
		}
		for _, m := range p.Models {
			if m.Enabled {
				out.Data = append(out.Data, oaModel{ID: p.Name + "/" + m.Name, Object: "model", OwnedBy: p.Name})
			}
		}
	}
	for _, a := range s.Backend.Aliases() {
		out.Data = append(out.Data, oaModel{ID: a, Object: "model", OwnedBy: "llm-gate"})
	}
	writeJSON(w, http.StatusOK, &out)
}

// openAIModel answers GET /openai/v1/models/{provider}/{model}.
func (s *Server) openAIModel(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Path[strings.LastIndex(r.URL.Path, "/openai/v1/models/")+len("/openai/v1/models/"):]
	provider, model, err := s.resolveModel(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if provider == "" {
		writeJSON(w, http.StatusOK, &oaModel{ID: model, Object: "model", OwnedBy: "llm-gate"})
		return
	}
	for _, p := range s.Backend.Catalog().Providers {
		if p.Name != provider || !p.Enabled || !p.Configured {
			continue
		}
		for _, m := range p.Models {
			if m.Name == model && m.Enabled {
				writeJSON(w, http.StatusOK, &oaModel{ID: p.Name + "/" + m.Name, Object: "model", OwnedBy: p.Name})
				return
			}
		}
	}
	s.writeError(w, r, &llmgate.Error{Code: llmgate.EModelNotFound, Message: "no model " + strconv.Quote(id)})
}
