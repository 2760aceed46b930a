package anthropic

import "encoding/json"

// The wire format of the Messages API (POST /v1/messages), as the API
// reference and the official Go SDK describe it. Only the fields the
// gateway reads or writes are declared: unknown fields in answers are
// ignored, as Anthropic's versioning policy asks of clients.

// messagesRequest is the body of POST /v1/messages.
type messagesRequest struct {
	Model         string        `json:"model"`
	MaxTokens     int           `json:"max_tokens"`
	System        []block       `json:"system,omitempty"`
	Messages      []message     `json:"messages"`
	Temperature   *float64      `json:"temperature,omitempty"`
	TopP          *float64      `json:"top_p,omitempty"`
	StopSequences []string      `json:"stop_sequences,omitempty"`
	Metadata      *metadata     `json:"metadata,omitempty"`
	Tools         []tool        `json:"tools,omitempty"`
	ToolChoice    *toolChoice   `json:"tool_choice,omitempty"`
	OutputConfig  *outputConfig `json:"output_config,omitempty"`
	Stream        bool          `json:"stream,omitempty"`
}

// message is one turn; Role is "user" or "assistant".
type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a content block of a request: text, image, tool_use or
// tool_result, told apart by Type. One flat struct keeps encoding cheap;
// omitempty leaves out the fields of the other kinds.
type block struct {
	Type string `json:"type"`
	// Text is the text of a text block; empty text blocks are never sent
	// because the API rejects them.
	Text   string       `json:"text,omitempty"`
	Source *imageSource `json:"source,omitempty"`
	// ID, Name and Input describe a tool_use block.
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// ToolUseID and Content describe a tool_result block; Content is a
	// string, or a []block of text and image blocks.
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   any    `json:"content,omitempty"`
}

// imageSource is a base64 image (Type "base64", MediaType and Data) or an
// image the API fetches (Type "url", URL).
type imageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      *bool           `json:"strict,omitempty"`
}

// toolChoice is {"type":"auto"|"any"|"none"} or {"type":"tool","name":…}.
type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// outputConfig carries the structured output format.
type outputConfig struct {
	Format outputFormat `json:"format"`
}

type outputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

// messageResponse is a Message object: the answer of a non-streamed call,
// and the "message" of a streamed message_start event.
type messageResponse struct {
	ID         string          `json:"id"`
	Model      string          `json:"model"`
	Role       string          `json:"role"`
	Content    []responseBlock `json:"content"`
	StopReason string          `json:"stop_reason"`
	Usage      usage           `json:"usage"`
}

// responseBlock is a content block of an answer. Blocks of other types
// (thinking, server tool results, …) are skipped.
type responseBlock struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

// usage counts tokens. Pointers tell an absent count from zero, because a
// message_delta event carries only the counts that changed.
type usage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	OutputTokensDetails      *struct {
		ThinkingTokens int `json:"thinking_tokens"`
	} `json:"output_tokens_details"`
}

// streamEvent is the data of any server-sent event of a streamed call; Type
// says which fields are set.
type streamEvent struct {
	Type         string          `json:"type"`
	Message      messageResponse `json:"message"`
	Index        int             `json:"index"`
	ContentBlock responseBlock   `json:"content_block"`
	Delta        streamDelta     `json:"delta"`
	Usage        usage           `json:"usage"`
	Error        apiError        `json:"error"`
}

// streamDelta is the delta of a content_block_delta event (Type, Text,
// PartialJSON) or of a message_delta event (StopReason).
type streamDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
	StopReason  string `json:"stop_reason"`
}

// errorBody is an error answer: {"type":"error","error":{…},"request_id":…}.
type errorBody struct {
	Type      string   `json:"type"`
	Error     apiError `json:"error"`
	RequestID string   `json:"request_id"`
}

type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
