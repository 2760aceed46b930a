package bedrock

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// Bounds on one event-stream message, checked from its prelude before the
// message is read: decodeFrame trusts the prelude's lengths.
const (
	// maxMessageBytes is the event-stream format's own limit on a message.
	maxMessageBytes = 16 << 20
	// maxHeaderBytes is far above the three short headers Bedrock sends,
	// and keeps a hostile header section from costing quadratic time.
	maxHeaderBytes = 16 << 10
	// minMessageBytes is a message with no headers and no payload: the
	// prelude, its checksum and the message checksum.
	minMessageBytes = 16
)

// streamBufferSize is the read buffer of a stream; a message is read
// through it whatever its length. It lives as long as the stream, and it
// sets how many messages of a burst leave in one write to the client (see
// openaiwire's streamBufferSize): 4 KiB, as net/http's own buffer under it.
const streamBufferSize = 4 << 10

// stream is a llmgate.ChatStream over the binary event stream of a
// ConverseStream answer. It decodes one message per step as the caller asks
// for chunks and starts no goroutines: a canceled request context makes the
// HTTP transport close the connection, which ends a blocked Recv.
type stream struct {
	ctx      context.Context
	body     *transport.Body
	r        *bufio.Reader
	buf      []byte // the message being decoded, reused
	msg      frame  // its headers and payload, views of buf
	provider string
	secrets  []string

	id      string
	model   string
	created time.Time
	// served goes on the first chunk returned, then is cleared.
	served *llmgate.Served

	// tools maps a content block's index to its ordinal among the tool
	// blocks, which is the Index of its ToolCallDeltas.
	tools map[int]int
	// block is the memory of the usual event, a contentBlockDelta, and of
	// its chunk, reused; see reused.
	block struct {
		event contentBlockDeltaEvent
		text  string
		tool  toolUseDelta
		chunk llmgate.ChatChunk
		delta [1]llmgate.ChoiceDelta
		call  [1]llmgate.ToolCallDelta
	}
	stopped bool  // messageStop was seen
	done    bool  // metadata, Bedrock's last event, was seen
	err     error // sticky: io.EOF at the end, or the error that ended the stream
}

var _ llmgate.ChatStream = (*stream)(nil)

// newStream reads chunks from body. ctx is the request's context, used to
// tell a canceled client from a broken connection; secrets are removed from
// every error.
func newStream(ctx context.Context, body io.ReadCloser, provider string, secrets []string) *stream {
	b := transport.NewBody(ctx, body)
	return &stream{
		ctx:      ctx,
		body:     b,
		r:        bufio.NewReaderSize(b, streamBufferSize),
		provider: provider,
		secrets:  secrets,
	}
}

var errCut = errors.New("event stream ended before its last event")

// Recv returns the next chunk that carries something: the role, text, a
// piece of a tool call, a finish reason or the usage. It returns io.EOF
// when the body ends after Bedrock's final metadata event, and a
// *llmgate.Error for an exception event, a broken connection, a malformed
// message or a body that ends too early; every later call returns the same
// error.
func (s *stream) Recv() (*llmgate.ChatChunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		if s.body.Closed() {
			return nil, s.fail(transport.ClosedError(s.provider))
		}
		msg, err := s.next()
		if err != nil {
			return nil, s.fail(err)
		}
		c, err := s.translate(msg)
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

// Close releases the upstream connection. It is safe to call more than once,
// after io.EOF, and from another goroutine to end a blocked Recv.
func (s *stream) Close() error { return s.body.Close() }

// fail ends the stream with err and releases the connection.
func (s *stream) fail(err error) error {
	if e, ok := err.(*llmgate.Error); ok {
		err = redactError(e, s.secrets)
	}
	s.err = err
	s.body.Release()
	return err
}

func (s *stream) closedError() *llmgate.Error {
	return transport.ClosedError(s.provider)
}

// next reads and decodes the next message, or returns io.EOF at a clean
// end. The message is valid until the next call.
func (s *stream) next() (*frame, error) {
	prelude, err := s.r.Peek(8)
	if err != nil {
		if err == io.EOF {
			if len(prelude) == 0 && s.stopped && s.done {
				return nil, io.EOF
			}
			return nil, s.cutError()
		}
		return nil, s.readError(err)
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	headers := binary.BigEndian.Uint32(prelude[4:8])
	if total < minMessageBytes || total > maxMessageBytes || headers > maxHeaderBytes || headers > total-minMessageBytes {
		return nil, s.badResponse("the provider sent a malformed event-stream message",
			fmt.Errorf("message length %d, headers length %d", total, headers))
	}
	if cap(s.buf) < int(total) {
		s.buf = make([]byte, total)
	}
	b := s.buf[:total]
	if _, err := io.ReadFull(s.r, b); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, s.cutError()
		}
		return nil, s.readError(err)
	}
	if err := decodeFrame(b, &s.msg); err != nil {
		return nil, s.badResponse("the provider sent a malformed event-stream message", err)
	}
	return &s.msg, nil
}

func (s *stream) cutError() *llmgate.Error {
	if s.body.Closed() {
		return transport.ClosedError(s.provider)
	}
	return &llmgate.Error{Code: llmgate.EUpstreamConnection, Provider: s.provider, Message: "stream ended before completion", Err: errCut}
}

// readError classifies a failure to read the body.
func (s *stream) readError(err error) *llmgate.Error {
	if s.body.Closed() {
		return transport.ClosedError(s.provider)
	}
	return transport.Error(s.ctx, s.provider, "reading stream", err)
}

func (s *stream) badResponse(msg string, err error) *llmgate.Error {
	return &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: s.provider, Message: msg, Err: err}
}

// translate turns one message into a chunk; it returns nil, nil for a
// message that carries nothing for the caller.
func (s *stream) translate(msg *frame) (*llmgate.ChatChunk, error) {
	switch string(msg.messageType) {
	case "event":
		return s.event(msg.eventType, msg.payload)
	case "exception":
		return nil, exceptionError(s.provider, string(msg.exceptionType), msg.payload)
	case "error":
		// The event-stream protocol's own errors carry their code and
		// message in headers.
		m := string(msg.errorMessage)
		if m == "" {
			m = "the provider reported an error in the stream"
		}
		return nil, &llmgate.Error{Code: llmgate.EUpstreamError, Provider: s.provider, Message: m,
			Err: fmt.Errorf("stream error %q", msg.errorCode)}
	}
	return nil, s.badResponse("the provider sent an event-stream message of unknown type",
		fmt.Errorf("message type %q", msg.messageType))
}

// event translates an event by its :event-type. Events the gateway has no
// use for (contentBlockStop, reasoning deltas, types added later) carry
// nothing.
func (s *stream) event(typ []byte, payload []byte) (*llmgate.ChatChunk, error) {
	// A switch on string(typ) converts nothing; each case names its type
	// for decode's error as a constant, so that typ never becomes a string.
	switch string(typ) {
	case "messageStart":
		var ev messageStartEvent
		if err := s.decode("messageStart", payload, &ev); err != nil {
			return nil, err
		}
		return s.chunk(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}), nil
	case "contentBlockStart":
		var ev contentBlockStartEvent
		if err := s.decode("contentBlockStart", payload, &ev); err != nil {
			return nil, err
		}
		tu := ev.Start.ToolUse
		if tu == nil {
			return nil, nil
		}
		if s.tools == nil {
			s.tools = make(map[int]int, 2)
		}
		if _, dup := s.tools[ev.ContentBlockIndex]; dup {
			return nil, s.badResponse("the provider started a content block twice", fmt.Errorf("content block %d", ev.ContentBlockIndex))
		}
		n := len(s.tools)
		s.tools[ev.ContentBlockIndex] = n
		return s.chunk(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: n, ID: tu.ToolUseID, Name: tu.Name}}}), nil
	case "contentBlockDelta":
		ev := &s.block.event
		*ev = contentBlockDeltaEvent{}
		if !decodeDeltaFast(payload, ev, &s.block.text, &s.block.tool) {
			*ev = contentBlockDeltaEvent{}
			if err := s.decode("contentBlockDelta", payload, ev); err != nil {
				return nil, err
			}
		}
		switch d := &ev.Delta; {
		case d.Text != nil:
			if *d.Text == "" {
				return nil, nil
			}
			c := s.reused()
			c.Deltas[0].Content = *d.Text
			return c, nil
		case d.ToolUse != nil:
			n, ok := s.tools[ev.ContentBlockIndex]
			if !ok {
				return nil, s.badResponse("the provider sent tool input for a block it did not start", fmt.Errorf("content block %d", ev.ContentBlockIndex))
			}
			if d.ToolUse.Input == "" {
				return nil, nil
			}
			c := s.reused()
			s.block.call[0] = llmgate.ToolCallDelta{Index: n, Arguments: d.ToolUse.Input}
			c.Deltas[0].ToolCalls = s.block.call[:]
			return c, nil
		}
		return nil, nil
	case "messageStop":
		var ev messageStopEvent
		if err := s.decode("messageStop", payload, &ev); err != nil {
			return nil, err
		}
		s.stopped = true
		return s.chunk(llmgate.ChoiceDelta{FinishReason: finishReason(ev.StopReason)}), nil
	case "metadata":
		var ev metadataEvent
		if err := s.decode("metadata", payload, &ev); err != nil {
			return nil, err
		}
		s.done = true
		if ev.Usage == nil {
			return nil, nil
		}
		u := ev.Usage.domain()
		c := s.chunk()
		c.Usage = &u
		return c, nil
	}
	return nil, nil
}

func (s *stream) decode(typ string, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return s.badResponse("the provider sent a malformed stream event", fmt.Errorf("decoding %s event: %w", typ, err))
	}
	return nil
}

func (s *stream) chunk(d ...llmgate.ChoiceDelta) *llmgate.ChatChunk {
	return &llmgate.ChatChunk{ID: s.id, Model: s.model, Created: s.created, Deltas: d}
}

// reused makes s.block's chunk a chunk of the current message with one
// empty delta, and returns it. The events a stream is made of, a piece of
// text or of a tool call's input each, reuse the block (a chunk is the
// stream's until the next Recv), so that they cost no allocation but their
// text's.
func (s *stream) reused() *llmgate.ChatChunk {
	b := &s.block
	b.delta[0] = llmgate.ChoiceDelta{}
	b.chunk = llmgate.ChatChunk{ID: s.id, Model: s.model, Created: s.created, Deltas: b.delta[:]}
	return &b.chunk
}
