// Package pricing computes what a request costs from the catalog's prices,
// exactly, in llmgate.Money.
//
// Token prices are quoted per UnitOfMeasure tokens. Pixel (image) prices are
// the price of one image: the seed's catalog gives them a UnitOfMeasure of
// 1000000, yet DALL·E 3's 1024x1024 standard price of 0.04 is per image, so
// the unit of a pixel price is ignored.
package pricing

import (
	"math"
	"strings"

	"github.com/llmgate/llmgate"
)

// Table answers cost questions for one catalog. It is read-only once built
// and safe for concurrent use; its lookups allocate nothing.
type Table struct {
	models map[key]*entry
}

// key identifies a model; a struct key, unlike a concatenated string, costs
// no allocation to look up.
type key struct {
	provider, model string
}

type entry struct {
	// token is the first token price of the model with an input value.
	token *tokenPrice
	// pixels are the model's image prices, in catalog order.
	pixels []pixelPrice
	// hasQuality is true when any pixel price names a quality.
	hasQuality bool
}

type tokenPrice struct {
	unit     int64
	currency string
	input    llmgate.Money
	output   *llmgate.Money
	cached   llmgate.Money
	write    llmgate.Money
}

type pixelPrice struct {
	width, height int
	quality       string
	currency      string
	value         llmgate.Money
}

// New builds the table of cat's prices. The table copies what it needs, so
// cat may change afterwards.
func New(cat *llmgate.Catalog) *Table {
	t := &Table{models: make(map[key]*entry)}
	if cat == nil {
		return t
	}
	for _, p := range cat.Providers {
		for _, m := range p.Models {
			e := new(entry)
			for _, pr := range m.Prices {
				if tp := pr.Token; tp != nil && e.token == nil && tp.Input != nil && pr.UnitOfMeasure > 0 {
					e.token = newTokenPrice(pr, tp)
				}
				if px := pr.Pixel; px != nil {
					e.pixels = append(e.pixels, pixelPrice{
						width:    px.Width,
						height:   px.Height,
						quality:  px.Quality,
						currency: pr.Currency,
						value:    px.Value,
					})
					if px.Quality != "" {
						e.hasQuality = true
					}
				}
			}
			if e.token != nil || len(e.pixels) > 0 {
				t.models[key{p.Name, m.Name}] = e
			}
		}
	}
	return t
}

func newTokenPrice(pr llmgate.Price, tp *llmgate.TokenPrice) *tokenPrice {
	p := &tokenPrice{
		unit:     pr.UnitOfMeasure,
		currency: pr.Currency,
		input:    *tp.Input,
		cached:   *tp.Input,
		write:    *tp.Input,
	}
	if tp.Output != nil {
		out := *tp.Output
		p.output = &out
	}
	if tp.CachedInput != nil {
		p.cached = *tp.CachedInput
	}
	if tp.CacheWrite != nil {
		p.write = *tp.CacheWrite
	}
	return p
}

// ChatCost returns the cost of a chat request with usage u, or nil when the
// model is unknown or not fully priced: it has no token price with an input
// value, or it produced completion tokens and has no output value. An
// unpriced request is nil, never zero.
//
// Prompt tokens read from the provider's cache (u.CachedTokens) cost the
// cached input price and those written to it (u.CacheWriteTokens) the cache
// write price, each the input price when the catalog gives none; the other
// prompt tokens cost the input price. Reasoning tokens are part of the
// completion tokens. Each part is rounded half up to Money's precision.
//
// ChatCost is small enough to be inlined, so that a caller that does not
// keep the result allocates nothing.
func (t *Table) ChatCost(provider, model string, u llmgate.Usage) *llmgate.Cost {
	c, ok := t.chatCost(provider, model, &u)
	if !ok {
		return nil
	}
	return &c
}

func (t *Table) chatCost(provider, model string, u *llmgate.Usage) (llmgate.Cost, bool) {
	e := t.models[key{provider, model}]
	if e == nil || e.token == nil {
		return llmgate.Cost{}, false
	}
	p := e.token
	completion := count(u.CompletionTokens)
	if p.output == nil && completion > 0 {
		return llmgate.Cost{}, false
	}
	cached := count(u.CachedTokens)
	write := count(u.CacheWriteTokens)
	plain := count(u.PromptTokens) - cached - write
	if plain < 0 {
		plain = 0
	}
	in := add(add(p.input.MulDiv(plain, p.unit), p.cached.MulDiv(cached, p.unit)), p.write.MulDiv(write, p.unit))
	var out llmgate.Money
	if p.output != nil {
		out = p.output.MulDiv(completion, p.unit)
	}
	return llmgate.Cost{Currency: p.currency, Input: in, Output: out, Total: add(in, out)}, true
}

// EmbeddingCost returns the cost of an embedding request: its prompt tokens
// at the input price. It is nil when the model has no token price with an
// input value.
func (t *Table) EmbeddingCost(provider, model string, u llmgate.Usage) *llmgate.Cost {
	c, ok := t.embeddingCost(provider, model, &u)
	if !ok {
		return nil
	}
	return &c
}

func (t *Table) embeddingCost(provider, model string, u *llmgate.Usage) (llmgate.Cost, bool) {
	e := t.models[key{provider, model}]
	if e == nil || e.token == nil {
		return llmgate.Cost{}, false
	}
	p := e.token
	in := p.input.MulDiv(count(u.PromptTokens), p.unit)
	return llmgate.Cost{Currency: p.currency, Input: in, Total: in}, true
}

// ImageCost returns the cost of n images of size (WIDTHxHEIGHT) and quality,
// or nil when no price matches. An empty size means 1024x1024. A size
// without a price of its own takes the price of its rotation (1024x1792 the
// price of 1792x1024). Quality matches case-insensitively; an empty quality
// means "standard" when the model's prices name qualities, and a price
// without a quality matches any quality. n ≤ 0 counts as one image. The
// cost is output.
func (t *Table) ImageCost(provider, model, size, quality string, n int) *llmgate.Cost {
	c, ok := t.imageCost(provider, model, size, quality, n)
	if !ok {
		return nil
	}
	return &c
}

func (t *Table) imageCost(provider, model, size, quality string, n int) (llmgate.Cost, bool) {
	e := t.models[key{provider, model}]
	if e == nil || len(e.pixels) == 0 {
		return llmgate.Cost{}, false
	}
	w, h, ok := parseSize(size)
	if !ok {
		return llmgate.Cost{}, false
	}
	if quality == "" && e.hasQuality {
		quality = "standard"
	}
	p := e.match(w, h, quality)
	if p == nil {
		p = e.match(h, w, quality)
	}
	if p == nil {
		return llmgate.Cost{}, false
	}
	if n <= 0 {
		n = 1
	}
	v := p.value.MulDiv(int64(n), 1)
	return llmgate.Cost{Currency: p.currency, Output: v, Total: v}, true
}

// match returns the price of a w×h image of quality: one naming that
// quality if there is one, else one naming no quality.
func (e *entry) match(w, h int, quality string) *pixelPrice {
	var fallback *pixelPrice
	for i := range e.pixels {
		p := &e.pixels[i]
		if p.width != w || p.height != h {
			continue
		}
		if p.quality == "" {
			if fallback == nil {
				fallback = p
			}
			continue
		}
		if strings.EqualFold(p.quality, quality) {
			return p
		}
	}
	return fallback
}

// parseSize reads WIDTHxHEIGHT; "" is 1024x1024.
func parseSize(s string) (w, h int, ok bool) {
	if s == "" {
		return 1024, 1024, true
	}
	i := strings.IndexAny(s, "xX")
	if i < 0 {
		return 0, 0, false
	}
	w, ok1 := atoi(s[:i])
	h, ok2 := atoi(s[i+1:])
	return w, h, ok1 && ok2 && w > 0 && h > 0
}

// atoi reads a small decimal number without allocating.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// count is a token count as MulDiv needs it; a negative count is zero.
func count(n int) int64 {
	if n < 0 {
		return 0
	}
	return int64(n)
}

// add adds two non-negative amounts, saturating at Money's range.
func add(a, b llmgate.Money) llmgate.Money {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
