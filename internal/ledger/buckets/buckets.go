// Package buckets splits time into the hour and day buckets that the ledger
// stores' usage rollups keep, and plans which parts of a query range each
// rollup can answer. The SQLite and PostgreSQL stores share it.
package buckets

import "time"

// The buckets count hours and days since the Unix epoch, floored, so that
// times before 1970 land in the bucket that holds them.
const (
	NanosPerHour = int64(time.Hour)
	HoursPerDay  = 24
)

// FloorDiv is a / b rounded toward negative infinity, for b > 0.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// FloorMod is a - FloorDiv(a, b)*b, in [0, b), for b > 0.
func FloorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Hour is the hour bucket of an instant in Unix nanoseconds.
func Hour(unixNano int64) int64 { return FloorDiv(unixNano, NanosPerHour) }

// Day is the day bucket of an hour bucket.
func Day(hour int64) int64 { return FloorDiv(hour, HoursPerDay) }

// Span is an inclusive range of instants (Unix nanoseconds) or of buckets.
type Span struct{ First, Last int64 }

// Plan splits an inclusive range of instants into the parts a usage query
// reads from each table: whole days from the daily rollup, the whole hours
// around them from the hourly rollup, and the partial hours at the ends from
// the ledger itself, so that the range stays exact to the nanosecond.
type Plan struct {
	Raw, Hours, Days []Span
}

// PlanRange splits [first, last], in Unix nanoseconds. Every product below
// is of a bucket that lies inside [first, last], so none overflows.
func PlanRange(first, last int64) Plan {
	var p Plan
	if first > last {
		return p
	}
	h0 := FloorDiv(first, NanosPerHour)
	if FloorMod(first, NanosPerHour) != 0 {
		h0++
	}
	h1 := FloorDiv(last, NanosPerHour)
	if FloorMod(last, NanosPerHour) != NanosPerHour-1 {
		h1--
	}
	if h0 > h1 {
		p.Raw = []Span{{first, last}}
		return p
	}
	if start := h0 * NanosPerHour; first < start {
		p.Raw = append(p.Raw, Span{first, start - 1})
	}
	if end := h1*NanosPerHour + (NanosPerHour - 1); end < last {
		p.Raw = append(p.Raw, Span{end + 1, last})
	}
	d0 := FloorDiv(h0, HoursPerDay)
	if FloorMod(h0, HoursPerDay) != 0 {
		d0++
	}
	d1 := FloorDiv(h1, HoursPerDay)
	if FloorMod(h1, HoursPerDay) != HoursPerDay-1 {
		d1--
	}
	if d0 > d1 {
		p.Hours = []Span{{h0, h1}}
		return p
	}
	if h0 < d0*HoursPerDay {
		p.Hours = append(p.Hours, Span{h0, d0*HoursPerDay - 1})
	}
	if d1*HoursPerDay+HoursPerDay-1 < h1 {
		p.Hours = append(p.Hours, Span{(d1 + 1) * HoursPerDay, h1})
	}
	p.Days = []Span{{d0, d1}}
	return p
}
