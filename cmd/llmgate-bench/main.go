// Command llmgate-bench is the load benchmark of llm-gate.
//
// In one run on one machine it starts a fast mock upstream that speaks the
// OpenAI and Azure OpenAI chat wire formats, and three targets in front of
// it: the upstream itself (direct), a bare httputil.ReverseProxy (the floor:
// a proxy that does no work), and the real llm-gate binary configured as a
// user runs it. It drives each with the same requests — closed loop at
// concurrency 1 and 64, open loop at a fixed rate, streamed and not, with 1,
// 10 and 100 KB bodies — and reports latency percentiles, throughput, time
// to first token, CPU time per request and peak memory of each target
// process, and the memory each held-open stream costs. It writes a markdown
// report, a JSON file and an SVG chart, and exits with status 1 when
// llm-gate misses one of the targets of the project's performance issue.
//
// Usage, from the module root:
//
//	go run ./cmd/llmgate-bench            # the full run, about five minutes
//	go run ./cmd/llmgate-bench -quick     # a smoke run of about half a minute
//
// Every server listens on 127.0.0.1 only. Each target runs in its own
// process, so that its CPU time (utime+stime in /proc/<pid>/stat) and
// resident memory (VmRSS and VmHWM in /proc/<pid>/status) are read the same
// way for all three; the benchmark therefore needs Linux.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitMissed  = 1 // a target of the issue was missed
	exitUsage   = 2
	exitFailure = 3 // the benchmark itself could not run
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		os.Exit(childMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it parses args, runs the benchmark and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s, err := parseSettings(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "llmgate-bench:", err)
		return exitUsage
	}
	b := &bench{settings: s, out: stdout}
	rep, err := b.run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "llmgate-bench:", err)
		return exitFailure
	}
	if err := writeOutputs(rep, s); err != nil {
		fmt.Fprintln(stderr, "llmgate-bench:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "\nwrote %s, %s and %s\n", s.Out, s.JSONOut, s.SVGOut)
	fmt.Fprintln(stdout, "\nchecks:")
	for _, c := range rep.Checks {
		mark := "PASS"
		switch {
		case c.Skipped:
			mark = "skip"
		case !c.Pass:
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "  %s  %-38s %s\n", mark, c.ID, c.Measured)
	}
	if f := failed(rep.Checks); len(f) > 0 {
		fmt.Fprintf(stdout, "\n%d check(s) missed:\n", len(f))
		for _, c := range f {
			fmt.Fprintf(stdout, "  - %s [%s]: %s\n", c.ID, c.Target, c.Measured)
		}
		return exitMissed
	}
	return exitOK
}
