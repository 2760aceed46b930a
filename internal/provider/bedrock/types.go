package bedrock

import "encoding/json"

// The wire types of the Converse API, named after the shapes of Bedrock's
// API reference (ConverseRequest, Message, ContentBlock, …). Only the
// members the gateway sends or reads are declared; unknown members of an
// answer are ignored.

// converseRequest is the body of POST /model/{modelId}/converse and
// /converse-stream; the two take the same body.
type converseRequest struct {
	Messages        []message        `json:"messages"`
	System          []systemBlock    `json:"system,omitempty"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig      `json:"toolConfig,omitempty"`
	OutputConfig    *outputConfig    `json:"outputConfig,omitempty"`
}

// systemBlock is a SystemContentBlock; only its text member is used.
type systemBlock struct {
	Text string `json:"text"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// contentBlock is the ContentBlock union: exactly one member is set. A
// response may hold members the gateway does not translate (reasoning,
// citations); they are skipped.
type contentBlock struct {
	Text       string           `json:"text,omitempty"`
	Image      *imageBlock      `json:"image,omitempty"`
	ToolUse    *toolUseBlock    `json:"toolUse,omitempty"`
	ToolResult *toolResultBlock `json:"toolResult,omitempty"`
}

type imageBlock struct {
	// Format is png, jpeg, gif or webp.
	Format string      `json:"format"`
	Source imageSource `json:"source"`
}

// imageSource is the ImageSource union; the gateway sends bytes, which JSON
// carries as base64 text.
type imageSource struct {
	Bytes string `json:"bytes"`
}

type toolUseBlock struct {
	ToolUseID string `json:"toolUseId"`
	Name      string `json:"name"`
	// Input is the call's arguments, a JSON document.
	Input json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolUseID string `json:"toolUseId"`
	// Content is never null: the member is required.
	Content []toolResultContent `json:"content"`
}

// toolResultContent is the ToolResultContentBlock union.
type toolResultContent struct {
	Text  string      `json:"text,omitempty"`
	Image *imageBlock `json:"image,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice,omitempty"`
}

// tool is the Tool union; only toolSpec is used.
type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema inputSchema `json:"inputSchema"`
	Strict      *bool       `json:"strict,omitempty"`
}

// inputSchema is the ToolInputSchema union; only json is used.
type inputSchema struct {
	JSON json.RawMessage `json:"json"`
}

// toolChoice is the ToolChoice union: {"auto":{}}, {"any":{}} or
// {"tool":{"name":…}}. Bedrock has no member that forbids tools.
type toolChoice struct {
	Auto *struct{}     `json:"auto,omitempty"`
	Any  *struct{}     `json:"any,omitempty"`
	Tool *specificTool `json:"tool,omitempty"`
}

type specificTool struct {
	Name string `json:"name"`
}

// outputConfig asks for structured output (OutputConfig).
type outputConfig struct {
	TextFormat outputFormat `json:"textFormat"`
}

type outputFormat struct {
	// Type is json_schema, the only value the API defines.
	Type      string          `json:"type"`
	Structure outputStructure `json:"structure"`
}

// outputStructure is the OutputFormatStructure union.
type outputStructure struct {
	JSONSchema jsonSchemaDefinition `json:"jsonSchema"`
}

type jsonSchemaDefinition struct {
	// Schema is the JSON Schema as a string of JSON text, not an object.
	Schema      string `json:"schema"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// converseResponse is the body of a Converse answer. metrics.latencyMs is
// not read: the gateway measures latency itself.
type converseResponse struct {
	Output struct {
		Message *message `json:"message"`
	} `json:"output"`
	StopReason string      `json:"stopReason"`
	Usage      *tokenUsage `json:"usage"`
}

// tokenUsage counts tokens. Bedrock reports inputTokens apart from the
// tokens read from or written to the prompt cache.
type tokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
}

// The payloads of ConverseStream events, one type per :event-type.

type messageStartEvent struct {
	Role string `json:"role"`
}

type contentBlockStartEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             struct {
		ToolUse *struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
}

type contentBlockDeltaEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Delta             struct {
		Text    *string       `json:"text"`
		ToolUse *toolUseDelta `json:"toolUse"`
	} `json:"delta"`
}

type toolUseDelta struct {
	// Input is a fragment of the arguments' JSON text.
	Input string `json:"input"`
}

type messageStopEvent struct {
	StopReason string `json:"stopReason"`
}

type metadataEvent struct {
	Usage *tokenUsage `json:"usage"`
}

// exceptionPayload is the body of an error answer and of an exception
// event. Errors of the AWS JSON protocols spell the member "message" or
// "Message", and may name their type in "__type".
type exceptionPayload struct {
	Message      string `json:"message"`
	MessageUpper string `json:"Message"`
	Type         string `json:"__type"`
	// OriginalStatusCode and OriginalMessage come with a
	// modelStreamErrorException: what the model itself answered.
	OriginalStatusCode int    `json:"originalStatusCode"`
	OriginalMessage    string `json:"originalMessage"`
}

func (p *exceptionPayload) message() string {
	if p.Message != "" {
		return p.Message
	}
	return p.MessageUpper
}
