package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// family is one provider family behind the gateway, with its fake upstream.
type family struct {
	name string
	// model is the chat model, "provider/model" from the catalog.
	model string
	// deployment is the name under which /v1/health lists the deployment.
	deployment string
	// embedding and image are the family's models of those kinds, "" when
	// it has none.
	embedding, image string
	// jsonObject says the family honours response_format json_object; the
	// others must refuse it with the code unsupported.
	jsonObject bool
	// secret is the credential that must never reach a client.
	secret string
	wire   wire
	env    func(url string) []string
}

// Credentials of the fake upstreams; each holds SECRET so that any leak is
// easy to find.
const (
	famAzureKey     = "azure-fam-SECRET-9d2f"
	famOpenAIKey    = "sk-fam-SECRET-openai-4c1a"
	famAnthropicKey = "sk-ant-fam-SECRET-7e3b"
	famGeminiKey    = "AIza-fam-SECRET-gemini-2b8c"
	famAWSKeyID     = "AKIAFAMEXAMPLE0000001"
	famAWSSecret    = "fam/SECRET/bedrock+wJalrXUtnFEMIK7MDENG"
	famMistralKey   = "mistral-fam-SECRET-5a0e"
)

func families() []family {
	return []family{
		{name: "azure_openai", model: "azure_openai/gpt-4o", deployment: "azure_openai/east_us", embedding: "azure_openai/text-embedding-ada-002", image: "azure_openai/dall-e-3",
			jsonObject: true, secret: famAzureKey, wire: openAIWire{key: famAzureKey, azure: true},
			env: func(u string) []string {
				return []string{"AZURE_OPENAI_EAST_US_ENDPOINT=" + u, "AZURE_OPENAI_EAST_US_API_KEY=" + famAzureKey}
			}},
		{name: "openai", model: "openai/gpt-4o", deployment: "openai/default", embedding: "openai/text-embedding-3-small", image: "openai/dall-e-3",
			jsonObject: true, secret: famOpenAIKey, wire: openAIWire{key: famOpenAIKey},
			env: func(u string) []string {
				return []string{"OPENAI_API_KEY=" + famOpenAIKey, "OPENAI_BASE_URL=" + u + "/v1"}
			}},
		{name: "anthropic", model: "anthropic/claude-haiku-4-5", deployment: "anthropic/default",
			secret: famAnthropicKey, wire: anthropicWire{key: famAnthropicKey},
			env: func(u string) []string {
				return []string{"ANTHROPIC_API_KEY=" + famAnthropicKey, "ANTHROPIC_BASE_URL=" + u}
			}},
		{name: "gemini", model: "gemini/gemini-2.5-flash", deployment: "gemini/default", embedding: "gemini/gemini-embedding-001",
			jsonObject: true, secret: famGeminiKey, wire: geminiWire{key: famGeminiKey},
			env: func(u string) []string { return []string{"GEMINI_API_KEY=" + famGeminiKey, "GEMINI_BASE_URL=" + u} }},
		{name: "bedrock", model: "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0", deployment: "bedrock/us-east-1",
			secret: famAWSSecret, wire: bedrockWire{keyID: famAWSKeyID, secret: famAWSSecret},
			env: func(u string) []string {
				return []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=" + famAWSKeyID, "AWS_SECRET_ACCESS_KEY=" + famAWSSecret, "BEDROCK_BASE_URL=" + u}
			}},
		{name: "mistral", model: "mistral/mistral-small-latest", deployment: "mistral/default", embedding: "mistral/mistral-embed",
			jsonObject: true, secret: famMistralKey, wire: openAIWire{key: famMistralKey},
			env: func(u string) []string {
				return []string{"MISTRAL_API_KEY=" + famMistralKey, "MISTRAL_BASE_URL=" + u + "/v1"}
			}},
	}
}

// familyEnv is what a feature test gets: the family, the gateway and the
// two official SDK clients pointed at it.
type familyEnv struct {
	f   family
	g   *testGateway
	oa  openai.Client
	an  anthropic.Client
	ctx context.Context
}

// familyFeature is one column of the family × feature table.
type familyFeature struct {
	name string
	// applies says whether the family has the feature; nil means all do.
	applies func(f family) bool
	run     func(t *testing.T, e *familyEnv)
}

// familyFeatures is the table's columns, in the order they run for each
// family. The rate-limit tests come last: a 429 keeps the family's only
// deployment out of rotation for its Retry-After.
var familyFeatures = []familyFeature{
	{name: "openai-go/plain", run: oaPlain},
	{name: "openai-go/stream", run: oaStream},
	{name: "openai-go/tools", run: oaTools},
	{name: "openai-go/tools_stream", run: oaToolsStream},
	{name: "openai-go/vision", run: oaVision},
	{name: "openai-go/json_schema", run: oaJSONSchema},
	{name: "openai-go/json_object", run: oaJSONObject},
	{name: "openai-go/embeddings", applies: func(f family) bool { return f.embedding != "" }, run: oaEmbeddings},
	{name: "openai-go/images", applies: func(f family) bool { return f.image != "" }, run: oaImages},
	{name: "openai-go/error_401", run: oaError(401, 502, "upstream_auth")},
	{name: "openai-go/error_404", run: oaError(404, 502, "upstream_not_found")},
	{name: "openai-go/error_500", run: oaError(500, 502, "upstream_error")},
	{name: "openai-go/stream_cut", run: oaStreamCut},
	{name: "anthropic-sdk/plain", run: anPlain},
	{name: "anthropic-sdk/stream", run: anStream},
	{name: "anthropic-sdk/tools", run: anTools},
	{name: "anthropic-sdk/tools_stream", run: anToolsStream},
	{name: "anthropic-sdk/vision", run: anVision},
	{name: "anthropic-sdk/error_401", run: anError(401, 502)},
	{name: "anthropic-sdk/error_404", run: anError(404, 502)},
	{name: "anthropic-sdk/error_500", run: anError(500, 502)},
	{name: "anthropic-sdk/stream_cut", run: anStreamCut},
	{name: "openai-go/error_429", run: oaError(429, 429, "rate_limited")},
	{name: "anthropic-sdk/error_429", run: anError(429, 429)},
}

// TestSDKFamilies drives the gateway with the official openai-go and
// anthropic-sdk-go clients against a fake upstream of every provider
// family, feature by feature.
func TestSDKFamilies(t *testing.T) {
	fams := families()
	var env []string
	for i := range fams {
		env = append(env, fams[i].env(newFake(t, fams[i].wire).URL)...)
	}
	// Retries stay (three attempts) but wait little, and no number of
	// failures opens a breaker, so that the error scenarios cannot disturb
	// the ones that follow them.
	cfg := filepath.Join(t.TempDir(), "llmgate.yaml")
	if err := os.WriteFile(cfg, []byte("routing:\n  maxAttempts: 3\n  backoffBase: 1ms\n  backoffMax: 50ms\n  failureThreshold: 1000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, []string{"--config", cfg}, env)
	oa := openai.NewClient(option.WithBaseURL(g.base+"/openai/v1/"), option.WithAPIKey("any"), option.WithMaxRetries(0))
	an := anthropic.NewClient(anthropicoption.WithBaseURL(g.base+"/anthropic/"), anthropicoption.WithAPIKey("any"), anthropicoption.WithMaxRetries(0))

	t.Run("matrix", func(t *testing.T) {
		for _, f := range fams {
			t.Run(f.name, func(t *testing.T) {
				t.Parallel()
				e := &familyEnv{f: f, g: g, oa: oa, an: an, ctx: context.Background()}
				for _, ft := range familyFeatures {
					if ft.applies != nil && !ft.applies(f) {
						continue
					}
					t.Run(ft.name, func(t *testing.T) { ft.run(t, e) })
				}
			})
		}
	})

	g.stop()
	logs := g.logs.String()
	for _, f := range fams {
		if strings.Contains(logs, f.secret) {
			t.Errorf("the %s credential leaked into the logs", f.name)
		}
	}
}

// noSecret fails when s holds the family's credential.
func (e *familyEnv) noSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, e.f.secret) || strings.Contains(s, "SECRET") {
		t.Errorf("%s holds the %s credential: %s", what, e.f.name, s)
	}
}

// waitNotRateLimited polls /v1/health until the family's deployment takes
// traffic again after an earlier 429.
func (e *familyEnv) waitNotRateLimited(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var h struct {
			Providers []struct {
				Deployments []struct {
					Name             string
					RateLimitedUntil *time.Time
				}
			}
		}
		got := e.g.do(t, "GET", "/v1/health", "")
		if err := json.Unmarshal(got.body, &h); err != nil {
			t.Fatalf("health: %v: %s", err, got.body)
		}
		cooling, found := false, false
		for _, p := range h.Providers {
			for _, d := range p.Deployments {
				if d.Name == e.f.deployment {
					found = true
					cooling = d.RateLimitedUntil != nil && time.Now().Before(*d.RateLimitedUntil)
				}
			}
		}
		if !found {
			t.Fatalf("health lists no deployment %s: %s", e.f.deployment, got.body)
		}
		if !cooling {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still rate limited after 10s", e.f.deployment)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var a, b any
	if json.Unmarshal([]byte(got), &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        toolName,
		Description: openai.String("Current weather of a city."),
		Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
	})
}

func oaPlain(t *testing.T, e *familyEnv) {
	resp, err := e.oa.Chat.Completions.New(e.ctx, openai.ChatCompletionNewParams{
		Model:    e.f.model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("say hello")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Choices[0]
	if c.Message.Content != helloText || c.FinishReason != "stop" || resp.Usage.PromptTokens != 21 || resp.Usage.CompletionTokens != 7 || resp.Model != e.f.model {
		t.Errorf("response %s", resp.RawJSON())
	}
}

func oaStream(t *testing.T, e *familyEnv) {
	stream := e.oa.Chat.Completions.NewStreaming(e.ctx, openai.ChatCompletionNewParams{
		Model:         e.f.model,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("say hello")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if chunks < 3 || len(acc.Choices) != 1 || acc.Choices[0].Message.Content != helloText || acc.Choices[0].FinishReason != "stop" || acc.Usage.CompletionTokens != 7 {
		t.Errorf("%d chunks, accumulated %+v", chunks, acc.ChatCompletion)
	}
}

func oaTools(t *testing.T, e *familyEnv) {
	params := openai.ChatCompletionNewParams{
		Model:      e.f.model,
		Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
		Tools:      []openai.ChatCompletionToolUnionParam{weatherTool()},
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
	}
	resp, err := e.oa.Chat.Completions.New(e.ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].ID == "" || calls[0].Function.Name != toolName || !sameJSON(t, calls[0].Function.Arguments, toolArgs) || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool calls %s", resp.RawJSON())
	}
	params.Messages = append(params.Messages, resp.Choices[0].Message.ToParam(), openai.ToolMessage(`{"`+resultMarker+`":21}`, calls[0].ID))
	params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}
	resp, err = e.oa.Chat.Completions.New(e.ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != toolAnswer {
		t.Errorf("answer to the tool result: %s", resp.RawJSON())
	}
}

func oaToolsStream(t *testing.T, e *familyEnv) {
	stream := e.oa.Chat.Completions.NewStreaming(e.ctx, openai.ChatCompletionNewParams{
		Model:      e.f.model,
		Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
		Tools:      []openai.ChatCompletionToolUnionParam{weatherTool()},
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
	})
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("accumulated %+v", acc.ChatCompletion)
	}
	calls := acc.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].ID == "" || calls[0].Function.Name != toolName || !sameJSON(t, calls[0].Function.Arguments, toolArgs) || acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("streamed tool call %+v, finish %q", calls, acc.Choices[0].FinishReason)
	}
}

func oaVision(t *testing.T, e *familyEnv) {
	resp, err := e.oa.Chat.Completions.New(e.ctx, openai.ChatCompletionNewParams{
		Model: e.f.model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart(imageWord),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64," + onePixelPNG}),
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != imageAnswer {
		t.Errorf("the image did not reach the upstream: %s", resp.RawJSON())
	}
}

func oaJSONSchema(t *testing.T, e *familyEnv) {
	resp, err := e.oa.Chat.Completions.New(e.ctx, openai.ChatCompletionNewParams{
		Model:    e.f.model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("capital of France? " + jsonWord)},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
			Name:   "city",
			Strict: openai.Bool(true),
			Schema: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}, "additionalProperties": false},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, resp.Choices[0].Message.Content, jsonAnswer) {
		t.Errorf("JSON answer: %s", resp.RawJSON())
	}
}

func oaJSONObject(t *testing.T, e *familyEnv) {
	resp, err := e.oa.Chat.Completions.New(e.ctx, openai.ChatCompletionNewParams{
		Model:          e.f.model,
		Messages:       []openai.ChatCompletionMessageParamUnion{openai.UserMessage("capital of France? " + jsonWord)},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
	})
	if !e.f.jsonObject {
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "unsupported" || !strings.Contains(apiErr.Message, "json_object") {
			t.Errorf("json_object must be refused with a clear unsupported error, got %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, resp.Choices[0].Message.Content, jsonAnswer) {
		t.Errorf("JSON answer: %s", resp.RawJSON())
	}
}

func oaEmbeddings(t *testing.T, e *familyEnv) {
	for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
		resp, err := e.oa.Embeddings.New(e.ctx, openai.EmbeddingNewParams{
			Model:          e.f.embedding,
			Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a cat", "a dog"}},
			EncodingFormat: format,
		})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(resp.Data) != 2 || len(resp.Data[1].Embedding) != 3 || resp.Data[1].Embedding[0] != 0.25 || resp.Data[1].Embedding[2] != 1 {
			t.Errorf("%s embeddings %s", format, resp.RawJSON())
		}
	}
}

func oaImages(t *testing.T, e *familyEnv) {
	resp, err := e.oa.Images.Generate(e.ctx, openai.ImageGenerateParams{Prompt: "A cat wearing a hat", Model: openai.ImageModel(e.f.image), Size: "1024x1024"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 1 || resp.Data[0].URL != "https://example.com/fake_image.png" {
		t.Errorf("images %s", resp.RawJSON())
	}
}

// oaError asks the upstream for an error of status upstream and checks the
// gateway's OpenAI-shaped answer.
func oaError(upstream, status int, code string) func(t *testing.T, e *familyEnv) {
	return func(t *testing.T, e *familyEnv) {
		if upstream == 429 {
			e.waitNotRateLimited(t)
		}
		_, err := e.oa.Chat.Completions.New(e.ctx, openai.ChatCompletionNewParams{
			Model:    e.f.model,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(failWord + itoa(upstream))},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("error %v, want an API error", err)
		}
		if apiErr.StatusCode != status || apiErr.Code != code {
			t.Errorf("status %d code %q, want %d %q: %s", apiErr.StatusCode, apiErr.Code, status, code, apiErr.RawJSON())
		}
		e.noSecret(t, "the error", apiErr.RawJSON()+err.Error())
		if upstream == 429 && apiErr.Response.Header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want the upstream's 1", apiErr.Response.Header.Get("Retry-After"))
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func oaStreamCut(t *testing.T, e *familyEnv) {
	stream := e.oa.Chat.Completions.NewStreaming(e.ctx, openai.ChatCompletionNewParams{
		Model:    e.f.model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("say hello, " + cutWord)},
	})
	var text strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	err := stream.Err()
	if err == nil {
		t.Fatalf("a stream cut upstream ended cleanly after %q", text.String())
	}
	if text.Len() == 0 || !strings.HasPrefix(helloText, text.String()) {
		t.Errorf("text before the cut %q", text.String())
	}
	e.noSecret(t, "the stream error", err.Error())
}

func anWeatherTool() anthropic.ToolUnionParam {
	return anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{
		Name:        toolName,
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"}},
	}}
}

func anPlain(t *testing.T, e *familyEnv) {
	msg, err := e.an.Messages.New(e.ctx, anthropic.MessageNewParams{
		Model: anthropic.Model(e.f.model), MaxTokens: 100,
		System:   []anthropic.TextBlockParam{{Text: "be brief"}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("say hello"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != helloText || msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.InputTokens != 21 || msg.Usage.OutputTokens != 7 {
		t.Errorf("message %s", msg.RawJSON())
	}
}

func anStream(t *testing.T, e *familyEnv) {
	stream := e.an.Messages.NewStreaming(e.ctx, anthropic.MessageNewParams{
		Model: anthropic.Model(e.f.model), MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("say hello"))},
	})
	var msg anthropic.Message
	events := 0
	for stream.Next() {
		events++
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if events < 6 || len(msg.Content) != 1 || msg.Content[0].Text != helloText || msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.OutputTokens != 7 {
		t.Errorf("%d events, accumulated %+v", events, msg)
	}
}

func anTools(t *testing.T, e *familyEnv) {
	params := anthropic.MessageNewParams{
		Model: anthropic.Model(e.f.model), MaxTokens: 100,
		Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))},
		Tools:      []anthropic.ToolUnionParam{anWeatherTool()},
		ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
	}
	msg, err := e.an.Messages.New(e.ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || msg.Content[0].ID == "" ||
		msg.Content[0].Name != toolName || !sameJSON(t, string(msg.Content[0].Input), toolArgs) {
		t.Fatalf("message %s", msg.RawJSON())
	}
	params.Messages = append(params.Messages, msg.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(msg.Content[0].ID, `{"`+resultMarker+`":21}`, false)))
	params.ToolChoice = anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{}}
	msg, err = e.an.Messages.New(e.ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != toolAnswer {
		t.Errorf("answer to the tool result: %s", msg.RawJSON())
	}
}

func anToolsStream(t *testing.T, e *familyEnv) {
	stream := e.an.Messages.NewStreaming(e.ctx, anthropic.MessageNewParams{
		Model: anthropic.Model(e.f.model), MaxTokens: 100,
		Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))},
		Tools:      []anthropic.ToolUnionParam{anWeatherTool()},
		ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
	})
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 || msg.Content[0].Name != toolName || !sameJSON(t, string(msg.Content[0].Input), toolArgs) {
		t.Errorf("streamed tool use %+v", msg)
	}
}

func anVision(t *testing.T, e *familyEnv) {
	msg, err := e.an.Messages.New(e.ctx, anthropic.MessageNewParams{
		Model: anthropic.Model(e.f.model), MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(imageWord), anthropic.NewImageBlockBase64("image/png", onePixelPNG))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != imageAnswer {
		t.Errorf("the image did not reach the upstream: %s", msg.RawJSON())
	}
}

// anError asks the upstream for an error of status upstream and checks the
// gateway's Anthropic-shaped answer.
func anError(upstream, status int) func(t *testing.T, e *familyEnv) {
	return func(t *testing.T, e *familyEnv) {
		if upstream == 429 {
			e.waitNotRateLimited(t)
		}
		_, err := e.an.Messages.New(e.ctx, anthropic.MessageNewParams{
			Model: anthropic.Model(e.f.model), MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(failWord + itoa(upstream)))},
		})
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("error %v, want an API error", err)
		}
		if apiErr.StatusCode != status {
			t.Errorf("status %d, want %d: %s", apiErr.StatusCode, status, apiErr.RawJSON())
		}
		e.noSecret(t, "the error", apiErr.RawJSON()+err.Error())
		if upstream == 429 && apiErr.Response.Header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want the upstream's 1", apiErr.Response.Header.Get("Retry-After"))
		}
	}
}

func anStreamCut(t *testing.T, e *familyEnv) {
	stream := e.an.Messages.NewStreaming(e.ctx, anthropic.MessageNewParams{
		Model: anthropic.Model(e.f.model), MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("say hello, " + cutWord))},
	})
	var text strings.Builder
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "content_block_delta" {
			text.WriteString(ev.Delta.Text)
		}
	}
	err := stream.Err()
	if err == nil {
		t.Fatalf("a stream cut upstream ended cleanly after %q", text.String())
	}
	if text.Len() == 0 || !strings.HasPrefix(helloText, text.String()) {
		t.Errorf("text before the cut %q", text.String())
	}
	e.noSecret(t, "the stream error", err.Error())
}
