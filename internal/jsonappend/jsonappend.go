// Package jsonappend writes JSON values by appending to a byte slice, byte
// for byte as encoding/json's Marshal writes them, HTML escaping included,
// without reflection: for the hand-written encoders of the hot path (the
// upstream request body, the events of a stream), whose differential tests
// compare them with encoding/json.
package jsonappend

import (
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// htmlSafe reports the ASCII bytes that encoding/json writes as they are
// inside a string.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		switch c {
		case '"', '\\', '<', '>', '&':
		default:
			t[c] = true
		}
	}
	return t
}()

// skipPlain returns the index of the first byte of s from i on that a JSON
// string cannot hold as it is (a control character, '"', '\\', one of the
// HTML characters <, > and &) or that is not ASCII and needs a UTF-8 check.
// It checks eight bytes at a time, and returns the start of the last few
// bytes when they do not make a whole word: the caller checks those. It
// pays off on long runs: String calls it after a plain word. A run still
// going after two rounds, with longRun bytes or more left, goes on in
// skipLong, with a's indexes.
func skipPlain(s string, i int, a *ahead) int {
	// Four words per round while all are plain, the common case, then one.
	for n := 0; i+32 <= len(s); i += 32 {
		if unsafeBytes(load64(s, i))|unsafeBytes(load64(s, i+8))|
			unsafeBytes(load64(s, i+16))|unsafeBytes(load64(s, i+24)) != 0 {
			break
		}
		if n++; n == 2 && len(s)-i-32 >= longRun {
			return skipLong(s, i+32, a)
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if m := unsafeBytes(load64(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}

// longRun is the length of the rest of a string from which a plain run
// that skipPlain has followed for two rounds goes on in skipLong.
const longRun = 256

// stopBytes are the ASCII bytes other than control bytes that end a plain
// run.
var stopBytes = [...]byte{'"', '\\', '<', '>', '&'}

// ahead holds, for one string, the index of the next occurrence of each of
// stopBytes, or len(s) for none, as skipLong last found it; an index below
// the scan's position is out of date (the zero value is).
type ahead [len(stopBytes)]int

// skipLong is skipPlain for a long rest of s, with an exact answer. A
// prompt is mostly plain text, where the bytes that stop a run are rare:
// strings.IndexByte, which the runtime vectorizes, finds the next of each
// of stopBytes, and a word loop three operations long looks for control
// and non-ASCII bytes before the first of them. An index is searched
// again only once the scan has passed it, so each search covers new text
// and the whole string is read about once per stop byte.
func skipLong(s string, i int, a *ahead) int {
	end := len(s)
	for k, p := range a {
		if p < i {
			p = len(s)
			if q := strings.IndexByte(s[i:], stopBytes[k]); q >= 0 {
				p = i + q
			}
			a[k] = p
		}
		end = min(end, p)
	}
	// A byte below 0x20 borrows in w-0x20 and sets its high bit; a byte
	// from 0x80 has it set in w. Borrows only spread upward from such a
	// byte, so the lowest one flagged is exact.
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	j := i
	for ; j+32 <= end; j += 32 {
		w, x, y, z := load64(s, j), load64(s, j+8), load64(s, j+16), load64(s, j+24)
		if (w|(w-0x20*lsb)|x|(x-0x20*lsb)|y|(y-0x20*lsb)|z|(z-0x20*lsb))&msb != 0 {
			break
		}
	}
	for ; j+8 <= end; j += 8 {
		w := load64(s, j)
		if m := (w | (w - 0x20*lsb)) & msb; m != 0 {
			return j + bits.TrailingZeros64(m)/8
		}
	}
	for ; j < end; j++ {
		if c := s[j]; c < 0x20 || c >= utf8.RuneSelf {
			return j
		}
	}
	return end
}

// unsafeBytes sets the high bit of each byte of w (eight bytes of a string,
// little-endian) that skipPlain stops at. A byte's high bit is set in w
// itself for non-ASCII, and in one of the differences for an ASCII byte
// below 0x20 or a zero byte of x, y or z. Borrows only spread upward from
// such a byte, so the lowest flagged byte is exact, though some above it
// may not be.
func unsafeBytes(w uint64) uint64 {
	const (
		lsb = 0x0101010101010101
		msb = 0x8080808080808080
	)
	x := (w ^ '"'*lsb) &^ (4 * lsb) // zero for '"' (0x22) and '&' (0x26)
	y := (w ^ '<'*lsb) &^ (2 * lsb) // zero for '<' (0x3c) and '>' (0x3e)
	z := w ^ '\\'*lsb
	return (w | (w - 0x20*lsb) | (x - lsb) | (y - lsb) | (z - lsb)) & msb
}

// load64 returns the eight bytes of s from i on as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// String appends s as a JSON string, escaped as encoding/json escapes
// it: \" \\ \b \f \n \r \t, other control characters and <, > and & as
// \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid
// UTF-8 as \ufffd. Runs of plain ASCII, the bulk of any prompt, are checked
// eight bytes at a time and copied with one append; text dense in escapes
// or in other scripts goes a byte or a rune at a time, as encoding/json
// does, without words checked in vain.
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	var a ahead
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				// A plain byte: look at the next word, and jump to what
				// stops the run in it, or to the end of a longer run.
				i++
				if i+8 <= len(s) {
					if m := unsafeBytes(load64(s, i)); m != 0 {
						i += bits.TrailingZeros64(m) / 8
					} else {
						i = skipPlain(s, i+8, &a)
					}
				}
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Float appends f as encoding/json writes a float64: the shortest
// decimal that reads back as f, in exponent form only below 1e-6 and from
// 1e21 on, with the exponent unpadded. It reports false for NaN and the
// infinities, which JSON cannot hold.
func Float(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// Raw appends raw, a json.RawMessage, as encoding/json writes one: null
// for nil, else without white space between tokens, and with <, >, &,
// U+2028 and U+2029 escaped inside strings. It reports false when raw is
// not nil and not valid JSON (an empty one included), an error
// encoding/json's Marshal reports too.
func Raw(dst, raw []byte) ([]byte, bool) {
	if raw == nil {
		return append(dst, "null"...), true
	}
	if !json.Valid(raw) {
		return dst, false
	}
	// raw is valid, so white space outside strings is insignificant, and
	// the escaped characters can only be inside strings.
	start := 0
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]&0xF])
			i += 2
			start = i + 1
		case inString:
			switch c {
			case '\\':
				i++ // the escaped byte is ASCII and never escaped again
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			dst = append(dst, raw[start:i]...)
			start = i + 1
		}
	}
	return append(dst, raw[start:]...), true
}
