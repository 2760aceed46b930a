package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/llmgate/llmgate/cmd/llmgate-bench/internal/child"
)

// startTimeout bounds how long a process may take to start listening.
const startTimeout = 30 * time.Second

// stopTimeout is how long a process has to exit after SIGTERM before it is
// killed.
const stopTimeout = 15 * time.Second

// errNotReady is the cause of a process that exited or timed out before it
// listened.
var errNotReady = errors.New("process did not start listening")

// process is a child process the benchmark started: the mock upstream, the
// floor or llm-gate. Its standard output is read to the end: the line that
// announces its address is looked for, the rest (llm-gate's log) counted
// and discarded, as a log collector would.
type process struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser // held open: a child of our own exits when it closes
	stderr  *tailBuffer
	addr    string
	exited  chan struct{}
	waitErr error

	logLines atomic.Int64
	logBytes atomic.Int64
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// addrFunc extracts the listening address from a line of output, or returns
// "" when the line is not the announcement.
type addrFunc func(line []byte) string

// childAddr reads the announcement of a child of the benchmark.
func childAddr(line []byte) string {
	s, ok := strings.CutPrefix(strings.TrimSpace(string(line)), child.ListeningPrefix)
	if !ok {
		return ""
	}
	return s
}

// llmgateAddr reads llm-gate's "llmgate listening" log line (JSON).
func llmgateAddr(line []byte) string {
	if !bytes.Contains(line, []byte(`"llmgate listening"`)) {
		return ""
	}
	var v struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	if json.Unmarshal(line, &v) != nil || v.Msg != "llmgate listening" {
		return ""
	}
	return v.Addr
}

// startProcess starts cmd and waits until it announces its address. The
// process gets SIGKILL if the benchmark dies (Linux parent-death signal),
// and its standard input is a pipe the benchmark holds.
func startProcess(ctx context.Context, name string, cmd *exec.Cmd, parse addrFunc) (*process, error) {
	p := &process{name: name, cmd: cmd, stderr: &tailBuffer{max: 8 << 10}, exited: make(chan struct{})}
	cmd.SysProcAttr = childAttrs()
	cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	addrc := make(chan string, 1)
	var drained sync.WaitGroup
	drained.Go(func() { p.drain(out, parse, addrc) })
	go func() {
		drained.Wait() // Wait closes the pipe: read everything first
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case p.addr = <-addrc:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s: %w: %v; stderr: %s", name, errNotReady, p.waitErr, p.stderr.String())
	case <-t.C:
	case <-ctx.Done():
	}
	p.stop()
	return nil, fmt.Errorf("%s: %w within %v; stderr: %s", name, errNotReady, startTimeout, p.stderr.String())
}

// drain reads the process's output to its end.
func (p *process) drain(out io.Reader, parse addrFunc, addrc chan<- string) {
	br := bufio.NewReaderSize(out, 64<<10)
	found := false
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			p.logBytes.Add(int64(len(line)))
			if line[len(line)-1] == '\n' {
				p.logLines.Add(1)
			}
			if !found {
				if a := parse(line); a != "" {
					found = true
					addrc <- a
				}
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// stop ends the process: SIGTERM, then SIGKILL if it has not exited within
// stopTimeout. It returns the process's exit error, if any, other than the
// signal that stopped it.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return p.waitErr
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.stdin.Close()
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-p.exited:
		return nil
	case <-t.C:
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not exit within %v of SIGTERM and was killed", p.name, stopTimeout)
	}
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

// Write implements io.Writer.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// String returns the kept bytes.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// startChild re-executes the benchmark binary as a child of the given kind
// (see childMain).
func startChild(ctx context.Context, name, kind string, args ...string) (*process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the benchmark binary: %w", err)
	}
	cmd := exec.Command(exe, append([]string{childArg, kind}, args...)...)
	return startProcess(ctx, name, cmd, childAddr)
}

// buildBinary builds the command pkg (./cmd/llmgate, say) of the module in
// srcDir into dir/name and returns the binary's path.
func buildBinary(ctx context.Context, srcDir, dir, pkg, name string) (string, error) {
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = srcDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w: %s", pkg, err, strings.TrimSpace(out.String()))
	}
	return bin, nil
}

// passedEnv are the variables of the benchmark's environment that reach
// the floor and llm-gate: the ones that shape any Go program alike.
var passedEnv = []string{"PATH", "TMPDIR", "TZ", "GOMAXPROCS", "GOGC", "GOMEMLIMIT"}

// baseEnv returns the environment the floor and llm-gate share: HOME is
// their own directory, and of the benchmark's environment only passedEnv
// and extra are kept.
func baseEnv(dir string, extra ...string) []string {
	env := []string{"HOME=" + dir}
	for _, k := range slices.Concat(passedEnv, extra) {
		if v, ok := os.LookupEnv(k); ok && v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// llmgateEnv returns the whole environment llm-gate runs with: a clean one,
// so that the user's own provider keys or LLMGATE_ settings cannot add
// deployments or change the configuration under test. It is a configuration
// a user would run: the embedded catalog (with its prices, so cost is
// computed), an SQLite ledger, logs at INFO on stdout, and one Azure region
// that is the mock upstream.
func llmgateEnv(dir, upstreamURL string) []string {
	return append(baseEnv(dir, "LLMGATE_PPROF_ADDR"),
		"HEIMDALL_SERVER_HOST=127.0.0.1",
		"HEIMDALL_SERVER_PORT=0",
		"LOG_LEVEL=INFO",
		"LLMGATE_DATABASE_URL=sqlite:"+filepath.Join(dir, "ledger.db"),
		"AZURE_OPENAI_BENCH_ENDPOINT="+upstreamURL,
		"AZURE_OPENAI_BENCH_API_KEY="+benchAPIKey,
	)
}

// startLLMGate runs the llm-gate binary in dir (its working directory, so
// that no .env of the user is read) against the upstream.
func startLLMGate(ctx context.Context, bin, dir, upstreamURL string) (*process, error) {
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = llmgateEnv(dir, upstreamURL)
	return startProcess(ctx, "llmgate", cmd, llmgateAddr)
}

// startFloor runs the floor binary (cmd/llmgate-bench/floor) in dir against
// the upstream, the way llm-gate is run: its own executable, working
// directory and clean environment.
func startFloor(ctx context.Context, bin, dir, upstreamURL string) (*process, error) {
	cmd := exec.Command(bin, "-upstream", upstreamURL)
	cmd.Dir = dir
	cmd.Env = baseEnv(dir)
	return startProcess(ctx, "floor", cmd, childAddr)
}
