package pricing_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/config"
	"github.com/llmgate/llmgate/internal/pricing"
)

// defaultTable is the table of the embedded default catalog, mock included.
func defaultTable(t testing.TB) *pricing.Table {
	t.Helper()
	c, err := config.Load([]string{"--mock"}, nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return pricing.New(c.Catalog())
}

func m(s string) llmgate.Money { return llmgate.MustParseMoney(s) }

func mp(s string) *llmgate.Money {
	v := m(s)
	return &v
}

func cost(currency, in, out, total string) *llmgate.Cost {
	return &llmgate.Cost{Currency: currency, Input: m(in), Output: m(out), Total: m(total)}
}

func usd(in, out string) *llmgate.Cost {
	c := cost("USD", in, out, "0")
	c.Total = c.Input + c.Output
	return c
}

func TestChatCost(t *testing.T) {
	tab := defaultTable(t)
	tests := []struct {
		name            string
		provider, model string
		u               llmgate.Usage
		want            *llmgate.Cost
	}{
		{"seed gpt-4", "azure_openai", "gpt-4", llmgate.Usage{PromptTokens: 1000, CompletionTokens: 500}, usd("0.03", "0.03")},
		{"seed gpt-4 one token each", "azure_openai", "gpt-4", llmgate.Usage{PromptTokens: 1, CompletionTokens: 1}, usd("0.00003", "0.00006")},
		{"seed gpt-4o", "azure_openai", "gpt-4o", llmgate.Usage{PromptTokens: 8, CompletionTokens: 5}, usd("0.00004", "0.000075")},
		{"seed gpt-4o-mini", "azure_openai", "gpt-4o-mini", llmgate.Usage{PromptTokens: 7, CompletionTokens: 3}, usd("0.00000105", "0.0000018")},
		{"no tokens", "azure_openai", "gpt-4", llmgate.Usage{}, usd("0", "0")},
		{"cached tokens at the cached price", "openai", "gpt-4o",
			llmgate.Usage{PromptTokens: 1000, CachedTokens: 400, CompletionTokens: 100}, usd("0.002", "0.001")},
		{"cached tokens at the input price when none is given", "azure_openai", "gpt-4",
			llmgate.Usage{PromptTokens: 1000, CachedTokens: 400, CompletionTokens: 0}, usd("0.03", "0")},
		{"cache writes at the input price when none is given", "openai", "gpt-4.1-mini",
			llmgate.Usage{PromptTokens: 1000, CachedTokens: 500, CacheWriteTokens: 200}, usd("0.00025", "0")}, // (300×0.40 + 500×0.10 + 200×0.40) per 1M,
		{"reasoning tokens are completion tokens", "openai", "gpt-4.1",
			llmgate.Usage{PromptTokens: 10, CompletionTokens: 100, ReasoningTokens: 80}, usd("0.00002", "0.0008")},
		{"inconsistent usage clamps uncached prompt tokens at zero", "openai", "gpt-4o",
			llmgate.Usage{PromptTokens: 10, CachedTokens: 20}, usd("0.000025", "0")},
		{"negative counts are zero", "azure_openai", "gpt-4", llmgate.Usage{PromptTokens: -5, CompletionTokens: -1, CachedTokens: -3}, usd("0", "0")},
		{"mock chat", "mock", "mock-chat", llmgate.Usage{PromptTokens: 1_000_000, CompletionTokens: 1_000_000}, usd("1", "2")},
		{"embedding model without completion", "azure_openai", "text-embedding-ada-002", llmgate.Usage{PromptTokens: 1000}, usd("0.0001", "0")},
		{"large counts do not overflow", "azure_openai", "gpt-4", llmgate.Usage{PromptTokens: 1e9, CompletionTokens: 1e9}, usd("30000", "60000")},

		{"unpriced seed model", "azure_openai", "gpt-35-turbo", llmgate.Usage{PromptTokens: 10, CompletionTokens: 10}, nil},
		{"unpriced mock model", "mock", "mock-chat-unpriced", llmgate.Usage{PromptTokens: 10}, nil},
		{"image-only model", "azure_openai", "dall-e-3", llmgate.Usage{PromptTokens: 10}, nil},
		{"no output price but completion tokens", "azure_openai", "text-embedding-ada-002", llmgate.Usage{PromptTokens: 10, CompletionTokens: 1}, nil},
		{"unknown model", "azure_openai", "gpt-5", llmgate.Usage{PromptTokens: 10}, nil},
		{"unknown provider", "acme", "gpt-4", llmgate.Usage{PromptTokens: 10}, nil},
		{"model of another provider", "openai", "gpt-4", llmgate.Usage{PromptTokens: 10}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tab.ChatCost(tt.provider, tt.model, tt.u)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ChatCost (-want +got):\n%s", diff)
			}
		})
	}
}

// catalog builds a one-provider catalog of the given models.
func catalog(models ...llmgate.ModelInfo) *llmgate.Catalog {
	return &llmgate.Catalog{Providers: []llmgate.ProviderInfo{{Name: "p", Models: models}}}
}

func TestChatCostPriceShapes(t *testing.T) {
	tab := pricing.New(catalog(
		llmgate.ModelInfo{Name: "claude", Prices: []llmgate.Price{{UnitOfMeasure: 1_000_000, Currency: "EUR",
			Token: &llmgate.TokenPrice{Input: mp("3"), Output: mp("15"), CachedInput: mp("0.30"), CacheWrite: mp("3.75")}}}},
		llmgate.ModelInfo{Name: "input-only", Prices: []llmgate.Price{{UnitOfMeasure: 1000, Currency: "USD",
			Token: &llmgate.TokenPrice{Input: mp("1")}}}},
		llmgate.ModelInfo{Name: "output-only", Prices: []llmgate.Price{{UnitOfMeasure: 1000, Currency: "USD",
			Token: &llmgate.TokenPrice{Output: mp("1")}}}},
		llmgate.ModelInfo{Name: "zero-unit", Prices: []llmgate.Price{{UnitOfMeasure: 0, Currency: "USD",
			Token: &llmgate.TokenPrice{Input: mp("1"), Output: mp("1")}}}},
		// The first token price with an input value counts.
		llmgate.ModelInfo{Name: "two-prices", Prices: []llmgate.Price{
			{UnitOfMeasure: 1000, Currency: "USD", Pixel: &llmgate.PixelPrice{Width: 1, Height: 1, Value: m("1")}},
			{UnitOfMeasure: 1000, Currency: "USD", Token: &llmgate.TokenPrice{Output: mp("9")}},
			{UnitOfMeasure: 1000, Currency: "GBP", Token: &llmgate.TokenPrice{Input: mp("2"), Output: mp("4")}},
			{UnitOfMeasure: 1000, Currency: "USD", Token: &llmgate.TokenPrice{Input: mp("7"), Output: mp("7")}},
		}},
		// A price of one picodollar per three tokens rounds half up.
		llmgate.ModelInfo{Name: "tiny", Prices: []llmgate.Price{{UnitOfMeasure: 3, Currency: "USD",
			Token: &llmgate.TokenPrice{Input: mp("0.000000000001"), Output: mp("0.000000000001")}}}},
	))
	tests := []struct {
		model string
		u     llmgate.Usage
		want  *llmgate.Cost
	}{
		{"claude", llmgate.Usage{PromptTokens: 10_000, CachedTokens: 5_000, CacheWriteTokens: 2_000, CompletionTokens: 1_000},
			cost("EUR", "0.0180", "0.015", "0.033")}, // 3000×3 + 5000×0.30 + 2000×3.75 per 1M
		{"input-only", llmgate.Usage{PromptTokens: 500}, cost("USD", "0.5", "0", "0.5")},
		{"input-only", llmgate.Usage{PromptTokens: 500, CompletionTokens: 1}, nil},
		{"output-only", llmgate.Usage{CompletionTokens: 500}, nil},
		{"zero-unit", llmgate.Usage{PromptTokens: 1}, nil},
		{"two-prices", llmgate.Usage{PromptTokens: 1000, CompletionTokens: 1000}, cost("GBP", "2", "4", "6")},
		{"tiny", llmgate.Usage{PromptTokens: 1, CompletionTokens: 2}, cost("USD", "0", "0.000000000001", "0.000000000001")},
		{"tiny", llmgate.Usage{PromptTokens: 3}, cost("USD", "0.000000000001", "0", "0.000000000001")},
	}
	for _, tt := range tests {
		got := tab.ChatCost("p", tt.model, tt.u)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %+v (-want +got):\n%s", tt.model, tt.u, diff)
		}
	}
}

func TestChatCostSaturates(t *testing.T) {
	tab := defaultTable(t)
	got := tab.ChatCost("azure_openai", "gpt-4", llmgate.Usage{PromptTokens: math.MaxInt, CompletionTokens: math.MaxInt})
	if got == nil || got.Total != math.MaxInt64 || got.Input != math.MaxInt64 || got.Output != math.MaxInt64 {
		t.Errorf("ChatCost of MaxInt tokens = %+v, want saturated amounts", got)
	}
}

// TestChatCostNoDrift sums the cost of a million 7-token gpt-4o-mini
// requests; exact arithmetic gives exactly the closed-form amount.
func TestChatCostNoDrift(t *testing.T) {
	tab := defaultTable(t)
	u := llmgate.Usage{PromptTokens: 4, CompletionTokens: 3, TotalTokens: 7}
	const calls = 1_000_000
	var sum llmgate.Money
	var fsum float64
	for range calls {
		c := tab.ChatCost("azure_openai", "gpt-4o-mini", u)
		sum += c.Total
		fsum += 4*0.15/1e6 + 3*0.6/1e6
	}
	// (4 × 0.15 + 3 × 0.60) / 1M per call, a million calls: exactly $2.40.
	if want := m("2.4"); sum != want {
		t.Errorf("sum = %s, want %s", sum, want)
	}
	if fsum == 2.4 {
		t.Log("float64 happened not to drift this time")
	} else {
		t.Logf("float64 would have drifted to %.17g", fsum)
	}
}

func TestEmbeddingCost(t *testing.T) {
	tab := defaultTable(t)
	tests := []struct {
		provider, model string
		u               llmgate.Usage
		want            *llmgate.Cost
	}{
		{"azure_openai", "text-embedding-ada-002", llmgate.Usage{PromptTokens: 1000}, usd("0.0001", "0")},
		{"azure_openai", "text-embedding-ada-002", llmgate.Usage{PromptTokens: 1}, usd("0.0000001", "0")},
		{"openai", "text-embedding-3-small", llmgate.Usage{PromptTokens: 1_000_000}, usd("0.02", "0")},
		{"openai", "text-embedding-3-large", llmgate.Usage{PromptTokens: 1e9}, usd("130", "0")},
		{"mock", "mock-embedding", llmgate.Usage{PromptTokens: 10, CompletionTokens: 99}, usd("0.000001", "0")},
		{"azure_openai", "text-embedding-ada-002", llmgate.Usage{PromptTokens: -1}, usd("0", "0")},
		{"azure_openai", "gpt-35-turbo", llmgate.Usage{PromptTokens: 10}, nil},
		{"azure_openai", "dall-e-2", llmgate.Usage{PromptTokens: 10}, nil},
		{"azure_openai", "text-embedding-3-small", llmgate.Usage{PromptTokens: 10}, nil},
	}
	for _, tt := range tests {
		got := tab.EmbeddingCost(tt.provider, tt.model, tt.u)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s/%s %+v (-want +got):\n%s", tt.provider, tt.model, tt.u, diff)
		}
	}
}

func TestImageCost(t *testing.T) {
	tab := defaultTable(t)
	img := func(v string) *llmgate.Cost { return usd("0", v) }
	tests := []struct {
		provider, model, size, quality string
		n                              int
		want                           *llmgate.Cost
	}{
		// The seed's DALL·E 2 prices; they name no quality, so any matches.
		{"azure_openai", "dall-e-2", "1024x1024", "", 1, img("0.02")},
		{"azure_openai", "dall-e-2", "512x512", "", 1, img("0.018")},
		{"azure_openai", "dall-e-2", "256x256", "standard", 1, img("0.016")},
		{"azure_openai", "dall-e-2", "256x256", "hd", 3, img("0.048")},
		{"azure_openai", "dall-e-2", "", "", 2, img("0.04")},
		{"azure_openai", "dall-e-2", "1792x1024", "", 1, nil},
		// The seed's DALL·E 3 prices.
		{"azure_openai", "dall-e-3", "1024x1024", "standard", 1, img("0.04")},
		{"azure_openai", "dall-e-3", "1024x1024", "Standard", 1, img("0.04")},
		{"azure_openai", "dall-e-3", "1024x1024", "", 1, img("0.04")},
		{"azure_openai", "dall-e-3", "", "", 1, img("0.04")},
		{"azure_openai", "dall-e-3", "1024x1024", "hd", 1, img("0.08")},
		{"azure_openai", "dall-e-3", "1024x1024", "HD", 1, img("0.08")},
		{"azure_openai", "dall-e-3", "1792x1024", "standard", 1, img("0.08")},
		{"azure_openai", "dall-e-3", "1792x1024", "hd", 1, img("0.12")},
		// 1024x1792 has no seed price; it takes its rotation's.
		{"azure_openai", "dall-e-3", "1024x1792", "hd", 1, img("0.12")},
		{"azure_openai", "dall-e-3", "1024x1792", "", 1, img("0.08")},
		{"azure_openai", "dall-e-3", "1024X1792", "HD", 2, img("0.24")},
		{"azure_openai", "dall-e-3", "512x512", "standard", 1, nil},
		{"azure_openai", "dall-e-3", "1024x1024", "ultra", 1, nil},
		// The seed's per-image prices of gpt-4o and gpt-4o-mini.
		{"azure_openai", "gpt-4o", "1024x1024", "standard", 1, img("0.003825")},
		{"azure_openai", "gpt-4o", "", "", 1, img("0.003825")},
		{"azure_openai", "gpt-4o-mini", "1024x1024", "Standard", 1, img("0.003825")},
		{"azure_openai", "gpt-4o-mini", "1024x1024", "hd", 1, nil},
		// OpenAI's own 1024x1792 entries.
		{"openai", "dall-e-3", "1024x1792", "standard", 1, img("0.08")},
		{"openai", "dall-e-3", "1792x1024", "hd", 4, img("0.48")},
		// A price without a quality matches any; one with a quality is
		// preferred at the same size.
		{"mock", "mock-image", "512x512", "hd", 1, img("0.02")},
		{"mock", "mock-image", "1024x1024", "", 1, img("0.04")},
		{"mock", "mock-image", "1024x1024", "hd", 1, img("0.08")},
		// n ≤ 0 is one image.
		{"azure_openai", "dall-e-3", "1024x1024", "standard", 0, img("0.04")},
		{"azure_openai", "dall-e-3", "1024x1024", "standard", -3, img("0.04")},
		// Sizes that are not WIDTHxHEIGHT, unpriced and unknown models.
		{"azure_openai", "dall-e-3", "auto", "", 1, nil},
		{"azure_openai", "dall-e-3", "1024", "", 1, nil},
		{"azure_openai", "dall-e-3", "x1024", "", 1, nil},
		{"azure_openai", "dall-e-3", "1024x-1", "", 1, nil},
		{"azure_openai", "dall-e-3", "0x0", "", 1, nil},
		{"azure_openai", "dall-e-3", "99999999x1", "", 1, nil},
		{"azure_openai", "gpt-4", "1024x1024", "", 1, nil},
		{"azure_openai", "gpt-35-turbo", "1024x1024", "", 1, nil},
		{"azure_openai", "dall-e-4", "1024x1024", "", 1, nil},
		{"acme", "dall-e-3", "1024x1024", "", 1, nil},
	}
	for _, tt := range tests {
		got := tab.ImageCost(tt.provider, tt.model, tt.size, tt.quality, tt.n)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s/%s %q %q n=%d (-want +got):\n%s", tt.provider, tt.model, tt.size, tt.quality, tt.n, diff)
		}
	}
}

// TestPixelUnitIgnored checks that a pixel price is per image whatever its
// unit of measure says.
func TestPixelUnitIgnored(t *testing.T) {
	for _, unit := range []int64{0, 1, 1_000_000} {
		tab := pricing.New(catalog(llmgate.ModelInfo{Name: "img", Prices: []llmgate.Price{{
			UnitOfMeasure: unit, Currency: "USD", Pixel: &llmgate.PixelPrice{Width: 10, Height: 20, Value: m("0.5")},
		}}}))
		if got, want := tab.ImageCost("p", "img", "20x10", "", 2), usd("0", "1"); !cmp.Equal(got, want) {
			t.Errorf("unit %d: got %+v, want %+v", unit, got, want)
		}
	}
}

func TestNewCopiesTheCatalog(t *testing.T) {
	cat := catalog(llmgate.ModelInfo{Name: "x", Prices: []llmgate.Price{
		{UnitOfMeasure: 1000, Currency: "USD", Token: &llmgate.TokenPrice{Input: mp("1"), Output: mp("2")}},
		{Currency: "USD", Pixel: &llmgate.PixelPrice{Width: 1, Height: 1, Value: m("3")}},
	}})
	tab := pricing.New(cat)
	*cat.Providers[0].Models[0].Prices[0].Token.Input = m("100")
	*cat.Providers[0].Models[0].Prices[0].Token.Output = m("100")
	cat.Providers[0].Models[0].Prices[1].Pixel.Value = m("100")
	cat.Providers[0].Models[0].Name = "renamed"
	if got := tab.ChatCost("p", "x", llmgate.Usage{PromptTokens: 1000, CompletionTokens: 1000}); !cmp.Equal(got, usd("1", "2")) {
		t.Errorf("ChatCost after changing the catalog = %+v", got)
	}
	if got := tab.ImageCost("p", "x", "1x1", "", 1); !cmp.Equal(got, usd("0", "3")) {
		t.Errorf("ImageCost after changing the catalog = %+v", got)
	}
	if pricing.New(nil).ChatCost("p", "x", llmgate.Usage{}) != nil {
		t.Error("a table of no catalog priced a request")
	}
}

var sink llmgate.Money

func TestLookupsDoNotAllocate(t *testing.T) {
	tab := defaultTable(t)
	u := llmgate.Usage{PromptTokens: 1200, CompletionTokens: 300, CachedTokens: 200}
	for name, f := range map[string]func(){
		"ChatCost":      func() { sink += tab.ChatCost("azure_openai", "gpt-4o-mini", u).Total },
		"EmbeddingCost": func() { sink += tab.EmbeddingCost("openai", "text-embedding-3-small", u).Total },
		"ImageCost":     func() { sink += tab.ImageCost("azure_openai", "dall-e-3", "1024x1792", "HD", 2).Total },
		"unpriced":      func() { _ = tab.ChatCost("azure_openai", "gpt-35-turbo", u) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}

func BenchmarkChatCost(b *testing.B) {
	tab := defaultTable(b)
	u := llmgate.Usage{PromptTokens: 1200, CompletionTokens: 300, CachedTokens: 200}
	b.ReportAllocs()
	var total llmgate.Money
	for b.Loop() {
		total += tab.ChatCost("openai", "gpt-4o", u).Total
	}
	sink = total
}

func BenchmarkImageCost(b *testing.B) {
	tab := defaultTable(b)
	b.ReportAllocs()
	var total llmgate.Money
	for b.Loop() {
		total += tab.ImageCost("azure_openai", "dall-e-3", "1024x1792", "hd", 1).Total
	}
	sink = total
}
