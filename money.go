package llmgate

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Money is an amount of a currency as an exact decimal, counted in units of
// 10⁻¹² of the currency (picodollars for USD). Twelve decimals hold every
// catalog price divided by its unit of measure without rounding, and int64
// holds up to about 9.2 million units of the currency, far above one
// request's cost. Money never goes through float64, so sums do not drift.
type Money int64

// MoneyDecimals is the number of decimal places Money keeps.
const MoneyDecimals = 12

const moneyScale = 1_000_000_000_000

// ErrMoneySyntax is returned by ParseMoney for text that is not a plain
// decimal number within Money's range and precision.
var ErrMoneySyntax = errors.New("not a decimal amount with at most 12 decimal places")

// ParseMoney reads a decimal number such as "30", "30.0", "0.003825" or
// "-1.5". Exponents are accepted ("1e-6"). Digits beyond the twelfth decimal
// place must be zero, so that a price is never silently rounded.
func ParseMoney(s string) (Money, error) {
	orig := s
	if s == "" {
		return 0, fmt.Errorf("%q: %w", orig, ErrMoneySyntax)
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 40 || e < -40 {
			return 0, fmt.Errorf("%q: %w", orig, ErrMoneySyntax)
		}
		exp, s = e, s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, fmt.Errorf("%q: %w", orig, ErrMoneySyntax)
	}
	digits := intPart + frac
	// The value is digits × 10^(exp − len(frac)); scale it to 10⁻¹².
	shift := exp - len(frac) + MoneyDecimals
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q: %w", orig, ErrMoneySyntax)
		}
		d := uint64(c - '0')
		// Digits that land below 10⁻¹² must be zero.
		if pos := len(digits) - 1 - i; pos < -shift {
			if d != 0 {
				return 0, fmt.Errorf("%q: %w", orig, ErrMoneySyntax)
			}
			continue
		}
		if v > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("%q: out of range: %w", orig, ErrMoneySyntax)
		}
		v = v*10 + d
	}
	for ; shift > 0; shift-- {
		if v > math.MaxInt64/10 {
			return 0, fmt.Errorf("%q: out of range: %w", orig, ErrMoneySyntax)
		}
		v *= 10
	}
	m := Money(v)
	if neg {
		m = -m
	}
	return m, nil
}

// MustParseMoney is ParseMoney for constants; it panics on bad input.
func MustParseMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

// MulDiv returns m × n / d, exact in 128-bit arithmetic and rounded half away
// from zero to Money's precision. It is how a price per unit of measure
// becomes the cost of a number of tokens. d must be positive and n not
// negative; the result saturates at Money's range.
func (m Money) MulDiv(n, d int64) Money {
	if d <= 0 || n < 0 {
		panic("llmgate: Money.MulDiv needs n >= 0 and d > 0")
	}
	neg := m < 0
	a := uint64(m)
	if neg {
		a = uint64(-m)
	}
	hi, lo := bits.Mul64(a, uint64(n))
	if hi >= uint64(d) {
		if neg {
			return math.MinInt64 + 1
		}
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, uint64(d))
	if r >= uint64(d)-r { // r ≥ d/2 without overflow
		q++
	}
	if q > math.MaxInt64 {
		q = math.MaxInt64
	}
	if neg {
		return -Money(q)
	}
	return Money(q)
}

// String formats m as a decimal with at least one decimal place and no
// trailing zeros beyond it: "30.0", "0.15", "0.003825".
func (m Money) String() string {
	return string(m.AppendText(nil))
}

// AppendText appends the String form of m to b.
func (m Money) AppendText(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = uint64(-m)
	}
	b = strconv.AppendUint(b, u/moneyScale, 10)
	frac := u % moneyScale
	b = append(b, '.')
	if frac == 0 {
		return append(b, '0')
	}
	var buf [MoneyDecimals]byte
	for i := MoneyDecimals - 1; i >= 0; i-- {
		buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := MoneyDecimals
	for buf[end-1] == '0' {
		end--
	}
	return append(b, buf[:end]...)
}

// MarshalJSON writes m as a JSON number with its exact decimal digits.
func (m Money) MarshalJSON() ([]byte, error) { return m.AppendText(nil), nil }

// UnmarshalJSON reads a JSON number (or a string holding one) exactly.
func (m *Money) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalText writes m as its decimal text.
func (m Money) MarshalText() ([]byte, error) { return m.AppendText(nil), nil }

// UnmarshalText reads m from decimal text, as in configuration files.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Cost is the price of one request, split into what the input and the output
// cost. Images are output.
type Cost struct {
	Currency string
	Input    Money
	Output   Money
	Total    Money
}
