package gateway

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/mock"
	"github.com/llmgate/llmgate/internal/tokenizer"
)

// silent answers like the mock but reports no usage, as some
// OpenAI-compatible servers do.
type silent struct{ *mock.Client }

func (s silent) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	r, err := s.Client.Chat(ctx, req)
	if r != nil {
		r.Usage = llmgate.Usage{}
	}
	return r, err
}

func (s silent) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	st, err := s.Client.ChatStream(ctx, req)
	if err != nil {
		return nil, err
	}
	return noUsage{st}, nil
}

type noUsage struct{ llmgate.ChatStream }

func (n noUsage) Recv() (*llmgate.ChatChunk, error) {
	for {
		ch, err := n.ChatStream.Recv()
		if err != nil || ch.Usage == nil {
			return ch, err
		}
	}
}

func TestUsageEstimatedWhenMissing(t *testing.T) {
	target := silent{mock.New(mock.Config{Reply: "The quick brown fox jumps over the lazy dog."})}
	l := &recLedger{}
	s := New(catalog(), Options{Router: newRouter(t, 0, nil, target), Ledger: l, Tokens: &tokenizer.Counter{}})
	// Prompt: "user hi there" is 3 tokens, plus 3 for the message and 3 for
	// the reply; the answer is 10 tokens in cl100k_base.
	want := llmgate.Usage{PromptTokens: 9, CompletionTokens: 10, TotalTokens: 19, Estimated: true}

	resp, err := s.Chat(context.Background(), req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage != want || resp.Cost == nil || resp.Cost.Total.String() != "0.000029" {
		t.Errorf("usage %+v cost %+v", resp.Usage, resp.Cost)
	}
	st, err := s.ChatStream(context.Background(), req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	text, cost, _ := drain(t, st)
	st.Close()
	if text != "The quick brown fox jumps over the lazy dog." || cost == nil || cost.Total.String() != "0.000029" {
		t.Errorf("stream text %q cost %+v", text, cost)
	}
	for _, r := range l.rows {
		if r.Usage != want {
			t.Errorf("ledger row usage %+v, want %+v", r.Usage, want)
		}
	}
}

func TestEmbeddingEstimateReplaced(t *testing.T) {
	var u = llmgate.Usage{PromptTokens: 99, Estimated: true}
	estimateEmbedding(&tokenizer.Counter{}, "text-embedding-3-small", []string{"hello world", "hello"}, &u)
	if u.PromptTokens != 3 || !u.Estimated {
		t.Errorf("usage %+v", u)
	}
	reported := llmgate.Usage{PromptTokens: 7, TotalTokens: 7}
	estimateEmbedding(&tokenizer.Counter{}, "m", []string{"hello"}, &reported)
	if reported.PromptTokens != 7 || reported.Estimated {
		t.Errorf("a reported count was replaced: %+v", reported)
	}
}
