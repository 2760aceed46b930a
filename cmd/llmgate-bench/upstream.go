package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmgate/llmgate/internal/jsonscan"
)

// upstreamReply is the assistant's answer: about forty tokens, the size of a
// short real answer. Streams send it one word per chunk.
const upstreamReply = "Sure. Here is a short answer from the benchmark upstream: it is deterministic, " +
	"it takes no time to think, and it is about as long as a typical reply to a simple question, " +
	"so that response sizes look like real traffic."

// holdLimit bounds how long a held stream waits for a release, so that a
// benchmark that dies without releasing does not leave streams open forever.
const holdLimit = 2 * time.Minute

// upstream is a fast mock of the OpenAI and Azure OpenAI chat completion
// APIs. It reads the whole request body, checks that all of it is a chat
// completion request (readChat), and answers a realistic completion, as
// one JSON body or as Server-Sent Events. The zero value answers at once;
// Latency delays the response headers and ChunkInterval spaces the chunks
// of a stream.
type upstream struct {
	// Latency is waited before the response starts.
	Latency time.Duration
	// ChunkInterval is waited between two chunks of a stream.
	ChunkInterval time.Duration
	// APIKey, when set, is required as Azure's api-key header or as
	// OpenAI's bearer token.
	APIKey string

	seq atomic.Uint64

	mu      sync.Mutex
	holding bool          // held streams stop after their first content chunk
	release chan struct{} // closed to let held streams finish
}

// chatRequest is the part of a chat completion request the upstream uses.
type chatRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// chatFields is what the upstream takes from a chat completion request.
type chatFields struct {
	model        string
	stream       bool
	includeUsage bool
	messages     int
}

// readChat checks that body is a chat completion request and returns the
// fields the upstream uses. jsonscan reads the plain JSON the benchmark's
// clients send, checking all of it, at a few microseconds per 100 KB;
// encoding/json, which the upstream used alone before, spent about 600 µs
// of the machine's two cores on each 100 KB body, more than a target's
// whole request, and that is a real provider's cost, not one a gateway's
// machine bears. What jsonscan does not read (escaped names, say) goes to
// encoding/json, whose answer stands.
func readChat(body []byte) (chatFields, bool) {
	if f, ok := scanChat(body); ok {
		return f, true
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return chatFields{}, false
	}
	f := chatFields{model: req.Model, stream: req.Stream, messages: len(req.Messages)}
	f.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	return f, true
}

// scanChat is readChat with jsonscan alone; false when it cannot tell. It
// decodes as encoding/json does into chatRequest: a null leaves a string or
// a bool as it was, a key that differs from a name only in case is that
// name (left to encoding/json here), and a second stream_options object
// updates the first.
func scanChat(body []byte) (chatFields, bool) {
	var f chatFields
	s := jsonscan.NewShared(body)
	if !s.Enter('{') {
		return f, false
	}
	for first := true; ; {
		name, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(name) {
		case "model":
			if !s.Null() {
				f.model = strings.Clone(s.String(""))
			}
		case "stream":
			if !s.Null() {
				f.stream = s.Bool()
			}
		case "stream_options":
			if s.Null() {
				f.includeUsage = false
				break
			}
			members(&s, func(name []byte) bool {
				switch {
				case string(name) == "include_usage":
					if !s.Null() {
						f.includeUsage = s.Bool()
					}
				case jsonscan.FoldsTo(name, []string{"include_usage"}):
					return false
				default:
					s.Skip()
				}
				return true
			})
		case "messages":
			f.messages = 0
			if s.Null() || !s.Enter('[') {
				break
			}
			for first := true; s.Next(']', &first); {
				f.messages++
				if s.Null() {
					continue
				}
				members(&s, func(name []byte) bool {
					switch {
					case string(name) == "role":
						if !s.Null() {
							s.String("")
						}
					case jsonscan.FoldsTo(name, []string{"role"}):
						return false
					default: // content, as a json.RawMessage, takes any value
						s.Skip()
					}
					return true
				})
			}
		default:
			if jsonscan.FoldsTo(name, []string{"model", "stream", "stream_options", "messages"}) {
				return f, false
			}
			s.Skip()
		}
		if !s.OK() {
			return f, false
		}
	}
	return f, s.End()
}

// members reads the object at s, calling member with each member's name
// to read its value; s fails when member returns false or the object is
// not one.
func members(s *jsonscan.Scanner, member func(name []byte) bool) {
	if !s.Enter('{') {
		return
	}
	for first := true; ; {
		name, ok := s.Member(&first)
		if !ok {
			return
		}
		if !member(name) {
			s.Fail()
			return
		}
		if !s.OK() {
			return
		}
	}
}

// bodies holds the buffers request bodies are read into: a 100 KB body
// read by io.ReadAll cost the upstream about 200 KB of allocation.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// readBody appends r's body to buf, growing it once when the request gives
// its length.
func readBody(r *http.Request, buf []byte) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n < 64<<20 {
		buf = slices.Grow(buf, int(n)+1) // +1: the read that sees the end
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 512)
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// ServeHTTP implements http.Handler.
func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_bench/hold" && r.Method == http.MethodPost:
		u.setHold(r.URL.Query().Get("on") == "1")
		w.WriteHeader(http.StatusNoContent)
		return
	case r.Method != http.MethodPost:
		writeUpstreamError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	var model string
	switch {
	case r.URL.Path == "/v1/chat/completions":
		if u.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+u.APIKey {
			writeUpstreamError(w, http.StatusUnauthorized, "invalid api key")
			return
		}
	case strings.HasPrefix(r.URL.Path, "/openai/deployments/") && strings.HasSuffix(r.URL.Path, "/chat/completions"):
		if r.URL.Query().Get("api-version") == "" {
			writeUpstreamError(w, http.StatusBadRequest, "api-version is required")
			return
		}
		if u.APIKey != "" && r.Header.Get("api-key") != u.APIKey {
			writeUpstreamError(w, http.StatusUnauthorized, "invalid api-key")
			return
		}
		model = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/openai/deployments/"), "/chat/completions")
	default:
		writeUpstreamError(w, http.StatusNotFound, "no such route")
		return
	}
	buf := bodies.Get().(*[]byte)
	defer bodies.Put(buf)
	body, err := readBody(r, (*buf)[:0])
	*buf = body
	if err != nil {
		writeUpstreamError(w, http.StatusBadRequest, "reading the body failed")
		return
	}
	req, ok := readChat(body)
	if !ok || req.messages == 0 {
		writeUpstreamError(w, http.StatusBadRequest, "the body is not a chat completion request")
		return
	}
	if req.model != "" {
		model = req.model
	}
	if u.Latency > 0 && !sleepCtx(r.Context(), u.Latency) {
		return
	}
	// Roughly four bytes a token, as for English text.
	prompt := max(len(body)/4, 1)
	id := "chatcmpl-bench-" + strconv.FormatUint(u.seq.Add(1), 36)
	if req.stream {
		u.stream(w, r.Context(), id, model, prompt, req.includeUsage)
		return
	}
	u.complete(w, id, model, prompt)
}

// setHold turns holding on or off; turning it off releases held streams.
func (u *upstream) setHold(on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.release == nil {
		u.release = make(chan struct{})
	}
	if !on && u.holding {
		close(u.release)
		u.release = make(chan struct{})
	}
	u.holding = on
}

// held returns the channel a stream waits on, or nil when not holding.
func (u *upstream) held() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.holding {
		return nil
	}
	return u.release
}

// replyWords is upstreamReply cut into the pieces a stream sends: each
// word with the space before it.
var replyWords = func() []string {
	f := strings.Fields(upstreamReply)
	for i := 1; i < len(f); i++ {
		f[i] = " " + f[i]
	}
	return f
}()

func (u *upstream) complete(w http.ResponseWriter, id, model string, prompt int) {
	completion := len(replyWords)
	var b []byte
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = strconv.AppendQuote(b, model)
	b = append(b, `,"system_fingerprint":"fp_bench","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}],"choices":[{"index":0,"finish_reason":"stop","logprobs":null,"message":{"role":"assistant","content":`...)
	b = strconv.AppendQuote(b, upstreamReply)
	b = append(b, `,"refusal":null},"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}],`...)
	b = appendUsage(b, prompt, completion)
	b = append(b, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("x-request-id", id)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (u *upstream) stream(w http.ResponseWriter, ctx context.Context, id, model string, prompt int, includeUsage bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("x-request-id", id)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	created := time.Now().Unix()
	var b []byte
	send := func(delta, finish string, usage bool) bool {
		b = append(b[:0], `data: {"id":"`...)
		b = append(b, id...)
		b = append(b, `","object":"chat.completion.chunk","created":`...)
		b = strconv.AppendInt(b, created, 10)
		b = append(b, `,"model":`...)
		b = strconv.AppendQuote(b, model)
		b = append(b, `,"system_fingerprint":"fp_bench","choices":[`...)
		if !usage {
			b = append(b, `{"index":0,"delta":`...)
			b = append(b, delta...)
			b = append(b, `,"logprobs":null,"finish_reason":`...)
			if finish == "" {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendQuote(b, finish)
			}
			b = append(b, '}')
		}
		b = append(b, "],"...)
		if usage {
			b = appendUsage(b, prompt, len(replyWords))
		} else {
			b = append(b, `"usage":null`...)
		}
		b = append(b, "}\n\n"...)
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	pause := func() bool { return u.ChunkInterval <= 0 || sleepCtx(ctx, u.ChunkInterval) }
	if !send(`{"role":"assistant","content":""}`, "", false) {
		return
	}
	for i, word := range replyWords {
		if !pause() || !send(`{"content":`+strconv.Quote(word)+`}`, "", false) {
			return
		}
		if i == 0 {
			if hold := u.held(); hold != nil {
				t := time.NewTimer(holdLimit)
				select {
				case <-hold:
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
				if ctx.Err() != nil {
					return
				}
			}
		}
	}
	if !pause() || !send(`{}`, "stop", false) {
		return
	}
	if includeUsage && !send("", "", true) {
		return
	}
	if _, err := io.WriteString(w, "data: [DONE]\n\n"); err == nil {
		rc.Flush()
	}
}

func appendUsage(b []byte, prompt, completion int) []byte {
	b = append(b, `"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`...)
	return b
}

func writeUpstreamError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"invalid_request_error","param":null,"code":null}}`+"\n", msg)
}

// sleepCtx waits for d or until ctx is done; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
