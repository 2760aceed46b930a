package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// azureAPIVersion is the api-version the direct and floor requests carry,
// llm-gate's default.
const azureAPIVersion = "2024-10-21"

// benchAPIKey is the key of the mock upstream's Azure region.
const benchAPIKey = "llmgate-bench-key"

// fillers are the prompt texts that pad request bodies (-text), as they
// stand between the quotes of a JSON string. plain is ASCII that JSON
// carries without escapes, the best case of a gateway that decodes and
// encodes the prompt; markdown is what prompts are more often made of:
// lines, tabs, quotes and a few letters beyond ASCII, one JSON escape in
// about 20 bytes.
var fillers = map[string]string{
	"plain":    "The quick brown fox jumps over the lazy dog while the benchmark measures how much a gateway adds. ",
	"markdown": `## Configure the client\nSet the base URL to the gateway and keep the key in an environment variable.\nThe SDK reads \"OPENAI_BASE_URL\"; answers stream when asked:\n\n\tfor chunk in stream:\n\t\tprint(chunk.choices[0].delta.content, end=\"\")\n\nCafé, naïve, 東京: the same answer in three scripts.\n`,
}

// errStatus is the cause of a request that got a non-200 answer.
var errStatus = errors.New("unexpected status")

// errIncomplete is the cause of a stream that ended without its final event.
var errIncomplete = errors.New("stream ended without its final event")

// errDropped is the cause of an open-loop request that was not sent because
// too many were already in flight.
var errDropped = errors.New("dropped: in-flight limit reached")

// chatBody returns a chat request of exactly size bytes (or the smallest
// possible, if size is smaller): llm-gate's native shape when native is
// set, otherwise the Azure OpenAI wire shape. The user message is filler,
// one of fillers, repeated to pad it.
func chatBody(native, stream bool, size int, filler string) []byte {
	var pre, post string
	if native {
		pre = `{"provider":{"name":"azure_openai","model":{"name":"gpt-4o"}},"prompt":{"parameter":{"maxTokens":256},"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`
		post = `"}]},"stream":` + fmt.Sprint(stream) + `}`
	} else {
		pre = `{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`
		post = `"}],"max_tokens":256,"stream":` + fmt.Sprint(stream)
		if stream {
			post += `,"stream_options":{"include_usage":true}`
		}
		post += `}`
	}
	n := max(size-len(pre)-len(post), 1)
	b := make([]byte, 0, len(pre)+n+len(post))
	b = append(b, pre...)
	for i := 0; i < n; i++ {
		b = append(b, filler[i%len(filler)])
	}
	// The padding may end inside a character of several bytes or an
	// escape: spaces take their place.
	text := b[len(pre):]
	cut := len(text)
	for i := cut - 1; i >= 0 && i >= cut-utf8.UTFMax; i-- {
		if utf8.RuneStart(text[i]) {
			if !utf8.FullRune(text[i:]) {
				cut = i
			}
			break
		}
	}
	if slashes := cut - len(bytes.TrimRight(text[:cut], `\`)); slashes%2 == 1 {
		cut--
	}
	for i := cut; i < len(text); i++ {
		text[i] = ' '
	}
	return append(b, post...)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// client sends the benchmark's requests to one target.
type client struct {
	hc     *http.Client
	url    string
	native bool
}

// newClient returns a client of the target at base (http://host:port).
// Its transport keeps up to maxConns connections alive, so that no cell pays
// for reconnecting.
func newClient(base string, native bool, maxConns int) *client {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c := &client{hc: &http.Client{Transport: t}, native: native}
	if native {
		c.url = base + "/llm-gate/v1/chat"
	} else {
		c.url = base + "/openai/deployments/gpt-4o/chat/completions?api-version=" + azureAPIVersion
	}
	return c
}

// close drops the client's idle connections.
func (c *client) close() { c.hc.CloseIdleConnections() }

// do sends one chat request with body and reads the whole answer. For a
// stream, firstContent is when the first chunk with content text arrived.
// afterFirst, when not nil, is called at that moment (the held-streams
// phase uses it).
func (c *client) do(ctx context.Context, body []byte, stream bool, afterFirst func()) (firstContent time.Time, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return time.Time{}, fmt.Errorf("building the request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	if c.native {
		h.Set("X-Correlation-Id", newUUID())
		h.Set("X-User-Id", "bench-user")
		h.Set("client_id", "llmgate-bench")
	} else {
		h.Set("api-key", benchAPIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("sending: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return time.Time{}, fmt.Errorf("%w %d: %s", errStatus, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if !stream {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return time.Time{}, fmt.Errorf("reading the answer: %w", err)
		}
		return time.Time{}, nil
	}
	return readStream(resp.Body, c.native, afterFirst)
}

// readStream reads Server-Sent Events to the end and returns when the first
// event with content text arrived. A stream is complete when it ends with
// [DONE] (OpenAI wire format) or a done event (llm-gate's native API).
func readStream(body io.Reader, native bool, afterFirst func()) (time.Time, error) {
	br := bufio.NewReaderSize(body, 4<<10)
	var first time.Time
	var complete bool
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			switch {
			case first.IsZero() && hasContent(line):
				first = time.Now()
				if afterFirst != nil {
					afterFirst()
				}
			case native && bytes.HasPrefix(line, []byte("event: done")):
				complete = true
			case native && bytes.HasPrefix(line, []byte("event: error")):
				return first, fmt.Errorf("%w: an error event", errIncomplete)
			case !native && bytes.HasPrefix(line, []byte("data: [DONE]")):
				complete = true
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // a long line: its start has been looked at
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return first, fmt.Errorf("reading the stream: %w", err)
		}
	}
	if !complete {
		return first, errIncomplete
	}
	return first, nil
}

// hasContent reports whether an SSE line is data with non-empty content
// text, in either wire format.
func hasContent(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("data: ")) {
		return false
	}
	key := []byte(`"content":"`)
	i := bytes.Index(line, key)
	return i >= 0 && i+len(key) < len(line) && line[i+len(key)] != '"'
}

// cellRun is what driving one target with one kind of load measured.
type cellRun struct {
	latency samples
	ttft    samples
	ok      int
	errs    int
	err     error // the first error
	elapsed time.Duration
}

// record adds one request's outcome, measured from start.
func (r *cellRun) record(start, end, first time.Time, err error) {
	if err != nil {
		r.errs++
		if r.err == nil {
			r.err = err
		}
		return
	}
	r.ok++
	r.latency.add(end.Sub(start))
	if !first.IsZero() {
		r.ttft.add(first.Sub(start))
	}
}

// merge adds the outcomes of o.
func (r *cellRun) merge(o *cellRun) {
	r.latency.merge(&o.latency)
	r.ttft.merge(&o.ttft)
	r.ok += o.ok
	r.errs += o.errs
	if r.err == nil {
		r.err = o.err
	}
}

// requestFunc sends one request and returns when its first content arrived
// (streams only).
type requestFunc func(ctx context.Context) (firstContent time.Time, err error)

// closedLoop runs conc workers that each send a request as soon as their
// previous one is answered, until d has passed or maxCount requests have
// been started (0: no count limit).
func closedLoop(ctx context.Context, conc int, d time.Duration, maxCount int64, do requestFunc) *cellRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var started atomic.Int64
	runs := make([]cellRun, conc)
	var wg sync.WaitGroup
	begin := time.Now()
	for w := range conc {
		wg.Go(func() {
			r := &runs[w]
			for ctx.Err() == nil && (maxCount <= 0 || started.Add(1) <= maxCount) {
				start := time.Now()
				// Requests in flight at the deadline finish on their own
				// context, so that the end of a cell is not a burst of errors.
				first, err := do(context.WithoutCancel(ctx))
				r.record(start, time.Now(), first, err)
			}
		})
	}
	wg.Wait()
	total := &cellRun{elapsed: time.Since(begin)}
	for i := range runs {
		total.merge(&runs[i])
	}
	return total
}

// clock is the time source of the open-loop scheduler.
type clock interface {
	Now() time.Time
	// SleepUntil waits until t or until ctx is done; it reports whether t
	// was reached.
	SleepUntil(ctx context.Context, t time.Time) bool
}

// wallClock is the real clock.
type wallClock struct{}

// Now implements clock.
func (wallClock) Now() time.Time { return time.Now() }

// SleepUntil implements clock.
func (wallClock) SleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	return sleepCtx(ctx, d)
}

// schedule calls fire for n requests planned every interval from start, each
// with its planned time. The plan does not depend on when fire returns or on
// how late the clock wakes up: a late request is fired at once, with its
// planned time, so that the time it waited counts in its latency and a
// stalled target cannot hide it (coordinated omission). It returns how many
// were fired before ctx was done.
func schedule(ctx context.Context, clk clock, start time.Time, interval time.Duration, n int, fire func(planned time.Time)) int {
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if !clk.SleepUntil(ctx, at) {
			return i
		}
		fire(at)
	}
	return n
}

// openLoop sends requests at rate per second for d, each in its own
// goroutine whatever the state of the earlier ones, with at most maxInFlight
// outstanding (a request beyond it counts as an error). Latency and time to
// first token are measured from the planned send time.
func openLoop(ctx context.Context, clk clock, rate float64, d time.Duration, maxInFlight int, do requestFunc) *cellRun {
	interval := time.Duration(float64(time.Second) / rate)
	n := max(int(rate*d.Seconds()), 1)
	var (
		mu       sync.Mutex
		run      cellRun
		wg       sync.WaitGroup
		inFlight = make(chan struct{}, maxInFlight)
	)
	begin := clk.Now()
	schedule(ctx, clk, begin, interval, n, func(planned time.Time) {
		select {
		case inFlight <- struct{}{}:
		default:
			mu.Lock()
			run.record(planned, planned, time.Time{}, errDropped)
			mu.Unlock()
			return
		}
		wg.Go(func() {
			defer func() { <-inFlight }()
			first, err := do(context.WithoutCancel(ctx))
			end := clk.Now()
			mu.Lock()
			run.record(planned, end, first, err)
			mu.Unlock()
		})
	})
	wg.Wait()
	run.elapsed = clk.Now().Sub(begin)
	return &run
}
