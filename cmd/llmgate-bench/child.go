package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/llmgate/llmgate/cmd/llmgate-bench/internal/child"
)

// childArg is the hidden first argument with which the benchmark re-executes
// itself to run the mock upstream in a process of its own, so that its CPU
// time is read from /proc exactly as the targets' are. The floor is a
// program of its own (cmd/llmgate-bench/floor): see startFloor.
const childArg = "__llmgate_bench_child"

// childMain runs the mock upstream as a child process: "upstream" followed
// by its flags (see package child for how it serves and ends).
func childMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "upstream" {
		fmt.Fprintln(stderr, "llmgate-bench child: upstream expected")
		return 2
	}
	fs := flag.NewFlagSet("child upstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	latency := fs.Duration("latency", 0, "latency before each response")
	interval := fs.Duration("chunk-interval", 0, "interval between stream chunks")
	apiKey := fs.String("api-key", "", "the key requests must carry")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	h := &upstream{Latency: *latency, ChunkInterval: *interval, APIKey: *apiKey}
	return child.Run(h, os.Stdin, stdout, stderr)
}
