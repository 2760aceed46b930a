package postgres

// floorDiv is a / b rounded toward negative infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// floorMod is a - floorDiv(a, b)*b, in [0, b), for b > 0.
func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// span is an inclusive range of instants (Unix nanoseconds) or of bucket
// numbers.
type span struct{ first, last int64 }

// rangePlan splits an inclusive range of instants into the parts Usage
// reads from each table: whole days from usage_daily, the whole hours
// around them from usage_hourly, and the partial hours at the ends from the
// ledger itself, so that the range stays exact to the nanosecond.
type rangePlan struct {
	raw, hours, days []span
}

// planRange splits [first, last], in Unix nanoseconds. Every product below
// is of a bucket that lies inside [first, last], so none overflows.
func planRange(first, last int64) rangePlan {
	var p rangePlan
	if first > last {
		return p
	}
	h0 := floorDiv(first, nanosPerHour)
	if floorMod(first, nanosPerHour) != 0 {
		h0++
	}
	h1 := floorDiv(last, nanosPerHour)
	if floorMod(last, nanosPerHour) != nanosPerHour-1 {
		h1--
	}
	if h0 > h1 {
		p.raw = []span{{first, last}}
		return p
	}
	if start := h0 * nanosPerHour; first < start {
		p.raw = append(p.raw, span{first, start - 1})
	}
	if end := h1*nanosPerHour + (nanosPerHour - 1); end < last {
		p.raw = append(p.raw, span{end + 1, last})
	}
	d0 := floorDiv(h0, hoursPerDay)
	if floorMod(h0, hoursPerDay) != 0 {
		d0++
	}
	d1 := floorDiv(h1, hoursPerDay)
	if floorMod(h1, hoursPerDay) != hoursPerDay-1 {
		d1--
	}
	if d0 > d1 {
		p.hours = []span{{h0, h1}}
		return p
	}
	if h0 < d0*hoursPerDay {
		p.hours = append(p.hours, span{h0, d0*hoursPerDay - 1})
	}
	if d1*hoursPerDay+hoursPerDay-1 < h1 {
		p.hours = append(p.hours, span{(d1 + 1) * hoursPerDay, h1})
	}
	p.days = []span{{d0, d1}}
	return p
}
