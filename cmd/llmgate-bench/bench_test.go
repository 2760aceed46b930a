package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llmgate/llmgate/cmd/llmgate-bench/internal/child"
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

// TestMain lets the test binary serve as the mock upstream when a run
// re-executes it, as the benchmark binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestRunRestartsBetweenRounds runs a small benchmark of two rounds: the
// floor and llm-gate each answer the second round from a process of its
// own, started after the first one's has ended, while the upstream stays;
// every cell pools both rounds, and no process outlives the run.
func TestRunRestartsBetweenRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds llm-gate and the floor and runs them; skipped with -short")
	}
	ctx := context.Background()
	src, err := moduleDir(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lg, err := buildBinary(ctx, src, dir, "./cmd/llmgate", "llmgate-bin")
	if err != nil {
		t.Fatal(err)
	}
	floor, err := buildBinary(ctx, src, dir, "./cmd/llmgate-bench/floor", "floor-bin")
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseSettings([]string{"-llmgate", lg, "-floor", floor, "-rounds", "2", "-duration", "400ms", "-warmup", "0",
		"-sizes", "1KB", "-concurrency", "1", "-rate", "", "-hold", "0", "-out", filepath.Join(dir, "r.md")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b := &bench{settings: s, out: &out}
	rep, err := b.run(ctx)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	pids := map[string][]int{}
	for _, ti := range rep.Targets {
		pids[ti.Name] = ti.PIDs
	}
	if len(pids[targetDirect]) != 1 {
		t.Errorf("direct ran as %v; want one process", pids[targetDirect])
	}
	for _, name := range []string{targetFloor, targetLLMGate} {
		p := pids[name]
		if len(p) != 2 || p[0] == p[1] {
			t.Errorf("%s ran as %v; want two processes, one a round", name, p)
		}
	}
	for name, ps := range pids {
		for _, pid := range ps {
			// Signal 0 reaches a process that is still there.
			if p, err := os.FindProcess(pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
				t.Errorf("%s's process %d outlived the run", name, pid)
			}
		}
	}
	if len(rep.Cells) != 6 { // stream and not, three targets
		t.Fatalf("%d cells; want 6", len(rep.Cells))
	}
	for _, c := range rep.Cells {
		if len(c.RoundThroughputPerS) != 2 || c.Requests == 0 || c.Errors != 0 {
			t.Errorf("%s %v: rounds %v, %d requests, %d errors (%s); want two rounds of answers and no error",
				c.Target, c.spec, c.RoundThroughputPerS, c.Requests, c.Errors, c.FirstError)
		}
	}
	// llm-gate logs a line a request (and a few more): its count covers
	// both processes only if the first one's was kept.
	var answered int64
	for _, c := range rep.Cells {
		if c.Target == targetLLMGate {
			answered += int64(c.Requests)
		}
	}
	for _, ti := range rep.Targets {
		if ti.Name == targetLLMGate && ti.LogLines < answered {
			t.Errorf("llm-gate's log: %d lines counted for %d requests; want both processes' lines", ti.LogLines, answered)
		}
	}
}

// TestStopShowsStderrToTheEnd: what a process writes on stderr while it
// shuts down is in the run's output, and the process leaves b.procs.
func TestStopShowsStderrToTheEnd(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	script := `trap 'echo shutting down >&2; exit 0' TERM; echo "` + child.ListeningPrefix + `127.0.0.1:1"; while :; do sleep 0.05; done`
	p, err := startProcess(context.Background(), "sh", exec.Command(sh, "-c", script), childAddr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b := &bench{out: &out, procs: []*process{p}}
	if err := b.stop(p); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if !strings.Contains(out.String(), "shutting down") {
		t.Errorf("output %q; want what the process wrote on stderr as it ended", out.String())
	}
	if len(b.procs) != 0 {
		t.Errorf("%d processes left in b.procs; want none", len(b.procs))
	}
}
