package gemini

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/sse"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// DefaultMaxLineBytes bounds one line of a stream. A Gemini chunk is a few
// hundred bytes, but a function call's thought signature grows with the
// model's reasoning; four megabytes leave room for it while keeping a broken
// upstream from exhausting memory.
const DefaultMaxLineBytes = 4 << 20

// streamBufferSize is the read buffer of a stream; longer lines are
// assembled in a separate buffer up to the line limit. It lives as long as
// the stream, and it sets how many chunks of a burst leave in one write to
// the client (see openaiwire's streamBufferSize): 4 KiB, as net/http's own
// buffer under it.
const streamBufferSize = 4 << 10

// Stream is a llmgate.ChatStream over the server-sent events of
// streamGenerateContent?alt=sse, where each event is a whole
// GenerateContentResponse. It reads the body as the caller asks for chunks,
// holding at most one event in memory, and starts no goroutines: a canceled
// request context makes the HTTP transport close the connection, which ends
// a blocked Recv.
//
// Gemini sends text as it comes and each function call whole, so a call is
// one ToolCallDelta with ID, Name and all of Arguments. Gemini repeats the
// usage, growing, in every event; Stream reports the last one once, in a
// chunk of its own after the last delta. Gemini's stream has no end marker:
// a stream that ends before every candidate has a finish reason was cut.
type Stream struct {
	ctx      context.Context
	body     *transport.Body
	r        *bufio.Reader
	provider string
	secret   string
	maxLine  int
	created  time.Time
	// served goes on the first chunk returned, then is cleared.
	served *llmgate.Served

	// events reads the events of r; it is made by the first read, so that
	// r may be replaced until then.
	events *sse.Reader
	wire   generateContentResponse

	id, model string
	usage     *llmgate.Usage // &lastUsage once an event had usage
	lastUsage llmgate.Usage
	// block is the chunk decode returns, reused; a chunk of one
	// candidate, the usual one, fits in it.
	block struct {
		chunk  llmgate.ChatChunk
		deltas [1]llmgate.ChoiceDelta
	}
	cands []candidateState
	eof   bool  // the body has ended
	err   error // sticky: io.EOF after the usage chunk, or the error that ended the stream
}

// candidateState is what the stream remembers of one candidate.
type candidateState struct {
	started  bool // a delta went out: the next ones carry no Role
	answered bool // content or a call went out
	calls    int
	finished bool
}

var _ llmgate.ChatStream = (*Stream)(nil)

// newStream reads chunks from body. ctx is the request's context, used to
// tell a canceled client from a broken connection; created stamps every
// chunk, as Gemini sends no time.
func newStream(ctx context.Context, body io.ReadCloser, provider, secret string, maxLine int, created time.Time) *Stream {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	b := transport.NewBody(ctx, body)
	return &Stream{
		ctx:      ctx,
		body:     b,
		r:        bufio.NewReaderSize(b, min(streamBufferSize, maxLine+2)),
		provider: provider,
		secret:   secret,
		maxLine:  maxLine,
		created:  created,
	}
}

// Recv returns the next chunk that carries something: a delta, a finish
// reason or, last, the usage. It returns io.EOF after that, a
// *llmgate.Error for an error event, a blocked prompt or answer, a broken
// connection or a stream cut short; every later call returns the same error.
func (s *Stream) Recv() (*llmgate.ChatChunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		if s.body.Closed() {
			return nil, s.fail(transport.ClosedError(s.provider))
		}
		if s.eof {
			return s.finish()
		}
		data, err := s.nextEvent()
		if err != nil {
			return nil, s.fail(err)
		}
		if data == nil {
			continue // the body ended; finish on the next turn
		}
		c, err := s.decode(data)
		if err != nil {
			return nil, s.fail(err)
		}
		if c == nil {
			continue
		}
		if s.served != nil {
			c.Served, s.served = s.served, nil
		}
		return c, nil
	}
}

// finish ends a stream whose body has ended: with the usage chunk and then
// io.EOF when every candidate finished, with EUpstreamConnection otherwise.
func (s *Stream) finish() (*llmgate.ChatChunk, error) {
	done := len(s.cands) > 0
	for _, c := range s.cands {
		done = done && c.finished
	}
	if !done {
		return nil, s.fail(&llmgate.Error{Code: llmgate.EUpstreamConnection, Provider: s.provider, Message: "stream ended before completion", Err: io.ErrUnexpectedEOF})
	}
	if s.usage != nil {
		c := &llmgate.ChatChunk{ID: s.id, Model: s.model, Created: s.created, Usage: s.usage}
		s.usage = nil
		if s.served != nil {
			c.Served, s.served = s.served, nil
		}
		return c, nil
	}
	s.err = io.EOF
	s.body.Release()
	return nil, io.EOF
}

// fail ends the stream with err and releases the connection.
func (s *Stream) fail(err error) error {
	if e, ok := err.(*llmgate.Error); ok {
		if e.Provider == "" {
			e.Provider = s.provider
		}
		err = redactError(e, s.secret)
	}
	s.err = err
	s.body.Release()
	return err
}

// Close releases the upstream connection. It is safe to call more than once,
// after io.EOF, and from another goroutine to end a blocked Recv.
func (s *Stream) Close() error { return s.body.Close() }

// nextEvent returns the data of the next event that has any, or nil with
// s.eof set when the body ends. An event the body's end cuts short (no
// blank line after it) is still returned, with s.eof set: decode tells a
// whole one from a torn one. The result is valid until the next call.
func (s *Stream) nextEvent() ([]byte, error) {
	if s.events == nil {
		s.events = sse.NewReader(s.r, s.maxLine)
	}
	_, data, err := s.events.Next()
	switch {
	case err == io.EOF:
		s.eof = true
		return nil, nil
	case errors.Is(err, sse.ErrIncomplete):
		s.eof = true
	case err != nil:
		return nil, s.readError(err)
	}
	return data, nil
}

// readError classifies a failure to read the stream.
func (s *Stream) readError(err error) *llmgate.Error {
	if errors.Is(err, sse.ErrLineTooLong) {
		return &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: s.provider, Message: "the provider sent a stream line longer than the limit", Err: err}
	}
	if s.body.Closed() {
		return transport.ClosedError(s.provider)
	}
	return transport.Error(s.ctx, s.provider, "reading stream", err)
}

// decode translates one event; it returns nil, nil for an event that
// carries nothing to show (thoughts, usage alone).
func (s *Stream) decode(data []byte) (*llmgate.ChatChunk, error) {
	if !decodeResponseFast(data, s.zeroWire(), s.id, s.model) {
		if err := json.Unmarshal(data, s.zeroWire()); err != nil {
			if s.eof {
				// The body ended inside this event.
				return nil, &llmgate.Error{Code: llmgate.EUpstreamConnection, Provider: s.provider, Message: "stream ended before completion", Err: err}
			}
			return nil, &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: s.provider, Message: "the provider sent a malformed stream chunk", Err: err}
		}
	}
	w := &s.wire
	if w.Error != nil {
		return nil, streamError(s.provider, s.secret, w.Error)
	}
	if err := blockedPrompt(w); err != nil {
		return nil, err
	}
	if w.ResponseID != "" {
		s.id = w.ResponseID
	}
	if w.ModelVersion != "" {
		s.model = w.ModelVersion
	}
	if w.UsageMetadata != nil {
		s.lastUsage = w.UsageMetadata.domain()
		s.usage = &s.lastUsage
	}
	var c *llmgate.ChatChunk
	for i := range w.Candidates {
		wc := &w.Candidates[i]
		if wc.Index < 0 || wc.Index > maxCandidates {
			return nil, &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: s.provider, Message: "the provider sent a candidate index out of range"}
		}
		for len(s.cands) <= wc.Index {
			s.cands = append(s.cands, candidateState{})
		}
		st := &s.cands[wc.Index]
		d := llmgate.ChoiceDelta{Index: wc.Index, Logprobs: rawOrNil(wc.LogprobsResult)}
		if wc.Content != nil {
			var text []byte
			for _, p := range wc.Content.Parts {
				switch {
				case p.Thought:
				case p.FunctionCall != nil:
					tc := toDomainCall(p.FunctionCall, p.ThoughtSignature, st.calls)
					d.ToolCalls = append(d.ToolCalls, llmgate.ToolCallDelta{Index: st.calls, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
					st.calls++
				case d.Content == "" && text == nil:
					d.Content = p.Text // the usual one text part: no copy
				default:
					if text == nil {
						text = append(text, d.Content...)
					}
					text = append(text, p.Text...)
				}
			}
			if text != nil {
				d.Content = string(text)
			}
		}
		if d.Content != "" || len(d.ToolCalls) > 0 {
			st.answered = true
		}
		d.FinishReason = finishReason(wc.FinishReason, st.calls > 0)
		if st.finished {
			d.FinishReason = "" // already reported
		}
		if d.FinishReason != "" {
			st.finished = true
			if !st.answered && (d.FinishReason == llmgate.FinishContentFilter || failedCall(wc.FinishReason)) && !s.anyAnswered() {
				return nil, emptyCandidateError(wc)
			}
		}
		if d.Content == "" && len(d.ToolCalls) == 0 && d.FinishReason == "" && d.Logprobs == nil {
			continue
		}
		if !st.started {
			d.Role = llmgate.RoleAssistant
			st.started = true
		}
		if c == nil {
			// The chunk is the stream's until the next Recv: one is reused.
			c = &s.block.chunk
			*c = llmgate.ChatChunk{ID: s.id, Model: s.model, Created: s.created, Deltas: s.block.deltas[:0]}
		}
		c.Deltas = append(c.Deltas, d)
	}
	return c, nil
}

// zeroWire empties s.wire for the next event and returns it. The
// candidates' memory is kept, zeroed, because both decoders decode into
// existing elements, which would keep fields the new event omits.
func (s *Stream) zeroWire() *generateContentResponse {
	cands := s.wire.Candidates[:cap(s.wire.Candidates)]
	clear(cands)
	s.wire = generateContentResponse{Candidates: cands[:0]}
	return &s.wire
}

// maxCandidates bounds the candidate index a stream may use, so that a
// broken upstream cannot make the stream allocate without limit; Gemini
// allows a handful of candidates.
const maxCandidates = 64

func (s *Stream) anyAnswered() bool {
	for _, c := range s.cands {
		if c.answered {
			return true
		}
	}
	return false
}
