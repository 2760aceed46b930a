// Package tokenizer counts tokens with OpenAI's tiktoken encodings, for the
// rare answers whose provider reports no usage. The encodings are embedded
// (no download at run time) and loaded on first use only, since each takes
// tens of megabytes once loaded.
package tokenizer

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"
)

// Counter counts tokens. The zero Counter is ready to use and safe for
// concurrent use.
type Counter struct {
	once sync.Once
	mu   sync.Mutex
	enc  map[string]*tiktoken.Tiktoken
}

// Encoding names the tiktoken encoding used for model: o200k_base for the
// GPT-4o, GPT-4.1, GPT-5 and o-series families, cl100k_base for the rest,
// which is also the closest public approximation for other providers' models.
func Encoding(model string) string {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	for _, p := range []string{"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o"} {
		if strings.HasPrefix(m, p) {
			return "o200k_base"
		}
	}
	return "cl100k_base"
}

// maxSegment is the most text Count gives tiktoken at once. tiktoken
// splits text into pieces (a word with its leading space, a run of
// punctuation or of white space) and merges each piece's bytes pairwise,
// in time quadratic in the piece's length: one piece of 16 KB, a prompt
// of a single repeated letter, took a quarter of a second, 100 KB some ten
// seconds, the 1 MiB body limit a quarter of an hour. Count cuts text into
// segments of at most maxSegment bytes, before a space where there is one
// (where a piece starts anyway, so text of ordinary words counts as a
// whole), else before any rune, which bounds the work per byte.
const maxSegment = 512

// Count returns the number of tokens of text for model. It returns -1 if
// the encoding cannot be loaded, so that callers can tell a count from a
// failure.
func (c *Counter) Count(model, text string) int {
	if text == "" {
		return 0
	}
	enc := c.encoding(Encoding(model))
	if enc == nil {
		return -1
	}
	n := 0
	for len(text) > maxSegment {
		cut := strings.LastIndexByte(text[:maxSegment], ' ')
		if cut <= 0 {
			cut = maxSegment
			for i := cut; i > maxSegment-utf8.UTFMax; i-- {
				if utf8.RuneStart(text[i]) {
					cut = i
					break
				}
			}
		}
		n += len(enc.EncodeOrdinary(text[:cut]))
		text = text[cut:]
	}
	return n + len(enc.EncodeOrdinary(text))
}

func (c *Counter) encoding(name string) *tiktoken.Tiktoken {
	c.once.Do(func() {
		tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader())
		c.enc = map[string]*tiktoken.Tiktoken{}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.enc[name]; ok {
		return e
	}
	e, err := tiktoken.GetEncoding(name)
	if err != nil {
		e = nil
	}
	c.enc[name] = e
	return e
}
