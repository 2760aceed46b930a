// Package jsonscan reads JSON without reflection, for the few hot paths
// where encoding/json's cost per byte shows in profiles: chat request
// bodies, whose prompts make most of their bytes, and the chunks of a
// streamed answer.
//
// A Scanner validates what it reads as strictly as encoding/json does, but
// it only understands plain shapes. Anything else (a key spelled with
// escapes, a number where a string is wanted, malformed input) makes it fail,
// and a failed Scanner stays failed: its caller then decodes the same bytes
// with encoding/json, so that results and error messages are exactly those
// of the standard library.
package jsonscan

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/llmgate/llmgate/internal/jsonappend"
)

// Scanner reads one JSON text from a byte slice. The zero value reads an
// empty text; use New.
type Scanner struct {
	b []byte
	i int
	// depth counts the objects and arrays open at i, which encoding/json
	// bounds.
	depth  int
	failed bool
	shared bool // String and Text return views: see NewShared
	lent   bool // Text returns views: see NewLent
	// lits, when not nil, records the JSON form of the long texts Text
	// reads: see NewLent.
	lits *Literals
}

// New returns a Scanner over b.
func New(b []byte) Scanner { return Scanner{b: b} }

// sharedMin is the shortest string a shared Scanner returns without a
// copy. Shorter ones cost little to copy, and a short string (a model name,
// a user id) is the kind a caller keeps after the request, which would keep
// all of b alive with it.
const sharedMin = 1024

// NewShared returns a Scanner over b whose String returns a string of at
// least sharedMin bytes that has no escapes as a view of b, not a copy: for
// a large body, that saves copying and allocating its long texts again. b
// must never change again; its owner gives it up to the strings, and the
// garbage collector keeps it while any of them lives.
func NewShared(b []byte) Scanner { return Scanner{b: b, shared: true} }

// NewLent returns a Scanner over b whose Text returns a long plain string
// as a view of b, as NewShared's String does, while String copies, as
// New's does. b is lent to the texts, not given: its owner reuses it once
// they are no longer used, and a view of it read after that reads other
// bytes. Text is therefore for the values whose lifetime the caller
// controls (the prompts of a request, which end with it), and String for
// any value that might be kept (a model name, a user id). When lits is not
// nil, Text also records there each text of at least sharedMin bytes it
// reads, with the JSON form it was read from: see Literals.
func NewLent(b []byte, lits *Literals) Scanner { return Scanner{b: b, lent: true, lits: lits} }

// Literals remembers the JSON form of the long texts a Scanner from
// NewLent read, so that an encoder writing one of them unchanged
// can copy the bytes the client sent rather than check and escape the
// text again: a prompt of lines, tabs and quotes has an escape every few
// bytes, each a stop for the decoder and again for the encoder, and a
// plain one is still read whole by the encoder's checks. A literal is a
// view of the lent bytes and lasts as long as they do. Only literals that
// say exactly what their text says are kept: valid UTF-8, without \u
// escapes (a lone surrogate decodes to U+FFFD, and some parsers refuse
// it).
type Literals struct {
	list []literal
}

type literal struct {
	text string
	raw  []byte
}

// Literal returns the bytes between the quotes of the JSON string that
// text was decoded from, when text is one of l's texts: the same string,
// not another with the same bytes, which a caller that changed a text
// would have made. A nil l has none.
func (l *Literals) Literal(text string) ([]byte, bool) {
	if l == nil || len(text) < sharedMin {
		return nil, false
	}
	for _, e := range l.list {
		if len(e.text) == len(text) && unsafe.StringData(e.text) == unsafe.StringData(text) {
			return e.raw, true
		}
	}
	return nil, false
}

// AppendText appends text to b as a JSON string: in the client's own JSON
// form when l holds one for it (see Literal), which may escape less than
// encoding/json does, else escaped as encoding/json escapes it. The
// encoders of upstream bodies write a prompt's texts with it.
func (l *Literals) AppendText(b []byte, text string) []byte {
	if raw, ok := l.Literal(text); ok {
		b = append(b, '"')
		b = append(b, raw...)
		return append(b, '"')
	}
	return jsonappend.String(b, text)
}

// Reset forgets every literal, when the bytes they view are given back.
func (l *Literals) Reset() {
	clear(l.list)
	l.list = l.list[:0]
}

type literalsKey struct{}

// LiteralsKey is the context key under which a request's Literals are
// found (see LiteralsFrom), for a context that answers it itself.
func LiteralsKey() any { return literalsKey{} }

// LiteralsFrom returns the Literals ctx carries, or nil.
func LiteralsFrom(ctx context.Context) *Literals {
	l, _ := ctx.Value(literalsKey{}).(*Literals)
	return l
}

// OK reports whether everything read so far was understood.
func (s *Scanner) OK() bool { return !s.failed }

// Fail marks the scan as failed, for a caller that met a value it does not
// handle.
func (s *Scanner) Fail() { s.fail() }

// fail marks the scan as failed and drops the input, so that every later
// read meets its end: the reads need not test failed first, and a caller's
// loop over members or elements stops at once.
func (s *Scanner) fail() {
	s.failed = true
	s.b = nil
	s.i = 0
}

func (s *Scanner) ws() {
	// White space is at most ' ', and most tokens follow none.
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return
	}
	s.i = skipSpace(s.b, s.i)
}

// skipSpace returns the index of the first byte of b at or after i that is
// not white space, or len(b).
func skipSpace(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return i
}

// Peek returns the next byte that is not white space, without consuming
// it, so that a caller can tell the kind of the next value; it returns 0 at
// the end or once the scan has failed.
func (s *Scanner) Peek() byte { return s.peek() }

// Offset returns the index in the scanned bytes of what is read next: with
// an Offset taken after Peek and one after a value, a caller has the
// value's bytes.
func (s *Scanner) Offset() int { return s.i }

// peek returns the next byte that is not white space, or 0 at the end or
// once the scan has failed, which drops the input.
func (s *Scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// End reports whether only white space is left and nothing failed.
func (s *Scanner) End() bool {
	s.ws()
	if s.i != len(s.b) {
		s.fail()
	}
	return !s.failed
}

// Enter consumes the opening byte of an object ('{') or an array ('['). It
// fails beyond the nesting depth encoding/json accepts.
func (s *Scanner) Enter(open byte) bool {
	if s.peek() != open {
		s.fail()
		return false
	}
	s.i++
	if s.depth++; s.depth > maxDepth {
		s.fail()
		return false
	}
	return true
}

// Next moves to the next member of the object or element of the array
// being read, whose closing byte is close; first must point to true before
// the first call. It returns false after consuming close, or on failure.
func (s *Scanner) Next(close byte, first *bool) bool {
	// Compact JSON puts the next member or element right after the comma.
	if i := s.i; !*first && uint(i+1) < uint(len(s.b)) && s.b[i] == ',' {
		if c := s.b[i+1]; c > ' ' && c != close {
			s.i = i + 1
			return true
		}
	}
	c := s.peek()
	if c == close && *first {
		s.i++
		s.depth--
		return false
	}
	if !*first {
		switch c {
		case close:
			s.i++
			s.depth--
			return false
		case ',':
			s.i++
			if c = s.peek(); c == close || c == 0 {
				s.fail()
				return false
			}
		default:
			s.fail()
			return false
		}
	}
	*first = false
	if c == 0 {
		s.fail()
		return false
	}
	return true
}

// Key reads an object member's name and its colon. A name with escapes
// fails: encoding/json compares names after unquoting.
func (s *Scanner) Key() []byte {
	if s.peek() != '"' {
		s.fail()
		return nil
	}
	start := s.i + 1
	if j := start + asciiLen(s.b[start:]); j+1 < len(s.b) && s.b[j] == '"' {
		// Compact JSON puts the colon right after the name.
		if s.b[j+1] == ':' {
			s.i = j + 2
			return s.b[start:j]
		}
		s.i = j + 1
		if s.peek() == ':' {
			s.i++
			return s.b[start:j]
		}
	}
	s.fail()
	return nil
}

// Member moves to the next member of the object being read, as Next('}',
// first) does, and reads its name and colon, as Key does. It returns false
// after consuming the closing '}', or on failure. A loop over an object's
// members makes one call per member this way rather than two.
func (s *Scanner) Member(first *bool) (name []byte, ok bool) {
	// Compact JSON, with no white space between tokens, takes this path;
	// member reads the rest.
	b, i := s.b, s.i
	if uint(i) >= uint(len(b)) {
		return s.member(first)
	}
	switch c := b[i]; {
	case c == '}':
		s.i = i + 1
		s.depth--
		return nil, false
	case c == '"' && *first:
	case c == ',' && !*first && i+1 < len(b) && b[i+1] == '"':
		i++
	default:
		return s.member(first)
	}
	// Most names end in their first word, and are followed by the colon.
	if start := i + 1; start+8 <= len(b) {
		j := 0
		if m := nameEnds(word(b, start)); m != 0 {
			j = start + bits.TrailingZeros64(m)>>3
		} else {
			j = start + 8 + asciiLen(b[start+8:])
		}
		if j+2 <= len(b) && binary.LittleEndian.Uint16(b[j:j+2:j+2]) == '"'|':'<<8 {
			*first = false
			s.i = j + 2
			return b[start:j], true
		}
	}
	return s.member(first)
}

// member is Member for any JSON.
func (s *Scanner) member(first *bool) ([]byte, bool) {
	b, i := s.b, skipSpace(s.b, s.i)
	if i >= len(b) {
		s.fail()
		return nil, false
	}
	switch c := b[i]; {
	case c == '}':
		s.i = i + 1
		s.depth--
		return nil, false
	case *first:
		*first = false
	case c == ',':
		i = skipSpace(b, i+1)
	default:
		s.fail()
		return nil, false
	}
	if i >= len(b) || b[i] != '"' {
		s.fail()
		return nil, false
	}
	start := i + 1
	if j := start + asciiLen(b[start:]); j < len(b) && b[j] == '"' {
		if k := skipSpace(b, j+1); k < len(b) && b[k] == ':' {
			s.i = k + 1
			return b[start:j], true
		}
	}
	s.fail()
	return nil, false
}

// asciiLen returns the number of bytes of b before its first quote,
// backslash, control byte or byte >= 0x80, or len(b). Names are short, and
// most fill a word or two, so it tests eight bytes at a time: a byte is
// flagged when it has its high bit set, or when subtracting from every
// byte at once borrows from it, 0x20 from a control byte, one from a byte
// that is zero once xored with a quote or a backslash. A borrow can flag
// the bytes after a flagged one but never before it, so the lowest flag is
// the byte sought.
func asciiLen(b []byte) int {
	n := 0
	for ; n+8 <= len(b); n += 8 {
		if m := nameEnds(word(b, n)); m != 0 {
			return n + bits.TrailingZeros64(m)>>3
		}
	}
	for ; n < len(b); n++ {
		if c := b[n]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return n
}

// plainASCII reports whether t has no quote, backslash, control byte or
// byte >= 0x80: whether it is, as it is, the text of a string with no
// escape. It is asciiLen(t) == len(t), without the search for where: the
// words' flags are ORed, the last word overlapping the one before it.
func plainASCII(t []byte) bool {
	if len(t) < 8 {
		return asciiLen(t) == len(t)
	}
	var m uint64
	for n := 0; n+8 <= len(t); n += 8 {
		m |= nameEnds(word(t, n))
	}
	return m|nameEnds(word(t, len(t)-8)) == 0
}

// nameEnds flags, in the high bit of its byte, each byte of the word x
// that asciiLen stops at, and maybe bytes after the first flagged one.
func nameEnds(x uint64) uint64 {
	q := x ^ (lsbs * '"')
	e := x ^ (lsbs * '\\')
	return (x | (x - lsbs*0x20) | (q - lsbs) | (e - lsbs)) & msbs
}

// Null consumes a null and reports whether there was one.
func (s *Scanner) Null() bool {
	if s.peek() == 'n' && s.literal("null") {
		return true
	}
	return false
}

func (s *Scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		s.fail()
		return false
	}
	s.i += len(lit)
	return true
}

// String reads a string, or null as "", the way encoding/json decodes into
// a string. When the string's text equals reuse, reuse is returned rather
// than a new copy, so that values repeated on every stream chunk (an id, a
// model) are not allocated each time.
func (s *Scanner) String(reuse string) string {
	// The text is compared with reuse first. When it is reuse's bytes and
	// they need no escapes, the scan goes on from reuse's length, known in
	// advance, rather than from a search for the closing quote: the next
	// read can start before the bytes are checked.
	if n, b, i := len(reuse), s.b, s.i; n > 0 && i+n+1 < len(b) && b[i] == '"' && b[i+n+1] == '"' {
		if t := b[i+1 : i+n+1]; string(t) == reuse && plainASCII(t) {
			s.i = i + n + 2
			return reuse
		}
	}
	raw, plain, high := s.text()
	switch {
	case !plain:
		return s.unquote(raw, high)
	case string(raw) == reuse:
		return reuse
	case s.shared && len(raw) >= sharedMin:
		return unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	return string(raw)
}

// Text reads a string, or null as "", as String does, but for a Scanner
// from NewShared or NewLent returns a string of at least sharedMin bytes
// that has no escapes as a view of the Scanner's bytes; see NewLent.
func (s *Scanner) Text() string {
	raw, plain, high := s.text()
	switch {
	case !plain && s.lits != nil && len(raw) >= sharedMin:
		valid := !high || utf8.Valid(raw)
		text, u, ok := unquoteU(raw, !valid)
		if !ok {
			s.fail()
			return ""
		}
		if valid && !u {
			s.lits.list = append(s.lits.list, literal{text: text, raw: raw})
		}
		return text
	case !plain:
		return s.unquote(raw, high)
	case (s.shared || s.lent) && len(raw) >= sharedMin:
		text := unsafe.String(unsafe.SliceData(raw), len(raw))
		if s.lits != nil {
			// Plain: its bytes are its JSON form.
			s.lits.list = append(s.lits.list, literal{text: text, raw: raw})
		}
		return text
	}
	return string(raw)
}

// StringFrom reads a string as String does, but returns the element of
// known that equals its text, if one does, rather than a new copy: the few
// values a field takes (a role, a part's type) cost no allocation.
func (s *Scanner) StringFrom(known []string) string {
	raw, plain, high := s.text()
	if !plain {
		return s.unquote(raw, high)
	}
	for _, k := range known {
		if string(raw) == k {
			return k
		}
	}
	return string(raw)
}

// text consumes a string, or null, and returns the bytes between its
// quotes. plain reports that they are the string's text as they are: no
// escapes and valid UTF-8; high that they may hold bytes >= 0x80. A null,
// or a failure, returns nil and true. The escapes of a text that is not
// plain are not checked yet: the caller decodes it with unquote or
// unquoteU, which check them.
func (s *Scanner) text() (raw []byte, plain, high bool) {
	switch s.peek() {
	case 'n':
		s.literal("null")
		return nil, true, false
	case '"':
	default:
		s.fail()
		return nil, true, false
	}
	start := s.i + 1
	end, high, escaped := textEnd(s.b, start)
	if end < 0 {
		s.fail()
		return nil, true, false
	}
	s.i = end + 1
	raw = s.b[start:end]
	return raw, !escaped && (!high || utf8.Valid(raw)), high
}

// Unquote returns the text of b, which must be one JSON string literal,
// possibly surrounded by white space. It reports false for anything else.
func Unquote(b []byte) (string, bool) {
	s := New(b)
	if s.peek() != '"' {
		return "", false
	}
	v := s.String("")
	return v, s.End()
}

// word returns the eight bytes of b from i on as a little-endian word; i+8
// must be at most len(b). Its slice of exactly eight bytes spares the
// bounds checks of a slice to the end.
func word(b []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(b[i : i+8 : i+8])
}

// The SWAR constants: one in the low bit, or the high bit, of every byte
// of a word.
const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// stringEnd finds the closing quote of the string whose text starts at
// b[i], checking its escapes, and returns its index, or -1 when the string
// is malformed or unterminated. high reports a byte >= 0x80 on the way,
// escaped an escape.
func stringEnd(b []byte, i int) (end int, high, escaped bool) {
	if end, high := shortStringEnd(b, i); end >= 0 {
		return end, high, false
	}
	return longStringEnd(b, i)
}

// shortStringEnd finds the closing quote of a string, as stringEnd does,
// when it is the first special byte in the first words of the text, and
// returns -1 when it is not. Most strings outside prompts (ids, names, a
// chunk's few words) are short and plain: they are found here, with no
// call and seen in a register.
func shortStringEnd(b []byte, i int) (end int, high bool) {
	var seen uint64
	for j := i; j+8 <= len(b) && j < i+32; j += 8 {
		x := word(b, j)
		seen |= x
		if m := specials(x); m != 0 {
			if j += bits.TrailingZeros64(m) >> 3; b[j] == '"' {
				return j, seen&msbs != 0
			}
			break
		}
	}
	return -1, false
}

// textEnd is stringEnd for a string whose text is about to be decoded: it
// finds the closing quote and rules out control bytes, but leaves the
// escapes to unquoteU, which reads each of them anyway, so that text dense
// in escapes (a line break, a tab or a quote every few dozen bytes) is read
// escape by escape once rather than twice. The closing quote is the first
// quote after an even run of backslashes: an escape's backslash is never
// itself escaped, and an odd run ends with the one that escapes the quote.
func textEnd(b []byte, i int) (end int, high, escaped bool) {
	if end, high := shortStringEnd(b, i); end >= 0 {
		return end, high, false
	}
	q := i
	for {
		k := indexNear(b, q, '"')
		if k < 0 {
			return -1, false, false
		}
		q = k
		p := q
		for p > i && b[p-1] == '\\' {
			p--
		}
		if (q-p)%2 == 0 {
			break
		}
		q++
	}
	escaped = bytes.IndexByte(b[i:q], '\\') >= 0
	ctl, seen := controls(b[i:q])
	if ctl&msbs != 0 {
		return -1, false, false
	}
	return q, seen&msbs != 0, escaped
}

// indexNear returns the index of the first c of b at or after i, or -1.
// Text dense in escapes has its next quote or backslash within a few
// words (a tool's JSON answer in a message escapes a quote every few
// bytes), found there without a call; bytes.IndexByte searches longer runs.
func indexNear(b []byte, i int, c byte) int {
	for n := 0; n < 4 && i+8 <= len(b); n++ {
		x := word(b, i) ^ lsbs*uint64(c)
		if m := (x - lsbs) &^ x & msbs; m != 0 {
			// A borrow flags only bytes above a zero byte: the lowest
			// flag is the first c.
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	if k := bytes.IndexByte(b[i:], c); k >= 0 {
		return i + k
	}
	return -1
}

// longStringEnd is stringEnd for strings with escapes, and long ones.
func longStringEnd(b []byte, i int) (end int, high, escaped bool) {
	var seen uint64
	quote := -1
	for {
		i = nextSpecial(b, i, &seen, &quote)
		if i >= len(b) || b[i] < 0x20 {
			return -1, false, false
		}
		if b[i] == '"' {
			// seen may hold bytes past the quote: high is only a hint,
			// which sends the text to utf8.Valid.
			return i, seen&msbs != 0, escaped
		}
		escaped = true
		if i+1 >= len(b) {
			return -1, false, false
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if _, ok := hex4(b, i+2); !ok {
				return -1, false, false
			}
			i += 6
		default:
			return -1, false, false
		}
	}
}

// controls returns, for the bytes of b, a word with the high bit of a byte
// set if a byte of b is a control byte, and maybe a few more (see
// nextSpecial), and a word whose high bits are set, in some bytes, if a
// byte of b is beyond ASCII.
//
// A prompt of 100 KiB goes through here: its blocks go to controlBlocks,
// sixteen bytes an instruction on amd64 (controls_amd64.s), else
// controlBlocksSWAR; the words and bytes after the last block are tested
// here.
func controls(b []byte) (ctl, seen uint64) {
	n := len(b) &^ (controlBlock - 1)
	c, h := controlBlocks(b[:n])
	if c {
		ctl = msbs
	}
	if h {
		seen = msbs
	}
	b = b[n:]
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b[:8:8])
		seen |= x
		ctl |= (x - lsbs*0x20) &^ x
		b = b[8:]
	}
	for _, c := range b {
		seen |= uint64(c)
		if c < 0x20 {
			ctl |= msbs
		}
	}
	return ctl, seen
}

// controlBlocksSWAR is controlBlocks in Go, for b of a multiple of 32
// bytes: four words a step, each into accumulators of its own, so that the
// steps do not wait for one another (one word a step took twice as long).
func controlBlocksSWAR(b []byte) (ctl, high bool) {
	var c0, c1, c2, c3, s0, s1, s2, s3 uint64
	for len(b) >= 32 {
		w := b[:32:32]
		x0 := binary.LittleEndian.Uint64(w[0:8])
		x1 := binary.LittleEndian.Uint64(w[8:16])
		x2 := binary.LittleEndian.Uint64(w[16:24])
		x3 := binary.LittleEndian.Uint64(w[24:32])
		s0 |= x0
		s1 |= x1
		s2 |= x2
		s3 |= x3
		c0 |= (x0 - lsbs*0x20) &^ x0
		c1 |= (x1 - lsbs*0x20) &^ x1
		c2 |= (x2 - lsbs*0x20) &^ x2
		c3 |= (x3 - lsbs*0x20) &^ x3
		b = b[32:]
	}
	return (c0|c1|c2|c3)&msbs != 0, (s0|s1|s2|s3)&msbs != 0
}

// nextSpecial returns the index of the first quote, backslash or control
// byte of b at or after i, or len(b), and ORs into seen the bytes it
// passes, and maybe a few more, or for long text a word whose high bits
// say whether one was beyond ASCII: seen&msbs is what callers read. quote
// caches the index of the first quote at or after i across the calls for
// one string; it starts below 0.
//
// Prompts make strings the bulk of a request body, so this is the loop a
// body's bytes go through. Short strings (names, roles, ids) are scanned
// eight bytes at a time: a byte is flagged in a word when it is a quote, a
// backslash or a control byte, each test subtracting from every byte at
// once; a borrow can flag a byte after a flagged one but never before it,
// so the lowest flag is the byte to look at. Longer text is searched for
// its quote and its next backslash with bytes.IndexByte, which is
// vectorized, and the text before them for control bytes (controls).
func nextSpecial(b []byte, i int, seen *uint64, quote *int) int {
	for n := 0; n < 4 && i+8 <= len(b); n++ {
		x := word(b, i)
		*seen |= x
		if m := specials(x); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	if i+8 > len(b) {
		for ; i < len(b); i++ {
			c := b[i]
			if c == '"' || c == '\\' || c < 0x20 {
				return i
			}
			*seen |= uint64(c)
		}
		return i
	}
	if *quote < i {
		*quote = len(b)
		if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
			*quote = i + q
		}
	}
	end := *quote
	if e := bytes.IndexByte(b[i:end], '\\'); e >= 0 {
		end = i + e
	}
	ctl, passed := controls(b[i:end])
	*seen |= passed
	if ctl&msbs == 0 {
		return end
	}
	for b[i] >= 0x20 {
		i++
	}
	return i
}

// specials flags, in the high bit of its byte, each quote, backslash and
// control byte of the word x, and maybe bytes after the first flagged one.
func specials(x uint64) uint64 {
	q := x ^ (lsbs * '"')
	e := x ^ (lsbs * '\\')
	return (((x - lsbs*0x20) &^ x) | ((q - lsbs) &^ q) | ((e - lsbs) &^ e)) & msbs
}

// unquote decodes the text of a string whose closing quote textEnd has
// found, which may hold bytes >= 0x80 when high is set, and fails the
// Scanner when an escape is malformed. Invalid UTF-8 and lone surrogates
// become U+FFFD, as encoding/json makes them.
func (s *Scanner) unquote(raw []byte, high bool) string {
	text, _, ok := unquoteU(raw, high)
	if !ok {
		s.fail()
	}
	return text
}

// unquoteU decodes raw as unquote does, checking its escapes (ok is false
// when one is malformed), and also reports whether raw holds a \u escape,
// which it meets on its way: Text keeps no literal of a text with one,
// and needs no search of its own to know.
//
// Text with escapes is mostly prose with a line break, a tab or a quote
// every few dozen bytes (markdown, code). Its runs between escapes are
// copied a word at a time, each word stored whole before it is tested for
// a backslash, so that a run costs no call and the part of a word after a
// backslash is simply overwritten: an escape never lengthens the text, so
// the output never passes the input's length, and a word stored at the
// output's index fits when one could be read at the input's.
func unquoteU(raw []byte, high bool) (text string, u, ok bool) {
	// Escapes are ASCII and split no character, so when the whole text is
	// valid UTF-8, every run between escapes is: one check of it all
	// rather than one per run, of which text dense in escapes has many.
	if high && !utf8.Valid(raw) {
		return unquoteRepair(raw)
	}
	out := make([]byte, len(raw))
	j, n := 0, 0
	for {
		for j+8 <= len(raw) {
			x := word(raw, j)
			binary.LittleEndian.PutUint64(out[n:n+8:n+8], x)
			y := x ^ lsbs*'\\'
			if m := (y - lsbs) &^ y & msbs; m != 0 {
				// A borrow flags only bytes above a zero byte: the lowest
				// flag is the first backslash.
				k := bits.TrailingZeros64(m) >> 3
				j += k
				n += k
				break
			}
			j += 8
			n += 8
		}
		for j < len(raw) && raw[j] != '\\' {
			out[n] = raw[j]
			j++
			n++
		}
		if j >= len(raw) {
			break
		}
		if j+1 >= len(raw) {
			return "", false, false
		}
		e := raw[j+1]
		if c := escapes[e]; c != 0 {
			out[n] = c
			j += 2
			n++
			continue
		}
		if e != 'u' {
			return "", false, false
		}
		u = true
		r, next, ok := unicodeEscape(raw, j)
		if !ok {
			return "", false, false
		}
		n += utf8.EncodeRune(out[n:], r)
		j = next
	}
	return unsafe.String(unsafe.SliceData(out), n), u, true
}

// escapes maps the letter after a backslash to the byte its escape stands
// for; it is 0 for 'u', whose escape is a code point (unicodeEscape), and
// for the letters JSON does not escape. unquoteU and unquoteRepair share
// it (it measured the same as a switch).
var escapes = [256]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\', '/': '/'}

// unicodeEscape decodes the \u escape at raw[j] and returns its code point
// and the index after it; ok is false when it is malformed. A surrogate
// pair of two escapes is one rune; a half without its other half is
// U+FFFD, and leaves the escape after it alone, as encoding/json does.
func unicodeEscape(raw []byte, j int) (r rune, next int, ok bool) {
	if r, ok = hex4(raw, j+2); !ok {
		return 0, 0, false
	}
	j += 6
	if utf16.IsSurrogate(r) {
		if r2, ok := hex4(raw, j+2); ok && raw[j] == '\\' && raw[j+1] == 'u' {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, j + 6, true
			}
		}
		r = utf8.RuneError
	}
	return r, j, true
}

// unquoteRepair is unquoteU for text that is not valid UTF-8: each byte
// that is not part of a character becomes U+FFFD, as encoding/json makes
// it, which may lengthen the text.
func unquoteRepair(raw []byte) (text string, u, ok bool) {
	out := make([]byte, 0, len(raw)+len(raw)/4)
	for j := 0; j < len(raw); {
		k := indexNear(raw, j, '\\')
		if k < 0 {
			k = len(raw)
		}
		out = appendValid(out, raw[j:k])
		if j = k; j >= len(raw) {
			break
		}
		if j+1 >= len(raw) {
			return "", false, false
		}
		e := raw[j+1]
		if c := escapes[e]; c != 0 {
			out = append(out, c)
			j += 2
			continue
		}
		if e != 'u' {
			return "", false, false
		}
		u = true
		r, next, ok := unicodeEscape(raw, j)
		if !ok {
			return "", false, false
		}
		out = utf8.AppendRune(out, r)
		j = next
	}
	return unsafe.String(unsafe.SliceData(out), len(out)), u, true
}

// appendValid appends run, a stretch of text without escapes, with each
// byte that is not part of valid UTF-8 replaced by U+FFFD.
func appendValid(out, run []byte) []byte {
	for len(run) > 0 {
		r, size := utf8.DecodeRune(run)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, run[:size]...)
		}
		run = run[size:]
	}
	return out
}

// skipString consumes a string, checking its escapes, without copying it.
func (s *Scanner) skipString() {
	end, _, _ := stringEnd(s.b, s.i+1)
	if end < 0 {
		s.fail()
		return
	}
	s.i = end + 1
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// Int reads an integer, or null as 0. A fraction, an exponent or a value
// out of range fails, as encoding/json fails to decode it into an int.
func (s *Scanner) Int() int64 {
	c := s.peek()
	if c == 'n' {
		s.literal("null")
		return 0
	}
	// Most integers are short (a count, a time): their digits are read
	// and summed in one pass, and the rest take the general path below.
	b, i := s.b, s.i
	if c == '-' {
		i++
	}
	start := i
	var v int64
	// Eight digits at the start (a time in seconds has ten) are summed
	// at once.
	if i+8 <= len(b) {
		if d := word(b, i) - lsbs*'0'; (d|(d+lsbs*(0x80-10)))&msbs == 0 {
			v = int64(eightDigits(d))
			i += 8
		}
	}
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	if n := i - start; n > 0 && n <= 18 && (b[start] != '0' || n == 1) &&
		(i == len(b) || b[i] != '.' && b[i] != 'e' && b[i] != 'E') && v == int64(int(v)) {
		s.i = i
		if c == '-' {
			v = -v
		}
		return v
	}
	start = s.i
	end, ok := s.number()
	if !ok {
		s.fail()
		return 0
	}
	if v, ok := smallInt(s.b[start:end]); ok && v == int64(int(v)) {
		return v
	}
	v, err := strconv.ParseInt(string(s.b[start:end]), 10, 64)
	if err != nil || v != int64(int(v)) {
		s.fail()
		return 0
	}
	return v
}

// eightDigits returns the value of the eight decimal digits in the bytes of
// d, the first in the lowest byte: pairs of digits are summed, then pairs
// of pairs, each step a multiplication that shifts and adds at once.
func eightDigits(d uint64) uint64 {
	d = d*10 + d>>8
	return ((d&0x000000ff000000ff)*(100+1000000<<32) + (d>>16&0x000000ff000000ff)*(1+10000<<32)) >> 32
}

// smallInt returns the value of lit, a valid JSON number, when it is an
// integer of at most 18 digits, which cannot overflow; strconv parses the
// others (and refuses fractions and exponents).
func smallInt(lit []byte) (int64, bool) {
	digits := lit
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if len(digits) < len(lit) {
		v = -v
	}
	return v, true
}

// Float reads a number, or null as 0, parsing the literal as encoding/json
// parses it into a float64; a value out of range fails, as it fails there.
func (s *Scanner) Float() float64 {
	switch c := s.peek(); {
	case c == 'n':
		s.literal("null")
		return 0
	case c != '-' && (c < '0' || c > '9'):
		s.fail()
		return 0
	}
	end, _ := scanNumber(s.b, s.i)
	if end < 0 {
		s.fail()
		return 0
	}
	if v, ok := exactFloat(s.b[s.i:end]); ok {
		s.i = end
		return v
	}
	v, err := strconv.ParseFloat(string(s.b[s.i:end]), 64)
	if err != nil {
		s.fail()
		return 0
	}
	s.i = end
	return v
}

// Numbers reads an array of numbers, or null, as encoding/json decodes it
// into a []float64: null is nil, and a null element 0. The slice has room
// for size numbers to begin with. plain reports an array of numbers only,
// whose JSON text reads back as the slice: not null, and no null element.
// Embeddings are such arrays, thousands of numbers each.
func (s *Scanner) Numbers(size int) (v []float64, plain bool) {
	if s.peek() == 'n' {
		s.literal("null")
		return nil, false
	}
	if !s.Enter('[') {
		return nil, false
	}
	plain = true
	v = make([]float64, 0, size)
	for first := true; s.Next(']', &first); {
		if s.peek() == 'n' {
			s.literal("null")
			v = append(v, 0)
			plain = false
			continue
		}
		v = append(v, s.Float())
	}
	return v, plain
}

// exactPowers are the powers of ten a float64 holds exactly.
var exactPowers = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactFloat converts num, a JSON number, when its digits make an integer
// below 2^53 and its decimal exponent is within ±22: that integer and that
// power of ten are both exact float64 values, so one multiplication or
// division, which IEEE 754 rounds correctly, gives the correctly rounded
// value, as strconv.ParseFloat does by the same reasoning (Clinger's fast
// path). It reports false for any other number. The numbers of an
// embedding, thousands an answer, are such: -0.0023064255.
func exactFloat(num []byte) (float64, bool) {
	i, neg := 0, false
	if num[0] == '-' {
		i, neg = 1, true
	}
	var m uint64
	digits, exp := 0, 0
	for ; i < len(num) && num[i] != 'e' && num[i] != 'E'; i++ {
		c := num[i]
		if c == '.' {
			exp = -(len(num) - i - 1) // corrected below if an exponent follows
			continue
		}
		if m == 0 && c == '0' {
			continue // leading zeros add no digit
		}
		if digits++; digits > 15 {
			return 0, false
		}
		m = m*10 + uint64(c-'0')
	}
	if i < len(num) {
		// The fraction's digits stop at the exponent.
		if exp != 0 {
			exp += len(num) - i
		}
		e, sign := 0, 1
		i++
		if num[i] == '+' || num[i] == '-' {
			if num[i] == '-' {
				sign = -1
			}
			i++
		}
		for ; i < len(num); i++ {
			if e = e*10 + int(num[i]-'0'); e > 1000 {
				return 0, false
			}
		}
		exp += sign * e
	}
	f := float64(m) // exact: m has at most 15 digits
	switch {
	case m == 0:
	case exp < -22 || exp > 22:
		return 0, false
	case exp < 0:
		f /= exactPowers[-exp]
	default:
		f *= exactPowers[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

// SetString reads a string into *dst, as reuse when its text equals reuse.
// A null leaves *dst as it is, as encoding/json leaves a field it meets
// null for, which matters when a key repeats; String reads a null as "".
func (s *Scanner) SetString(dst *string, reuse string) {
	if s.peek() == 'n' {
		s.literal("null")
		return
	}
	*dst = s.String(reuse)
}

// SetKnown is SetString with the element of known the text equals, if
// any, rather than one reuse.
func (s *Scanner) SetKnown(dst *string, known []string) {
	if s.peek() == 'n' {
		s.literal("null")
		return
	}
	*dst = s.StringFrom(known)
}

// SetInt reads an integer into *dst; a null leaves *dst as it is. An
// integer out of int's range fails the scan, as encoding/json refuses it.
func (s *Scanner) SetInt(dst *int) {
	if s.peek() == 'n' {
		s.literal("null")
		return
	}
	n := s.Int()
	if int64(int(n)) != n {
		s.fail()
		return
	}
	*dst = int(n)
}

// SetInt64 is SetInt for an int64.
func (s *Scanner) SetInt64(dst *int64) {
	if s.peek() == 'n' {
		s.literal("null")
		return
	}
	*dst = s.Int()
}

// Bool reads true or false, or null as false.
func (s *Scanner) Bool() bool {
	switch s.peek() {
	case 't':
		return s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	default:
		s.fail()
	}
	return false
}

// Raw consumes one value of any kind, as Skip does, and returns its bytes
// as they are in the input, without the white space around them: what
// encoding/json hands to a json.RawMessage. It returns nil on failure.
func (s *Scanner) Raw() []byte {
	if s.peek() == 0 {
		s.fail()
		return nil
	}
	start := s.i
	s.Skip()
	if s.failed {
		return nil
	}
	return s.b[start:s.i]
}

// number consumes a JSON number and returns its end; it fails for numbers
// with a fraction or an exponent, which Int does not take, but Skip does.
func (s *Scanner) number() (int, bool) {
	end, integer := scanNumber(s.b, s.i)
	if end < 0 || !integer {
		return 0, false
	}
	s.i = end
	return end, true
}

// scanNumber returns the end of the number at b[i], or -1, and whether it
// is an integer.
func scanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return -1, false
	}
	integer := true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1, false
		}
	}
	return i, integer
}

// maxDepth bounds the nesting of objects and arrays, as encoding/json
// bounds it.
const maxDepth = 10000

// Skip consumes one value of any kind, checking that it is valid JSON.
func (s *Scanner) Skip() {
	switch c := s.peek(); {
	case c == '"':
		s.skipString()
	case c == '{' || c == '[':
		s.skipNested()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		end, _ := scanNumber(s.b, s.i)
		if end < 0 {
			s.fail()
			return
		}
		s.i = end
	default:
		s.fail()
	}
}

// skipNested consumes the object or array at s.i and all it holds.
//
// The values a caller skips are mostly small objects (Azure's content
// filter results on every chunk), which a scan by recursion, through Enter,
// Next and Skip for every member, reads at a high cost per byte. This loop
// keeps in a word which of the containers open is an object, as a stack of
// bits; a container nested deeper than the word holds is skipped by a call
// to Skip, so that only one Go frame is needed per 64 levels.
func (s *Scanner) skipNested() {
	b, i := s.b, s.i
	var objects uint64 // bit 0 for the innermost container, set for an object
	level := 0         // containers open, above s.depth
	name := false      // a member's name comes next, not a value
	for {
		if i = skipSpace(b, i); i >= len(b) {
			s.fail()
			return
		}
		c := b[i]
		switch {
		case c == '"':
			// Most names and short values end in one of their first
			// words, with no escape: their closing quote is the first
			// special byte. stringEnd reads the others.
			j := i + 1
			for n := 0; ; n++ {
				if n == 4 || j+8 > len(b) {
					j = -1
					break
				}
				if m := specials(word(b, j)); m != 0 {
					if j += bits.TrailingZeros64(m) >> 3; b[j] != '"' {
						j = -1
					}
					break
				}
				j += 8
			}
			if j < 0 {
				if j, _, _ = stringEnd(b, i+1); j < 0 {
					s.fail()
					return
				}
			}
			i = j + 1
			if name {
				if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
					s.fail()
					return
				}
				i++
				name = false
				continue
			}
		case name:
			s.fail()
			return
		case c == '{' || c == '[':
			if level == 64 {
				s.i = i
				s.depth += level
				s.Skip()
				s.depth -= level
				if s.failed {
					return
				}
				i = s.i
				break
			}
			if s.depth+level >= maxDepth {
				s.fail()
				return
			}
			level++
			objects <<= 1
			if c == '{' {
				objects |= 1
			}
			// '{'+2 is '}', and '['+2 is ']'.
			if i = skipSpace(b, i+1); i < len(b) && b[i] == c+2 {
				i++
				level--
				objects >>= 1
				break
			}
			name = c == '{'
			continue
		case c == 't':
			if len(b)-i < 4 || string(b[i:i+4]) != "true" {
				s.fail()
				return
			}
			i += 4
		case c == 'f':
			if len(b)-i < 5 || string(b[i:i+5]) != "false" {
				s.fail()
				return
			}
			i += 5
		case c == 'n':
			if len(b)-i < 4 || string(b[i:i+4]) != "null" {
				s.fail()
				return
			}
			i += 4
		default:
			end := -1
			if c == '-' || c-'0' <= 9 {
				end, _ = scanNumber(b, i)
			}
			if end < 0 {
				s.fail()
				return
			}
			i = end
		}
		// A value ended at i: what follows closes its containers, or
		// separates it from the next member or element.
		for {
			if level == 0 {
				s.i = i
				return
			}
			if i = skipSpace(b, i); i >= len(b) {
				s.fail()
				return
			}
			close := byte(']')
			if objects&1 != 0 {
				close = '}'
			}
			if b[i] == close {
				i++
				level--
				objects >>= 1
				continue
			}
			if b[i] != ',' {
				s.fail()
				return
			}
			i++
			name = objects&1 != 0
			break
		}
	}
}

// FoldsTo reports whether key matches one of names case-insensitively, as
// encoding/json matches keys that are not spelled exactly. names are lower
// case, and Key and Member only return ASCII keys, so a key without an
// upper-case letter matches only if it is spelled exactly, which the
// callers have ruled out: a hand-written decoder that meets such a key
// leaves the object to encoding/json.
func FoldsTo(key []byte, names []string) bool {
	upper := false
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return false
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// A KeySet is the names of an object's members a decoder reads, with the
// set of their lengths at hand. An ASCII key only folds to a name of its
// own length, and the keys a decoder skips (an OpenAI chunk's object and
// system_fingerprint, Azure's content_filter_results) mostly have a length
// no name has: they are ruled out without a loop over their bytes or the
// names.
type KeySet struct {
	names []string
	lens  uint64 // bit n is set when a name is n bytes long, for n < 64
	lower bool   // every name is lower case: FoldsTo's shortcut holds
}

// NewKeySet returns the KeySet of names, spelled as the decoder matches
// them exactly (modelVersion, finish_reason).
func NewKeySet(names ...string) KeySet {
	k := KeySet{names: names, lower: true}
	for _, n := range names {
		if len(n) < 64 {
			k.lens |= 1 << len(n)
		}
		if strings.ToLower(n) != n {
			k.lower = false
		}
	}
	return k
}

// Folds reports whether key, which the decoder did not match exactly,
// matches one of k's names case-insensitively, as encoding/json would.
func (k *KeySet) Folds(key []byte) bool {
	if len(key) < 64 && k.lens&(1<<len(key)) == 0 {
		return false
	}
	if k.lower {
		return FoldsTo(key, k.names)
	}
	for _, n := range k.names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}
