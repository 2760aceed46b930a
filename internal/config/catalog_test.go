package config

import (
	"testing"

	"github.com/llmgate/llmgate"
)

// TestDefaultCurrentCatalog checks the catalog added for issue 3 against the
// prices read from the providers' pages (see the comments in defaults.yaml),
// and that a model without a confirmed price has no price list rather than
// a zero price.
func TestDefaultCurrentCatalog(t *testing.T) {
	c := mustLoad(t, nil, nil, "", "")
	str := func(m *llmgate.Money) string {
		if m == nil {
			return "-"
		}
		return m.String()
	}
	type tokens struct{ in, out, cached, write string }
	tests := []struct {
		provider, model string
		kind            llmgate.ModelKind
		context         int
		enabled         bool
		price           *tokens // nil: unpriced
	}{
		{"anthropic", "claude-opus-4-5", "chat", 200000, true, &tokens{"5.0", "25.0", "0.5", "6.25"}},
		{"anthropic", "claude-sonnet-4-6", "chat", 1000000, true, &tokens{"3.0", "15.0", "0.3", "3.75"}},
		{"anthropic", "claude-sonnet-4-5", "chat", 200000, true, &tokens{"3.0", "15.0", "0.3", "3.75"}},
		{"anthropic", "claude-haiku-4-5", "chat", 200000, true, &tokens{"1.0", "5.0", "0.1", "1.25"}},
		{"anthropic", "claude-opus-4-1", "chat", 200000, false, &tokens{"15.0", "75.0", "1.5", "18.75"}},
		{"anthropic", "claude-sonnet-4-0", "chat", 200000, false, &tokens{"3.0", "15.0", "0.3", "3.75"}},
		{"anthropic", "claude-3-5-haiku-20241022", "chat", 200000, false, &tokens{"0.8", "4.0", "0.08", "1.0"}},
		{"gemini", "gemini-2.5-pro", "chat", 1048576, true, &tokens{"1.25", "10.0", "0.125", "-"}},
		{"gemini", "gemini-2.5-flash", "chat", 1048576, true, &tokens{"0.3", "2.5", "0.03", "-"}},
		{"gemini", "gemini-2.5-flash-lite", "chat", 1048576, true, &tokens{"0.1", "0.4", "0.01", "-"}},
		{"gemini", "gemini-embedding-001", "embedding", 2048, true, &tokens{"0.15", "-", "-", "-"}},
		{"openai", "gpt-4.1-nano", "chat", 1047576, true, &tokens{"0.1", "0.4", "0.025", "-"}},
		{"openai", "gpt-5", "chat", 400000, true, &tokens{"1.25", "10.0", "0.125", "-"}},
		{"openai", "gpt-5-mini", "chat", 400000, true, &tokens{"0.25", "2.0", "0.025", "-"}},
		{"openai", "gpt-5-nano", "chat", 400000, true, &tokens{"0.05", "0.4", "0.005", "-"}},
		{"openai", "o3", "chat", 200000, true, &tokens{"2.0", "8.0", "0.5", "-"}},
		{"openai", "o4-mini", "chat", 200000, true, &tokens{"1.1", "4.4", "0.275", "-"}},
		{"bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "chat", 200000, true, nil},
		{"bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0", "chat", 200000, true, nil},
		{"bedrock", "amazon.nova-pro-v1:0", "chat", 300000, true, &tokens{"0.8", "3.2", "0.2", "-"}},
		{"bedrock", "amazon.nova-lite-v1:0", "chat", 300000, true, &tokens{"0.06", "0.24", "0.015", "-"}},
		{"bedrock", "amazon.nova-micro-v1:0", "chat", 128000, true, &tokens{"0.035", "0.14", "0.00875", "-"}},
		{"bedrock", "meta.llama3-3-70b-instruct-v1:0", "chat", 128000, true, nil},
		{"mistral", "mistral-large-latest", "chat", 0, true, nil},
		{"mistral", "mistral-medium-latest", "chat", 0, true, nil},
		{"mistral", "mistral-small-latest", "chat", 0, true, nil},
		{"mistral", "codestral-latest", "chat", 0, true, nil},
		{"mistral", "mistral-embed", "embedding", 0, true, nil},
		{"groq", "llama-3.3-70b-versatile", "chat", 131072, true, &tokens{"0.59", "0.79", "-", "-"}},
		{"groq", "llama-3.1-8b-instant", "chat", 131072, true, &tokens{"0.05", "0.08", "-", "-"}},
		{"deepseek", "deepseek-chat", "chat", 0, true, nil},
		{"deepseek", "deepseek-reasoner", "chat", 0, true, nil},
		{"together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "chat", 0, true, nil},
		{"openrouter", "anthropic/claude-sonnet-4.5", "chat", 0, true, nil},
		{"ollama", "llama3.2", "chat", 0, true, nil},
		{"vllm", "meta-llama/Llama-3.1-8B-Instruct", "chat", 0, true, nil},
	}
	for _, tt := range tests {
		m := findModel(t, findProvider(t, c, tt.provider), tt.model)
		if m.Kind != tt.kind || m.ContextWindow != tt.context || m.Enabled != tt.enabled || m.Label == "" || m.Description == "" {
			t.Errorf("%s/%s = %+v", tt.provider, tt.model, m)
		}
		if tt.price == nil {
			if m.Prices != nil {
				t.Errorf("%s/%s has prices %+v, want none", tt.provider, tt.model, m.Prices)
			}
			continue
		}
		if len(m.Prices) != 1 || m.Prices[0].Token == nil || m.Prices[0].UnitOfMeasure != 1_000_000 || m.Prices[0].Currency != "USD" {
			t.Errorf("%s/%s prices = %+v", tt.provider, tt.model, m.Prices)
			continue
		}
		p := m.Prices[0].Token
		got := tokens{str(p.InputValue), str(p.OutputValue), str(p.CachedInputValue), str(p.CacheWriteValue)}
		if got != *tt.price {
			t.Errorf("%s/%s token price = %+v, want %+v", tt.provider, tt.model, got, *tt.price)
		}
	}

	// No price of the defaults is zero: an unknown price is left out.
	for _, p := range c.Providers {
		for _, m := range p.Models {
			for _, pr := range m.Prices {
				if tok := pr.Token; tok != nil {
					for _, v := range []*llmgate.Money{tok.InputValue, tok.OutputValue, tok.CachedInputValue, tok.CacheWriteValue} {
						if v != nil && *v == 0 {
							t.Errorf("%s/%s has a zero token price", p.Name, m.Name)
						}
					}
				}
			}
		}
	}

	// Every compatible preset has a provider entry of its name, so that it
	// is listed in the catalog.
	for _, d := range c.compatibleDefs {
		findProvider(t, c, d.name)
	}
}
