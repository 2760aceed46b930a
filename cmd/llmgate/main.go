// Command llmgate runs the llm-gate gateway.
//
// It reads its configuration (flags, environment, .env, YAML file, embedded
// defaults), wires the adapters together and serves until SIGINT or SIGTERM,
// then drains in-flight requests and flushes the ledger. SIGHUP, or a change
// of the config file, reloads the catalog.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/llmgate/llmgate/internal/config"
	"github.com/llmgate/llmgate/internal/gcpace"
	"github.com/llmgate/llmgate/internal/logbuf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmgate:", err)
		os.Exit(1)
	}
	os.Exit(run(ctx, os.Args[1:], os.Environ(), dir, os.Stdout, os.Stderr, nil))
}

// run is main without the process: it returns the exit code, and calls
// ready with the listening address once the server accepts connections.
func run(ctx context.Context, args, environ []string, dir string, stdout, stderr io.Writer, ready func(addr string)) int {
	if len(args) > 0 && args[0] == "version" {
		fmt.Fprintln(stdout, "llmgate", version())
		return 0
	}
	cfg, err := config.Load(args, environ, dir)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "llmgate:", err)
		return 2
	}
	// Heap profile samples cost a stack walk each, one per 512 KiB allocated
	// on average, which large request bodies reach every few requests; only
	// the pprof listener reads them. Test binaries keep go test -memprofile.
	if cfg.Server.PprofAddr == "" && !testing.Testing() {
		runtime.MemProfileRate = 0
	}
	// Pace the garbage collector (internal/gcpace) unless the operator set
	// GOGC, whose word is final. GOGC is the process's own: tests, which
	// run several gateways in one process, leave it alone.
	if h := cfg.Server.GCMinHeap; h > 0 && !hasEnv(environ, "GOGC") && !testing.Testing() {
		defer gcpace.Start(uint64(h)).Stop()
	}
	// Logs to a file or pipe, as in production, leave from a buffer at most
	// logbuf.DefaultDelay old: a request's line then costs no system call
	// of its own. Other writers (tests) are written directly.
	if f, ok := stdout.(*os.File); ok {
		lb := logbuf.New(f, 0, 0)
		defer lb.Close()
		stdout = lb
	}
	app, err := newApp(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "llmgate:", err)
		return 1
	}
	app.reload = func() (*config.Config, error) { return config.Load(args, environ, dir) }
	if err := app.serve(ctx, ready); err != nil {
		fmt.Fprintln(stderr, "llmgate:", err)
		return 1
	}
	return 0
}

// hasEnv reports whether environ sets name to a value that is not empty.
func hasEnv(environ []string, name string) bool {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok && v != "" {
			return true
		}
	}
	return false
}
