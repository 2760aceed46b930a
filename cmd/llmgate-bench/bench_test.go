package main

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// TestCellOf checks how a cell pools the rounds of one target: requests,
// errors, time and CPU added up, latencies over every sample, the highest
// peak and the first error.
func TestCellOf(t *testing.T) {
	run := func(ok, errs int, elapsed time.Duration, err error, lat ...time.Duration) *cellRun {
		r := &cellRun{ok: ok, errs: errs, elapsed: elapsed, err: err}
		for _, d := range lat {
			r.latency.add(d)
			r.ttft.add(d / 2)
		}
		return r
	}
	first := errors.New("first")
	rounds := []round{
		{run: run(3, 0, time.Second, nil, 1*time.Millisecond, 2*time.Millisecond, 3*time.Millisecond), cpu: 3 * time.Millisecond, upCPU: 6 * time.Millisecond, peak: 50, peakScope: "cell"},
		{run: run(1, 1, time.Second, first, 100*time.Millisecond), cpu: 9 * time.Millisecond, upCPU: 2 * time.Millisecond, peak: 80, peakScope: "cell"},
		{run: run(4, 1, 2*time.Second, errors.New("later"), 4*time.Millisecond, 5*time.Millisecond, 6*time.Millisecond, 7*time.Millisecond), cpu: 4 * time.Millisecond, peak: 70, peakScope: "cell"},
	}
	sp := spec{Mode: modeClosed, Concurrency: 1, Stream: true, BodyBytes: 1024}
	c := cellOf(&target{name: targetLLMGate}, sp, rounds)
	if c.Target != targetLLMGate || c.spec != sp {
		t.Errorf("cell of %q %+v", c.Target, c.spec)
	}
	if c.Requests != 8 || c.Errors != 2 || c.FirstError != "first" {
		t.Errorf("requests %d, errors %d, first error %q; want 8, 2, first", c.Requests, c.Errors, c.FirstError)
	}
	if c.ElapsedS != 4 || c.ThroughputPerS != 2 {
		t.Errorf("elapsed %v s, throughput %v/s; want 4 and 2", c.ElapsedS, c.ThroughputPerS)
	}
	if !slices.Equal(c.RoundThroughputPerS, []float64{3, 1, 2}) {
		t.Errorf("round throughputs %v; want 3, 1 and 2 per second", c.RoundThroughputPerS)
	}
	// Eight samples, 1 to 7 ms and 100 ms: the median is the fourth, the
	// 99th percentile the slowest round's one sample.
	if c.Latency.Count != 8 || c.Latency.P50Ms != 4 || c.Latency.P99Ms != 100 {
		t.Errorf("latency %+v; want 8 samples, p50 4 ms, p99 100 ms", c.Latency)
	}
	if c.TTFT == nil || c.TTFT.P50Ms != 2 {
		t.Errorf("time to first token %+v; want p50 2 ms", c.TTFT)
	}
	if c.CPUPerRequestUs != 2000 || c.UpstreamCPUPerRequestUs != 1000 {
		t.Errorf("CPU per request %v us, upstream %v us; want 2000 and 1000", c.CPUPerRequestUs, c.UpstreamCPUPerRequestUs)
	}
	if c.PeakRSSBytes != 80 || c.PeakRSSScope != "cell" {
		t.Errorf("peak %d (%s); want the highest round's, 80", c.PeakRSSBytes, c.PeakRSSScope)
	}
	sp.Stream = false
	if c := cellOf(&target{name: targetFloor}, sp, rounds[:1]); c.TTFT != nil || c.Requests != 3 {
		t.Errorf("a non-stream cell of one round: TTFT %v, requests %d", c.TTFT, c.Requests)
	}
}

// TestPerRound checks that the rounds' shares of a limited cell add up to
// the limit, which -count promises not to exceed, and that no limit stays
// none.
func TestPerRound(t *testing.T) {
	for _, c := range []struct {
		limit  int64
		rounds int
		want   []int64
	}{{0, 3, []int64{0, 0, 0}}, {10, 1, []int64{10}}, {10, 3, []int64{3, 3, 4}}, {9, 3, []int64{3, 3, 3}}, {1, 3, []int64{0, 0, 1}}} {
		var got []int64
		for n := range c.rounds {
			got = append(got, perRound(c.limit, c.rounds, n))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("perRound(%d, %d, 0..) = %v, want %v", c.limit, c.rounds, got, c.want)
		}
	}
}
