// Command floor is the load benchmark's floor: a bare
// net/http/httputil.ReverseProxy that forwards to -upstream and does
// nothing else. The benchmark builds it and runs it as a child process (see
// package child); it is a program of its own rather than the benchmark
// re-executed, because a program that runs the load generator's code at the
// load generator's addresses finds the CPU's branch predictors trained for
// it by the client and the mock upstream, and llm-gate does not (see the
// README's benchmark section).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/llmgate/llmgate/cmd/llmgate-bench/internal/child"
)

func main() {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	target := fs.String("upstream", "", "the upstream's base URL (http://host:port)")
	idle := fs.Int("max-idle-per-host", 64, "idle upstream connections kept")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	p, err := child.NewFloor(*target, *idle)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(2)
	}
	os.Exit(child.Run(child.FullDuplex(p), os.Stdin, os.Stdout, os.Stderr))
}
