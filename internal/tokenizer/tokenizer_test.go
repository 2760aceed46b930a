package tokenizer

import "testing"

func TestCount(t *testing.T) {
	var c Counter
	tests := []struct {
		model, text string
		want        int
	}{
		// Counts checked against OpenAI's tiktoken reference.
		{"gpt-4", "hello world", 2},
		{"gpt-4o", "hello world", 2},
		{"azure_openai/gpt-4o-mini", "", 0},
		{"gpt-35-turbo", "The quick brown fox jumps over the lazy dog.", 10},
		{"claude-haiku-4-5", "tiktoken is great!", 6},
	}
	for _, tt := range tests {
		if got := c.Count(tt.model, tt.text); got != tt.want {
			t.Errorf("Count(%q, %q) = %d, want %d", tt.model, tt.text, got, tt.want)
		}
	}
}

func TestEncoding(t *testing.T) {
	for model, want := range map[string]string{
		"gpt-4o": "o200k_base", "openai/gpt-4.1-mini": "o200k_base", "o3": "o200k_base", "gpt-5-nano": "o200k_base",
		"gpt-4": "cl100k_base", "gpt-35-turbo": "cl100k_base", "gemini-2.5-flash": "cl100k_base",
	} {
		if got := Encoding(model); got != want {
			t.Errorf("Encoding(%q) = %s, want %s", model, got, want)
		}
	}
}

func BenchmarkCount(b *testing.B) {
	var c Counter
	text := "The quick brown fox jumps over the lazy dog. "
	c.Count("gpt-4o", text)
	b.ReportAllocs()
	for b.Loop() {
		c.Count("gpt-4o", text)
	}
}
