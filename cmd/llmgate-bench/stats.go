package main

import (
	"math"
	"slices"
	"time"
)

// maxSamples bounds the latency samples one cell keeps, so that a long run
// cannot exhaust memory; at 8 bytes a sample it is 16 MiB per recorder.
const maxSamples = 2 << 20

// samples holds exact latency observations. Percentiles are computed from
// the sorted observations, not from buckets, so a reported p99.9 is a value
// that some request actually took. The zero value is ready to use; it is not
// safe for concurrent use.
type samples struct {
	d       []time.Duration
	dropped int // observations beyond maxSamples
	sorted  bool
}

// add records one observation.
func (s *samples) add(d time.Duration) {
	if len(s.d) >= maxSamples {
		s.dropped++
		return
	}
	s.d = append(s.d, d)
	s.sorted = false
}

// merge appends the observations of o.
func (s *samples) merge(o *samples) {
	for _, d := range o.d {
		s.add(d)
	}
	s.dropped += o.dropped
}

// count returns the number of kept observations.
func (s *samples) count() int { return len(s.d) }

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100): the
// smallest observation that at least p percent of the observations do not
// exceed. It returns 0 when there are no observations.
func (s *samples) percentile(p float64) time.Duration {
	n := len(s.d)
	if n == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.d)
		s.sorted = true
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return s.d[rank-1]
}

// summary is the percentiles of a set of samples, in milliseconds as the
// report shows them.
type summary struct {
	Count  int     `json:"count"`
	P50Ms  float64 `json:"p50Ms"`
	P99Ms  float64 `json:"p99Ms"`
	P999Ms float64 `json:"p999Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// summarize returns the summary of s.
func summarize(s *samples) summary {
	return summary{
		Count:  s.count(),
		P50Ms:  ms(s.percentile(50)),
		P99Ms:  ms(s.percentile(99)),
		P999Ms: ms(s.percentile(99.9)),
		MaxMs:  ms(s.percentile(100)),
	}
}

// ms converts d to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fit returns the least-squares slope and intercept of y over x, and the
// coefficient of determination r² (1 for a perfect line). It needs at least
// two distinct x values; otherwise ok is false.
func fit(x, y []float64) (slope, intercept, r2 float64, ok bool) {
	n := float64(len(x))
	if len(x) < 2 || len(x) != len(y) {
		return 0, 0, 0, false
	}
	var sx, sy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
	}
	mx, my := sx/n, sy/n
	var sxx, sxy, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return 0, 0, 0, false
	}
	slope = sxy / sxx
	intercept = my - slope*mx
	r2 = 1
	if syy > 0 {
		r2 = sxy * sxy / (sxx * syy)
	}
	return slope, intercept, r2, true
}
