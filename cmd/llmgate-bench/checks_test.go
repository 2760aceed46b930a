package main

import (
	"slices"
	"strings"
	"testing"
)

// passingReport is a run in which llm-gate meets every target.
func passingReport() *report {
	mk := func(target string, s spec, p50, p99, rps, cpu float64, rss int64, ttft float64) cell {
		c := cell{Target: target, spec: s, Requests: 100, Latency: summary{P50Ms: p50, P99Ms: p99}, ThroughputPerS: rps, CPUPerRequestUs: cpu, PeakRSSBytes: rss, PeakRSSScope: "cell"}
		if s.Stream {
			c.TTFT = &summary{P50Ms: ttft}
		}
		return c
	}
	r := &report{}
	for _, size := range []int{1 << 10, 100 << 10} {
		kib := float64(size / 1024)
		c1 := spec{Mode: modeClosed, Concurrency: 1, BodyBytes: size}
		c64 := spec{Mode: modeClosed, Concurrency: 64, BodyBytes: size}
		s1 := spec{Mode: modeClosed, Concurrency: 1, Stream: true, BodyBytes: size}
		r.Cells = append(r.Cells,
			mk(targetDirect, c1, 1, 2, 0, 100+kib, 10<<20, 0),
			mk(targetFloor, c1, 1.5, 3, 0, 100+3*kib, 10<<20, 0),
			mk(targetLLMGate, c1, 1.4, 3.5, 0, 100+2*kib, 10<<20, 0),
			mk(targetDirect, c64, 10, 20, 5000, 100+kib, 10<<20, 0),
			mk(targetFloor, c64, 12, 25, 4000, 100+3*kib, 10<<20, 0),
			mk(targetLLMGate, c64, 11, 24, 4100, 100+2*kib, 90<<20, 0),
			mk(targetDirect, s1, 2, 3, 0, 0, 0, 1),
			mk(targetFloor, s1, 2.5, 3.5, 0, 0, 0, 1.3),
			mk(targetLLMGate, s1, 2.4, 3.4, 0, 0, 0, 1.2),
		)
	}
	r.Held = []held{{Target: targetLLMGate, Streams: 1000, Opened: 1000, PerStreamB: 30 << 10}}
	r.compare()
	r.fitSlopes()
	return r
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *report)
		failed []string // IDs of the checks that must fail; none else may
	}{
		{"all met", func(*report) {}, nil},
		{"slower p50 at c=1", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 1, BodyBytes: 1 << 10}).Latency.P50Ms = 1.6
		}, []string{"c=1 added p50 ≤ floor's"}},
		{"p99 just within 1.5×", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 1, BodyBytes: 1 << 10}).Latency.P99Ms = 3.5 // +1.5 vs floor +1
		}, nil},
		{"p99 beyond 1.5×", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 1, BodyBytes: 1 << 10}).Latency.P99Ms = 3.6
		}, []string{"c=1 added p99 ≤ 1.5 × floor's"}},
		{"less throughput at c=64", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 64, BodyBytes: 100 << 10}).ThroughputPerS = 3999
		}, []string{"c=64 throughput ≥ floor's"}},
		{"slower first token", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 1, Stream: true, BodyBytes: 1 << 10}).TTFT.P50Ms = 1.31
		}, []string{"stream TTFT overhead ≤ floor's"}},
		{"steeper cost", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 64, BodyBytes: 100 << 10}).CPUPerRequestUs = 100 + 4*100
		}, []string{"cost slope over body size ≤ floor's"}},
		{"too much memory", func(r *report) {
			r.find(targetLLMGate, spec{Mode: modeClosed, Concurrency: 64, BodyBytes: 1 << 10}).PeakRSSBytes = 101 << 20
		}, []string{"peak RSS ≤ 100 MiB at c=64"}},
		{"fat streams", func(r *report) { r.Held[0].PerStreamB = 65 << 10 }, []string{"memory per held-open stream ≤ 64 KiB"}},
		{"streams that did not open", func(r *report) { r.Held[0].Error = "3 of 1000 streams did not open" }, []string{"memory per held-open stream ≤ 64 KiB"}},
		{"failed requests", func(r *report) { r.Cells[1].Errors = 2; r.Cells[1].FirstError = "boom" }, []string{"no failed requests"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := passingReport()
			tt.change(r)
			r.compare()
			r.fitSlopes()
			checks := evaluate(r)
			var got []string
			for _, c := range failed(checks) {
				got = append(got, c.ID)
			}
			if strings.Join(got, "|") != strings.Join(tt.failed, "|") {
				t.Fatalf("failed checks %q, want %q; all: %+v", got, tt.failed, checks)
			}
			for _, c := range checks {
				if c.Skipped {
					t.Errorf("check %q skipped with every cell present", c.ID)
				}
			}
		})
	}
}

func TestEvaluateSkipsWhatWasNotRun(t *testing.T) {
	r := &report{Cells: []cell{{Target: targetLLMGate, spec: spec{Mode: modeOpen, RatePerS: 10, BodyBytes: 1024}, Requests: 5}}}
	r.compare()
	r.fitSlopes()
	checks := evaluate(r)
	if f := failed(checks); len(f) != 0 {
		t.Fatalf("failed: %+v", f)
	}
	skipped := 0
	for _, c := range checks {
		if c.Skipped {
			skipped++
		}
	}
	if skipped != 6 {
		t.Fatalf("%d checks skipped, want 6: %+v", skipped, checks)
	}
}

// TestRoundThroughputRatios checks that a comparison pairs each of
// llm-gate's rounds with the floor's round beside it, and that the
// throughput check says how far those ratios ranged; rounds that do not
// pair up give none.
func TestRoundThroughputRatios(t *testing.T) {
	r := passingReport()
	sp := spec{Mode: modeClosed, Concurrency: 64, BodyBytes: 1 << 10}
	r.find(targetFloor, sp).RoundThroughputPerS = []float64{4000, 4000, 5000}
	r.find(targetLLMGate, sp).RoundThroughputPerS = []float64{3800, 4400, 5000}
	r.Comparisons = nil
	r.compare()
	var found bool
	for _, c := range r.Comparisons {
		if c.spec != sp {
			continue
		}
		found = true
		if want := []float64{0.95, 1.1, 1}; !slices.Equal(c.RoundThroughputRatios, want) {
			t.Errorf("round ratios %v; want %v", c.RoundThroughputRatios, want)
		}
	}
	if !found {
		t.Fatal("no comparison at c=64, 1 KB")
	}
	var measured string
	for _, ch := range evaluate(r) {
		if ch.ID == "c=64 throughput ≥ floor's" && strings.Contains(ch.Measured, "non-stream 1KB") {
			measured = ch.Measured
		}
	}
	if !strings.Contains(measured, "rounds 0.95–1.10×") {
		t.Errorf("the check says %q; want the rounds' range, 0.95–1.10×", measured)
	}
	r.find(targetFloor, sp).RoundThroughputPerS = []float64{4000}
	r.Comparisons = nil
	r.compare()
	for _, c := range r.Comparisons {
		if c.spec == sp && c.RoundThroughputRatios != nil {
			t.Errorf("rounds that do not pair up gave ratios %v", c.RoundThroughputRatios)
		}
	}
}
