package openaiwire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/sse"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// DefaultMaxLineBytes bounds one line of a server-sent event stream. A chat
// chunk is a few hundred bytes; a megabyte leaves room for large tool-call
// arguments and logprobs while keeping a broken upstream from exhausting
// memory.
const DefaultMaxLineBytes = 1 << 20

// streamBufferSize is the read buffer of a stream; longer lines are
// assembled in a separate buffer up to the line limit. It lives as long as
// the stream, so it is no larger than it must be; but each read from the
// provider first flushes the events written since the last one (see
// transport.Body), so the buffer also sets how many chunks of a burst leave
// in one write to the client. A chunk is a few hundred bytes: 4 KiB, the
// size of net/http's own buffer under it, takes a burst of a dozen. 1 KiB
// saved 3 KiB per held-open stream but made four times the writes on a
// burst, and streams at c=64 lost 5-10% of their throughput.
const streamBufferSize = 4 << 10

// chatChunk is one event of a streamed chat completion, or an error object.
type chatChunk struct {
	ID      string        `json:"id"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *usage        `json:"usage"`
	Error   *apiError     `json:"error"`
}

type chunkChoice struct {
	Index        int             `json:"index"`
	Delta        chunkDelta      `json:"delta"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

type chunkDelta struct {
	Role      string          `json:"role"`
	Content   string          `json:"content"`
	ToolCalls []toolCallDelta `json:"tool_calls"`
}

type toolCallDelta struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// empty reports whether the choice carries nothing: Azure sends such
// choices with only content filter results.
func (c *chunkChoice) empty() bool {
	return c.Delta.Role == "" && c.Delta.Content == "" && len(c.Delta.ToolCalls) == 0 &&
		c.FinishReason == "" && len(rawOrNil(c.Logprobs)) == 0
}

// doneData is the data of the event that ends a stream well.
var doneData = []byte("[DONE]")

// ChatStream is a llmgate.ChatStream over the server-sent events of a
// streamed chat completion. It reads the body as the caller asks for
// chunks, holding at most one line in memory, and starts no goroutines: a
// canceled request context makes the HTTP transport close the connection,
// which ends a blocked Recv.
type ChatStream struct {
	ctx      context.Context
	body     *transport.Body
	r        *bufio.Reader
	provider string
	secret   string
	maxLine  int
	latency  time.Duration
	// served goes on the first chunk returned, then is cleared.
	served *llmgate.Served

	// events reads the events of r; it is made by the first read, so that
	// r may be replaced until then.
	events *sse.Reader
	event  []byte // the name of the event being decoded
	wire   chatChunk
	// out is the chunk Recv returns, reused by the next (see
	// llmgate.ChatStream), and deltas the memory of its Deltas when a
	// chunk has more than one.
	out    chunkBlock
	deltas []llmgate.ChoiceDelta
	err    error // sticky: io.EOF after [DONE], or the error that ended the stream
}

var _ llmgate.ChatStream = (*ChatStream)(nil)

// chunkBlock holds a chunk with what it points to in the usual case.
type chunkBlock struct {
	chunk llmgate.ChatChunk
	usage llmgate.Usage
	delta [1]llmgate.ChoiceDelta
}

// newChatStream reads chunks from body. ctx is the request's context, used
// to tell a canceled client from a broken connection.
func newChatStream(ctx context.Context, body io.ReadCloser, provider, secret string, maxLine int) *ChatStream {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	b := transport.NewBody(ctx, body)
	return &ChatStream{
		ctx:      ctx,
		body:     b,
		r:        bufio.NewReaderSize(b, min(streamBufferSize, maxLine+2)),
		provider: provider,
		secret:   secret,
		maxLine:  maxLine,
	}
}

// Latency is the time the upstream took to answer with response headers.
func (s *ChatStream) Latency() time.Duration { return s.latency }

// Recv returns the next chunk that carries something: a delta, a finish
// reason or the usage. It returns io.EOF after the stream's [DONE], a
// *llmgate.Error for an error event, a broken connection, or a stream that
// ends without [DONE]; every later call returns the same error.
func (s *ChatStream) Recv() (*llmgate.ChatChunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		if s.body.Closed() {
			return nil, s.fail(transport.ClosedError(s.provider))
		}
		data, err := s.nextEvent()
		if err != nil {
			return nil, s.fail(err)
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

// fail ends the stream with err and releases the connection.
func (s *ChatStream) fail(err error) error {
	if e, ok := err.(*llmgate.Error); ok {
		err = redactError(e, s.secret)
	}
	s.err = err
	if err == io.EOF {
		s.body.Finish() // the protocol's end: keep the connection
	} else {
		s.body.Release()
	}
	return err
}

// Close releases the upstream connection. It is safe to call more than once,
// after io.EOF, and from another goroutine to end a blocked Recv.
func (s *ChatStream) Close() error { return s.body.Close() }

// nextEvent returns the data of the next event that has any, or io.EOF at
// [DONE]. The result is valid until the next call.
func (s *ChatStream) nextEvent() ([]byte, error) {
	if s.events == nil {
		s.events = sse.NewReader(s.r, s.maxLine)
	}
	event, data, err := s.events.Next()
	if errors.Is(err, sse.ErrIncomplete) && bytes.Equal(data, doneData) {
		// An event is complete only at its blank line; one cut short is
		// dropped, as the SSE specification says, except a [DONE] that
		// merely lacks the blank line.
		err = nil
	}
	switch {
	case err == io.EOF || errors.Is(err, sse.ErrIncomplete):
		return nil, &llmgate.Error{Code: llmgate.EUpstreamConnection, Provider: s.provider, Message: "stream ended before completion", Err: io.ErrUnexpectedEOF}
	case err != nil:
		return nil, s.readError(err)
	case bytes.Equal(data, doneData):
		return nil, io.EOF
	}
	s.event = event
	return data, nil
}

// readError classifies a failure to read the stream.
func (s *ChatStream) readError(err error) *llmgate.Error {
	if errors.Is(err, sse.ErrLineTooLong) {
		return &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: s.provider, Message: "the provider sent a stream line longer than the limit", Err: err}
	}
	if s.body.Closed() {
		return transport.ClosedError(s.provider)
	}
	return transport.Error(s.ctx, s.provider, "reading stream", err)
}

// decode translates one event; it returns nil, nil for an event that
// carries nothing.
func (s *ChatStream) decode(data []byte) (*llmgate.ChatChunk, error) {
	if string(s.event) == "error" {
		ae, ok := parseErrorBody(data)
		if !ok {
			if json.Unmarshal(data, &ae) != nil || ae.Message == "" {
				return nil, &llmgate.Error{Code: llmgate.EUpstreamError, Provider: s.provider, Message: "the provider reported an error in the stream"}
			}
		}
		return nil, streamError(s.provider, &ae)
	}
	// Reuse the choices' memory; zero it first because encoding/json
	// decodes into existing elements, keeping fields the new chunk omits.
	reset := func() {
		choices := s.wire.Choices[:cap(s.wire.Choices)]
		clear(choices)
		s.wire = chatChunk{Choices: choices[:0]}
	}
	prevID, prevModel := s.wire.ID, s.wire.Model
	reset()
	if !decodeChunkFast(data, &s.wire, prevID, prevModel) {
		reset()
		if err := json.Unmarshal(data, &s.wire); err != nil {
			return nil, &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: s.provider, Message: "the provider sent a malformed stream chunk", Err: err}
		}
	}
	w := &s.wire
	if w.Error != nil {
		return nil, streamError(s.provider, w.Error)
	}
	n := 0
	for i := range w.Choices {
		if !w.Choices[i].empty() {
			n++
		}
	}
	if n == 0 && w.Usage == nil {
		return nil, nil
	}
	// The chunk, its usage and its one delta, the usual case, are the
	// stream's, reused from one chunk to the next: a chunk per token was
	// most of what a stream allocated.
	blk := &s.out
	*blk = chunkBlock{chunk: llmgate.ChatChunk{ID: w.ID, Model: w.Model, Created: unixTime(w.Created)}}
	c := &blk.chunk
	if w.Usage != nil {
		blk.usage = w.Usage.domain()
		c.Usage = &blk.usage
	}
	if n == 1 {
		c.Deltas = blk.delta[:0]
	} else if n > 1 {
		// Drop what the last chunk's deltas held before reusing them.
		clear(s.deltas[:cap(s.deltas)])
		s.deltas = slices.Grow(s.deltas[:0], n)
		c.Deltas = s.deltas
	}
	for i := range w.Choices {
		wc := &w.Choices[i]
		if wc.empty() {
			continue
		}
		d := llmgate.ChoiceDelta{
			Index:        wc.Index,
			Role:         llmgate.Role(wc.Delta.Role),
			Content:      wc.Delta.Content,
			FinishReason: llmgate.FinishReason(wc.FinishReason),
			Logprobs:     rawOrNil(wc.Logprobs),
		}
		if len(wc.Delta.ToolCalls) > 0 {
			d.ToolCalls = make([]llmgate.ToolCallDelta, len(wc.Delta.ToolCalls))
			for j, t := range wc.Delta.ToolCalls {
				d.ToolCalls[j] = llmgate.ToolCallDelta{Index: t.Index, ID: t.ID, Name: t.Function.Name, Arguments: t.Function.Arguments}
			}
		}
		c.Deltas = append(c.Deltas, d)
	}
	return c, nil
}
