package jsonscan

import (
	"encoding/json"
	"testing"
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

func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9"`, `"\ud83d\ude00"`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := Unquote(b)
		var want string
		err := json.Unmarshal(b, &want)
		if ok && (err != nil || got != want) {
			t.Errorf("Unquote(%q) = %q; encoding/json: %q, %v", b, got, want, err)
		}
		s := New(b)
		s.Skip()
		if s.End() != json.Valid(b) {
			t.Errorf("Skip(%q) disagrees with json.Valid", b)
		}
	})
}
