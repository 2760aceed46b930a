package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// TestOpenAISDK points the official openai-go client at the gateway and
// changes nothing else.
func TestOpenAISDK(t *testing.T) {
	up := fakeUpstream(t)
	g := startGateway(t, []string{"--mock"}, []string{
		"AZURE_OPENAI_EAST_US_ENDPOINT=" + up.URL,
		"AZURE_OPENAI_EAST_US_API_KEY=" + azureKey,
	})
	client := openai.NewClient(option.WithBaseURL(g.base+"/openai/v1/"), option.WithAPIKey("any"), option.WithMaxRetries(0))
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:       "mock/mock-chat",
			Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello there")},
			Temperature: openai.Float(0.2),
			Seed:        openai.Int(7),
			Stop:        openai.ChatCompletionNewParamsStopUnion{OfString: openai.String("END")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != "Mock reply to: hello there" || resp.Choices[0].FinishReason != "stop" || resp.Usage.TotalTokens == 0 || resp.Model != "mock/mock-chat" {
			t.Errorf("response %+v", resp)
		}
	})
	t.Run("azure chat by bare model name", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:    "gpt-4",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != "Hello from upstream" || resp.Usage.PromptTokens != 1000 {
			t.Errorf("response %+v", resp)
		}
	})
	t.Run("stream", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:         "mock/mock-chat",
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("tell me a story")},
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
		if chunks < 5 || acc.Choices[0].Message.Content != "Mock reply to: tell me a story" || acc.Choices[0].FinishReason != "stop" || acc.Usage.CompletionTokens != 7 {
			t.Errorf("%d chunks, accumulated %+v", chunks, acc.ChatCompletion)
		}
	})
	t.Run("tools", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model:    "mock/mock-chat",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name:       "get_weather",
				Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
			})},
			ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
		}
		resp, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		calls := resp.Choices[0].Message.ToolCalls
		if len(calls) != 1 || calls[0].Function.Name != "get_weather" || resp.Choices[0].FinishReason != "tool_calls" {
			t.Fatalf("tool calls %+v", resp.Choices[0])
		}
		// The tool result goes back as a tool message.
		params.Messages = append(params.Messages, resp.Choices[0].Message.ToParam(), openai.ToolMessage(`{"temp":21}`, calls[0].ID))
		params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}
		if _, err := client.Chat.Completions.New(ctx, params); err != nil {
			t.Fatal(err)
		}
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: params.Model, Messages: params.Messages[:1], Tools: params.Tools,
			ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}})
		acc := openai.ChatCompletionAccumulator{}
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].Message.ToolCalls[0].Function.Name != "get_weather" {
			t.Errorf("streamed tool call: %v %+v", err, acc.Choices)
		}
	})
	t.Run("vision and JSON mode", func(t *testing.T) {
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "mock/mock-chat",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("what is this?"),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/cat.png", Detail: "low"}),
			})},
			ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Usage.PromptTokens < 85 {
			t.Errorf("the image did not reach the provider: %+v", resp.Usage)
		}
	})
	t.Run("embeddings", func(t *testing.T) {
		resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model:      "mock/mock-embedding",
			Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a cat", "a dog"}},
			Dimensions: openai.Int(4),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 2 || len(resp.Data[1].Embedding) != 4 || resp.Usage.PromptTokens != 4 {
			t.Errorf("embeddings %+v", resp)
		}
		// The SDK asks for base64 unless told otherwise; ask explicitly too.
		resp, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model:          "mock/mock-embedding",
			Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a cat")},
			EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
		})
		if err != nil || len(resp.Data) != 1 {
			t.Fatalf("base64 embeddings: %v %+v", err, resp)
		}
	})
	t.Run("images", func(t *testing.T) {
		resp, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "A cat wearing a hat", Model: "azure_openai/dall-e-3", Size: "1792x1024", Quality: "hd"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Data[0].URL != "https://example.com/generated_image.png" {
			t.Errorf("images %+v", resp)
		}
	})
	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range page.Data {
			ids[m.ID] = true
		}
		if !ids["mock/mock-chat"] || !ids["azure_openai/gpt-4o"] || ids["openai/gpt-4o"] {
			t.Errorf("models %v (openai has no key and must not be listed)", ids)
		}
		m, err := client.Models.Get(ctx, "mock/mock-chat")
		if err != nil || m.ID != "mock/mock-chat" {
			t.Errorf("get model: %v %+v", err, m)
		}
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			model, text string
			status      int
			code        string
		}{
			{"mock/nope", "hi", 404, "model_not_found"},
			{"openai/gpt-4o", "hi", 503, "provider_not_configured"},
			{"azure_openai/gpt-4o", "please rate limit", 429, "rate_limited"},
		}
		for _, tt := range tests {
			_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: tt.model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(tt.text)}})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.Code != tt.code {
				t.Errorf("%s: %v", tt.model, err)
				continue
			}
			if tt.status == 429 && apiErr.Response.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q", apiErr.Response.Header.Get("Retry-After"))
			}
		}
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "mock/mock-chat", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}, LogitBias: map[string]int64{"1": 1}})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "logit_bias") {
			t.Errorf("unsupported parameter: %v", err)
		}
	})
}
