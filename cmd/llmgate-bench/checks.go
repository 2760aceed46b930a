package main

import (
	"fmt"
	"slices"
)

// Limits of the targets.
const (
	// p99Factor bounds llm-gate's added p99 at concurrency 1, as a multiple
	// of the floor's.
	p99Factor = 1.5
	// peakRSSLimit bounds llm-gate's peak resident memory at concurrency 64.
	peakRSSLimit = 100 << 20
	// heldStreamLimit bounds llm-gate's memory per held-open stream.
	heldStreamLimit = 64 << 10
	// peakRSSConcurrency is the concurrency the peak RSS target is for.
	peakRSSConcurrency = 64
)

// evaluate checks the targets against the measurements in r. A
// check whose cells were not run is returned as skipped. The order is the
// issue's.
func evaluate(r *report) []check {
	var out []check
	add := func(id string, pass bool, format string, a ...any) {
		out = append(out, check{ID: id, Target: targetLLMGate, Pass: pass, Measured: fmt.Sprintf(format, a...)})
	}
	skip := func(id, why string) {
		out = append(out, check{ID: id, Target: targetLLMGate, Skipped: true, Pass: true, Measured: why})
	}
	cmp := func(pred func(spec) bool) []comparison {
		var cs []comparison
		for _, c := range r.Comparisons {
			if pred(c.spec) {
				cs = append(cs, c)
			}
		}
		return cs
	}

	// No target may fail requests: a fast error is not a fast answer.
	for _, t := range []string{targetDirect, targetFloor, targetLLMGate} {
		var n, errs int
		first := ""
		for _, c := range r.Cells {
			if c.Target == t {
				n += c.Requests + c.Errors
				errs += c.Errors
				if first == "" && c.FirstError != "" {
					first = c.FirstError
				}
			}
		}
		if n == 0 {
			continue
		}
		ch := check{ID: "no failed requests", Target: t, Pass: errs == 0, Measured: fmt.Sprintf("%d failed of %d", errs, n)}
		if first != "" {
			ch.Measured += "; first: " + first
		}
		out = append(out, ch)
	}

	c1 := cmp(func(s spec) bool { return s.Mode == modeClosed && s.Concurrency == 1 && !s.Stream })
	n := 0
	for _, c := range c1 {
		if c.GateAddedP50Ms == nil || c.FloorAddedP50Ms == nil {
			continue
		}
		n++
		add("c=1 added p50 ≤ floor's", *c.GateAddedP50Ms <= *c.FloorAddedP50Ms,
			"%s: llm-gate %s ms, floor %s ms", sizeName(c.BodyBytes), signedMs(*c.GateAddedP50Ms), signedMs(*c.FloorAddedP50Ms))
		add("c=1 added p99 ≤ 1.5 × floor's", *c.GateAddedP99Ms <= p99Factor**c.FloorAddedP99Ms,
			"%s: llm-gate %s ms, floor %s ms", sizeName(c.BodyBytes), signedMs(*c.GateAddedP99Ms), signedMs(*c.FloorAddedP99Ms))
	}
	if n == 0 {
		skip("c=1 added latency", "needs direct, floor and llmgate at closed c=1 non-stream")
	}

	n = 0
	for _, c := range cmp(func(s spec) bool { return s.Mode == modeClosed && s.Concurrency == 64 }) {
		if c.ThroughputRatio == nil {
			continue
		}
		n++
		kind := "non-stream"
		if c.Stream {
			kind = "stream"
		}
		add("c=64 throughput ≥ floor's", *c.ThroughputRatio >= 1,
			"%s %s: llm-gate %.0f/s, floor %.0f/s (%.2f×%s)", kind, sizeName(c.BodyBytes), *c.GateThroughputPerS, *c.FloorThroughputPerS, *c.ThroughputRatio, roundRange(c.RoundThroughputRatios))
	}
	if n == 0 {
		skip("c=64 throughput ≥ floor's", "needs floor and llmgate at closed c=64")
	}

	n = 0
	for _, c := range cmp(func(s spec) bool { return s.Mode == modeClosed && s.Concurrency == 1 && s.Stream }) {
		if c.GateTTFTOverheadMs == nil || c.FloorTTFTOverheadMs == nil {
			continue
		}
		n++
		add("stream TTFT overhead ≤ floor's", *c.GateTTFTOverheadMs <= *c.FloorTTFTOverheadMs,
			"%s: llm-gate %s ms, floor %s ms (p50)", sizeName(c.BodyBytes), signedMs(*c.GateTTFTOverheadMs), signedMs(*c.FloorTTFTOverheadMs))
	}
	if n == 0 {
		skip("stream TTFT overhead ≤ floor's", "needs direct, floor and llmgate at closed c=1 stream")
	}

	if g, f := r.slopeOf(targetLLMGate), r.slopeOf(targetFloor); g != nil && f != nil {
		add("cost slope over body size ≤ floor's", g.UsPerKiB <= f.UsPerKiB,
			"CPU per request: llm-gate %.2f µs/KiB (r² %.2f), floor %.2f µs/KiB (r² %.2f)", g.UsPerKiB, g.R2, f.UsPerKiB, f.R2)
	} else {
		skip("cost slope over body size ≤ floor's", "needs floor and llmgate at two or more body sizes")
	}

	var peak int64
	scope := "cell"
	for _, c := range r.Cells {
		if c.Target == targetLLMGate && c.Mode == modeClosed && c.Concurrency == peakRSSConcurrency {
			peak = max(peak, c.PeakRSSBytes)
			if c.PeakRSSScope != "cell" {
				scope = c.PeakRSSScope
			}
		}
	}
	if peak > 0 {
		add("peak RSS ≤ 100 MiB at c=64", peak <= peakRSSLimit, "%s (VmHWM, scope: %s)", mib(peak), scope)
	} else {
		skip("peak RSS ≤ 100 MiB at c=64", "needs llmgate at closed c=64")
	}

	if h := r.heldOf(targetLLMGate); h != nil && h.Opened > 0 {
		add("memory per held-open stream ≤ 64 KiB", h.PerStreamB <= heldStreamLimit && h.Error == "",
			"%.1f KiB over %d streams%s", h.PerStreamB/1024, h.Opened, errSuffix(h.Error))
	} else {
		skip("memory per held-open stream ≤ 64 KiB", "needs llmgate held streams (-hold > 0)")
	}
	return out
}

// signedMs formats an added latency with its sign.
func signedMs(v float64) string {
	if v < 0 {
		return fmtMs(v)
	}
	return "+" + fmtMs(v)
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return " (" + e + ")"
}

// failed returns the checks that did not pass.
func failed(cs []check) []check {
	var out []check
	for _, c := range cs {
		if !c.Pass && !c.Skipped {
			out = append(out, c)
		}
	}
	return out
}

// roundRange says how far per-round ratios ranged, as ", rounds 0.93–1.04×",
// or nothing for fewer than two rounds.
func roundRange(rs []float64) string {
	if len(rs) < 2 {
		return ""
	}
	return fmt.Sprintf(", rounds %.2f–%.2f×", slices.Min(rs), slices.Max(rs))
}
