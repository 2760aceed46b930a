package buckets

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestFloor(t *testing.T) {
	for _, tt := range []struct{ a, b, div, mod int64 }{
		{7, 3, 2, 1}, {-7, 3, -3, 2}, {-6, 3, -2, 0}, {0, 3, 0, 0}, {-5 * NanosPerHour / 2, NanosPerHour, -3, NanosPerHour / 2},
	} {
		if d, m := FloorDiv(tt.a, tt.b), FloorMod(tt.a, tt.b); d != tt.div || m != tt.mod {
			t.Errorf("FloorDiv/FloorMod(%d, %d) = %d, %d; want %d, %d", tt.a, tt.b, d, m, tt.div, tt.mod)
		}
	}
	if Hour(-1) != -1 || Day(-1) != -1 || Day(23) != 0 || Day(24) != 1 {
		t.Error("buckets before the epoch or at day edges")
	}
}

func TestPlanRange(t *testing.T) {
	h := NanosPerHour
	d := HoursPerDay * h
	t0 := int64(20000) * d // a day boundary
	tests := []struct {
		name        string
		first, last int64
		want        Plan
	}{
		{"empty", t0, t0 - 1, Plan{}},
		{"inside one hour", t0 + 5, t0 + h - 5, Plan{Raw: []Span{{t0 + 5, t0 + h - 5}}}},
		{"exactly one hour", t0, t0 + h - 1, Plan{Hours: []Span{{t0 / h, t0 / h}}}},
		{"mid-hour to mid-hour", t0 + h/2, t0 + 3*h + h/2, Plan{
			Raw:   []Span{{t0 + h/2, t0 + h - 1}, {t0 + 3*h, t0 + 3*h + h/2}},
			Hours: []Span{{t0/h + 1, t0/h + 2}}}},
		{"exactly one day", t0, t0 + d - 1, Plan{Days: []Span{{t0 / d, t0 / d}}}},
		{"days with hours and nanoseconds around", t0 - h - 1, t0 + 2*d + h, Plan{
			Raw:   []Span{{t0 - h - 1, t0 - h - 1}, {t0 + 2*d + h, t0 + 2*d + h}},
			Hours: []Span{{t0/h - 1, t0/h - 1}, {t0/h + 48, t0/h + 48}},
			Days:  []Span{{t0 / d, t0/d + 1}}}},
		{"before the epoch", -d, -1, Plan{Days: []Span{{-1, -1}}}},
	}
	for _, tt := range tests {
		if got := PlanRange(tt.first, tt.last); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: PlanRange = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	// The parts cover the range exactly, whatever it is.
	for _, r := range [][2]int64{{t0 + 17, t0 + 3*d + 5*h + 3}, {-3*d - 7, 2*h + 9}, {math.MinInt64, math.MinInt64 + 5*d}} {
		p := PlanRange(r[0], r[1])
		var covered int64
		for _, s := range p.Raw {
			covered += s.Last - s.First + 1
		}
		for _, s := range p.Hours {
			covered += (s.Last - s.First + 1) * h
		}
		for _, s := range p.Days {
			covered += (s.Last - s.First + 1) * d
		}
		if covered != r[1]-r[0]+1 {
			t.Errorf("range %v: the plan covers %v of %v", r, time.Duration(covered), time.Duration(r[1]-r[0]+1))
		}
	}
}
