package llmgate

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want Money
		str  string
		err  bool
	}{
		{"30", 30_000_000_000_000, "30.0", false},
		{"30.0", 30_000_000_000_000, "30.0", false},
		{"0.15", 150_000_000_000, "0.15", false},
		{"0.003825", 3_825_000_000, "0.003825", false},
		{"0.000000000001", 1, "0.000000000001", false},
		{"1e-6", 1_000_000, "0.000001", false},
		{"1.5E2", 150_000_000_000_000, "150.0", false},
		{"-2.5", -2_500_000_000_000, "-2.5", false},
		{".5", 500_000_000_000, "0.5", false},
		{"0.10000000000000", 100_000_000_000, "0.1", false}, // trailing zeros past 12 places are fine
		{"0.0000000000001", 0, "", true},                    // a 13th significant decimal would be rounded
		{"abc", 0, "", true},
		{"", 0, "", true},
		{"1.2.3", 0, "", true},
		{"99999999999", 0, "", true}, // out of range
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if tt.err {
			if !errors.Is(err, ErrMoneySyntax) {
				t.Errorf("ParseMoney(%q) = %v, %v; want ErrMoneySyntax", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseMoney(%q) = %d (%s), %v; want %d (%s)", tt.in, got, got, err, tt.want, tt.str)
		}
	}
}

func TestMulDiv(t *testing.T) {
	tests := []struct {
		m    string
		n, d int64
		want string
	}{
		{"30", 1000, 1_000_000, "0.03"},
		{"0.15", 7, 1_000_000, "0.00000105"},
		{"60", 1_000_000_000, 1_000_000, "60000.0"}, // the product overflows int64; 128-bit does not
		{"0.000000000001", 1, 2, "0.000000000001"},  // half rounds away from zero
		{"0.000000000001", 1, 3, "0.0"},
		{"-0.000000000003", 1, 2, "-0.000000000002"},
	}
	for _, tt := range tests {
		if got := MustParseMoney(tt.m).MulDiv(tt.n, tt.d).String(); got != tt.want {
			t.Errorf("%s × %d / %d = %s, want %s", tt.m, tt.n, tt.d, got, tt.want)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	var v struct{ A, B Money }
	if err := json.Unmarshal([]byte(`{"A":0.003825,"B":"12.5"}`), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":0.003825,"B":12.5}` {
		t.Errorf("round trip %s", out)
	}
	if err := json.Unmarshal([]byte(`{"A":true}`), &v); err == nil {
		t.Error("a boolean decoded as money")
	}
}

func TestNoDriftOverAMillionSums(t *testing.T) {
	per := MustParseMoney("0.15").MulDiv(7, 1_000_000)
	var sum Money
	for i := 0; i < 1_000_000; i++ {
		sum += per
	}
	if sum.String() != "1.05" {
		t.Errorf("sum %s, want exactly 1.05", sum)
	}
}

func TestErrorCodes(t *testing.T) {
	seen := map[ErrorCode]bool{}
	for _, c := range Codes {
		if seen[c.Code] || c.Description == "" {
			t.Errorf("code %q duplicated or undocumented", c.Code)
		}
		seen[c.Code] = true
	}
	wrapped := errors.Join(errors.New("ctx"), &Error{Code: ERateLimited, Message: "m"})
	if ErrorCodeOf(wrapped) != ERateLimited || !errors.Is(wrapped, &Error{Code: ERateLimited}) {
		t.Errorf("code of wrapped error: %s", ErrorCodeOf(wrapped))
	}
	if ErrorCodeOf(errors.New("x")) != EInternal || ErrorCodeOf(nil) != "" {
		t.Error("ErrorCodeOf of plain and nil errors")
	}
}
