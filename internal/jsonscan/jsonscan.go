// Package jsonscan reads JSON without reflection, for the few hot paths
// where encoding/json's cost per byte shows in profiles: a message's text in
// a request body and the chunks of a streamed answer.
//
// A Scanner validates what it reads as strictly as encoding/json does, but
// it only understands plain shapes. Anything else (a key spelled with
// escapes, a number where a string is wanted, malformed input) makes it fail,
// and a failed Scanner stays failed: its caller then decodes the same bytes
// with encoding/json, so that results and error messages are exactly those
// of the standard library.
package jsonscan

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner reads one JSON text from a byte slice. The zero value reads an
// empty text; use New.
type Scanner struct {
	b      []byte
	i      int
	failed bool
}

// New returns a Scanner over b.
func New(b []byte) Scanner { return Scanner{b: b} }

// OK reports whether everything read so far was understood.
func (s *Scanner) OK() bool { return !s.failed }

// Fail marks the scan as failed, for a caller that met a value it does not
// handle.
func (s *Scanner) Fail() { s.failed = true }

func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte that is not white space, or 0 at the end.
func (s *Scanner) peek() byte {
	s.ws()
	if s.failed || s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// End reports whether only white space is left and nothing failed.
func (s *Scanner) End() bool {
	s.ws()
	if s.i != len(s.b) {
		s.failed = true
	}
	return !s.failed
}

// Enter consumes the opening byte of an object ('{') or an array ('[').
func (s *Scanner) Enter(open byte) bool {
	if s.peek() != open {
		s.failed = true
		return false
	}
	s.i++
	return true
}

// Next moves to the next member of the object or element of the array
// being read, whose closing byte is close; first must point to true before
// the first call. It returns false after consuming close, or on failure.
func (s *Scanner) Next(close byte, first *bool) bool {
	c := s.peek()
	if c == close && *first {
		s.i++
		return false
	}
	if !*first {
		switch c {
		case close:
			s.i++
			return false
		case ',':
			s.i++
			if c = s.peek(); c == close || c == 0 {
				s.failed = true
				return false
			}
		default:
			s.failed = true
			return false
		}
	}
	*first = false
	if c == 0 {
		s.failed = true
		return false
	}
	return true
}

// Key reads an object member's name and its colon. A name with escapes
// fails: encoding/json compares names after unquoting.
func (s *Scanner) Key() []byte {
	if s.peek() != '"' {
		s.failed = true
		return nil
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		if c == '"' {
			s.i = j + 1
			if s.peek() != ':' {
				s.failed = true
				return nil
			}
			s.i++
			return s.b[start:j]
		}
		if c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
			break
		}
	}
	s.failed = true
	return nil
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
		s.failed = true
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
	switch s.peek() {
	case 'n':
		s.literal("null")
		return ""
	case '"':
	default:
		s.failed = true
		return ""
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			raw := s.b[start:j]
			if string(raw) == reuse {
				return reuse
			}
			return string(raw)
		case c < 0x20:
			s.failed = true
			return ""
		case c == '\\' || c >= utf8.RuneSelf:
			out, end, ok := unquoteSlow(s.b, start, j)
			if !ok {
				s.failed = true
				return ""
			}
			s.i = end
			return out
		}
	}
	s.failed = true
	return ""
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

// unquoteSlow decodes the string whose text starts at b[start], from b[j]
// on, where the first escape or non-ASCII byte is. It returns the text and
// the index after the closing quote. Invalid UTF-8 and lone surrogates
// become U+FFFD, as encoding/json makes them.
func unquoteSlow(b []byte, start, j int) (string, int, bool) {
	out := make([]byte, 0, j-start+64)
	out = append(out, b[start:j]...)
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			return string(out), j + 1, true
		case c < 0x20:
			return "", 0, false
		case c == '\\':
			if j+1 >= len(b) {
				return "", 0, false
			}
			switch e := b[j+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(b, j+2)
				if !ok {
					return "", 0, false
				}
				j += 6
				if utf16.IsSurrogate(r) {
					// A valid pair is one rune; anything else makes the
					// first half U+FFFD and leaves the next escape alone.
					if r2, ok := hex4(b, j+2); ok && j+1 < len(b) && b[j] == '\\' && b[j+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							j += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return "", 0, false
			}
			j += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[j:j+size]...)
			}
			j += size
		}
	}
	return "", 0, false
}

// skipString consumes a string, checking its escapes, without copying it.
func (s *Scanner) skipString() {
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return
		case c < 0x20:
			s.failed = true
			return
		case c == '\\':
			if j+1 >= len(s.b) {
				s.failed = true
				return
			}
			switch s.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if _, ok := hex4(s.b, j+2); !ok {
					s.failed = true
					return
				}
				j += 5
			default:
				s.failed = true
				return
			}
		}
	}
	s.failed = true
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
	if s.peek() == 'n' {
		s.literal("null")
		return 0
	}
	start := s.i
	end, ok := s.number()
	if !ok {
		s.failed = true
		return 0
	}
	v, err := strconv.ParseInt(string(s.b[start:end]), 10, 64)
	if err != nil || v != int64(int(v)) {
		s.failed = true
		return 0
	}
	return v
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

// maxDepth bounds the nesting Skip follows, as encoding/json bounds it.
const maxDepth = 10000

// Skip consumes one value of any kind, checking that it is valid JSON.
func (s *Scanner) Skip() { s.skip(0) }

func (s *Scanner) skip(depth int) {
	if depth > maxDepth {
		s.failed = true
		return
	}
	switch c := s.peek(); {
	case c == '"':
		s.skipString()
	case c == '{':
		s.i++
		for first := true; s.Next('}', &first); {
			if s.peek() != '"' {
				s.failed = true
				return
			}
			s.skipString()
			if s.peek() != ':' {
				s.failed = true
				return
			}
			s.i++
			s.skip(depth + 1)
		}
	case c == '[':
		s.i++
		for first := true; s.Next(']', &first); {
			s.skip(depth + 1)
		}
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		end, _ := scanNumber(s.b, s.i)
		if end < 0 {
			s.failed = true
			return
		}
		s.i = end
	default:
		s.failed = true
	}
}
