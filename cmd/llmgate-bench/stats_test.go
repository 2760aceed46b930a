package main

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // reversed: sorting matters
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{7}, 99.9, 7},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p99.9 of 100 is the max", hundred, 99.9, 100 * time.Millisecond},
		{"p100", hundred, 100, 100 * time.Millisecond},
		{"tiny p is the min", hundred, 0.001, time.Millisecond},
		{"p50 of 4 is the 2nd", []time.Duration{4, 1, 3, 2}, 50, 2},
		{"p51 of 4 is the 3rd", []time.Duration{4, 1, 3, 2}, 51, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s samples
			for _, d := range tt.in {
				s.add(d)
			}
			if got := s.percentile(tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSamplesAddAfterSort(t *testing.T) {
	var s samples
	s.add(5)
	s.add(1)
	if got := s.percentile(100); got != 5 {
		t.Fatalf("max = %v, want 5", got)
	}
	s.add(9) // must invalidate the sorted order
	if got := s.percentile(100); got != 9 {
		t.Fatalf("max after add = %v, want 9", got)
	}
	var o samples
	o.add(20)
	s.merge(&o)
	if got, n := s.percentile(100), s.count(); got != 20 || n != 4 {
		t.Fatalf("after merge max = %v, count = %d; want 20, 4", got, n)
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name                 string
		x, y                 []float64
		slope, intercept, r2 float64
		ok                   bool
	}{
		{"line", []float64{1, 10, 100}, []float64{12, 30, 210}, 2, 10, 1, true},
		{"flat", []float64{1, 2}, []float64{3, 3}, 0, 3, 1, true},
		{"one point", []float64{1}, []float64{1}, 0, 0, 0, false},
		{"same x", []float64{2, 2}, []float64{1, 5}, 0, 0, 0, false},
		{"noisy", []float64{0, 1, 2}, []float64{0, 2, 1}, 0.5, 0.5, 0.25, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, b, r2, ok := fit(tt.x, tt.y)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"slope", m, tt.slope}, {"intercept", b, tt.intercept}, {"r2", r2, tt.r2}} {
				if math.Abs(c.got-c.want) > 1e-9 {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}
