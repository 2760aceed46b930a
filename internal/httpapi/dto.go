package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
	"strconv"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The native API's wire types. Field names are camelCase, as the seed's.

type providerRef struct {
	Name  string   `json:"name" doc:"The provider, as listed by GET /v1/providers." example:"azure_openai"`
	Model modelRef `json:"model"`
}

type modelRef struct {
	Name string `json:"name" doc:"The model, as listed under its provider." example:"gpt-4o"`
}

type chatRequest struct {
	Provider providerRef `json:"provider"`
	Prompt   chatPrompt  `json:"prompt"`
	Stream   bool        `json:"stream,omitempty" doc:"Answer as Server-Sent Events: delta events, then a done event with usage and cost."`
	Routing  *routing    `json:"routing,omitempty" doc:"Per-request routing overrides; the X-LLMGate-Fallbacks and X-LLMGate-Timeout headers do the same."`
}

// routing overrides the configured fallbacks and timeouts of one request.
type routing struct {
	Fallbacks         []string `json:"fallbacks,omitempty" doc:"Models (provider/model) or aliases to try, in order, when the requested one fails; an empty list turns the configured fallbacks off."`
	Timeout           string   `json:"timeout,omitempty" doc:"Bound on the whole request, retries included, as a Go duration such as 30s." example:"30s"`
	AttemptTimeout    string   `json:"attemptTimeout,omitempty" doc:"Bound on one upstream attempt of a non-streamed request." example:"20s"`
	FirstTokenTimeout string   `json:"firstTokenTimeout,omitempty" doc:"Bound on a stream's wait for its first chunk, per attempt." example:"5s"`
}

type chatPrompt struct {
	Parameter *chatParameter `json:"parameter,omitempty"`
	Messages  []message      `json:"messages" minItems:"1"`
}

type chatParameter struct {
	Temperature      *float64        `json:"temperature,omitempty" minimum:"0" maximum:"2"`
	MaxTokens        *int            `json:"maxTokens,omitempty" minimum:"1" doc:"Upper bound on generated tokens."`
	TopP             *float64        `json:"topP,omitempty" minimum:"0" maximum:"1"`
	Stop             stopList        `json:"stop,omitempty" doc:"Up to 4 sequences where generation stops: a string or an array of strings."`
	PresencePenalty  *float64        `json:"presencePenalty,omitempty" minimum:"-2" maximum:"2"`
	FrequencyPenalty *float64        `json:"frequencyPenalty,omitempty" minimum:"-2" maximum:"2"`
	Seed             *int64          `json:"seed,omitempty"`
	N                *int            `json:"n,omitempty" minimum:"1" maximum:"128" doc:"How many answers to generate; each becomes one of the response's messages."`
	User             string          `json:"user,omitempty" doc:"An end-user id passed to the provider for abuse monitoring."`
	ResponseFormat   *responseFormat `json:"responseFormat,omitempty"`
}

type responseFormat struct {
	Type       string      `json:"type" enum:"text,json_object,json_schema"`
	JSONSchema *jsonSchema `json:"jsonSchema,omitempty" doc:"Required when type is json_schema."`
}

type jsonSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict *bool           `json:"strict,omitempty"`
}

type message struct {
	Role       string     `json:"role" enum:"system,developer,user,assistant,tool"`
	Content    content    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []toolCall `json:"toolCalls,omitempty"`
	ToolCallID string     `json:"toolCallId,omitempty"`
}

type toolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments" doc:"The call's arguments, a JSON object as text."`
}

// content is a message's content: a string, or an array of parts.
type content struct {
	parts []llmgate.Part
}

type contentPart struct {
	Type     string    `json:"type" enum:"text,image_url"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"imageUrl,omitempty"`
}

type imageURL struct {
	URL    string `json:"url" doc:"An https URL or a data: URL with base64 image data."`
	Detail string `json:"detail,omitempty" enum:"auto,low,high"`
}

func (c *content) UnmarshalJSON(b []byte) error {
	parts, err := parseContent[contentPart](b, "imageUrl")
	c.parts = parts
	return err
}

// oaContent is a message's content on the OpenAI surface, whose parts spell
// image_url in snake case.
type oaContent struct {
	parts []llmgate.Part
}

type oaContentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

func (c *oaContent) UnmarshalJSON(b []byte) error {
	parts, err := parseContent[oaContentPart](b, "image_url")
	c.parts = parts
	return err
}

// part is what both spellings of a content part provide.
type part interface {
	contentPart | oaContentPart
}

func partOf[P part](p P) (typ, text string, img *imageURL) {
	switch v := any(p).(type) {
	case contentPart:
		return v.Type, v.Text, v.ImageURL
	case oaContentPart:
		return v.Type, v.Text, v.ImageURL
	}
	return "", "", nil
}

// parseContent reads a string, null, or an array of parts.
func parseContent[P part](b []byte, imageField string) ([]llmgate.Part, error) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		// The request's decoder has checked these bytes already; decoding
		// them again with json.Unmarshal validated and scanned the prompt,
		// the largest part of most bodies, twice more.
		s, ok := jsonscan.Unquote(b)
		if !ok {
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, err
			}
		}
		return []llmgate.Part{llmgate.TextPart(s)}, nil
	case len(b) > 0 && b[0] == '[':
		var parts []P
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&parts); err != nil {
			return nil, err
		}
		out := make([]llmgate.Part, 0, len(parts))
		for _, p := range parts {
			typ, text, img := partOf(p)
			switch typ {
			case "text":
				out = append(out, llmgate.TextPart(text))
			case "image_url":
				if img == nil || img.URL == "" {
					return nil, &badValueError{"an image_url content part needs " + imageField + ".url"}
				}
				out = append(out, llmgate.Part{Type: llmgate.PartImage, ImageURL: img.URL, ImageDetail: img.Detail})
			default:
				return nil, &badValueError{"a content part's type must be text or image_url, not " + strconv.Quote(typ)}
			}
		}
		return out, nil
	case string(b) == "null":
		return nil, nil
	}
	return nil, &badValueError{"a message's content must be a string or an array of content parts"}
}

// stopList is a string or an array of strings.
type stopList []string

func (s *stopList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		one, ok := jsonscan.Unquote(b)
		if !ok {
			if err := json.Unmarshal(b, &one); err != nil {
				return err
			}
		}
		*s = stopList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &badValueError{"stop must be a string or an array of strings"}
	}
	*s = many
	return nil
}

// input is embedding input: a string or an array of strings.
type input []string

func (in *input) UnmarshalJSON(b []byte) error {
	var s stopList
	if err := s.UnmarshalJSON(b); err != nil {
		return &badValueError{"input must be a string or an array of strings"}
	}
	*in = input(s)
	return nil
}

type usage struct {
	CompletionTokens int  `json:"completionTokens"`
	PromptTokens     int  `json:"promptTokens"`
	TotalTokens      int  `json:"totalTokens"`
	CachedTokens     int  `json:"cachedTokens,omitempty" doc:"Prompt tokens read from the provider's cache."`
	ReasoningTokens  int  `json:"reasoningTokens,omitempty" doc:"Completion tokens spent on hidden reasoning."`
	Estimated        bool `json:"estimated,omitempty" doc:"True when the gateway counted the tokens because the provider did not."`
}

func usageOf(u llmgate.Usage) usage {
	return usage{
		CompletionTokens: u.CompletionTokens,
		PromptTokens:     u.PromptTokens,
		TotalTokens:      u.TotalTokens,
		CachedTokens:     u.CachedTokens,
		ReasoningTokens:  u.ReasoningTokens,
		Estimated:        u.Estimated,
	}
}

type cost struct {
	Currency string        `json:"currency" example:"USD"`
	Input    llmgate.Money `json:"input" doc:"Exact decimal amount."`
	Output   llmgate.Money `json:"output" doc:"Exact decimal amount."`
	Total    llmgate.Money `json:"total" doc:"Exact decimal amount."`
}

func costOf(c *llmgate.Cost) *cost {
	if c == nil {
		return nil
	}
	return &cost{Currency: c.Currency, Input: c.Input, Output: c.Output, Total: c.Total}
}

type outMessage struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	ToolCalls []toolCall `json:"toolCalls,omitempty"`
}

type chatResponse struct {
	ID           string       `json:"id"`
	Provider     string       `json:"provider"`
	Model        string       `json:"model"`
	Deployment   string       `json:"deployment" doc:"The deployment (region) that answered."`
	Attempts     int          `json:"attempts" doc:"Upstream calls made, failed ones included."`
	FinishReason string       `json:"finishReason" doc:"Why the (first) answer ended: stop, length, tool_calls, content_filter."`
	Usage        usage        `json:"usage"`
	Messages     []outMessage `json:"messages"`
	Cost         *cost        `json:"cost" doc:"Null when the model has no price in the catalog."`

	// cost and one hold Cost and the one message of the usual answer, so
	// that a response is one allocation.
	cost cost
	one  [1]outMessage
}

type embeddingRequest struct {
	Provider providerRef     `json:"provider"`
	Prompt   embeddingPrompt `json:"prompt"`
}

type embeddingPrompt struct {
	Input     input               `json:"input" doc:"A string or an array of strings."`
	Parameter *embeddingParameter `json:"parameter,omitempty"`
}

type embeddingParameter struct {
	Dimensions *int   `json:"dimensions,omitempty" minimum:"1"`
	User       string `json:"user,omitempty"`
}

type embedding struct {
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

type embeddingResponse struct {
	Provider   string      `json:"provider"`
	Model      string      `json:"model"`
	Deployment string      `json:"deployment"`
	Attempts   int         `json:"attempts"`
	Data       []embedding `json:"data"`
	Usage      usage       `json:"usage"`
	Cost       *cost       `json:"cost"`
}

type imageRequest struct {
	Provider providerRef `json:"provider"`
	Prompt   imagePrompt `json:"prompt"`
}

type imagePrompt struct {
	Message   string          `json:"message" minLength:"1"`
	Parameter *imageParameter `json:"parameter,omitempty"`
}

type imageParameter struct {
	N              int    `json:"n,omitempty" minimum:"1" maximum:"10"`
	Size           string `json:"size,omitempty" example:"1024x1024"`
	Quality        string `json:"quality,omitempty" example:"standard"`
	Style          string `json:"style,omitempty" example:"vivid"`
	ResponseFormat string `json:"responseFormat,omitempty" enum:"url,b64_json"`
	User           string `json:"user,omitempty"`
}

type image struct {
	URL           string `json:"url,omitempty"`
	B64JSON       string `json:"b64Json,omitempty"`
	RevisedPrompt string `json:"revisedPrompt,omitempty"`
}

type imageResponse struct {
	Provider   string  `json:"provider"`
	Model      string  `json:"model"`
	Deployment string  `json:"deployment"`
	Attempts   int     `json:"attempts"`
	Data       []image `json:"data"`
	Cost       *cost   `json:"cost"`
}

// Schema describes content in the OpenAPI document: a string or parts.
func (content) Schema(r huma.Registry) *huma.Schema {
	return &huma.Schema{
		Description: "The message text, or an array of text and image_url parts (vision models).",
		OneOf: []*huma.Schema{
			{Type: "string"},
			{Type: "array", Items: r.Schema(reflect.TypeOf(contentPart{}), true, "")},
		},
	}
}

// Schema describes stopList in the OpenAPI document.
func (stopList) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{
		{Type: "string"},
		{Type: "array", Items: &huma.Schema{Type: "string"}, MaxItems: ptr(4)},
	}}
}

// Schema describes input in the OpenAPI document.
func (input) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{
		{Type: "string"},
		{Type: "array", Items: &huma.Schema{Type: "string"}, MinItems: ptr(1)},
	}}
}
