package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Target names, as flags, tables and JSON use them.
const (
	targetDirect  = "direct"
	targetFloor   = "floor"
	targetLLMGate = "llmgate"
)

// Modes of load.
const (
	modeClosed = "closed"
	modeOpen   = "open"
)

// spec is one kind of load: closed-loop at a concurrency or open-loop at a
// rate, streamed or not, with a request body size.
type spec struct {
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency,omitempty"`
	RatePerS    float64 `json:"ratePerS,omitempty"`
	Stream      bool    `json:"stream"`
	BodyBytes   int     `json:"bodyBytes"`
}

// load names the load of s: "c=64" or "200/s".
func (s spec) load() string {
	if s.Mode == modeOpen {
		return fmt.Sprintf("%g/s", s.RatePerS)
	}
	return fmt.Sprintf("c=%d", s.Concurrency)
}

// String names s for progress lines.
func (s spec) String() string {
	kind := "non-stream"
	if s.Stream {
		kind = "stream"
	}
	return fmt.Sprintf("%s %s %s %s", s.Mode, s.load(), kind, sizeName(s.BodyBytes))
}

// cell is the measurement of one target under one spec.
type cell struct {
	Target string `json:"target"`
	spec
	Requests       int     `json:"requests"`
	Errors         int     `json:"errors"`
	FirstError     string  `json:"firstError,omitempty"`
	ElapsedS       float64 `json:"elapsedS"`
	ThroughputPerS float64 `json:"throughputPerS"`
	// RoundThroughputPerS is the throughput of each round of the cell, in
	// the order the rounds ran.
	RoundThroughputPerS []float64 `json:"roundThroughputPerS,omitempty"`
	// Latency is of the whole answer, from the send time (closed loop) or
	// the planned send time (open loop).
	Latency summary `json:"latency"`
	// TTFT is the time to the first chunk with content text (streams).
	TTFT *summary `json:"ttft,omitempty"`
	// CPUPerRequestUs is the user+system CPU time of the target's own
	// process per answered request.
	CPUPerRequestUs float64 `json:"cpuPerRequestUs"`
	// UpstreamCPUPerRequestUs is the mock upstream's, for the same requests.
	UpstreamCPUPerRequestUs float64 `json:"upstreamCpuPerRequestUs"`
	// PeakRSSBytes is VmHWM of the target's process after the cell.
	PeakRSSBytes int64 `json:"peakRssBytes"`
	// PeakRSSScope is "cell" when the peak was reset before the cell,
	// "process" when it is the high-water mark since the process started.
	PeakRSSScope string `json:"peakRssScope"`
}

// held is the memory one target needs per held-open stream.
type held struct {
	Target        string  `json:"target"`
	Streams       int     `json:"streams"`
	Opened        int     `json:"opened"`
	RSSBeforeB    int64   `json:"rssBeforeBytes"`
	RSSAfterB     int64   `json:"rssAfterBytes"`
	PerStreamB    float64 `json:"perStreamBytes"`
	Error         string  `json:"error,omitempty"`
	OpenDurationS float64 `json:"openDurationS"`
}

// comparison sets llm-gate and the floor side by side for one spec. Added
// latency is over direct; a nil field could not be computed because a
// target was not run.
type comparison struct {
	spec
	FloorAddedP50Ms     *float64 `json:"floorAddedP50Ms"`
	GateAddedP50Ms      *float64 `json:"llmgateAddedP50Ms"`
	FloorAddedP99Ms     *float64 `json:"floorAddedP99Ms"`
	GateAddedP99Ms      *float64 `json:"llmgateAddedP99Ms"`
	FloorTTFTOverheadMs *float64 `json:"floorTtftOverheadMs,omitempty"`
	GateTTFTOverheadMs  *float64 `json:"llmgateTtftOverheadMs,omitempty"`
	AddedP50Ratio       *float64 `json:"addedP50Ratio"`
	ThroughputRatio     *float64 `json:"throughputRatio"`
	// RoundThroughputRatios are the ratios of the rounds, each of
	// llm-gate's round to the floor's round it ran beside: how far the
	// ratio moved within the run, on a machine whose load changes.
	RoundThroughputRatios []float64 `json:"roundThroughputRatios,omitempty"`
	CPUPerRequestRatio    *float64  `json:"cpuPerRequestRatio"`
	GateCPUPerRequestUs   *float64  `json:"llmgateCpuPerRequestUs"`
	FloorCPUPerRequestUs  *float64  `json:"floorCpuPerRequestUs"`
	GateThroughputPerS    *float64  `json:"llmgateThroughputPerS"`
	FloorThroughputPerS   *float64  `json:"floorThroughputPerS"`
	DirectThroughputPerS  *float64  `json:"directThroughputPerS"`
	DirectLatencyP50Ms    *float64  `json:"directP50Ms"`
	DirectLatencyP99Ms    *float64  `json:"directP99Ms"`
	DirectTTFTP50Ms       *float64  `json:"directTtftP50Ms,omitempty"`
	GateLatencyP50Ms      *float64  `json:"llmgateP50Ms"`
	FloorLatencyP50Ms     *float64  `json:"floorP50Ms"`
	GateLatencyP99Ms      *float64  `json:"llmgateP99Ms"`
	FloorLatencyP99Ms     *float64  `json:"floorP99Ms"`
	GateLatencyP999Ms     *float64  `json:"llmgateP999Ms"`
	FloorLatencyP999Ms    *float64  `json:"floorP999Ms"`
	GateErrors            int       `json:"llmgateErrors"`
	FloorErrors           int       `json:"floorErrors"`
}

// slope is how a target's CPU time per request grows with the request body.
type slope struct {
	Target string `json:"target"`
	// Basis names the cells the fit is over.
	Basis string `json:"basis"`
	// UsPerKiB is the least-squares slope of CPU µs per request over body
	// KiB; InterceptUs its value at an empty body; R2 how straight the line
	// is (1: a perfect line).
	UsPerKiB    float64 `json:"cpuUsPerKiB"`
	InterceptUs float64 `json:"interceptUs"`
	R2          float64 `json:"r2"`
	// LatencyUsPerKiB is the slope of the p50 latency (closed loop,
	// concurrency 1) over body KiB, for information.
	LatencyUsPerKiB *float64 `json:"latencyP50UsPerKiB,omitempty"`
}

// check is one target of the issue, evaluated.
type check struct {
	ID       string `json:"id"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
	// Skipped is set when the cells the check needs were not run; a skipped
	// check does not fail the run.
	Skipped bool `json:"skipped,omitempty"`
}

// machine describes where the benchmark ran.
type machine struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpuModel"`
	Kernel     string `json:"kernel"`
	GoVersion  string `json:"goVersion"`
	LoadBefore string `json:"loadAverageBefore"`
}

// targetInfo describes one target process.
type targetInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	PIDs        []int  `json:"pids"` // one process a round (direct: one for all)
	LogLines    int64  `json:"logLines,omitempty"`
	LogBytes    int64  `json:"logBytes,omitempty"`
}

// pidsText names a target's processes: "pid 7", or "pids 7, 9, 12" for
// one a round.
func pidsText(pids []int) string {
	if len(pids) == 1 {
		return fmt.Sprintf("pid %d", pids[0])
	}
	var b strings.Builder
	b.WriteString("pids ")
	for i, p := range pids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}

// report is everything one run measured; it is written as JSON as is and
// rendered as markdown.
type report struct {
	Command     string       `json:"command"`
	Started     time.Time    `json:"started"`
	DurationS   float64      `json:"durationS"`
	Machine     machine      `json:"machine"`
	Settings    settings     `json:"settings"`
	Targets     []targetInfo `json:"targets"`
	Notes       []string     `json:"notes"`
	Cells       []cell       `json:"cells"`
	Held        []held       `json:"heldStreams"`
	Comparisons []comparison `json:"comparisons"`
	Slopes      []slope      `json:"slopes"`
	Checks      []check      `json:"checks"`
}

// find returns the cell of target under s, or nil.
func (r *report) find(target string, s spec) *cell {
	for i := range r.Cells {
		if c := &r.Cells[i]; c.Target == target && c.spec == s {
			return c
		}
	}
	return nil
}

// specs returns the distinct specs of the cells, in the order they ran.
func (r *report) specs() []spec {
	var out []spec
	seen := map[spec]bool{}
	for _, c := range r.Cells {
		if !seen[c.spec] {
			seen[c.spec] = true
			out = append(out, c.spec)
		}
	}
	return out
}

// heldOf returns the held-streams result of target, or nil.
func (r *report) heldOf(target string) *held {
	for i := range r.Held {
		if r.Held[i].Target == target {
			return &r.Held[i]
		}
	}
	return nil
}

// compare fills r.Comparisons from r.Cells.
func (r *report) compare() {
	r.Comparisons = nil
	for _, s := range r.specs() {
		d, f, g := r.find(targetDirect, s), r.find(targetFloor, s), r.find(targetLLMGate, s)
		if f == nil && g == nil {
			continue
		}
		c := comparison{spec: s}
		if g != nil {
			c.GateErrors = g.Errors
			c.GateThroughputPerS = ptr(g.ThroughputPerS)
			c.GateCPUPerRequestUs = ptr(g.CPUPerRequestUs)
			c.GateLatencyP50Ms, c.GateLatencyP99Ms, c.GateLatencyP999Ms = ptr(g.Latency.P50Ms), ptr(g.Latency.P99Ms), ptr(g.Latency.P999Ms)
		}
		if f != nil {
			c.FloorErrors = f.Errors
			c.FloorThroughputPerS = ptr(f.ThroughputPerS)
			c.FloorCPUPerRequestUs = ptr(f.CPUPerRequestUs)
			c.FloorLatencyP50Ms, c.FloorLatencyP99Ms, c.FloorLatencyP999Ms = ptr(f.Latency.P50Ms), ptr(f.Latency.P99Ms), ptr(f.Latency.P999Ms)
		}
		if d != nil {
			c.DirectThroughputPerS = ptr(d.ThroughputPerS)
			c.DirectLatencyP50Ms, c.DirectLatencyP99Ms = ptr(d.Latency.P50Ms), ptr(d.Latency.P99Ms)
			if f != nil {
				c.FloorAddedP50Ms = ptr(f.Latency.P50Ms - d.Latency.P50Ms)
				c.FloorAddedP99Ms = ptr(f.Latency.P99Ms - d.Latency.P99Ms)
			}
			if g != nil {
				c.GateAddedP50Ms = ptr(g.Latency.P50Ms - d.Latency.P50Ms)
				c.GateAddedP99Ms = ptr(g.Latency.P99Ms - d.Latency.P99Ms)
			}
			if s.Stream && d.TTFT != nil {
				c.DirectTTFTP50Ms = ptr(d.TTFT.P50Ms)
				if f != nil && f.TTFT != nil {
					c.FloorTTFTOverheadMs = ptr(f.TTFT.P50Ms - d.TTFT.P50Ms)
				}
				if g != nil && g.TTFT != nil {
					c.GateTTFTOverheadMs = ptr(g.TTFT.P50Ms - d.TTFT.P50Ms)
				}
			}
		}
		if f != nil && g != nil {
			c.ThroughputRatio = ratio(g.ThroughputPerS, f.ThroughputPerS)
			if len(g.RoundThroughputPerS) == len(f.RoundThroughputPerS) {
				for i, gr := range g.RoundThroughputPerS {
					if rr := ratio(gr, f.RoundThroughputPerS[i]); rr != nil {
						c.RoundThroughputRatios = append(c.RoundThroughputRatios, *rr)
					}
				}
			}
			c.CPUPerRequestRatio = ratio(g.CPUPerRequestUs, f.CPUPerRequestUs)
			if c.GateAddedP50Ms != nil {
				c.AddedP50Ratio = ratio(*c.GateAddedP50Ms, *c.FloorAddedP50Ms)
			}
		}
		r.Comparisons = append(r.Comparisons, c)
	}
}

// fitSlopes fills r.Slopes: for each target, CPU per request over body size,
// from the non-stream closed-loop cells of the highest concurrency run
// (the most requests, so the least tick rounding).
func (r *report) fitSlopes() {
	r.Slopes = nil
	conc := 0
	for _, s := range r.specs() {
		if s.Mode == modeClosed && !s.Stream {
			conc = max(conc, s.Concurrency)
		}
	}
	for _, t := range []string{targetDirect, targetFloor, targetLLMGate} {
		var x, y, lx, ly []float64
		for _, c := range r.Cells {
			if c.Target != t || c.Mode != modeClosed || c.Stream || c.Requests == 0 {
				continue
			}
			if c.Concurrency == conc {
				x = append(x, float64(c.BodyBytes)/1024)
				y = append(y, c.CPUPerRequestUs)
			}
			if c.Concurrency == 1 {
				lx = append(lx, float64(c.BodyBytes)/1024)
				ly = append(ly, c.Latency.P50Ms*1000)
			}
		}
		m, b, r2, ok := fit(x, y)
		if !ok {
			continue
		}
		sl := slope{Target: t, Basis: fmt.Sprintf("non-stream, closed loop c=%d", conc), UsPerKiB: m, InterceptUs: b, R2: r2}
		if lm, _, _, ok := fit(lx, ly); ok {
			sl.LatencyUsPerKiB = ptr(lm)
		}
		r.Slopes = append(r.Slopes, sl)
	}
}

// slopeOf returns the slope of target, or nil.
func (r *report) slopeOf(target string) *slope {
	for i := range r.Slopes {
		if r.Slopes[i].Target == target {
			return &r.Slopes[i]
		}
	}
	return nil
}

func ptr(v float64) *float64 { return &v }

// ratio returns a/b, or nil when b is zero.
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	return ptr(a / b)
}

// sizeName names a body size: "1KB", "100KB", "512B".
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// fmtMs formats milliseconds with a precision that suits their size.
func fmtMs(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// opt formats an optional value with f, or "–".
func opt(v *float64, f func(float64) string) string {
	if v == nil {
		return "–"
	}
	return f(*v)
}

func fmtRatio(v float64) string { return fmt.Sprintf("%.2f×", v) }

// writeMarkdown renders r as the markdown report.
func writeMarkdown(w io.Writer, r *report, svgName string) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# llm-gate load benchmark\n\n")
	p("Produced by `%s` on %s, in %.0f s.\n\n", r.Command, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.DurationS)
	m := r.Machine
	p("Machine: %s/%s, %d CPUs (%s), kernel %s, %s; load average before the run: %s.\n\n", m.OS, m.Arch, m.CPUs, m.CPUModel, m.Kernel, m.GoVersion, m.LoadBefore)
	s := r.Settings
	p("Settings: %v per cell in %d rounds, %s prompt text, upstream latency %v, stream chunk interval %v, %d held-open streams, request timeout %v.\n\n",
		s.Duration, s.Rounds, s.Text, s.Latency, s.ChunkInterval, s.HoldStreams, s.Timeout)

	p("## Targets\n\n| target | process | what |\n| --- | --- | --- |\n")
	for _, t := range r.Targets {
		p("| %s | %s | %s |\n", t.Name, pidsText(t.PIDs), t.Description)
	}
	p("\n## Checks\n\n| | check | target | measured |\n| --- | --- | --- | --- |\n")
	for _, c := range r.Checks {
		mark := "PASS"
		switch {
		case c.Skipped:
			mark = "skipped"
		case !c.Pass:
			mark = "**FAIL**"
		}
		p("| %s | %s | %s | %s |\n", mark, c.ID, c.Target, c.Measured)
	}

	if len(r.Comparisons) > 0 {
		p("\n## llm-gate against the floor\n\n")
		p("Added latency is over direct, at p50 and p99 (ms). Ratios are llm-gate / floor, measured in the same run.\n\n")
		p("| load | body | floor +p50 | llm-gate +p50 | floor +p99 | llm-gate +p99 | TTFT overhead floor / llm-gate | throughput floor / llm-gate (/s) | throughput ratio | CPU/req floor / llm-gate (µs) |\n")
		p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, c := range r.Comparisons {
			kind := ""
			if c.Stream {
				kind = " stream"
			}
			ttft := "–"
			if c.Stream {
				ttft = opt(c.FloorTTFTOverheadMs, fmtMs) + " / " + opt(c.GateTTFTOverheadMs, fmtMs)
			}
			p("| %s %s%s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s |\n",
				c.Mode, c.load(), kind, sizeName(c.BodyBytes),
				opt(c.FloorAddedP50Ms, fmtMs), opt(c.GateAddedP50Ms, fmtMs),
				opt(c.FloorAddedP99Ms, fmtMs), opt(c.GateAddedP99Ms, fmtMs), ttft,
				opt(c.FloorThroughputPerS, f0), opt(c.GateThroughputPerS, f0), opt(c.ThroughputRatio, fmtRatio),
				opt(c.FloorCPUPerRequestUs, f0), opt(c.GateCPUPerRequestUs, f0))
		}
	}
	if len(r.Slopes) > 0 {
		p("\n## Cost against body size\n\n| target | basis | CPU µs/req per KiB | intercept µs | r² | p50 latency µs per KiB (c=1) |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, sl := range r.Slopes {
			p("| %s | %s | %.2f | %.1f | %.3f | %s |\n", sl.Target, sl.Basis, sl.UsPerKiB, sl.InterceptUs, sl.R2, opt(sl.LatencyUsPerKiB, f1))
		}
	}
	if len(r.Held) > 0 {
		p("\n## Memory per held-open stream\n\n| target | streams open | RSS before | RSS with streams | per stream |\n| --- | --- | --- | --- | --- |\n")
		for _, h := range r.Held {
			per := fmt.Sprintf("%.1f KiB", h.PerStreamB/1024)
			if h.Error != "" {
				per += " (" + h.Error + ")"
			}
			p("| %s | %d of %d | %s | %s | %s |\n", h.Target, h.Opened, h.Streams, mib(h.RSSBeforeB), mib(h.RSSAfterB), per)
		}
	}
	if svgName != "" {
		p("\n## Latency against load\n\n![p50 and p99 latency against throughput](%s)\n", svgName)
	}
	p("\n## All cells\n\nLatency in ms (open loop: from the planned send time). CPU is the target process's user+system time per answered request; peak RSS is VmHWM (scope: per cell when the kernel allowed resetting it, otherwise since the process started).\n\n")
	p("| target | load | stream | body | requests | errors | req/s | p50 | p99 | p99.9 | TTFT p50 | TTFT p99 | CPU/req µs | upstream CPU/req µs | peak RSS |\n")
	p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range r.Cells {
		ttft50, ttft99 := "–", "–"
		if c.TTFT != nil {
			ttft50, ttft99 = fmtMs(c.TTFT.P50Ms), fmtMs(c.TTFT.P99Ms)
		}
		scope := ""
		if c.PeakRSSScope != "cell" {
			scope = " (" + c.PeakRSSScope + ")"
		}
		p("| %s | %s %s | %v | %s | %d | %d | %.0f | %s | %s | %s | %s | %s | %.0f | %.0f | %s%s |\n",
			c.Target, c.Mode, c.load(), c.Stream, sizeName(c.BodyBytes), c.Requests, c.Errors, c.ThroughputPerS,
			fmtMs(c.Latency.P50Ms), fmtMs(c.Latency.P99Ms), fmtMs(c.Latency.P999Ms), ttft50, ttft99,
			c.CPUPerRequestUs, c.UpstreamCPUPerRequestUs, mib(c.PeakRSSBytes), scope)
	}
	if len(r.Notes) > 0 {
		p("\n## How it was measured\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
