package anthropic

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/sse"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// maxEventBytes bounds one line, and the data of one event, of a stream. An
// event is a few hundred bytes; a megabyte leaves room for large tool
// inputs while keeping a broken upstream from exhausting memory.
const maxEventBytes = 1 << 20

// streamBufferSize is the read buffer of a stream; longer lines are
// assembled in a separate buffer up to the limit. It lives as long as the
// stream, and it sets how many events of a burst leave in one write to the
// client (see openaiwire's streamBufferSize): 4 KiB, as net/http's own
// buffer under it.
const streamBufferSize = 4 << 10

// stream is a llmgate.ChatStream over the server-sent events of a streamed
// Messages call. It reads the body as the caller asks for chunks, holding at
// most one event in memory, and starts no goroutine: a canceled request
// context makes the HTTP transport close the connection, which ends a
// blocked Recv, and so does Close.
type stream struct {
	ctx      context.Context
	body     *transport.Body
	r        *bufio.Reader
	provider string
	secret   string
	maxLine  int
	// served goes on the first chunk returned, then is cleared.
	served *llmgate.Served

	// events reads the events of r; it is made by the first read, so that
	// r may be replaced until then.
	events *sse.Reader
	event  []byte // the name of the event being decoded
	wire   streamEvent

	id, model string
	usage     usage
	// tools maps the index of each open tool_use block to its ordinal
	// among the message's tool_use blocks, which is the domain's index.
	tools    map[int]int
	numTools int
	// pending is a chunk to return before reading further.
	pending *llmgate.ChatChunk
	// block is the chunk of the usual event, reused; see delta.
	block struct {
		chunk llmgate.ChatChunk
		delta [1]llmgate.ChoiceDelta
		call  [1]llmgate.ToolCallDelta
	}
	err error // sticky: io.EOF after message_stop, or what ended the stream
}

var _ llmgate.ChatStream = (*stream)(nil)

// newStream reads events from body. ctx is the request's context, used to
// tell a canceled client from a broken connection.
func newStream(ctx context.Context, body io.ReadCloser, provider, secret string, maxLine int) *stream {
	if maxLine <= 0 {
		maxLine = maxEventBytes
	}
	b := transport.NewBody(ctx, body)
	return &stream{
		ctx:      ctx,
		body:     b,
		r:        bufio.NewReaderSize(b, min(streamBufferSize, maxLine+2)),
		provider: provider,
		secret:   secret,
		maxLine:  maxLine,
	}
}

// Recv returns the next chunk that carries something: the role, text, a
// piece of a tool call, the finish reason or the usage. It returns io.EOF
// after message_stop, and a *llmgate.Error for an error event, a broken
// connection or a stream that ends without message_stop; every later call
// returns the same error.
func (s *stream) Recv() (*llmgate.ChatChunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		if s.body.Closed() {
			return nil, s.fail(transport.ClosedError(s.provider))
		}
		c := s.pending
		s.pending = nil
		if c == nil {
			data, err := s.nextEvent()
			if err != nil {
				return nil, s.fail(err)
			}
			c, err = s.decode(data)
			if err != nil {
				return nil, s.fail(err)
			}
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
func (s *stream) fail(err error) error {
	if err != io.EOF {
		err = scrub(err, s.provider, s.secret)
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
func (s *stream) Close() error { return s.body.Close() }

// nextEvent returns the data of the next complete event that has any. The
// result is valid until the next call.
func (s *stream) nextEvent() ([]byte, error) {
	if s.events == nil {
		s.events = sse.NewReader(s.r, s.maxLine)
	}
	event, data, err := s.events.Next()
	if errors.Is(err, sse.ErrIncomplete) && isMessageStop(data) {
		// An event is complete only at its blank line; one cut short is
		// dropped, as the SSE specification says, except a message_stop
		// that merely lacks the blank line. Only message_stop ends a
		// stream well, so any other EOF is premature.
		err = nil
	}
	switch {
	case err == io.EOF || errors.Is(err, sse.ErrIncomplete):
		return nil, &llmgate.Error{Code: llmgate.EUpstreamConnection, Message: "stream ended before completion", Err: io.ErrUnexpectedEOF}
	case err != nil:
		return nil, s.readError(err)
	}
	s.event = event
	return data, nil
}

// isMessageStop reports whether data is a whole message_stop event.
func isMessageStop(data []byte) bool {
	var e struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(data, &e) == nil && e.Type == "message_stop"
}

// readError classifies a failure to read the stream.
func (s *stream) readError(err error) *llmgate.Error {
	if errors.Is(err, sse.ErrLineTooLong) {
		return &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Message: "the provider sent a stream event larger than the limit", Err: err}
	}
	if s.body.Closed() {
		return transport.ClosedError(s.provider)
	}
	return transport.Error(s.ctx, s.provider, "reading stream", err)
}

func (s *stream) badEvent(format string, err error) *llmgate.Error {
	return &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Message: format, Err: err}
}

// decode translates one event; it returns nil, nil for an event that
// carries nothing for the client (ping, content_block_stop, deltas of
// thinking blocks, event types added later).
func (s *stream) decode(data []byte) (*llmgate.ChatChunk, error) {
	// Zero the event first: both decoders keep fields the data omits.
	s.wire = streamEvent{}
	if !decodeEventFast(data, &s.wire) {
		s.wire = streamEvent{}
		if err := json.Unmarshal(data, &s.wire); err != nil {
			return nil, s.badEvent("the provider sent a malformed stream event", err)
		}
	}
	w := &s.wire
	typ := w.Type
	if typ == "" {
		typ = string(s.event)
	}
	switch typ {
	case "message_start":
		s.id, s.model = w.Message.ID, w.Message.Model
		s.usage = usage{}
		s.usage.merge(&w.Message.Usage)
		return s.chunk(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}), nil
	case "content_block_start":
		switch w.ContentBlock.Type {
		case "text":
			if w.ContentBlock.Text != "" {
				return s.chunk(llmgate.ChoiceDelta{Content: w.ContentBlock.Text}), nil
			}
		case "tool_use":
			if s.tools == nil {
				s.tools = make(map[int]int)
			}
			n := s.numTools
			s.tools[w.Index] = n
			s.numTools++
			return s.chunk(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: n, ID: w.ContentBlock.ID, Name: w.ContentBlock.Name}}}), nil
		}
	case "content_block_delta":
		switch w.Delta.Type {
		case "text_delta":
			if w.Delta.Text != "" {
				d := s.delta()
				d.Content = w.Delta.Text
				return &s.block.chunk, nil
			}
		case "input_json_delta":
			n, ok := s.tools[w.Index]
			if !ok {
				return nil, s.badEvent("the provider sent tool input for a block that is not an open tool call", nil)
			}
			if w.Delta.PartialJSON != "" {
				d := s.delta()
				s.block.call[0] = llmgate.ToolCallDelta{Index: n, Arguments: w.Delta.PartialJSON}
				d.ToolCalls = s.block.call[:]
				return &s.block.chunk, nil
			}
		}
	case "content_block_stop":
		delete(s.tools, w.Index)
	case "message_delta":
		s.usage.merge(&w.Usage)
		u := s.usage.domain()
		uc := s.chunk()
		uc.Usage = &u
		if w.Delta.StopReason == "" {
			return uc, nil
		}
		s.pending = uc
		return s.chunk(llmgate.ChoiceDelta{FinishReason: finishReason(w.Delta.StopReason)}), nil
	case "message_stop":
		return nil, io.EOF
	case "error":
		return nil, eventError(s.provider, &w.Error)
	}
	return nil, nil
}

// chunk returns a chunk of the current message with the given deltas.
func (s *stream) chunk(d ...llmgate.ChoiceDelta) *llmgate.ChatChunk {
	return &llmgate.ChatChunk{ID: s.id, Model: s.model, Deltas: d}
}

// delta makes s.block a chunk of the current message with one empty delta,
// and returns the delta to fill. The events a stream is made of, a piece
// of text or of a tool call's input each, reuse the block (a chunk is the
// stream's until the next Recv), so that they cost no allocation but their
// text's.
func (s *stream) delta() *llmgate.ChoiceDelta {
	b := &s.block
	b.delta[0] = llmgate.ChoiceDelta{}
	b.chunk = llmgate.ChatChunk{ID: s.id, Model: s.model, Deltas: b.delta[:]}
	return &b.delta[0]
}
