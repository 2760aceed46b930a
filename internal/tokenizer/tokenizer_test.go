package tokenizer

import (
	"strings"
	"testing"
)

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
	for _, bc := range []struct{ name, text string }{
		{"sentence", "The quick brown fox jumps over the lazy dog. "},
		{"prose", prose},
		{"one_word_16KB", strings.Repeat("a", 16<<10)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var c Counter
			c.Count("gpt-4o", bc.text)
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				c.Count("gpt-4o", bc.text)
			}
		})
	}
}

// prose is text of ordinary words, lines and punctuation, some 6 KB.
var prose = strings.Repeat("The quick brown fox jumps over the lazy dog; it said: \"hello, world\" (twice).\n\tThen 42 foxes, 3.14159 dogs and a URL https://example.com/a?b=c&d=e ran away.  Done!\n", 40)

// TestCountSegmentsLikeAWhole checks that cutting text into segments does
// not change the count of ordinary text: every cut is before a space,
// where tiktoken starts a piece anyway.
func TestCountSegmentsLikeAWhole(t *testing.T) {
	var c Counter
	for _, model := range []string{"gpt-4o", "gpt-4"} {
		enc := c.encoding(Encoding(model))
		if enc == nil {
			t.Fatalf("no encoding for %s", model)
		}
		for _, text := range []string{prose, prose[:maxSegment+1], strings.Repeat("word ", 3*maxSegment)} {
			if got, want := c.Count(model, text), len(enc.EncodeOrdinary(text)); got != want {
				t.Errorf("%s: Count of %d bytes = %d, tiktoken's count of the whole = %d", model, len(text), got, want)
			}
		}
	}
}

// TestCountLongPieces counts texts that tiktoken would take as one piece
// of 100 KB, whose byte-pair merge alone would take minutes: a repeated
// letter, white space, punctuation, a repeated accented letter and
// invalid UTF-8. Each is counted in segments of at most maxSegment bytes;
// a segment cut elsewhere than before a space is cut before a rune.
func TestCountLongPieces(t *testing.T) {
	var c Counter
	const n = 100 << 10
	for name, text := range map[string]string{
		"letter":       strings.Repeat("a", n),
		"spaces":       strings.Repeat(" ", n),
		"newlines":     strings.Repeat("\n", n),
		"punctuation":  strings.Repeat("=", n),
		"accented":     strings.Repeat("é", n/2),
		"invalid":      strings.Repeat("\x80", n),
		"word, spaced": strings.Repeat("a", n) + " " + strings.Repeat("b", n),
	} {
		got := c.Count("gpt-4o", text)
		// Every segment holds at least one token, and no token is empty.
		if got < len(text)/maxSegment || got > len(text) {
			t.Errorf("%s: %d tokens for %d bytes", name, got, len(text))
		}
	}
	// A run of one letter is cut every maxSegment bytes: its count is that
	// of its segments.
	run := strings.Repeat("a", 10*maxSegment)
	if got, want := c.Count("gpt-4o", run), 10*c.Count("gpt-4o", run[:maxSegment]); got != want {
		t.Errorf("a run of %d letters: %d tokens, want 10 segments of %d", len(run), got, want/10)
	}
}
