package jsonappend

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStringEveryByte puts every byte value, alone and before a
// valid and an invalid sequence, at every offset of the words the fast scan
// reads, one word or four at a time, so that each lane of its checks is
// compared with encoding/json.
func TestStringEveryByte(t *testing.T) {
	for c := range 256 {
		for off := range 50 {
			for _, tail := range []string{"", "é", "\u2028", "\xe2\x80", "<"} {
				s := strings.Repeat("a", off) + string([]byte{byte(c)}) + tail + strings.Repeat("b", 49-off)
				want, _ := json.Marshal(s)
				if got := String(nil, s); !bytes.Equal(got, want) {
					t.Fatalf("String(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}

// TestStringLongRuns compares String with encoding/json on strings long
// enough for skipLong, plain text with bytes that end a run put at random:
// each of its stop bytes, control bytes, non-ASCII text, invalid UTF-8 and
// U+2028, alone, in clusters and at the edges of the words it reads.
func TestStringLongRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inserts := []string{`"`, `\`, "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "人", "\u2028", "\xff", "\xe2\x80", `<"&>\`}
	for n := range 2000 {
		size := longRun + rng.IntN(4*longRun)
		b := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", size/45+1)[:size])
		for range rng.IntN(6) {
			at := rng.IntN(len(b) + 1)
			ins := inserts[rng.IntN(len(inserts))]
			b = append(b[:at], append([]byte(ins), b[at:]...)...)
		}
		if n%7 == 0 {
			// A stop byte far from the start, after a long plain run
			// that skipLong reads in one go, and at the very end.
			b = append(b, inserts[n%len(inserts)]...)
		}
		s := string(b)
		want, _ := json.Marshal(s)
		if got := String(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("String differs from encoding/json on %q:\n got %q\nwant %q", s, got, want)
		}
	}
}

// FuzzString compares String with encoding/json, on the input alone and
// after a plain run long enough for skipLong.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a<b", "\x00\u2028\xff", `"\\`, strings.Repeat("é<", 50)} {
		f.Add(s)
	}
	pad := strings.Repeat("plain text ", 2*longRun/11)
	f.Fuzz(func(t *testing.T, s string) {
		for _, in := range []string{s, pad + s, pad + s + pad + s} {
			want, _ := json.Marshal(in)
			if got := String(nil, in); !bytes.Equal(got, want) {
				t.Fatalf("String(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

func TestFloat(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, 0.1, 1e-6, 1e-7, 1e-10, 1.5e-300, 1e20, 1e21, 1.2e21, 1e-100,
		123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, -1e-7, 5e-324, 0.000001234, 1 << 53} {
		want, _ := json.Marshal(f)
		got, ok := Float(nil, f)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("Float(%v) = %q, %v; want %q", f, got, ok, want)
		}
	}
}

// BenchmarkString compares the string escaper with encoding/json's on
// 10 KB of text of several kinds.
func BenchmarkString(b *testing.B) {
	kinds := []struct{ name, unit string }{
		{"ascii", "The quick brown fox jumps over the lazy dog. "},
		{"prose", "Dear team,\n\tthe \"quick\" fox & the <lazy> dog, 50% off. "},
		{"code", "\tif x < 0 && y > 0 {\n\t\treturn \"neg\"\n\t}\n"},
		{"accented", "Le cœur a ses raisons que la raison ne connaît point. "},
		{"cjk", "人間は考える葦である。"},
	}
	for _, k := range kinds {
		s := strings.Repeat(k.unit, 10<<10/len(k.unit))
		b.Run(k.name+"/String", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			buf := make([]byte, 0, 3*len(s))
			for b.Loop() {
				buf = String(buf[:0], s)
			}
		})
		b.Run(k.name+"/encoding_json", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if _, err := json.Marshal(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRaw checks that Raw writes a raw value as json.Marshal writes a
// json.RawMessage: compacted, HTML characters and U+2028/U+2029 escaped
// inside strings, and refuses what is not JSON.
func TestRaw(t *testing.T) {
	for _, raw := range []string{
		`{"type": "object",  "properties": {"a": {"type": "string", "pattern": "<b>&</b>"}}}`,
		"[1, 2.5e10 ,\n\t-0, true, false, null]",
		`"line\u2028sep \u2029 \" \\ é"`,
		" \"\xe2\x80\xa8 raw\" ",
		`{}`, `[]`, `0`,
	} {
		want, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		got, ok := Raw(nil, []byte(raw))
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("Raw(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1,]`, `nul`, `{} {}`} {
		if _, ok := Raw(nil, []byte(bad)); ok {
			t.Errorf("Raw(%q) accepted malformed JSON", bad)
		}
	}
	// A nil json.RawMessage is null; an empty one is an error.
	if got, ok := Raw(nil, nil); !ok || string(got) != "null" {
		t.Errorf("Raw(nil) = %q, %v; want null", got, ok)
	}
	if _, err := json.Marshal(json.RawMessage(nil)); err != nil {
		t.Errorf("encoding/json refuses a nil json.RawMessage: %v", err)
	}
	if _, err := json.Marshal(json.RawMessage{}); err == nil {
		t.Error("encoding/json takes an empty json.RawMessage")
	}
}
