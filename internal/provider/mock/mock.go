// Package mock is a deterministic built-in provider. It answers chat,
// streaming chat, embeddings and images without any network call, so that a
// newcomer can see the whole flow of the gateway without a key, and so that
// load tests measure the gateway rather than a provider.
package mock

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
)

// Config sets the mock's behaviour. The zero Config answers at once, echoes
// the prompt and counts one token per word.
type Config struct {
	// Latency is waited before each answer (before the first chunk of a stream).
	Latency time.Duration
	// ChunkDelay is waited between the chunks of a stream.
	ChunkDelay time.Duration
	// PromptTokens, when positive, is reported instead of counting prompt words.
	PromptTokens int
	// CompletionTokens, when positive, is reported instead of counting reply words.
	CompletionTokens int
	// Reply, when not empty, is the answer to every chat; otherwise the
	// answer echoes the last user message.
	Reply string
	// EmbeddingDimensions is the length of vectors; zero means 8.
	EmbeddingDimensions int
	// ImageURL is the address returned for each image; empty means
	// "https://mock.llm-gate.invalid/image.png".
	ImageURL string
}

// Client is the mock provider. It is safe for concurrent use.
type Client struct {
	cfg Config
}

var (
	_ llmgate.Chatter        = (*Client)(nil)
	_ llmgate.ChatStreamer   = (*Client)(nil)
	_ llmgate.Embedder       = (*Client)(nil)
	_ llmgate.ImageGenerator = (*Client)(nil)
)

// New returns a mock provider.
func New(cfg Config) *Client {
	if cfg.EmbeddingDimensions <= 0 {
		cfg.EmbeddingDimensions = 8
	}
	if cfg.ImageURL == "" {
		cfg.ImageURL = "https://mock.llm-gate.invalid/image.png"
	}
	return &Client{cfg: cfg}
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	if err := ctx.Err(); err != nil {
		return &llmgate.Error{Code: llmgate.EClientClosed, Message: "request cancelled", Provider: "mock", Err: err}
	}
	return nil
}

// answer computes the deterministic reply words and finish reason.
func (c *Client) answer(req *llmgate.ChatRequest) (words []string, finish llmgate.FinishReason) {
	reply := c.cfg.Reply
	if reply == "" {
		last := ""
		for i := len(req.Messages) - 1; i >= 0; i-- {
			if req.Messages[i].Role == llmgate.RoleUser {
				last = req.Messages[i].Text()
				break
			}
		}
		reply = "Mock reply to: " + last
	}
	words = strings.Fields(reply)
	finish = llmgate.FinishStop
	if mt := req.Params.MaxTokens; mt != nil && *mt < len(words) {
		words, finish = words[:*mt], llmgate.FinishLength
	}
	return words, finish
}

func (c *Client) usage(req *llmgate.ChatRequest, completionWords int) llmgate.Usage {
	p := c.cfg.PromptTokens
	if p <= 0 {
		for i := range req.Messages {
			p += len(strings.Fields(req.Messages[i].Text()))
			for _, part := range req.Messages[i].Content {
				if part.Type == llmgate.PartImage {
					p += 85 // what a low-detail image costs at OpenAI
				}
			}
		}
	}
	n := 1
	if req.Params.N != nil && *req.Params.N > 1 {
		n = *req.Params.N
	}
	comp := c.cfg.CompletionTokens
	if comp <= 0 {
		comp = completionWords
	}
	comp *= n
	return llmgate.Usage{PromptTokens: p, CompletionTokens: comp, TotalTokens: p + comp}
}

// toolCall returns the call the mock makes when the request forces a tool.
func toolCall(req *llmgate.ChatRequest) *llmgate.ToolCall {
	tc := req.Params.ToolChoice
	if tc == nil || len(req.Params.Tools) == 0 {
		return nil
	}
	switch tc.Mode {
	case "required":
		return &llmgate.ToolCall{ID: "call_mock_0", Name: req.Params.Tools[0].Name, Arguments: "{}"}
	case "function":
		return &llmgate.ToolCall{ID: "call_mock_0", Name: tc.Name, Arguments: "{}"}
	}
	return nil
}

// Chat answers with the configured reply, or an echo of the last user message.
func (c *Client) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	if err := c.wait(ctx, c.cfg.Latency); err != nil {
		return nil, err
	}
	words, finish := c.answer(req)
	n := 1
	if req.Params.N != nil && *req.Params.N > 1 {
		n = *req.Params.N
	}
	resp := &llmgate.ChatResponse{
		ID:      "chatcmpl-mock-" + strconv.FormatUint(hashString(req.Model+joinWords(words)), 36),
		Created: time.Now(),
		Choices: make([]llmgate.Choice, n),
		Usage:   c.usage(req, len(words)),
	}
	text := joinWords(words)
	for i := range resp.Choices {
		ch := &resp.Choices[i]
		ch.Index = i
		ch.Message = llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart(text)}}
		ch.FinishReason = finish
		if call := toolCall(req); call != nil {
			ch.Message.Content = nil
			ch.Message.ToolCalls = []llmgate.ToolCall{*call}
			ch.FinishReason = llmgate.FinishToolCalls
		}
	}
	return resp, nil
}

func joinWords(words []string) string { return strings.Join(words, " ") }

// ChatStream answers like Chat, one word a chunk, then a chunk with the
// finish reason and one with usage, as OpenAI streams do.
func (c *Client) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	if err := c.wait(ctx, c.cfg.Latency); err != nil {
		return nil, err
	}
	words, finish := c.answer(req)
	id := "chatcmpl-mock-" + strconv.FormatUint(hashString(req.Model+joinWords(words)), 36)
	var deltas []llmgate.ChoiceDelta
	if call := toolCall(req); call != nil {
		deltas = append(deltas,
			llmgate.ChoiceDelta{Role: llmgate.RoleAssistant, ToolCalls: []llmgate.ToolCallDelta{{ID: call.ID, Name: call.Name, Arguments: call.Arguments}}},
			llmgate.ChoiceDelta{FinishReason: llmgate.FinishToolCalls})
	} else {
		for i, w := range words {
			d := llmgate.ChoiceDelta{Content: w}
			if i == 0 {
				d.Role = llmgate.RoleAssistant
			} else {
				d.Content = " " + w
			}
			deltas = append(deltas, d)
		}
		deltas = append(deltas, llmgate.ChoiceDelta{FinishReason: finish})
	}
	now := time.Now()
	chunks := make([]*llmgate.ChatChunk, 0, len(deltas)+1)
	for i := range deltas {
		chunks = append(chunks, &llmgate.ChatChunk{ID: id, Created: now, Deltas: deltas[i : i+1]})
	}
	u := c.usage(req, len(words))
	chunks = append(chunks, &llmgate.ChatChunk{ID: id, Created: now, Usage: &u})
	return &stream{ctx: ctx, delay: c.cfg.ChunkDelay, wait: c.wait, chunks: chunks}, nil
}

type stream struct {
	ctx    context.Context
	delay  time.Duration
	wait   func(context.Context, time.Duration) error
	chunks []*llmgate.ChatChunk
	sent   int
	closed bool
}

func (s *stream) Recv() (*llmgate.ChatChunk, error) {
	if s.closed {
		return nil, io.ErrClosedPipe
	}
	if s.sent == len(s.chunks) {
		return nil, io.EOF
	}
	d := s.delay
	if s.sent == 0 {
		d = 0
	}
	if flush := llmgate.StreamFlush(s.ctx); flush != nil && d > 0 {
		flush()
	}
	if err := s.wait(s.ctx, d); err != nil {
		return nil, err
	}
	ch := s.chunks[s.sent]
	s.sent++
	return ch, nil
}

func (s *stream) Close() error {
	s.closed = true
	return nil
}

// Embed returns for each input a unit vector derived from a hash of the text,
// so the same text always gets the same vector.
func (c *Client) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	if err := c.wait(ctx, c.cfg.Latency); err != nil {
		return nil, err
	}
	dims := c.cfg.EmbeddingDimensions
	if req.Dimensions != nil && *req.Dimensions > 0 {
		dims = *req.Dimensions
	}
	resp := &llmgate.EmbeddingResponse{Data: make([]llmgate.Embedding, len(req.Input))}
	tokens := 0
	for i, in := range req.Input {
		tokens += len(strings.Fields(in))
		v := make([]float64, dims)
		h := hashString(in)
		var norm float64
		for j := range v {
			h = h*6364136223846793005 + 1442695040888963407
			v[j] = float64(int64(h>>11))/float64(1<<52) - 1
			norm += v[j] * v[j]
		}
		norm = math.Sqrt(norm)
		for j := range v {
			v[j] /= norm
		}
		resp.Data[i] = llmgate.Embedding{Index: i, Vector: v}
	}
	if c.cfg.PromptTokens > 0 {
		tokens = c.cfg.PromptTokens
	}
	resp.Usage = llmgate.Usage{PromptTokens: tokens, TotalTokens: tokens}
	return resp, nil
}

// onePixelPNG is a valid 1×1 transparent PNG, returned for b64_json images.
const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// GenerateImage returns N images at the configured URL (or a 1×1 PNG as
// base64 when asked for b64_json).
func (c *Client) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	if err := c.wait(ctx, c.cfg.Latency); err != nil {
		return nil, err
	}
	n := req.N
	if n <= 0 {
		n = 1
	}
	resp := &llmgate.ImageResponse{Created: time.Now(), Data: make([]llmgate.Image, n)}
	for i := range resp.Data {
		if req.ResponseFormat == "b64_json" {
			resp.Data[i].B64JSON = onePixelPNG
		} else {
			resp.Data[i].URL = fmt.Sprintf("%s?n=%d", c.cfg.ImageURL, i)
		}
		resp.Data[i].RevisedPrompt = req.Prompt
	}
	return resp, nil
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, s)
	return h.Sum64()
}
