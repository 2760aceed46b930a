package llmgate

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Role is the author of a chat message.
type Role string

// The roles a chat message can have.
const (
	RoleSystem    Role = "system"
	RoleDeveloper Role = "developer"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool:
		return true
	}
	return false
}

// PartType is the kind of a message content part.
type PartType string

// The kinds of content part.
const (
	PartText  PartType = "text"
	PartImage PartType = "image_url"
)

// Part is one piece of a message's content: text, or an image given by URL
// (an https URL or a data: URL with base64 data).
type Part struct {
	Type PartType
	Text string
	// ImageURL is the image's address when Type is PartImage.
	ImageURL string
	// ImageDetail is "auto", "low" or "high"; empty means the provider's default.
	ImageDetail string
}

// TextPart returns a text part.
func TextPart(s string) Part { return Part{Type: PartText, Text: s} }

// Message is one turn of a conversation.
type Message struct {
	Role    Role
	Content []Part
	// Name optionally names the author among several of the same role.
	Name string
	// ToolCalls are the functions an assistant message asks to call.
	ToolCalls []ToolCall
	// ToolCallID links a tool message to the call it answers.
	ToolCallID string
}

// Text returns the concatenation of the message's text parts.
func (m *Message) Text() string {
	if len(m.Content) == 1 {
		return m.Content[0].Text
	}
	var b strings.Builder
	for _, p := range m.Content {
		b.WriteString(p.Text)
	}
	return b.String()
}

// HasImages reports whether any part of the message is an image.
func (m *Message) HasImages() bool {
	for _, p := range m.Content {
		if p.Type == PartImage {
			return true
		}
	}
	return false
}

// ToolCall is a function call requested by the model.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is the call's arguments, a JSON object as text.
	Arguments string
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the function's arguments.
	Parameters json.RawMessage
	Strict     *bool
}

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	// Mode is "auto", "none", "required" or "function".
	Mode string
	// Name is the function to call when Mode is "function".
	Name string
}

// ResponseFormat constrains the shape of the model's answer.
type ResponseFormat struct {
	// Type is "text", "json_object" or "json_schema".
	Type string
	// Name, Schema and Strict describe the schema when Type is "json_schema".
	Name   string
	Schema json.RawMessage
	Strict *bool
}

// ChatParams are the sampling and output parameters of a chat request. A nil
// pointer means the provider's default.
type ChatParams struct {
	Temperature       *float64
	MaxTokens         *int
	TopP              *float64
	Stop              []string
	PresencePenalty   *float64
	FrequencyPenalty  *float64
	Seed              *int64
	N                 *int
	User              string
	ResponseFormat    *ResponseFormat
	Tools             []Tool
	ToolChoice        *ToolChoice
	ParallelToolCalls *bool
	Logprobs          *bool
	TopLogprobs       *int
}

// ChatRequest is a provider-neutral chat completion request.
//
// A request the HTTP API decoded from a large body (over 64 KiB) holds its
// long texts (message content, image URLs, tool call arguments) as views
// of the body's buffer, which is reused once the request is answered:
// code that keeps such a text past the request, in a cache or a background
// job, must copy it first (strings.Clone). Nothing in the gateway does.
type ChatRequest struct {
	// Provider is the catalog name of the provider, such as "azure_openai".
	Provider string
	// Model is the catalog name of the model, such as "gpt-4o". With an
	// empty Provider it is an alias that routing configuration defines.
	Model    string
	Messages []Message
	Params   ChatParams
	// Stream asks for the answer as a stream of chunks.
	Stream bool
	// Fallbacks names further models ("provider/model") or aliases to try in
	// order when every deployment of Provider/Model has failed; nil keeps the
	// configured fallbacks, an empty non-nil slice turns them off.
	Fallbacks []string
	// Timeouts override the configured ones where they are positive.
	Timeouts Timeouts
}

// Timeouts bound the time a request may take. Zero means "as configured".
type Timeouts struct {
	// Request bounds the whole request, retries and fallbacks included.
	Request time.Duration
	// Attempt bounds one upstream attempt of a plain request.
	Attempt time.Duration
	// FirstToken bounds a stream's wait for its first chunk, per attempt.
	FirstToken time.Duration
}

// FinishReason says why the model stopped.
type FinishReason string

// The reasons a model stops.
const (
	FinishStop          FinishReason = "stop"
	FinishLength        FinishReason = "length"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishContentFilter FinishReason = "content_filter"
)

// Choice is one of the answers of a chat response.
type Choice struct {
	Index        int
	Message      Message
	FinishReason FinishReason
	// Logprobs is the provider's log-probability data, passed through as JSON.
	Logprobs json.RawMessage
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	// CachedTokens is the part of PromptTokens served from the provider's cache.
	CachedTokens int
	// CacheWriteTokens is the part of PromptTokens written to the provider's cache.
	CacheWriteTokens int
	// ReasoningTokens is the part of CompletionTokens spent on hidden reasoning.
	ReasoningTokens int
	// Estimated is true when the gateway counted the tokens itself because the
	// provider did not report them.
	Estimated bool
}

// Served says which provider deployment answered a request and how.
type Served struct {
	Provider   string
	Model      string
	Deployment string
	// Attempts is the number of upstream calls made, failed ones included.
	Attempts int
	// Upstream is the time spent waiting for the deployment that answered.
	Upstream time.Duration
}

// ChatResponse is a provider-neutral chat completion.
type ChatResponse struct {
	ID      string
	Created time.Time
	Served
	Choices []Choice
	Usage   Usage
	// Cost is nil when the model has no price in the catalog.
	Cost *Cost
	// SystemFingerprint is the provider's backend configuration id, if given.
	SystemFingerprint string
}

// FinishReason returns the finish reason of the first choice.
func (r *ChatResponse) FinishReason() FinishReason {
	if len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].FinishReason
}

// ChatChunk is one event of a streamed chat answer.
type ChatChunk struct {
	ID      string
	Model   string
	Created time.Time
	Deltas  []ChoiceDelta
	// Usage is set on the chunk that reports the request's token counts,
	// usually the last.
	Usage *Usage
	// Cost is set by the gateway on the chunk that carries Usage.
	Cost *Cost
	// Served is set by the gateway on the first chunk it forwards.
	Served *Served
}

// Clone returns a copy of c that shares no memory with it but its strings,
// for a caller that keeps a chunk past the stream's next Recv.
func (c *ChatChunk) Clone() *ChatChunk {
	out := *c
	if c.Deltas != nil {
		out.Deltas = make([]ChoiceDelta, len(c.Deltas))
		for i, d := range c.Deltas {
			d.ToolCalls = slices.Clone(d.ToolCalls)
			d.Logprobs = slices.Clone(d.Logprobs)
			out.Deltas[i] = d
		}
	}
	out.Usage = clonePtr(c.Usage)
	out.Cost = clonePtr(c.Cost)
	out.Served = clonePtr(c.Served)
	return &out
}

// clonePtr returns a pointer to a copy of *p, or nil for nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// ChoiceDelta is the increment of one choice in a stream chunk.
type ChoiceDelta struct {
	Index        int
	Role         Role
	Content      string
	ToolCalls    []ToolCallDelta
	FinishReason FinishReason
	Logprobs     json.RawMessage
}

// ToolCallDelta is a piece of a tool call in a stream: the first piece carries
// ID and Name, the following ones further text of Arguments.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
}
