package mock

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

func chatReq(text string) *llmgate.ChatRequest {
	return &llmgate.ChatRequest{Provider: "mock", Model: "mock-chat", Messages: []llmgate.Message{
		{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("be kind")}},
		{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(text)}},
	}}
}

func TestChatIsDeterministic(t *testing.T) {
	c := New(Config{})
	a, err := c.Chat(context.Background(), chatReq("hello there"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Chat(context.Background(), chatReq("hello there"))
	if got := a.Choices[0].Message.Text(); got != "Mock reply to: hello there" {
		t.Errorf("reply %q", got)
	}
	if a.ID != b.ID || a.Choices[0].Message.Text() != b.Choices[0].Message.Text() {
		t.Error("two identical requests got different answers")
	}
	want := llmgate.Usage{PromptTokens: 4, CompletionTokens: 5, TotalTokens: 9}
	if a.Usage != want {
		t.Errorf("usage %+v, want %+v", a.Usage, want)
	}
}

func TestChatConfiguredCountsAndLimits(t *testing.T) {
	c := New(Config{Reply: "one two three four", PromptTokens: 100, CompletionTokens: 7})
	req := chatReq("x")
	two := 2
	req.Params.MaxTokens = &two
	n := 3
	req.Params.N = &n
	r, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Choices) != 3 || r.Choices[2].Message.Text() != "one two" || r.FinishReason() != llmgate.FinishLength {
		t.Errorf("choices %+v", r.Choices)
	}
	if r.Usage.PromptTokens != 100 || r.Usage.CompletionTokens != 21 {
		t.Errorf("usage %+v", r.Usage)
	}
}

func TestChatForcedTool(t *testing.T) {
	req := chatReq("weather?")
	req.Params.Tools = []llmgate.Tool{{Name: "get_weather"}}
	req.Params.ToolChoice = &llmgate.ToolChoice{Mode: "required"}
	r, err := New(Config{}).Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if r.FinishReason() != llmgate.FinishToolCalls || r.Choices[0].Message.ToolCalls[0].Name != "get_weather" {
		t.Errorf("choice %+v", r.Choices[0])
	}
}

func TestStream(t *testing.T) {
	st, err := New(Config{Reply: "a b c"}).ChatStream(context.Background(), chatReq("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var text strings.Builder
	var finish llmgate.FinishReason
	var usage *llmgate.Usage
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ch.Deltas {
			text.WriteString(d.Content)
			if d.FinishReason != "" {
				finish = d.FinishReason
			}
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	if text.String() != "a b c" || finish != llmgate.FinishStop || usage == nil || usage.CompletionTokens != 3 {
		t.Errorf("text %q finish %q usage %+v", text.String(), finish, usage)
	}
}

func TestStreamCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := New(Config{Reply: "a b c", ChunkDelay: time.Hour}).ChatStream(ctx, chatReq("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = st.Recv()
	if llmgate.ErrorCodeOf(err) != llmgate.EClientClosed {
		t.Errorf("Recv after cancel: %v", err)
	}
}

func TestLatencyHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Config{Latency: time.Hour}).Chat(ctx, chatReq("x"))
	if llmgate.ErrorCodeOf(err) != llmgate.EClientClosed {
		t.Errorf("err %v", err)
	}
}

func TestEmbed(t *testing.T) {
	c := New(Config{})
	r, err := c.Embed(context.Background(), &llmgate.EmbeddingRequest{Input: []string{"a cat", "a dog", "a cat"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data) != 3 || len(r.Data[0].Vector) != 8 || r.Usage.PromptTokens != 6 {
		t.Fatalf("response %+v", r)
	}
	var norm float64
	for i, v := range r.Data[0].Vector {
		norm += v * v
		if v != r.Data[2].Vector[i] {
			t.Error("same text, different vector")
		}
	}
	if math.Abs(norm-1) > 1e-9 {
		t.Errorf("norm %v", norm)
	}
	dims := 3
	r, _ = c.Embed(context.Background(), &llmgate.EmbeddingRequest{Input: []string{"x"}, Dimensions: &dims})
	if len(r.Data[0].Vector) != 3 {
		t.Errorf("dimensions ignored")
	}
}

func TestImages(t *testing.T) {
	c := New(Config{})
	r, err := c.GenerateImage(context.Background(), &llmgate.ImageRequest{Prompt: "cat", N: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data) != 2 || !strings.HasPrefix(r.Data[1].URL, "https://mock.llm-gate.invalid/image.png") {
		t.Errorf("data %+v", r.Data)
	}
	r, _ = c.GenerateImage(context.Background(), &llmgate.ImageRequest{Prompt: "cat", ResponseFormat: "b64_json"})
	png, err := base64.StdEncoding.DecodeString(r.Data[0].B64JSON)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("b64 image is not a PNG: %v", err)
	}
}
