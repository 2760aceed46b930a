package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is one of the three servers the benchmark measures.
type target struct {
	name   string
	desc   string
	proc   *process
	base   string // http://127.0.0.1:port
	native bool   // llm-gate's native API rather than the Azure wire format
	client *client
	// peakScope is "cell" while resetting VmHWM works, "process" after it
	// failed once.
	peakScope string
	// again starts another process of the target, in place of proc, for
	// the next round; nil for direct, the upstream, which stays.
	again func(ctx context.Context) (*process, error)
	// logLines and logBytes count the log of the target's earlier
	// processes.
	logLines, logBytes int64
}

// bench is one run.
type bench struct {
	settings settings
	out      io.Writer

	upstream *process
	targets  []*target
	procs    []*process // started, in order; stopped in reverse
	bodies   map[bodyKey][]byte
}

// bodyKey names a prepared request body.
type bodyKey struct {
	native, stream bool
	size           int
}

// body returns the request body for a target, prepared once.
func (b *bench) body(native, stream bool, size int) []byte {
	k := bodyKey{native, stream, size}
	if v, ok := b.bodies[k]; ok {
		return v
	}
	v := chatBody(native, stream, size, fillers[b.settings.Text])
	b.bodies[k] = v
	return v
}

// logf prints a progress line.
func (b *bench) logf(format string, a ...any) { fmt.Fprintf(b.out, format+"\n", a...) }

// run starts everything, measures, stops everything and returns the report.
func (b *bench) run(ctx context.Context) (_ *report, err error) {
	started := time.Now()
	s := b.settings
	b.bodies = map[bodyKey][]byte{}
	rep := &report{
		Command:  "go run ./cmd/llmgate-bench " + strings.Join(s.Args, " "),
		Started:  started,
		Machine:  machineInfo(),
		Settings: s,
	}
	rep.Command = strings.TrimSpace(rep.Command)
	tmp, err := os.MkdirTemp("", "llmgate-bench-")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	defer func() {
		if serr := b.stopAll(rep); serr != nil && err == nil {
			err = serr
		}
	}()

	if err := b.start(ctx, tmp, rep); err != nil {
		return nil, err
	}
	for _, t := range b.targets {
		rep.Targets = append(rep.Targets, targetInfo{Name: t.name, Description: t.desc, PIDs: []int{t.proc.pid()}})
		if err := b.check(ctx, t); err != nil {
			return nil, err
		}
	}
	// Held streams first, while the processes are fresh: heap that earlier
	// load left free would otherwise absorb the streams and hide their cost.
	if s.HoldStreams > 0 {
		for _, t := range b.targets {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted: %w", context.Cause(ctx))
			}
			h := b.hold(ctx, t, s.HoldStreams)
			rep.Held = append(rep.Held, h)
			b.logf("%-8s held %d of %d streams: RSS %s -> %s, %.1f KiB per stream%s",
				t.name, h.Opened, h.Streams, mib(h.RSSBeforeB), mib(h.RSSAfterB), h.PerStreamB/1024, errSuffix(h.Error))
		}
	}
	// The rounds are the outer loop: every cell's first round, then every
	// cell's second, and so on, the floor and llm-gate restarted before
	// each round after the first. In a round the targets take turns, cell
	// by cell, so that a change in the load of a shared machine falls on
	// all of them alike rather than on the one measured at the time; and
	// a cell's rounds are run by different processes of each target, so
	// that the luck of one process (where its code and data fell in
	// memory, which CPU caches and branch predictors it shares with
	// whom) is averaged over as many as there are rounds instead of
	// deciding the whole run.
	rounds := map[spec][][]round{}
	for n := range s.Rounds {
		if n > 0 {
			if err := b.restart(ctx, rep); err != nil {
				return nil, err
			}
		}
		for _, stream := range s.Streams {
			for _, t := range b.targets {
				b.warm(ctx, t, stream)
			}
			for _, size := range s.Sizes {
				for _, sp := range b.specs(stream, size) {
					count := perRound(s.MaxCount, s.Rounds, n)
					if s.MaxCount > 0 && count == 0 && sp.Mode != modeOpen {
						continue // fewer requests than rounds: this one has none
					}
					if rounds[sp] == nil {
						rounds[sp] = make([][]round, len(b.targets))
					}
					for i, t := range b.targets {
						if ctx.Err() != nil {
							return nil, fmt.Errorf("interrupted: %w", context.Cause(ctx))
						}
						r, err := b.round(ctx, t, sp, count)
						if err != nil {
							return nil, err
						}
						rounds[sp][i] = append(rounds[sp][i], r)
					}
				}
			}
		}
		b.logf("round %d of %d done", n+1, s.Rounds)
	}
	for _, stream := range s.Streams {
		for _, size := range s.Sizes {
			for _, sp := range b.specs(stream, size) {
				for i, t := range b.targets {
					var rs []round
					if rounds[sp] != nil {
						rs = rounds[sp][i]
					}
					c := cellOf(t, sp, rs)
					rep.Cells = append(rep.Cells, c)
					b.logf("%-8s %-32s %7.0f req/s  p50 %7s ms  p99 %7s ms  p99.9 %7s ms%s  cpu %5.0f µs/req  rss %s  errors %d",
						t.name, sp, c.ThroughputPerS, fmtMs(c.Latency.P50Ms), fmtMs(c.Latency.P99Ms), fmtMs(c.Latency.P999Ms),
						ttftText(c.TTFT), c.CPUPerRequestUs, mib(c.PeakRSSBytes), c.Errors)
				}
			}
		}
	}
	rep.compare()
	rep.fitSlopes()
	rep.Notes = notes(rep, b)
	rep.Checks = evaluate(rep)
	rep.DurationS = time.Since(started).Seconds()
	return rep, nil
}

func ttftText(t *summary) string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf("  ttft p50 %s ms", fmtMs(t.P50Ms))
}

// specs returns the loads of one stream kind and body size, lightest first.
func (b *bench) specs(stream bool, size int) []spec {
	var out []spec
	conc := b.settings.Concurrency
	for _, c := range conc {
		if c == 1 {
			out = append(out, spec{Mode: modeClosed, Concurrency: 1, Stream: stream, BodyBytes: size})
		}
	}
	for _, r := range b.settings.Rates {
		out = append(out, spec{Mode: modeOpen, RatePerS: r, Stream: stream, BodyBytes: size})
	}
	for _, c := range conc {
		if c != 1 {
			out = append(out, spec{Mode: modeClosed, Concurrency: c, Stream: stream, BodyBytes: size})
		}
	}
	return out
}

// start starts the upstream and the targets.
func (b *bench) start(ctx context.Context, tmp string, rep *report) error {
	s := b.settings
	up, err := startChild(ctx, "upstream", "upstream",
		"-latency", s.Latency.String(), "-chunk-interval", s.ChunkInterval.String(), "-api-key", benchAPIKey)
	if err != nil {
		return err
	}
	b.procs = append(b.procs, up)
	b.upstream = up
	upURL := "http://" + up.addr
	b.logf("upstream  pid %d on %s", up.pid(), up.addr)
	for _, name := range s.Targets {
		t := &target{name: name, peakScope: "cell"}
		switch name {
		case targetDirect:
			t.desc = "the mock upstream itself, Azure OpenAI wire format"
			t.proc = up
		case targetFloor:
			t.desc = "bare net/http/httputil.ReverseProxy (FlushInterval -1, 64 idle upstream connections, full-duplex request bodies: golang/go#40747), a program of its own (cmd/llmgate-bench/floor), Azure OpenAI wire format"
			p, again, err := b.startBinary(ctx, tmp, name, s.FloorBin, "./cmd/llmgate-bench/floor", upURL, startFloor)
			if err != nil {
				return err
			}
			t.proc, t.again = p, again
		case targetLLMGate:
			t.desc = "the llm-gate binary: embedded catalog with prices (cost on), SQLite ledger, LOG_LEVEL=INFO to stdout (read and discarded by the benchmark), one Azure region (AZURE_OPENAI_BENCH_*) at the upstream; native POST /llm-gate/v1/chat"
			t.native = true
			p, again, err := b.startBinary(ctx, tmp, name, s.LLMGateBin, "./cmd/llmgate", upURL, startLLMGate)
			if err != nil {
				return err
			}
			t.proc, t.again = p, again
		}
		b.connect(t)
		b.targets = append(b.targets, t)
		b.logf("%-8s  pid %d on %s", name, t.proc.pid(), t.proc.addr)
	}
	return nil
}

// connect points t's client at t's process.
func (b *bench) connect(t *target) {
	s := b.settings
	t.base = "http://" + t.proc.addr
	t.client = newClient(t.base, t.native, max(slicesMax(s.Concurrency), s.MaxInFlight))
	t.client.hc.Timeout = time.Duration(s.Timeout)
}

// startBinary starts a target that is a program of its own, the floor or
// llm-gate: bin when given, else pkg built from the module's source, run by
// start in a directory of its own under tmp. again starts another process
// of it, in the same directory.
func (b *bench) startBinary(ctx context.Context, tmp, name, bin, pkg, upURL string,
	start func(ctx context.Context, bin, dir, upURL string) (*process, error)) (*process, func(context.Context) (*process, error), error) {
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating %s's directory: %w", name, err)
	}
	if bin == "" {
		src, err := moduleDir(ctx, b.settings.Src)
		if err != nil {
			return nil, nil, err
		}
		b.logf("building %s from %s …", pkg, src)
		if bin, err = buildBinary(ctx, src, dir, pkg, name+"-bin"); err != nil {
			return nil, nil, err
		}
	}
	again := func(ctx context.Context) (*process, error) {
		p, err := start(ctx, bin, dir, upURL)
		if err != nil {
			return nil, err
		}
		b.procs = append(b.procs, p)
		return p, nil
	}
	p, err := again(ctx)
	return p, again, err
}

// restart stops the floor and llm-gate and starts another process of each
// in its place, checked as the first was, for the next round.
func (b *bench) restart(ctx context.Context, rep *report) error {
	for i, t := range b.targets {
		if t.again == nil {
			continue
		}
		t.client.close()
		if err := b.stop(t.proc); err != nil {
			return err
		}
		// Counted once the process has ended and its output is read to
		// the end: its log buffer is written out as it shuts down.
		t.logLines += t.proc.logLines.Load()
		t.logBytes += t.proc.logBytes.Load()
		p, err := t.again(ctx)
		if err != nil {
			return err
		}
		t.proc = p
		b.connect(t)
		rep.Targets[i].PIDs = append(rep.Targets[i].PIDs, p.pid())
		if err := b.check(ctx, t); err != nil {
			return err
		}
		b.logf("%-8s  pid %d on %s", t.name, p.pid(), p.addr)
	}
	return nil
}

// stop stops p, one of b.procs, and takes it out of them; then shows what
// it wrote on stderr, to its end.
func (b *bench) stop(p *process) error {
	b.procs = slices.DeleteFunc(b.procs, func(q *process) bool { return q == p })
	err := p.stop()
	if e := p.stderr.String(); e != "" {
		b.logf("%s wrote on stderr (last 8 KiB):\n%s", p.name, e)
	}
	if err != nil {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	return nil
}

func slicesMax(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// stopAll stops every process, the last started first, and records
// llm-gate's log volume, once its output is read to the end.
func (b *bench) stopAll(rep *report) error {
	var errs []error
	for _, t := range b.targets {
		t.client.close()
	}
	for i := len(b.procs) - 1; i >= 0; i-- {
		if err := b.stop(b.procs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	b.procs = nil
	for _, t := range b.targets {
		for i := range rep.Targets {
			if rep.Targets[i].Name == t.name && t.name == targetLLMGate {
				rep.Targets[i].LogLines = t.logLines + t.proc.logLines.Load()
				rep.Targets[i].LogBytes = t.logBytes + t.proc.logBytes.Load()
			}
		}
	}
	return errors.Join(errs...)
}

// moduleDir returns the llm-gate module's directory: dir if given,
// otherwise the module of the working directory.
func moduleDir(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOMOD: %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return "", fmt.Errorf("%w: not inside a Go module; run from the llm-gate module, or pass -src, or -llmgate and -floor", errUsage)
		}
		dir = filepath.Dir(gomod)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd", "llmgate")); err != nil {
		return "", fmt.Errorf("%s is not the llm-gate module: %w", dir, err)
	}
	return dir, nil
}

// check sends one request of each kind to t and fails if one fails, so
// that a broken configuration stops the run before it measures errors.
func (b *bench) check(ctx context.Context, t *target) error {
	for _, stream := range b.settings.Streams {
		if _, err := t.client.do(ctx, b.body(t.native, stream, 1024), stream, nil); err != nil {
			return fmt.Errorf("%s does not answer (stream %v): %w", t.name, stream, err)
		}
	}
	return nil
}

// warm sends requests to t for the warm-up time at the highest concurrency,
// so that connection pools are full before the first cell.
func (b *bench) warm(ctx context.Context, t *target, stream bool) {
	if b.settings.Warmup <= 0 {
		return
	}
	body := b.body(t.native, stream, b.settings.Sizes[0])
	conc := max(slicesMax(b.settings.Concurrency), 8)
	closedLoop(ctx, conc, time.Duration(b.settings.Warmup), 0, func(ctx context.Context) (time.Time, error) {
		return t.client.do(ctx, body, stream, nil)
	})
}

// round is one target's share of a cell: a run of the cell's duration
// divided by the rounds, the CPU time its process and the upstream's used,
// and its process's peak resident memory.
type round struct {
	run        *cellRun
	cpu, upCPU time.Duration
	peak       int64
	peakScope  string
}

// round runs one round of the cell sp against t, of at most count requests
// in closed loop (0 for no limit).
func (b *bench) round(ctx context.Context, t *target, sp spec, count int64) (round, error) {
	s := b.settings
	if t.peakScope == "cell" {
		if err := resetPeak(t.proc.pid()); err != nil {
			t.peakScope = "process"
		}
	}
	r := round{peakScope: t.peakScope}
	cpu0, err := procCPU(t.proc.pid())
	if err != nil {
		return r, err
	}
	up0, err := procCPU(b.upstream.pid())
	if err != nil {
		return r, err
	}
	body := b.body(t.native, sp.Stream, sp.BodyBytes)
	do := func(ctx context.Context) (time.Time, error) { return t.client.do(ctx, body, sp.Stream, nil) }
	dur := time.Duration(s.Duration) / time.Duration(s.Rounds)
	if sp.Mode == modeOpen {
		r.run = openLoop(ctx, wallClock{}, sp.RatePerS, dur, s.MaxInFlight, do)
	} else {
		r.run = closedLoop(ctx, sp.Concurrency, dur, count, do)
	}
	cpu1, err := procCPU(t.proc.pid())
	if err != nil {
		return r, err
	}
	up1, err := procCPU(b.upstream.pid())
	if err != nil {
		return r, err
	}
	mem, err := procMemory(t.proc.pid())
	if err != nil {
		return r, err
	}
	r.cpu, r.upCPU, r.peak = cpu1-cpu0, up1-up0, mem.HWM
	return r, nil
}

// perRound is round n's share of the requests of a cell limited to limit (0
// for no limit): the shares of the rounds add up to limit.
func perRound(limit int64, rounds, n int) int64 {
	return limit*int64(n+1)/int64(rounds) - limit*int64(n)/int64(rounds)
}

// cellOf is the cell t measured in rounds: requests, errors, time and CPU
// added up, latencies pooled, the highest peak.
func cellOf(t *target, sp spec, rounds []round) cell {
	c := cell{Target: t.name, spec: sp}
	var all cellRun
	var cpu, upCPU time.Duration
	for _, r := range rounds {
		all.latency.merge(&r.run.latency)
		all.ttft.merge(&r.run.ttft)
		all.ok += r.run.ok
		all.errs += r.run.errs
		if all.err == nil {
			all.err = r.run.err
		}
		all.elapsed += r.run.elapsed
		if s := r.run.elapsed.Seconds(); s > 0 {
			c.RoundThroughputPerS = append(c.RoundThroughputPerS, float64(r.run.ok)/s)
		}
		cpu += r.cpu
		upCPU += r.upCPU
		c.PeakRSSBytes = max(c.PeakRSSBytes, r.peak)
		c.PeakRSSScope = r.peakScope
	}
	c.Requests, c.Errors = all.ok, all.errs
	if all.err != nil {
		c.FirstError = all.err.Error()
	}
	c.ElapsedS = all.elapsed.Seconds()
	if c.ElapsedS > 0 {
		c.ThroughputPerS = float64(all.ok) / c.ElapsedS
	}
	c.Latency = summarize(&all.latency)
	if sp.Stream {
		tt := summarize(&all.ttft)
		c.TTFT = &tt
	}
	if all.ok > 0 {
		c.CPUPerRequestUs = float64(cpu.Microseconds()) / float64(all.ok)
		c.UpstreamCPUPerRequestUs = float64(upCPU.Microseconds()) / float64(all.ok)
	}
	return c
}

// holdTimeout bounds the held-streams phase of one target.
const holdTimeout = 60 * time.Second

// hold opens n streams to t through an upstream that stops each after its
// first content chunk, reads t's resident memory before and once all are
// open, then releases them.
func (b *bench) hold(ctx context.Context, t *target, n int) held {
	h := held{Target: t.name, Streams: n}
	setHold := func(on bool) error {
		v := "0"
		if on {
			v = "1"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+b.upstream.addr+"/_bench/hold?on="+v, nil)
		if err != nil {
			return fmt.Errorf("building the hold request: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("setting the upstream's hold: %w", err)
		}
		resp.Body.Close()
		return nil
	}
	if err := setHold(true); err != nil {
		h.Error = err.Error()
		return h
	}
	defer setHold(false)
	before, err := procMemory(t.proc.pid())
	if err != nil {
		h.Error = err.Error()
		return h
	}
	h.RSSBeforeB = before.RSS

	hctx, cancel := context.WithTimeout(ctx, holdTimeout)
	defer cancel()
	cl := newClient(t.base, t.native, n)
	defer cl.close()
	body := b.body(t.native, true, 1024)
	var (
		opened, failed atomic.Int64
		firstErr       atomic.Value
		wg             sync.WaitGroup
		settled        = make(chan struct{}, n)
		dialing        = make(chan struct{}, 64) // streams being opened at once
	)
	start := time.Now()
	for range n {
		wg.Go(func() {
			var once sync.Once
			done := func() {
				once.Do(func() {
					<-dialing
					settled <- struct{}{}
				})
			}
			select {
			case dialing <- struct{}{}:
			case <-hctx.Done():
				failed.Add(1)
				settled <- struct{}{}
				return
			}
			_, err := cl.do(hctx, body, true, func() { opened.Add(1); done() })
			if err != nil && hctx.Err() == nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
			done()
		})
	}
wait:
	for range n {
		select {
		case <-settled:
		case <-hctx.Done():
			break wait
		}
	}
	h.OpenDurationS = time.Since(start).Seconds()
	h.Opened = int(opened.Load())
	after, err := procMemory(t.proc.pid())
	if err == nil {
		h.RSSAfterB = after.RSS
		if h.Opened > 0 {
			h.PerStreamB = float64(after.RSS-before.RSS) / float64(h.Opened)
		}
	}
	if f := failed.Load(); f > 0 || h.Opened < n {
		msg := fmt.Sprintf("%d of %d streams did not open", n-h.Opened, n)
		if e, ok := firstErr.Load().(string); ok {
			msg += "; first error: " + e
		}
		h.Error = msg
	}
	if err := setHold(false); err != nil && h.Error == "" {
		h.Error = err.Error()
	}
	wg.Wait() // released streams finish; hctx bounds the rest
	return h
}

// machineInfo describes the machine from /proc.
func machineInfo() machine {
	m := machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadBefore = strings.Join(f[:3], " ")
		}
	}
	return m
}

// probeMetrics reports the first metrics path llm-gate answers, or "".
func probeMetrics(ctx context.Context, base string) string {
	for _, p := range []string{"/metrics", "/llm-gate/metrics", "/llm-gate/v1/metrics"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+p, nil)
		if err != nil {
			continue
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return p
		}
	}
	return ""
}

// notes explains how the run measured, for the report.
func notes(rep *report, b *bench) []string {
	n := []string{
		"Each target is its own process: the mock upstream is the benchmark binary re-executed with a hidden argument; the floor and llm-gate are programs of their own, built with `go build ./cmd/llmgate-bench/floor` and `go build ./cmd/llmgate` and run alike (own directory, clean environment). The floor is not the benchmark re-executed: code that runs at the load generator's addresses finds the CPU's branch predictors trained for it by the client and the upstream, which was worth about 30 µs of TTFT at c=1 to the floor. The load generator is the benchmark process; on a 2-core machine it competes with the target for CPU, the same way for every target.",
		"CPU per request is the change of utime+stime in /proc/<pid>/stat of the target's process across the cell's rounds (10 ms ticks), divided by the answered requests. For direct, the target process is the upstream.",
		"Peak RSS is VmHWM from /proc/<pid>/status after each round; before each round the high-water mark is reset to the current RSS by writing 5 to /proc/<pid>/clear_refs, so it is the peak of that cell (scope \"cell\"). Where the kernel refuses the reset, it is the peak since the process started (scope \"process\").",
		"Memory per held-open stream: the upstream is switched to hold each stream after its first content chunk; N streams are opened to the target (at most 64 connecting at once) and the target's VmRSS after all have received their first content chunk, minus VmRSS before, is divided by N. It runs before the load cells, on processes that have only answered a few check requests, so that heap freed by earlier load does not absorb the streams.",
		fmt.Sprintf("Each cell runs in %d rounds of %v, the targets taking turns (direct, floor, llm-gate, then the next cell), so that a change in the load of the machine falls on all of them alike; a cell's figures pool its rounds: requests, time and CPU added up, latencies over every sample, the highest peak RSS. The rounds are the outer loop (every cell's first round, then every cell's second, …), and before each round after the first the floor and llm-gate are restarted (the upstream stays): a cell's rounds are run by as many processes of each, so that the luck of one process (where its code and data fell in memory, which CPU it settled on and with whom) is averaged rather than deciding the run; identical binaries in the two slots differed by up to 50 µs at p50 from one run to the next.", rep.Settings.Rounds, time.Duration(rep.Settings.Duration)/time.Duration(rep.Settings.Rounds)),
		"Closed loop: each of c workers sends its next request when the previous answer is complete. Open loop: requests are planned at fixed intervals independent of the answers and each is sent in its own goroutine; latency and time to first token are counted from the planned time, so a stalled target cannot hide its queue (no coordinated omission).",
		"Latency percentiles are exact (nearest rank over every sample). Time to first token is the time to the first SSE event carrying non-empty content text.",
		"Request bodies are padded with prompt text to exactly the stated size, in the Azure OpenAI wire format for direct and floor and in llm-gate's native shape for llm-gate; llm-gate translates to the Azure format with stream_options.include_usage on streams, which the direct and floor requests carry too. The mock upstream checks that each body is a whole, valid chat completion request (with jsonscan, leaving what it does not read to encoding/json: about 60 µs of its CPU for 100 KB, where encoding/json alone took about 600 µs, a cost of the provider's and not of the gateway's machine), and writes and flushes each chunk of a stream on its own, as providers do.",
		"Added latency is target minus direct for the same cell; ratios are llm-gate over the floor for the same cell of the same run.",
	}
	for _, t := range b.targets {
		if t.name != targetLLMGate {
			continue
		}
		if p := probeMetrics(context.Background(), t.base); p != "" {
			n = append(n, "llm-gate serves metrics at "+p+"; they are on during the run.")
		} else {
			n = append(n, "llm-gate has no metrics endpoint yet (probed /metrics, /llm-gate/metrics and /llm-gate/v1/metrics), so the run has no metrics to turn on.")
		}
	}
	if rep.Settings.Quick {
		n = append(n, "This is a -quick smoke run: short cells, few samples; do not compare its numbers.")
	}
	return n
}

// writeOutputs writes the markdown, JSON and SVG files.
func writeOutputs(rep *report, s settings) error {
	for _, p := range []string{s.Out, s.JSONOut, s.SVGOut} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("creating the report's directory: %w", err)
		}
	}
	svgRef := ""
	if ch, ok := latencyChart(rep); ok {
		var buf bytes.Buffer
		if err := writeSVG(&buf, ch); err != nil {
			return fmt.Errorf("drawing the chart: %w", err)
		}
		if err := os.WriteFile(s.SVGOut, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the chart: %w", err)
		}
		if rel, err := filepath.Rel(filepath.Dir(s.Out), s.SVGOut); err == nil {
			svgRef = filepath.ToSlash(rel)
		}
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the JSON report: %w", err)
	}
	if err := os.WriteFile(s.JSONOut, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	var md bytes.Buffer
	if err := writeMarkdown(&md, rep, svgRef); err != nil {
		return fmt.Errorf("rendering the markdown report: %w", err)
	}
	if err := os.WriteFile(s.Out, md.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the markdown report: %w", err)
	}
	return nil
}
