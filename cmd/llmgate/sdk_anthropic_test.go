package main

import (
	"context"
	"errors"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// onePixelPNG is a 1×1 PNG, base64.
const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// TestAnthropicSDK points the official anthropic-sdk-go client at the
// gateway's Anthropic surface, with OpenAI-family providers behind it.
func TestAnthropicSDK(t *testing.T) {
	up := fakeUpstream(t)
	g := startGateway(t, []string{"--mock"}, []string{
		"AZURE_OPENAI_EAST_US_ENDPOINT=" + up.URL,
		"AZURE_OPENAI_EAST_US_API_KEY=" + azureKey,
	})
	client := anthropic.NewClient(option.WithBaseURL(g.base+"/anthropic/"), option.WithAPIKey("any"), option.WithMaxRetries(0))
	ctx := context.Background()

	t.Run("message", func(t *testing.T) {
		msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
			Model:     "mock/mock-chat",
			MaxTokens: 100,
			System:    []anthropic.TextBlockParam{{Text: "be brief"}},
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello there"))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 1 || msg.Content[0].Text != "Mock reply to: hello there" || msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.OutputTokens != 5 {
			t.Errorf("message %+v", msg)
		}
	})
	t.Run("azure behind the Anthropic API", func(t *testing.T) {
		msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
			Model: "azure_openai/gpt-4o", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if msg.Content[0].Text != "Hello from upstream" || msg.Usage.InputTokens != 1000 {
			t.Errorf("message %+v", msg)
		}
	})
	t.Run("stream", func(t *testing.T) {
		stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{
			Model: "mock/mock-chat", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("tell me a story"))},
		})
		var msg anthropic.Message
		var types []string
		for stream.Next() {
			ev := stream.Current()
			types = append(types, ev.Type)
			if err := msg.Accumulate(ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if msg.Content[0].Text != "Mock reply to: tell me a story" || msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.OutputTokens != 7 || msg.Usage.InputTokens != 4 {
			t.Errorf("accumulated %+v", msg)
		}
		want := []string{"message_start", "content_block_start"}
		if len(types) < 6 || types[0] != want[0] || types[1] != want[1] || types[len(types)-3] != "content_block_stop" || types[len(types)-2] != "message_delta" || types[len(types)-1] != "message_stop" {
			t.Errorf("event sequence %v", types)
		}
	})
	t.Run("tools", func(t *testing.T) {
		params := anthropic.MessageNewParams{
			Model: "mock/mock-chat", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))},
			Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
				Name:        "get_weather",
				InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}},
			}}},
			ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
		}
		msg, err := client.Messages.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || msg.Content[0].Name != "get_weather" {
			t.Fatalf("message %+v", msg)
		}
		params.Messages = append(params.Messages, msg.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(msg.Content[0].ID, `{"temp":21}`, false)))
		params.ToolChoice = anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{}}
		if _, err := client.Messages.New(ctx, params); err != nil {
			t.Fatal(err)
		}
		params.Messages = params.Messages[:1]
		params.ToolChoice = anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}}
		stream := client.Messages.NewStreaming(ctx, params)
		var acc anthropic.Message
		for stream.Next() {
			if err := acc.Accumulate(stream.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Err(); err != nil || acc.StopReason != anthropic.StopReasonToolUse || acc.Content[0].Name != "get_weather" || string(acc.Content[0].Input) != "{}" {
			t.Errorf("streamed tool use: %v %+v", err, acc)
		}
	})
	t.Run("image", func(t *testing.T) {
		msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
			Model: "mock/mock-chat", MaxTokens: 100,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("what is this?"), anthropic.NewImageBlockBase64("image/png", onePixelPNG))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if msg.Usage.InputTokens < 85 {
			t.Errorf("the image did not reach the provider: %+v", msg.Usage)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			model, text string
			status      int
		}{
			{"mock/nope", "hi", 404},
			{"azure_openai/gpt-4o", "please rate limit", 429},
		} {
			_, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(tt.model), MaxTokens: 10,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(tt.text))}})
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Errorf("%s: %v", tt.model, err)
			}
		}
		_, err := client.Messages.New(ctx, anthropic.MessageNewParams{Model: "mock/mock-chat", MaxTokens: 10, TopK: anthropic.Int(5),
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))}})
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
			t.Errorf("top_k must be refused, not dropped: %v", err)
		}
	})
}
