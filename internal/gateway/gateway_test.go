package gateway

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/mock"
	"github.com/llmgate/llmgate/internal/router"
)

type recLedger struct {
	mu   sync.Mutex
	rows []llmgate.Record
}

func (l *recLedger) Record(r llmgate.Record) {
	l.mu.Lock()
	l.rows = append(l.rows, r)
	l.mu.Unlock()
}

// flaky fails its first `fails` calls with code, then behaves like the mock.
type flaky struct {
	*mock.Client
	mu    sync.Mutex
	fails int
	code  llmgate.ErrorCode
	calls int
}

func (f *flaky) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.fails {
		return &llmgate.Error{Code: f.code, Message: "injected"}
	}
	return nil
}

func (f *flaky) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Client.Chat(ctx, req)
}

func (f *flaky) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Client.ChatStream(ctx, req)
}

func money(s string) *llmgate.Money { m := llmgate.MustParseMoney(s); return &m }

func catalog() *llmgate.Catalog {
	return &llmgate.Catalog{Providers: []llmgate.ProviderInfo{
		{Name: "mock", Enabled: true, Configured: true, Models: []llmgate.ModelInfo{
			{Name: "chat", Kind: llmgate.KindChat, Enabled: true, Prices: []llmgate.Price{{UnitOfMeasure: 1_000_000, Currency: "USD", Token: &llmgate.TokenPrice{Input: money("1"), Output: money("2")}}}},
			{Name: "free", Kind: llmgate.KindChat, Enabled: true},
			{Name: "off", Kind: llmgate.KindChat, Enabled: false},
			{Name: "emb", Kind: llmgate.KindEmbedding, Enabled: true, Prices: []llmgate.Price{{UnitOfMeasure: 1_000_000, Currency: "USD", Token: &llmgate.TokenPrice{Input: money("0.1")}}}},
			{Name: "img", Kind: llmgate.KindImage, Enabled: true, Prices: []llmgate.Price{{UnitOfMeasure: 1_000_000, Currency: "USD", Pixel: &llmgate.PixelPrice{Width: 1024, Height: 1024, Value: llmgate.MustParseMoney("0.04")}}}},
		}},
		{Name: "openai", Enabled: true, Configured: false, MissingConfig: "set OPENAI_API_KEY", Models: []llmgate.ModelInfo{{Name: "gpt-4o", Kind: llmgate.KindChat, Enabled: true}}},
	}}
}

// newRouter routes every mock model to targets, in order, with no backoff
// waits and a first-token/attempt timeout of one second.
func newRouter(t *testing.T, timeout time.Duration, extra []*router.Group, targets ...any) *router.Router {
	t.Helper()
	var deps []*router.Deployment
	for i, tg := range targets {
		deps = append(deps, &router.Deployment{Name: "mock/" + string(rune('a'+i)), Provider: "mock", Target: tg})
	}
	groups := router.Merge(router.ModelGroups(catalog(), deps, router.RoundRobin, router.Timeouts{Attempt: timeout}), extra)
	r, err := router.New(groups, router.Options{
		MaxAttempts: 4,
		Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newService(t *testing.T, targets ...any) (*Service, *recLedger) {
	t.Helper()
	l := &recLedger{}
	return New(catalog(), Options{Router: newRouter(t, time.Second, nil, targets...), Ledger: l}), l
}

func req(model string) *llmgate.ChatRequest {
	return &llmgate.ChatRequest{Provider: "mock", Model: model, Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("hi there")}}}}
}

func TestResolveErrors(t *testing.T) {
	s, l := newService(t, mock.New(mock.Config{}))
	tests := []struct {
		provider, model string
		code            llmgate.ErrorCode
	}{
		{"nope", "chat", llmgate.EProviderNotFound},
		{"mock", "nope", llmgate.EModelNotFound},
		{"mock", "off", llmgate.EModelDisabled},
		{"mock", "emb", llmgate.EUnsupported},
		{"openai", "gpt-4o", llmgate.EProviderNotConfigured},
	}
	for _, tt := range tests {
		r := req(tt.model)
		r.Provider = tt.provider
		_, err := s.Chat(context.Background(), r)
		if llmgate.ErrorCodeOf(err) != tt.code {
			t.Errorf("%s/%s: %v, want %s", tt.provider, tt.model, err, tt.code)
		}
	}
	if _, err := s.Chat(context.Background(), &llmgate.ChatRequest{Provider: "openai", Model: "gpt-4o"}); err == nil || llmgate.AsError(err).Message != `provider "openai" is not configured: set OPENAI_API_KEY` {
		t.Errorf("not configured message: %v", err)
	}
	if len(l.rows) != len(tests)+1 {
		t.Errorf("%d ledger rows for %d failed requests", len(l.rows), len(tests)+1)
	}
	for _, r := range l.rows {
		if !r.Final || r.Attempt != 0 || r.ErrorCode == "" {
			t.Errorf("row %+v", r)
		}
	}
}

func TestChatPricedAndRecorded(t *testing.T) {
	s, l := newService(t, mock.New(mock.Config{}))
	ctx := llmgate.WithCaller(context.Background(), llmgate.Caller{CorrelationID: "c", UserID: "u", ClientID: "app", API: "native"})
	resp, err := s.Chat(ctx, req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	// 2 prompt words, 5 reply words at $1 / $2 per million tokens.
	if resp.Cost == nil || resp.Cost.Input.String() != "0.000002" || resp.Cost.Output.String() != "0.00001" || resp.Cost.Total.String() != "0.000012" {
		t.Errorf("cost %+v", resp.Cost)
	}
	if resp.Provider != "mock" || resp.Deployment != "mock/a" || resp.Attempts != 1 {
		t.Errorf("served %+v", resp.Served)
	}
	if len(l.rows) != 1 {
		t.Fatalf("rows %d", len(l.rows))
	}
	r := l.rows[0]
	if r.CorrelationID != "c" || r.UserID != "u" || r.ClientID != "app" || r.Deployment != "mock/a" || !r.Final || r.Status != 200 || r.Cost == nil || r.Usage.TotalTokens != 7 {
		t.Errorf("row %+v", r)
	}
	resp, _ = s.Chat(ctx, req("free"))
	if resp.Cost != nil || l.rows[1].Cost != nil {
		t.Error("an unpriced model got a cost")
	}
}

func TestFailoverRecordsEveryAttempt(t *testing.T) {
	bad := &flaky{Client: mock.New(mock.Config{}), fails: 100, code: llmgate.EUpstreamUnavailable}
	good := mock.New(mock.Config{})
	s, l := newService(t, bad, good)
	for i := 0; i < 4; i++ {
		resp, err := s.Chat(context.Background(), req("chat"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Deployment != "mock/b" {
			t.Errorf("answered by %s", resp.Deployment)
		}
	}
	// The breaker has not opened after two failures; round robin starts on a
	// twice and on b twice: 2 requests × 2 rows + 2 × 1.
	if len(l.rows) != 6 {
		t.Fatalf("rows %d", len(l.rows))
	}
	finals, failed := 0, 0
	for _, r := range l.rows {
		if r.Final {
			finals++
		}
		if r.ErrorCode == llmgate.EUpstreamUnavailable {
			failed++
			if r.Final || r.Deployment != "mock/a" {
				t.Errorf("failed attempt row %+v", r)
			}
		}
	}
	if finals != 4 || failed != 2 {
		t.Errorf("finals %d failed %d", finals, failed)
	}
}

func TestNonRetryableStops(t *testing.T) {
	bad := &flaky{Client: mock.New(mock.Config{}), fails: 100, code: llmgate.EContextLengthExceeded}
	s, _ := newService(t, bad, bad)
	if _, err := s.Chat(context.Background(), req("chat")); llmgate.ErrorCodeOf(err) != llmgate.EContextLengthExceeded {
		t.Fatal(err)
	}
	if bad.calls != 1 {
		t.Errorf("a context-length error was retried: %d calls", bad.calls)
	}
}

func TestTimeoutIsUpstreamTimeout(t *testing.T) {
	slow := mock.New(mock.Config{Latency: time.Hour})
	s := New(catalog(), Options{Router: newRouter(t, 20*time.Millisecond, nil, slow)})
	_, err := s.Chat(context.Background(), req("chat"))
	if c := llmgate.ErrorCodeOf(err); c != llmgate.EUpstreamTimeout && c != llmgate.EClientClosed {
		t.Fatalf("err %v", err)
	}
	// The mock reports a cancelled context as client_closed; the gateway knows
	// the client is still there and must call it a timeout.
	if llmgate.ErrorCodeOf(err) != llmgate.EUpstreamTimeout {
		t.Errorf("err %v, want upstream_timeout", err)
	}
	s = New(catalog(), Options{Router: newRouter(t, 20*time.Millisecond, nil, slow)})
	_, err = s.ChatStream(context.Background(), req("chat"))
	if llmgate.ErrorCodeOf(err) != llmgate.EUpstreamTimeout {
		t.Errorf("stream err %v, want upstream_timeout", err)
	}
}

func drain(t *testing.T, st llmgate.ChatStream) (text string, cost *llmgate.Cost, served *llmgate.Served) {
	t.Helper()
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if ch.Served != nil {
			served = ch.Served
		}
		for _, d := range ch.Deltas {
			text += d.Content
		}
		if ch.Cost != nil {
			cost = ch.Cost
		}
	}
}

func TestStreamMeteredOnce(t *testing.T) {
	// The first attempt is rate limited; the router retries before any byte
	// reached the client.
	bad := &flaky{Client: mock.New(mock.Config{}), fails: 1, code: llmgate.ERateLimited}
	s, l := newService(t, bad)
	st, err := s.ChatStream(context.Background(), req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	text, cost, served := drain(t, st)
	st.Close()
	if text != "Mock reply to: hi there" || cost == nil || cost.Total.String() != "0.000012" || served == nil || served.Deployment != "mock/a" || served.Attempts != 2 {
		t.Errorf("text %q cost %+v served %+v", text, cost, served)
	}
	if len(l.rows) != 2 || l.rows[0].ErrorCode != llmgate.ERateLimited || l.rows[0].Final {
		t.Fatalf("rows %+v", l.rows)
	}
	if r := l.rows[1]; !r.Stream || !r.Final || r.ErrorCode != "" || r.Cost == nil || r.Usage.TotalTokens != 7 {
		t.Errorf("final row %+v", r)
	}
}

func TestStreamFailsOverBeforeFirstChunk(t *testing.T) {
	bad := &flaky{Client: mock.New(mock.Config{}), fails: 100, code: llmgate.EUpstreamError}
	s, l := newService(t, bad, mock.New(mock.Config{}))
	st, err := s.ChatStream(context.Background(), req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, st)
	st.Close()
	if last := l.rows[len(l.rows)-1]; last.Deployment != "mock/b" || !last.Final || last.ErrorCode != "" {
		t.Errorf("final row %+v", last)
	}
}

func TestStreamClosedEarlyIsRecorded(t *testing.T) {
	s, l := newService(t, mock.New(mock.Config{Reply: "a b c d"}))
	st, err := s.ChatStream(context.Background(), req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st.Close()
	if len(l.rows) != 1 || l.rows[0].ErrorCode != llmgate.EClientClosed {
		t.Errorf("rows %+v", l.rows)
	}
}

func TestEmbeddingAndImageCost(t *testing.T) {
	s, _ := newService(t, mock.New(mock.Config{}))
	e, err := s.Embed(context.Background(), &llmgate.EmbeddingRequest{Provider: "mock", Model: "emb", Input: []string{"one two three"}})
	if err != nil || e.Cost.Total.String() != "0.0000003" {
		t.Errorf("embedding %v %+v", err, e)
	}
	im, err := s.GenerateImage(context.Background(), &llmgate.ImageRequest{Provider: "mock", Model: "img", Prompt: "cat", N: 2})
	if err != nil || im.Cost.Total.String() != "0.08" {
		t.Errorf("image %v %+v", err, im)
	}
}

func TestSetCatalogSwaps(t *testing.T) {
	s, _ := newService(t, mock.New(mock.Config{}))
	cat := catalog()
	cat.Providers[0].Models[0].Enabled = false
	s.SetCatalog(cat)
	if _, err := s.Chat(context.Background(), req("chat")); llmgate.ErrorCodeOf(err) != llmgate.EModelDisabled {
		t.Errorf("after reload: %v", err)
	}
}

func TestAliasAndFallbackAcrossModels(t *testing.T) {
	bad := &flaky{Client: mock.New(mock.Config{}), fails: 100, code: llmgate.EUpstreamError}
	good := mock.New(mock.Config{Reply: "from the fallback"})
	var deps = []*router.Deployment{
		{Name: "mock/bad", Provider: "mock", Target: bad},
	}
	groups := router.ModelGroups(catalog(), deps, router.RoundRobin, router.Timeouts{})
	fallback := &router.Deployment{Name: "other/good", Provider: "mock", Target: good}
	groups = router.Merge(groups, []*router.Group{
		{Name: "mock/free", Members: []*router.Member{{Deployment: fallback, Provider: "mock", Model: "free"}}},
		{Name: "smart", Members: []*router.Member{{Deployment: deps[0], Provider: "mock", Model: "chat"}}, Fallbacks: []string{"mock/free"}},
	})
	r, err := router.New(groups, router.Options{Sleep: func(ctx context.Context, d time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	l := &recLedger{}
	s := New(catalog(), Options{Router: r, Ledger: l})
	alias := &llmgate.ChatRequest{Model: "smart", Messages: req("chat").Messages}
	resp, err := s.Chat(context.Background(), alias)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "free" || resp.Deployment != "other/good" || resp.Attempts != 2 || resp.Choices[0].Message.Text() != "from the fallback" {
		t.Errorf("served %+v", resp.Served)
	}
	if resp.Cost != nil {
		t.Error("the fallback model is unpriced, yet a cost came back")
	}
	if l.rows[0].Model != "chat" || l.rows[0].Final || l.rows[1].Model != "free" || !l.rows[1].Final {
		t.Errorf("rows %+v", l.rows)
	}
	// A per-request empty fallback list turns the configured one off.
	alias.Fallbacks = []string{}
	if _, err := s.Chat(context.Background(), alias); llmgate.ErrorCodeOf(err) != llmgate.EUpstreamError {
		t.Errorf("without fallbacks: %v", err)
	}
	if _, err := s.Chat(context.Background(), &llmgate.ChatRequest{Model: "nope"}); llmgate.ErrorCodeOf(err) != llmgate.EModelNotFound {
		t.Errorf("unknown alias: %v", err)
	}
}

// cutStream sends one chunk, then fails.
type cutStream struct{ sent bool }

func (c *cutStream) Recv() (*llmgate.ChatChunk, error) {
	if !c.sent {
		c.sent = true
		return &llmgate.ChatChunk{ID: "c", Deltas: []llmgate.ChoiceDelta{{Role: llmgate.RoleAssistant, Content: "Hel"}}}, nil
	}
	return nil, &llmgate.Error{Code: llmgate.EUpstreamConnection, Message: "stream ended before completion"}
}

func (c *cutStream) Close() error { return nil }

type cutter struct{ *mock.Client }

func (cutter) ChatStream(context.Context, *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	return &cutStream{}, nil
}

func TestStreamErrorIsSticky(t *testing.T) {
	s, l := newService(t, cutter{mock.New(mock.Config{})})
	st, err := s.ChatStream(context.Background(), req("chat"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := st.Recv(); llmgate.ErrorCodeOf(err) != llmgate.EUpstreamConnection {
			t.Errorf("Recv %d after the failure: %v", i+1, err)
		}
	}
	if len(l.rows) != 1 || l.rows[0].ErrorCode != llmgate.EUpstreamConnection {
		t.Errorf("rows %+v", l.rows)
	}
}

func TestKnown(t *testing.T) {
	s, _ := newService(t, mock.New(mock.Config{}))
	for _, tt := range []struct {
		provider, model string
		want            bool
	}{{"mock", "chat", true}, {"mock", "off", true}, {"mock", "nope", false}, {"nope", "chat", false}, {"", "mock/chat", true}, {"", "nope", false}} {
		if got := s.Known(tt.provider, tt.model); got != tt.want {
			t.Errorf("Known(%q, %q) = %v", tt.provider, tt.model, got)
		}
	}
}
