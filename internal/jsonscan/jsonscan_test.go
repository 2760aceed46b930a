package jsonscan

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// TestUnquoteMatchesEncodingJSON checks that every literal Unquote accepts
// decodes as encoding/json decodes it, and that it refuses what
// encoding/json refuses.
func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`"plain"`, ` "spaced" `, `""`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u4e2d"`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, "\"caf\xc3\xa9\"",
		"\"bad \xff utf8\"", "\"cut \xe2\x82\"", `"\x"`, `"\u12"`, `"\u12g4"`, "\"ctl \x01\"", `"open`, `"a" x`,
		`null`, `12`, `"a"  "b"`, `"\`,
	} {
		got, ok := Unquote([]byte(in))
		var want string
		err := json.Unmarshal([]byte(in), &want)
		if in == "null" {
			err = errNull // Unquote takes strings only
		}
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("Unquote(%q) = %q, %v; encoding/json: %q, %v", in, got, ok, want, err)
		}
	}
}

type nullErr struct{}

func (nullErr) Error() string { return "null" }

var errNull error = nullErr{}

// TestSkipMatchesValidity checks that Skip accepts exactly the valid JSON
// texts.
func TestSkipMatchesValidity(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `{"a":[1,2.5,-0,1e3,1E-2,true,false,null,"x\u0041"],"b":{"c":{}}}`, ` [ 1 , 2 ] `,
		`{"a":1,}`, `[1,]`, `{,}`, `[,1]`, `{"a" 1}`, `{"a":}`, `01`, `1.`, `1e`, `-`, `.5`, `tru`, `nul`, `"a`,
		`{"a":1}}`, `[1 2]`, `{"a":1 "b":2}`, `"\q"`, `{"\u0061":1}`, `-01`, `[1e+5, -2.25E-3]`,
	} {
		s := New([]byte(in))
		s.Skip()
		got := s.End()
		if want := json.Valid([]byte(in)); got != want {
			t.Errorf("Skip(%s) ok = %v, json.Valid = %v", in, got, want)
		}
	}
}

func TestObjectMembers(t *testing.T) {
	s := New([]byte(`{"id":"x","n":42,"skip":{"deep":[1,{"a":null}]},"s":null,"i":null}`))
	var id, str string
	var n, i int64
	if !s.Enter('{') {
		t.Fatal("Enter failed")
	}
	for first := true; s.Next('}', &first); {
		switch string(s.Key()) {
		case "id":
			id = s.String("x")
		case "n":
			n = s.Int()
		case "s":
			str = s.String("")
		case "i":
			i = s.Int()
		default:
			s.Skip()
		}
	}
	if !s.End() || id != "x" || n != 42 || str != "" || i != 0 {
		t.Errorf("id %q n %d s %q i %d ok %v", id, n, str, i, s.OK())
	}
	for _, in := range []string{`1.5`, `1e2`, `"1"`, `99999999999999999999`, `true`} {
		s := New([]byte(in))
		if s.Int(); s.End() {
			t.Errorf("Int accepted %s", in)
		}
	}
}

// TestStringWordEdges puts each kind of byte String must stop at, or must
// pass, at every offset of the eight-byte words it scans, in strings of
// every length up to three words, and compares with encoding/json.
func TestStringWordEdges(t *testing.T) {
	for _, special := range []string{
		`\"`, `\\`, `\n`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, "\x01", "\x1f", "\x7f", " ", "~",
		"é", "世", "🙂", "\xff", "\xc3", "\xed\xa0\x80", `"`, `\`,
	} {
		for n := 0; n < 24; n++ {
			for at := 0; at <= n; at++ {
				text := strings.Repeat("a", at) + special + strings.Repeat("b", n-at)
				lit := `"` + text + `"`
				var want string
				err := json.Unmarshal([]byte(lit), &want)
				for _, after := range []string{``, ` `, "\xff\xff\xff\xff\xff\xff\xff\xff"} {
					got, ok := Unquote([]byte(lit + after))
					if ok != (err == nil && after != "\xff\xff\xff\xff\xff\xff\xff\xff") || (ok && got != want) {
						t.Fatalf("Unquote(%q) = %q, %v; encoding/json: %q, %v", lit+after, got, ok, want, err)
					}
				}
				// The same string as a value inside a larger text.
				s := New([]byte(`["x",` + lit + `,"y"]`))
				s.Enter('[')
				var vals []string
				for first := true; s.Next(']', &first); {
					vals = append(vals, s.String(""))
				}
				if s.End() != (err == nil) || (err == nil && (len(vals) != 3 || vals[1] != want)) {
					t.Fatalf("String in array %q = %q, %v; encoding/json: %q, %v", lit, vals, s.OK(), want, err)
				}
			}
		}
	}
}

// TestStringPieces compares String with encoding/json on strings built of
// random pieces: runs of plain text long enough for the vectorized search,
// escapes (an escaped quote ahead of the closing one among them), control
// bytes, and valid and invalid UTF-8.
func TestStringPieces(t *testing.T) {
	pieces := []string{
		strings.Repeat("a", 7), strings.Repeat("b", 33), strings.Repeat("c", 100), strings.Repeat("d", 1000),
		`\"`, `\\`, `\n`, `\/`, `\u0022`, `\ud83d\ude00`, `\ud83d`, "\x01", "\x1f", "\t",
		"é", "世界", "🙂", "\xff", "\xe2\x82", `"`, `\`, `\q`, `\u12`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var text strings.Builder
		for range rng.IntN(8) {
			text.WriteString(pieces[rng.IntN(len(pieces))])
		}
		in := []byte(`["` + text.String() + `"]`)
		var want []string
		err := json.Unmarshal(in, &want)
		s := New(in)
		s.Enter('[')
		var got []string
		for first := true; s.Next(']', &first); {
			got = append(got, s.String(""))
		}
		if ok := s.End(); ok != (err == nil) || (ok && !slices.Equal(got, want)) {
			t.Fatalf("String(%q) = %q, %v; encoding/json: %q, %v", in, got, ok, want, err)
		}
		s = New(in)
		s.Skip()
		if s.End() != (err == nil) {
			t.Fatalf("Skip(%q) = %v; encoding/json: %v", in, s.OK(), err)
		}
	}
}

func TestStringFrom(t *testing.T) {
	known := []string{"user", "assistant"}
	b := []byte(`["user","\u0075ser","assistant","tool",null]`)
	s := New(b)
	s.Enter('[')
	var got []string
	for first := true; s.Next(']', &first); {
		got = append(got, s.StringFrom(known))
	}
	if !s.End() || strings.Join(got, ",") != "user,user,assistant,tool," {
		t.Fatalf("StringFrom = %q, ok %v", got, s.OK())
	}
	if allocs := testing.AllocsPerRun(100, func() {
		s := New(b)
		s.Enter('[')
		first := true
		s.Next(']', &first)
		s.StringFrom(known)
	}); allocs != 0 {
		t.Errorf("StringFrom of a known value allocates %v times", allocs)
	}
}

// TestDepthMatchesEncodingJSON checks that Skip and Enter accept the
// nesting encoding/json accepts, and no more.
func TestDepthMatchesEncodingJSON(t *testing.T) {
	for _, depth := range []int{9999, 10000, 10001} {
		for _, open := range []string{"[", `{"a":`} {
			closer := map[string]string{"[": "]", `{"a":`: "}"}[open]
			in := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closer, depth))
			s := New(in)
			s.Skip()
			if got, want := s.End(), json.Valid(in); got != want {
				t.Errorf("Skip of depth %d %s: ok %v, json.Valid %v", depth, open, got, want)
			}
			// Entered by hand, then skipped: the depth carries over.
			s = New(in)
			s.Enter(open[0])
			if open == "[" {
				first := true
				s.Next(']', &first)
			} else {
				first := true
				s.Next('}', &first)
				s.Key()
			}
			s.Skip()
			first := false
			s.Next(closer[0], &first)
			if got, want := s.End(), json.Valid(in); got != want {
				t.Errorf("Enter then Skip of depth %d %s: ok %v, json.Valid %v", depth, open, got, want)
			}
		}
	}
}

func TestScalars(t *testing.T) {
	for _, in := range []string{
		`0`, `-0`, `1.5`, `-2.25e-3`, `1E+2`, `1e400`, `-1e400`, `2.5e-324`, `123456789012345678901234567890`,
		`0.1`, `null`, `01`, `1.`, `.5`, `-`, `+1`, `"1"`, `true`, `1 `, ` 7`, `0x10`, `Infinity`, `NaN`,
	} {
		s := New([]byte(in))
		got := s.Float()
		var want float64
		err := json.Unmarshal([]byte(in), &want)
		if ok := s.End(); ok != (err == nil) || (ok && got != want) {
			t.Errorf("Float(%s) = %v, %v; encoding/json: %v, %v", in, got, ok, want, err)
		}
	}
	for _, in := range []string{`true`, `false`, `null`, `tru`, `truex`, `1`, `"true"`, ` false `, `nul`} {
		s := New([]byte(in))
		got := s.Bool()
		var want bool
		err := json.Unmarshal([]byte(in), &want)
		if ok := s.End(); ok != (err == nil) || (ok && got != want) {
			t.Errorf("Bool(%s) = %v, %v; encoding/json: %v, %v", in, got, ok, want, err)
		}
	}
	for _, in := range []string{` {"a" : [1, "x"] } `, `null`, `"s"`, `-1.5e3`, `[`, `{"a":}`, ``, `[] []`} {
		s := New([]byte(in))
		got := s.Raw()
		var want json.RawMessage
		err := json.Unmarshal([]byte(in), &want)
		if ok := s.End(); ok != (err == nil) || (ok && !bytes.Equal(got, want)) {
			t.Errorf("Raw(%s) = %q, %v; encoding/json: %q, %v", in, got, ok, want, err)
		}
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9"`, `"\ud83d\ude00"`, "\"\xff\"", `1.5e3`, `[{"a":true}]`,
		// Escapes past the first words, and invalid UTF-8 between them.
		`"` + strings.Repeat(`line of text\n\tcafé \"q\" `, 4) + `"`, "\"" + strings.Repeat("ab\xffcd\\n\xe2\x80", 5) + "\"",
		`"` + strings.Repeat("x", 40) + `\u2028` + strings.Repeat("é", 20) + `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := Unquote(b)
		var want string
		err := json.Unmarshal(b, &want)
		if ok && (err != nil || got != want) {
			t.Errorf("Unquote(%q) = %q; encoding/json: %q, %v", b, got, want, err)
		}
		if len(b) > 0 && b[0] == '"' && !ok && err == nil {
			t.Errorf("Unquote(%q) refused what encoding/json decodes as %q", b, want)
		}
		s := New(b)
		s.Skip()
		if s.End() != json.Valid(b) {
			t.Errorf("Skip(%q) disagrees with json.Valid", b)
		}
		if len(b) > 0 && b[0] == '"' {
			checkLongText(t, b)
		}
		s = New(b)
		raw := s.Raw()
		var wantRaw json.RawMessage
		err = json.Unmarshal(b, &wantRaw)
		if ok := s.End(); ok != (err == nil) || (ok && !bytes.Equal(raw, wantRaw)) {
			t.Errorf("Raw(%q) = %q, %v; encoding/json: %q, %v", b, raw, ok, wantRaw, err)
		}
		s = New(b)
		n := s.Int()
		var wantN int
		err = json.Unmarshal(b, &wantN)
		if ok := s.End(); ok != (err == nil) || ok && n != int64(wantN) {
			t.Errorf("Int(%q) = %v, %v; encoding/json: %v, %v", b, n, ok, wantN, err)
		}
		s = New(b)
		f := s.Float()
		var wantF float64
		err = json.Unmarshal(b, &wantF)
		if ok := s.End(); ok && (err != nil || f != wantF) {
			t.Errorf("Float(%q) = %v; encoding/json: %v, %v", b, f, wantF, err)
		}
	})
}

// checkLongText reads the string b, padded at its start past sharedMin, the
// way a prompt is read: with Text from a lent Scanner recording Literals.
// The text must be encoding/json's, and a literal, when one is kept, must
// be the padded string's JSON form, saying what the text says.
func checkLongText(t *testing.T, b []byte) {
	t.Helper()
	padded := append([]byte(`"`+strings.Repeat("p", sharedMin)), b[1:]...)
	var want string
	err := json.Unmarshal(padded, &want)
	var lits Literals
	s := NewLent(padded, &lits)
	got := s.Text()
	end := s.Offset() - 1 // the closing quote, when Text read a string
	if ok := s.End(); ok != (err == nil) || ok && got != want {
		t.Fatalf("Text(%q) = %q, %v; encoding/json: %q, %v", padded, got, ok, want, err)
	}
	if raw, ok := lits.Literal(got); ok {
		if !bytes.Equal(raw, padded[1:end]) {
			t.Fatalf("literal of %q = %q", padded, raw)
		}
		var again string
		if json.Unmarshal(append(append([]byte(`"`), raw...), '"'), &again) != nil || again != got {
			t.Fatalf("literal %q says %q, the text is %q", raw, again, got)
		}
	}
}

// BenchmarkString reads a long prompt of plain text, of text with line
// breaks escaped, of non-ASCII text, of markdown (lines, tabs, quotes and
// letters beyond ASCII) and of JSON carried as text.
func BenchmarkString(b *testing.B) {
	for _, tc := range []struct{ name, line string }{
		{"ascii", "The quick brown fox jumps over the lazy dog. "},
		{"escaped", `The quick brown fox jumps over the lazy dog.\n`},
		{"unicode", "Le renard brun rapide saute par-dessus le chien paresseux, 速い茶色の狐。 "},
		{"markdown", `## Usage\n\tclient.chat(\"hi\")\nReturns a \"reply\"; see the café menu (東京).\n`},
		// A tool's JSON answer carried in a message: a quote escaped every
		// few bytes.
		{"json", `{\"id\": 17, \"name\": \"widget\", \"tags\": [\"a\", \"b\"], \"price\": 9.5}\n`},
	} {
		in := []byte(`"` + strings.Repeat(tc.line, 100<<10/len(tc.line)) + `"`)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				s := New(in)
				if s.String(""); !s.End() {
					b.Fatal("String failed")
				}
			}
		})
	}
}

// TestSharedStrings checks which strings each kind of Scanner returns as
// views of its input: long ones without escapes, and no others; String
// only from NewShared, Text from NewShared and NewLent, and neither from
// New.
func TestSharedStrings(t *testing.T) {
	long := strings.Repeat("a", sharedMin)
	tests := []struct {
		name, text string
		view       bool
	}{
		{"long", long, true},
		{"long, not ASCII", strings.Repeat("é", sharedMin/2), true},
		{"one byte short", long[1:], false},
		{"long, escaped", long + `\n`, false},
	}
	scanners := []struct {
		name                 string
		new                  func([]byte) Scanner
		stringView, textView bool
	}{
		{"New", New, false, false},
		{"NewShared", NewShared, true, true},
		{"NewLent", func(b []byte) Scanner { return NewLent(b, nil) }, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(`"` + tt.text + `"`)
			want, err := strconv.Unquote(string(b))
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range scanners {
				for _, m := range []struct {
					name string
					read func(*Scanner) string
					view bool
				}{
					{"String", func(s *Scanner) string { return s.String("") }, sc.stringView},
					{"Text", (*Scanner).Text, sc.textView},
				} {
					s := sc.new(b)
					got := m.read(&s)
					if !s.End() || got != want {
						t.Fatalf("%s, %s: got %d bytes, want %d", sc.name, m.name, len(got), len(want))
					}
					start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
					p := uintptr(unsafe.Pointer(unsafe.StringData(got)))
					if view := p >= start && p < start+uintptr(len(b)); view != (m.view && tt.view) {
						t.Errorf("%s, %s: the string is a view of the input: %v, want %v", sc.name, m.name, view, m.view && tt.view)
					}
				}
			}
		})
	}
}

// TestIntMatchesEncodingJSON compares Int with encoding/json's decoding
// into an int, whose range Int keeps, around the 18 digits parsed without
// strconv.
func TestIntMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`0`, `-0`, `7`, `-7`, `10`, `123456789012345678`, `-123456789012345678`,
		`999999999999999999`, `1000000000000000000`, `9223372036854775807`, `-9223372036854775808`,
		`9223372036854775808`, `-9223372036854775809`, `01`, `-`, `1.0`, `1e2`, `-1E2`, `1.`, ` 42 `, `null`,
	} {
		var want int
		err := json.Unmarshal([]byte(in), &want)
		s := New([]byte(in))
		got := s.Int()
		if ok := s.End(); ok != (err == nil) || ok && got != int64(want) {
			t.Errorf("Int(%s) = %d, %v; encoding/json %d, %v", in, got, ok, want, err)
		}
	}
}

// TestKeyWordEdges puts each byte Key must stop at at every offset of the
// eight-byte words it scans, in names of every length up to three words:
// a name is read up to its quote, and one with an escape, a control byte
// or a byte >= 0x80 fails.
func TestKeyWordEdges(t *testing.T) {
	for _, special := range []string{`\"`, `\n`, "\x01", "\x1f", "é", "\xff", "\x7f", "~", " "} {
		for n := 0; n < 24; n++ {
			for at := 0; at <= n; at++ {
				name := strings.Repeat("a", at) + special + strings.Repeat("b", n-at)
				s := New([]byte(`{"` + name + `" : 1}`))
				s.Enter('{')
				first := true
				s.Next('}', &first)
				got := s.Key()
				wantOK := special == "\x7f" || special == "~" || special == " "
				if s.OK() != wantOK || wantOK && string(got) != name {
					t.Fatalf("Key of %q = %q, ok %v; want ok %v", name, got, s.OK(), wantOK)
				}
			}
		}
	}
}

// members reads the object of b with Member, skipping every value, and
// returns the names it read, whether the scan ended well and where it
// stopped; with byKey, it reads with Next and Key, which Member must match.
func members(b []byte, byKey bool) (names []string, ok bool, at int) {
	s := New(b)
	if !s.Enter('{') {
		return nil, false, s.i
	}
	for first := true; ; {
		var name []byte
		if byKey {
			if !s.Next('}', &first) {
				break
			}
			name = s.Key()
		} else {
			var more bool
			if name, more = s.Member(&first); !more {
				break
			}
		}
		if !s.OK() {
			break
		}
		names = append(names, string(name))
		s.Skip()
	}
	at = s.i
	return names, s.End(), at
}

// memberInputs are objects, well and badly formed, with names of every
// length up to three words around the bytes Member stops at.
func memberInputs() []string {
	ins := []string{
		`{}`, `{ }`, "{\n}", `{"a":1}`, `{"a":1,"b":[2,{"c":3}],"d":"x"}`, `{ "a" : 1 , "b" : 2 }`,
		"{\t\"a\"\t:\t1\t,\n\"b\"\r:2}", `{"a" :1}`, `{"a": 1}`, `{"a":1 ,"b":2}`, `{"a":1, "b":2}`,
		`{"a":1,}`, `{,"a":1}`, `{"a":1,,"b":2}`, `{"a" 1}`, `{"a"::1}`, `{"a":1 "b":2}`, `{"a":1]`,
		`{a:1}`, `{'a':1}`, `{"a":1}}`, `{"a":1} x`, `{"":1}`, `{"":1,"":2}`, `{"a\"b":1}`,
		`{"a\u0062":1}`, `{"\u0061":1}`, `{"é":1}`, "{\"a\x01\":1}", "{\"a\x7f\":1}", "{\"a\xff\":1}",
		`{"id":1,"ID":2,"Id":3}`, `{"object":"chat.completion.chunk","system_fingerprint":null}`,
		`{"a":1,"b"`, `{"a":1,"b":`, `{"a":1,"`, `{"a":1,`, `{"a"`, `{"`, `{`,
	}
	for n := 0; n < 24; n++ {
		for _, special := range []string{"", `\"`, `\n`, "\x01", "é", "\xff", "\x7f", " ", "~", `"`} {
			for at := 0; at <= n; at += 3 {
				name := strings.Repeat("a", at) + special + strings.Repeat("b", n-at)
				ins = append(ins,
					`{"`+name+`":1}`,
					`{"x":1,"`+name+`":[],"y":2}`,
					`{"`+name+`" :1}`,
					`{ "`+name+`":1 , "z":{}}`,
				)
			}
		}
	}
	return ins
}

// TestMemberMatchesNextAndKey reads objects, and every prefix of them (so
// that names end at, and near, the end of the input), with Member and with
// Next and Key, which must agree on the names, the result and where the
// scan stopped.
func TestMemberMatchesNextAndKey(t *testing.T) {
	for _, in := range memberInputs() {
		for n := len(in); n >= 0; n-- {
			checkMember(t, []byte(in[:n]))
		}
	}
}

// checkMember reads b with Member and with Next and Key, which must agree
// on the names, the result and where the scan stopped; Member must accept
// only valid JSON.
func checkMember(t *testing.T, b []byte) {
	t.Helper()
	names, ok, at := members(b, false)
	wantNames, wantOK, wantAt := members(b, true)
	if !slices.Equal(names, wantNames) || ok != wantOK || at != wantAt {
		t.Fatalf("Member on %q: %q, %v at %d; Next and Key: %q, %v at %d",
			b, names, ok, at, wantNames, wantOK, wantAt)
	}
	if ok && !json.Valid(b) {
		t.Fatalf("Member accepted %q, which is not valid JSON", b)
	}
}

// TestSkipNesting checks Skip, which keeps the open containers in a word of
// bits and recurses every 64 levels, against encoding/json on objects and
// arrays nested in turn around those depths, well closed or not.
func TestSkipNesting(t *testing.T) {
	for _, depth := range []int{1, 2, 63, 64, 65, 66, 127, 128, 129, 200} {
		var open, close strings.Builder
		for d := range depth {
			if d%3 == 1 {
				open.WriteString(`{"k` + strconv.Itoa(d) + `" : `)
				close.WriteString(`}`)
			} else {
				open.WriteString(`[1, `)
				close.WriteString(`]`)
			}
		}
		closing := reverse(close.String())
		valid := open.String() + `"x"` + closing
		ins := []string{
			valid,
			open.String() + `{}` + closing,
			open.String() + `[]` + closing,
			open.String() + `{"a":[{}, []], "b":{"c":null}}` + closing,
			open.String() + `"x"` + closing[1:],
			open.String() + `"x"` + closing + `]`,
			open.String() + `"x",` + closing,
			open.String() + `"x"` + closing[:len(closing)/2] + "," + closing[len(closing)/2:],
		}
		// A closing byte of the wrong kind at each level.
		for d := 0; d < len(closing); d += 7 {
			wrong := map[byte]string{']': "}", '}': "]"}[closing[d]]
			ins = append(ins, open.String()+`"x"`+closing[:d]+wrong+closing[d+1:])
		}
		for _, in := range ins {
			checkSkip(t, []byte(in))
			checkSkip(t, []byte(`[0,`+in+`,{"after":true}]`))
		}
	}
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// checkSkip compares Skip and Raw with encoding/json on in.
func checkSkip(t *testing.T, in []byte) {
	t.Helper()
	s := New(in)
	s.Skip()
	if got, want := s.End(), json.Valid(in); got != want {
		t.Fatalf("Skip(%.200q...) ok = %v, json.Valid = %v", in, got, want)
	}
	s = New(in)
	raw := s.Raw()
	var want json.RawMessage
	err := json.Unmarshal(in, &want)
	if ok := s.End(); ok != (err == nil) || ok && !bytes.Equal(raw, want) {
		t.Fatalf("Raw(%.200q...) = %.100q, %v; encoding/json: %v", in, raw, ok, err)
	}
}

// TestSkipRandom compares Skip with encoding/json on random values, and on
// the same values with a byte changed, dropped or added.
func TestSkipRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{` `, "\n", `,`, `:`, `{`, `}`, `[`, `]`, `"`, `\`, `"a"`, `"\u00e9"`, `"\n"`, `1`, `-0`, `01`, `1.5e3`, `true`, `nul`, "\x01", "é"}
	for range 20000 {
		in := []byte(randomValue(rng, 0))
		checkSkip(t, in)
		if len(in) == 0 {
			continue
		}
		at := rng.IntN(len(in))
		switch rng.IntN(3) {
		case 0:
			in = slices.Delete(in, at, at+1)
		case 1:
			in = slices.Insert(in, at, []byte(pieces[rng.IntN(len(pieces))])...)
		default:
			p := pieces[rng.IntN(len(pieces))]
			in = append(in[:at:at], append([]byte(p), in[at+1:]...)...)
		}
		checkSkip(t, in)
	}
}

// randomValue returns a random JSON value, nested at most a few dozen
// levels, with white space here and there.
func randomValue(rng *rand.Rand, depth int) string {
	sp := func() string { return []string{"", "", "", " ", "\n\t"}[rng.IntN(5)] }
	k := rng.IntN(10)
	if depth > 80 || depth > 3 && rng.IntN(8) != 0 {
		k = rng.IntN(6)
	}
	switch k {
	case 0:
		return []string{`"plain"`, `""`, `"with \"escapes\" \\ \/ \n \u00e9"`, `"é😀"`, `"a long string of more than four words"`}[rng.IntN(5)]
	case 1:
		return []string{`0`, `-1`, `1732700000`, `1.5`, `-2.5e-3`, `1E+9`}[rng.IntN(6)]
	case 2:
		return `true`
	case 3:
		return `false`
	case 4:
		return `null`
	case 5:
		return `{}`
	case 6, 7:
		var b strings.Builder
		b.WriteString("[" + sp())
		for i := range rng.IntN(4) {
			if i > 0 {
				b.WriteString("," + sp())
			}
			b.WriteString(randomValue(rng, depth+1) + sp())
		}
		b.WriteString("]")
		return b.String()
	default:
		var b strings.Builder
		b.WriteString("{" + sp())
		for i := range rng.IntN(4) {
			if i > 0 {
				b.WriteString("," + sp())
			}
			name := []string{`"a"`, `"filtered"`, `"content_filter_results"`, `"\u0061"`, `""`}[rng.IntN(5)]
			b.WriteString(name + sp() + ":" + sp() + randomValue(rng, depth+1) + sp())
		}
		b.WriteString("}")
		return b.String()
	}
}

// TestIntDigitWords reads integers of every length up to 20 digits, whose
// first eight digits Int sums at once when they fill a word, followed by
// each kind of byte that may end them, and compares with encoding/json.
func TestIntDigitWords(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for _, digits := range []string{
			"1234567890123456789012"[:n], "9999999999999999999999"[:n], "0000000000000000000000"[:n],
			("1" + strings.Repeat("0", 21))[:n], ("0" + strings.Repeat("7", 21))[:n],
		} {
			for _, sign := range []string{"", "-"} {
				for _, tail := range []string{"", ".5", "e3", "E+1", ".", "/", ":", "x", "\xff", " "} {
					for _, pad := range []string{"", "       ", "                "} {
						checkInt(t, "["+sign+digits+tail+"]"+pad)
						checkInt(t, "["+sign+digits+tail+",7]"+pad)
					}
				}
			}
		}
	}
}

// checkInt reads the integers of the array in with Int and compares them
// with encoding/json's decoding into []int.
func checkInt(t *testing.T, in string) {
	t.Helper()
	var want []int
	err := json.Unmarshal([]byte(in), &want)
	s := New([]byte(in))
	s.Enter('[')
	var got []int
	for first := true; s.Next(']', &first); {
		got = append(got, int(s.Int()))
	}
	if ok := s.End(); ok != (err == nil) || ok && !slices.Equal(got, want) {
		t.Fatalf("Int on %q = %v, %v; encoding/json: %v, %v", in, got, ok, want, err)
	}
}

// TestStringReuse checks String's comparison with reuse before its scan:
// it must return reuse only for the text that is reuse, with no escape,
// and read everything else as String without reuse does.
func TestStringReuse(t *testing.T) {
	texts := []string{"c1", "chatcmpl-bench-1", "gpt-4o-2024-08-06", "x", "abcdefg", "abcdefgh", "é", "a\\nb", "a\\\"b", "\\u0063\\u0031"}
	for n := 1; n < 20; n++ {
		for _, special := range []string{"\x01", "\x1f", "\x7f", "é", "\xff", `\"`, `\\`, `\n`, `\u0041`} {
			texts = append(texts, strings.Repeat("a", n/2)+special+strings.Repeat("b", n-n/2))
		}
	}
	for _, text := range texts {
		var reuses []string
		for _, r := range []string{text, text + "x", "x" + text, text[:len(text)-1], text[1:], `"`, ""} {
			reuses = append(reuses, r)
		}
		if v, err := strconv.Unquote(`"` + text + `"`); err == nil {
			reuses = append(reuses, v)
		}
		for _, tail := range []string{`]`, `,"y"]`, ` ]`, `"]`, `x"]`, `,"` + strings.Repeat("z", 20) + `"]`} {
			in := []byte(`["` + text + `"` + tail)
			var want []string
			err := json.Unmarshal(in, &want)
			for _, reuse := range reuses {
				s := New(in)
				s.Enter('[')
				var got []string
				for first := true; s.Next(']', &first); {
					got = append(got, s.String(reuse))
				}
				if ok := s.End(); ok != (err == nil) || ok && !slices.Equal(got, want) {
					t.Fatalf("String(%q) on %q = %q, %v; encoding/json: %q, %v", reuse, in, got, ok, want, err)
				}
				// A text with escapes, or invalid UTF-8, is unquoted to a
				// new string.
				if len(got) > 0 && got[0] == reuse && reuse != "" && !strings.Contains(text, `\`) && utf8.ValidString(text) &&
					unsafe.StringData(got[0]) != unsafe.StringData(reuse) {
					t.Errorf("String(%q) on %q returned a copy of reuse", reuse, in)
				}
			}
		}
	}
	in := []byte(`"chatcmpl-bench-1","next"`)
	reuse := "chatcmpl-bench-1"
	if allocs := testing.AllocsPerRun(100, func() {
		s := New(in)
		s.String(reuse)
	}); allocs != 0 {
		t.Errorf("String of its reuse allocates %v times", allocs)
	}
}

// TestFailDropsInput checks that a failed Scanner reads nothing more.
func TestFailDropsInput(t *testing.T) {
	s := New([]byte(`{"a":"b","c":[1,2],"d":null}`))
	s.Enter('{')
	first := true
	s.Member(&first)
	s.Fail()
	if c := s.Peek(); c != 0 {
		t.Errorf("Peek after Fail = %q", c)
	}
	if name, ok := s.Member(&first); ok {
		t.Errorf("Member after Fail = %q", name)
	}
	if s.Next('}', &first) || s.Null() || s.String("b") != "" || s.Int() != 0 || s.Raw() != nil || s.Enter('[') {
		t.Error("a read succeeded after Fail")
	}
	if s.OK() || s.End() {
		t.Error("the scan is not failed")
	}
}

func FuzzMember(f *testing.F) {
	for _, in := range memberInputs() {
		f.Add([]byte(in))
	}
	f.Fuzz(checkMember)
}

// TestLiterals checks which texts a Scanner from NewLent records
// with their JSON form: long ones, plain or escaped, whose form says
// exactly what they say; and that Literal answers for those strings only,
// not for another with the same bytes.
func TestLiterals(t *testing.T) {
	long := strings.Repeat("a", sharedMin)
	tests := []struct {
		name, raw string
		kept      bool
	}{
		{"plain", long, true},
		{"escaped", long + `\n\t\"\\\/`, true},
		{"not ASCII", strings.Repeat("é", sharedMin/2) + `\n`, true},
		{"short", `short\n`, false},
		{"one byte short", long[2:] + `\n`, false},
		{"\\u escape", long + `\u00e9`, false},
		{"escaped backslash before u", long + `\\u00e9`, true},
		{"lone surrogate", long + `\ud800`, false},
		{"invalid UTF-8", long + "\xff" + `\n`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(`["` + tt.raw + `"]`)
			var lits Literals
			s := NewLent(b, &lits)
			s.Enter('[')
			first := true
			s.Next(']', &first)
			text := s.Text()
			if !s.Next(']', &first) && !s.End() {
				t.Fatal("the array did not scan")
			}
			var want string
			if err := json.Unmarshal(b[1:len(b)-1], &want); err != nil || text != want {
				t.Fatalf("Text = %.20q (%d bytes), encoding/json %.20q, %v", text, len(text), want, err)
			}
			raw, ok := lits.Literal(text)
			if ok != tt.kept {
				t.Fatalf("Literal kept: %v, want %v", ok, tt.kept)
			}
			if ok && string(raw) != tt.raw {
				t.Errorf("Literal = %.20q, want the bytes between the quotes", raw)
			}
			if _, ok := lits.Literal(strings.Clone(text)); ok {
				t.Error("Literal answers for a copy of the text")
			}
			lits.Reset()
			if _, ok := lits.Literal(text); ok {
				t.Error("Literal answers after Reset")
			}
			var none *Literals
			if _, ok := none.Literal(text); ok {
				t.Error("a nil Literals answers")
			}
		})
	}
	// Only Text records.
	b := []byte(`"` + long + `\n"`)
	var lits Literals
	s := NewLent(b, &lits)
	if v := s.String(""); !s.End() || len(lits.list) != 0 || len(v) != len(long)+1 {
		t.Errorf("String recorded %d literals", len(lits.list))
	}
}

// TestKeySetFolds: a key folds when it matches a name in another case, as
// encoding/json matches it, whether the names are lower case or camelCase.
func TestKeySetFolds(t *testing.T) {
	snake := NewKeySet("finish_reason", "index")
	camel := NewKeySet("modelVersion", "index")
	tests := []struct {
		set  *KeySet
		key  string
		want bool
	}{
		{&snake, "Finish_Reason", true},
		{&snake, "INDEX", true},
		{&snake, "finish_reasons", false},
		{&snake, "other", false},
		{&camel, "modelversion", true},
		{&camel, "MODELVERSION", true},
		{&camel, "ModelVersion", true},
		{&camel, "Index", true},
		{&camel, "modelversio", false},
		{&camel, "model_version", false},
	}
	for _, tt := range tests {
		if got := tt.set.Folds([]byte(tt.key)); got != tt.want {
			t.Errorf("Folds(%q) over %v = %v, want %v", tt.key, tt.set.names, got, tt.want)
		}
	}
}

// checkExactFloat requires exactFloat to agree with strconv.ParseFloat,
// bit for bit, on every number it converts.
func checkExactFloat(t *testing.T, num string) (converted bool) {
	t.Helper()
	end, _ := scanNumber([]byte(num), 0)
	if end != len(num) {
		return false // not one JSON number
	}
	got, ok := exactFloat([]byte(num))
	if !ok {
		return false
	}
	want, err := strconv.ParseFloat(num, 64)
	if err != nil || math.Float64bits(got) != math.Float64bits(want) {
		t.Errorf("exactFloat(%s) = %v (%x); strconv.ParseFloat %v (%x), %v", num, got, math.Float64bits(got), want, math.Float64bits(want), err)
	}
	return true
}

func TestExactFloat(t *testing.T) {
	for _, tc := range []struct {
		num  string
		fast bool
	}{
		{"0", true}, {"-0", true}, {"-0.0", true}, {"0e5", true}, {"-0.0023064255", true}, {"0.1", true},
		{"1.5", true}, {"123456789012345", true}, {"-2e-3", true}, {"1E+2", true}, {"1.25e-20", true},
		{"9.99e22", true}, {"1e22", true}, {"1e-22", true}, {"0.000001", true}, {"100e-24", false},
		{"1e23", false}, {"1e-23", false}, {"1234567890123456", false}, {"0.1234567890123456789", false},
		{"1.5000000000000000000", false}, {"1e400", false}, {"0e999999", false},
	} {
		if got := checkExactFloat(t, tc.num); got != tc.fast {
			t.Errorf("exactFloat(%s) converted: %v, want %v", tc.num, got, tc.fast)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		f := r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-15))
		for _, bits := range []int{32, 64} {
			checkExactFloat(t, strconv.FormatFloat(f, 'g', -1, bits))
			checkExactFloat(t, strconv.FormatFloat(f, 'f', r.IntN(12), bits))
		}
	}
}

func FuzzExactFloat(f *testing.F) {
	for _, s := range []string{"0", "-0.0023064255", "1E+2", "1.25e-20", "123456789012345", "0.000001e7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, num string) {
		checkExactFloat(t, num)
	})
}

// TestSetters: SetString, SetKnown, SetInt and SetInt64 read a value into
// their field, and leave it as it is for a null, as encoding/json does.
func TestSetters(t *testing.T) {
	str, known, n, n64 := "kept", "kept", 7, int64(7)
	s := New([]byte(`[null,null,null,null,"a","user",-3,1700000000000]`))
	s.Enter('[')
	first := true
	for _, set := range []func(){
		func() { s.SetString(&str, "") }, func() { s.SetKnown(&known, nil) },
		func() { s.SetInt(&n) }, func() { s.SetInt64(&n64) },
	} {
		s.Next(']', &first)
		set()
	}
	if str != "kept" || known != "kept" || n != 7 || n64 != 7 {
		t.Errorf("a null changed a field: %q %q %d %d", str, known, n, n64)
	}
	roles := []string{"user"}
	for _, set := range []func(){
		func() { s.SetString(&str, "") }, func() { s.SetKnown(&known, roles) },
		func() { s.SetInt(&n) }, func() { s.SetInt64(&n64) },
	} {
		s.Next(']', &first)
		set()
	}
	if s.Next(']', &first) || !s.End() {
		t.Fatal("the array did not scan")
	}
	if str != "a" || known != "user" || unsafe.StringData(known) != unsafe.StringData(roles[0]) || n != -3 || n64 != 1700000000000 {
		t.Errorf("read %q %q %d %d", str, known, n, n64)
	}
}

// TestControls checks controls' two answers against a byte loop, for a
// control byte or a byte beyond ASCII at every place of texts of every
// length up to a few of its blocks, and for neither.
func TestControls(t *testing.T) {
	for n := 0; n <= 100; n++ {
		for at := -1; at < n; at++ {
			for _, c := range []byte{0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff} {
				b := []byte(strings.Repeat("x", n))
				if at >= 0 {
					b[at] = c
				}
				wantCtl, wantHigh := false, false
				for _, x := range b {
					wantCtl = wantCtl || x < 0x20
					wantHigh = wantHigh || x >= 0x80
				}
				ctl, seen := controls(b)
				if gotCtl, gotHigh := ctl&msbs != 0, seen&msbs != 0; gotCtl != wantCtl || gotHigh != wantHigh {
					t.Fatalf("controls of %d bytes, %#x at %d: control %v, beyond ASCII %v; want %v, %v", n, c, at, gotCtl, gotHigh, wantCtl, wantHigh)
				}
				// The Go blocks, which amd64 does not use, on the
				// bytes of whole blocks.
				if n%32 == 0 {
					if gotCtl, gotHigh := controlBlocksSWAR(b); gotCtl != wantCtl || gotHigh != wantHigh {
						t.Fatalf("controlBlocksSWAR of %d bytes, %#x at %d: control %v, beyond ASCII %v; want %v, %v", n, c, at, gotCtl, gotHigh, wantCtl, wantHigh)
					}
				}
			}
		}
	}
}
