package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// duration is a time.Duration that JSON writes as text ("3s").
type duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// String implements fmt.Stringer.
func (d duration) String() string { return time.Duration(d).String() }

// settings is what one run does, from the flags.
type settings struct {
	Quick         bool      `json:"quick"`
	Targets       []string  `json:"targets"`
	Sizes         []int     `json:"bodySizes"`
	Text          string    `json:"promptText"`
	Concurrency   []int     `json:"concurrency"`
	Rates         []float64 `json:"ratesPerS"`
	Streams       []bool    `json:"streams"`
	Duration      duration  `json:"cellDuration"`
	Rounds        int       `json:"rounds"`
	MaxCount      int64     `json:"maxRequestsPerCell"`
	Warmup        duration  `json:"warmup"`
	Latency       duration  `json:"upstreamLatency"`
	ChunkInterval duration  `json:"chunkInterval"`
	HoldStreams   int       `json:"heldStreams"`
	MaxInFlight   int       `json:"maxInFlight"`
	Timeout       duration  `json:"requestTimeout"`
	LLMGateBin    string    `json:"llmgateBinary,omitempty"`
	FloorBin      string    `json:"floorBinary,omitempty"`
	Src           string    `json:"-"`
	Out           string    `json:"-"`
	JSONOut       string    `json:"-"`
	SVGOut        string    `json:"-"`
	Args          []string  `json:"args"`
}

// Limits on the flags, so that every loop of a run is bounded.
const (
	maxConcurrency = 4096
	maxRate        = 100000
	maxDuration    = 10 * time.Minute
	maxHold        = 10000
	maxCountLimit  = 100_000_000
)

// errUsage is the cause of every bad flag value.
var errUsage = errors.New("bad flag")

// parseSettings parses the command line. -quick changes the defaults of the
// flags that are not given explicitly.
func parseSettings(args []string, stderr io.Writer) (settings, error) {
	fs := flag.NewFlagSet("llmgate-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./cmd/llmgate-bench [flags]

Load benchmark of llm-gate against a direct upstream and a bare reverse
proxy (the floor), on 127.0.0.1. Exits 1 when llm-gate misses a target of
the performance issue, 2 on bad flags, 3 when the benchmark cannot run.

Flags:
`)
		fs.PrintDefaults()
	}
	quick := fs.Bool("quick", false, "a smoke run of about 30 s: 1KB and 100KB bodies, 0.5 s cells, 200 held streams")
	targets := fs.String("targets", "direct,floor,llmgate", "targets to run, comma-separated: direct, floor, llmgate")
	sizes := fs.String("sizes", "1KB,10KB,100KB", "request body sizes, comma-separated (B, KB or MB suffix; KB is 1024 bytes)")
	conc := fs.String("concurrency", "1,64", "closed-loop concurrencies, comma-separated; empty for none")
	rates := fs.String("rate", "100", "open-loop rates in requests/s, comma-separated; empty or 0 for none")
	text := fs.String("text", "plain", "the prompt text that pads request bodies: plain (ASCII without JSON escapes) or markdown (lines, tabs, quotes, letters beyond ASCII)")
	stream := fs.String("stream", "both", "which requests: both, off (non-stream only) or on (stream only)")
	dur := fs.Duration("duration", 3*time.Second, "how long each cell sends requests")
	rounds := fs.Int("rounds", 3, "rounds each cell is split into, the targets taking turns in each, so that a change in the machine's load falls on all of them alike; the floor and llm-gate are restarted before each round after the first")
	count := fs.Int64("count", 0, "at most this many requests per closed-loop cell (0: only -duration limits)")
	warmup := fs.Duration("warmup", 500*time.Millisecond, "warm-up of each target before its first cell (per stream kind)")
	latency := fs.Duration("latency", 0, "fixed upstream latency before each response")
	chunk := fs.Duration("chunk-interval", 0, "upstream interval between stream chunks")
	hold := fs.Int("hold", 1000, "streams held open to measure memory per stream (0: skip)")
	inflight := fs.Int("max-in-flight", 2048, "open loop: requests in flight beyond this are dropped and counted as errors")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout of one request")
	bin := fs.String("llmgate", "", "a prebuilt llm-gate binary (default: go build ./cmd/llmgate from -src)")
	floorBin := fs.String("floor", "", "a prebuilt floor binary (default: go build ./cmd/llmgate-bench/floor from -src)")
	src := fs.String("src", "", "the llm-gate module directory (default: the module of the working directory)")
	out := fs.String("out", filepath.Join("docs", "benchmarks.md"), "the markdown report")
	jsonOut := fs.String("json", "", "the JSON report (default: -out with .json)")
	svgOut := fs.String("svg", "", "the SVG chart (default: -out with .svg)")
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		quickDefaults := map[string]func(){
			"sizes":    func() { *sizes = "1KB,100KB" },
			"duration": func() { *dur = 500 * time.Millisecond },
			"warmup":   func() { *warmup = 200 * time.Millisecond },
			"hold":     func() { *hold = 200 },
		}
		for name, apply := range quickDefaults {
			if !set[name] {
				apply()
			}
		}
	}

	s := settings{
		Quick:         *quick,
		Text:          *text,
		Duration:      duration(*dur),
		Rounds:        *rounds,
		MaxCount:      *count,
		Warmup:        duration(*warmup),
		Latency:       duration(*latency),
		ChunkInterval: duration(*chunk),
		HoldStreams:   *hold,
		MaxInFlight:   *inflight,
		Timeout:       duration(*timeout),
		LLMGateBin:    *bin,
		FloorBin:      *floorBin,
		Src:           *src,
		Out:           *out,
		JSONOut:       *jsonOut,
		SVGOut:        *svgOut,
		Args:          args,
	}
	var err error
	if s.Targets, err = parseTargets(*targets); err != nil {
		return settings{}, err
	}
	if s.Sizes, err = parseList(*sizes, parseSize); err != nil {
		return settings{}, fmt.Errorf("-sizes: %w", err)
	}
	if len(s.Sizes) == 0 {
		return settings{}, fmt.Errorf("%w: -sizes is empty", errUsage)
	}
	if s.Concurrency, err = parseList(*conc, func(v string) (int, error) { return parseBounded(v, 1, maxConcurrency) }); err != nil {
		return settings{}, fmt.Errorf("-concurrency: %w", err)
	}
	if s.Rates, err = parseList(*rates, parseRate); err != nil {
		return settings{}, fmt.Errorf("-rate: %w", err)
	}
	s.Rates = slices.DeleteFunc(s.Rates, func(r float64) bool { return r == 0 })
	slices.Sort(s.Rates)
	if len(s.Concurrency) == 0 && len(s.Rates) == 0 {
		return settings{}, fmt.Errorf("%w: no load: -concurrency and -rate are both empty", errUsage)
	}
	if _, ok := fillers[s.Text]; !ok {
		return settings{}, fmt.Errorf("%w: -text %q: want plain or markdown", errUsage, s.Text)
	}
	switch *stream {
	case "both":
		s.Streams = []bool{false, true}
	case "off":
		s.Streams = []bool{false}
	case "on":
		s.Streams = []bool{true}
	default:
		return settings{}, fmt.Errorf("%w: -stream %q: want both, off or on", errUsage, *stream)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{{"duration", *dur, time.Millisecond}, {"warmup", *warmup, 0}, {"latency", *latency, 0}, {"chunk-interval", *chunk, 0}, {"timeout", *timeout, time.Millisecond}} {
		if d.v < d.min || d.v > maxDuration {
			return settings{}, fmt.Errorf("%w: -%s %v: want %v to %v", errUsage, d.name, d.v, d.min, maxDuration)
		}
	}
	if s.Rounds < 1 || time.Duration(s.Duration)/time.Duration(s.Rounds) < time.Millisecond {
		return settings{}, fmt.Errorf("%w: -rounds %d: want 1 to one per millisecond of -duration", errUsage, s.Rounds)
	}
	if s.MaxCount < 0 || s.MaxCount > maxCountLimit {
		return settings{}, fmt.Errorf("%w: -count %d: want 0 to %d", errUsage, s.MaxCount, maxCountLimit)
	}
	if s.HoldStreams < 0 || s.HoldStreams > maxHold {
		return settings{}, fmt.Errorf("%w: -hold %d: want 0 to %d", errUsage, s.HoldStreams, maxHold)
	}
	if s.MaxInFlight < 1 || s.MaxInFlight > maxHold {
		return settings{}, fmt.Errorf("%w: -max-in-flight %d: want 1 to %d", errUsage, s.MaxInFlight, maxHold)
	}
	base := strings.TrimSuffix(s.Out, filepath.Ext(s.Out))
	if s.JSONOut == "" {
		s.JSONOut = base + ".json"
	}
	if s.SVGOut == "" {
		s.SVGOut = base + ".svg"
	}
	return s, nil
}

// parseTargets parses -targets; the run order is always direct, floor,
// llmgate.
func parseTargets(v string) ([]string, error) {
	want := map[string]bool{}
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		switch t {
		case targetDirect, targetFloor, targetLLMGate:
			want[t] = true
		case "":
		default:
			return nil, fmt.Errorf("%w: -targets: unknown target %q", errUsage, t)
		}
	}
	var out []string
	for _, t := range []string{targetDirect, targetFloor, targetLLMGate} {
		if want[t] {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: -targets is empty", errUsage)
	}
	return out, nil
}

// parseList parses a comma-separated list with parse; duplicates are
// dropped, the order is kept.
func parseList[T comparable](v string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		x, err := parse(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out, nil
}

// parseSize parses a body size: 512, 512B, 10KB, 1MB (binary units).
func parseSize(v string) (int, error) {
	u := strings.ToUpper(v)
	mult := 1
	for _, suf := range []struct {
		s string
		m int
	}{{"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSuffix(u, suf.s), suf.m
			break
		}
	}
	n, err := parseBounded(u, 1, 8<<20)
	if err != nil || n*mult > 8<<20 {
		return 0, fmt.Errorf("%w: body size %q: want 1B to 8MB", errUsage, v)
	}
	return n * mult, nil
}

// parseBounded parses an integer in [lo, hi].
func parseBounded(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %w", errUsage, v, err)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%w: %d: want %d to %d", errUsage, n, lo, hi)
	}
	return n, nil
}

// parseRate parses an open-loop rate in requests per second.
func parseRate(v string) (float64, error) {
	r, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: rate %q: %w", errUsage, v, err)
	}
	if r < 0 || r > maxRate {
		return 0, fmt.Errorf("%w: rate %g: want 0 to %d", errUsage, r, maxRate)
	}
	return r, nil
}
