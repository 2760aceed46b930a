package transport

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmgate/llmgate"
)

// ErrStreamClosed is the cause of the error a stream returns once its caller
// has closed it.
var ErrStreamClosed = errors.New("stream closed by the caller")

// ClosedError returns the error a stream returns once its caller has closed
// it: EClientClosed, caused by ErrStreamClosed.
func ClosedError(provider string) *llmgate.Error {
	return &llmgate.Error{Code: llmgate.EClientClosed, Provider: provider, Message: "the stream was closed", Err: ErrStreamClosed}
}

// Body is the body of a streamed answer. One goroutine reads it while
// another may Close it to end a blocked read; the underlying body is closed
// once, whichever comes first. Body remembers whether its caller closed it,
// so that the reader can tell a closed stream from a broken connection.
type Body struct {
	rc     io.ReadCloser
	flush  func() // called before each read; see llmgate.WithStreamFlush
	closed atomic.Bool
	once   sync.Once
	err    error
}

var _ io.ReadCloser = (*Body)(nil)

// NewBody returns a Body reading rc. Before each read, which may wait for
// the provider, it calls the function llmgate.StreamFlush finds in ctx; a
// body from H1 calls it itself, only before a read that would wait.
func NewBody(ctx context.Context, rc io.ReadCloser) *Body {
	b := &Body{rc: rc, flush: llmgate.StreamFlush(ctx)}
	if hb, ok := rc.(*h1Body); ok && b.flush != nil {
		hb.flushBeforeWait(b.flush)
		b.flush = nil
	}
	return b
}

// Read reads from the underlying body.
func (b *Body) Read(p []byte) (int, error) {
	if b.flush != nil {
		b.flush()
	}
	return b.rc.Read(p)
}

// Close marks the body closed by its caller and closes the underlying body
// if that has not been done. It is safe to call more than once, and
// concurrently with Read.
func (b *Body) Close() error {
	b.closed.Store(true)
	return b.Release()
}

// Release closes the underlying body if that has not been done, without
// marking it closed by the caller: for a stream that ended by itself. It
// returns the error of the one close.
func (b *Body) Release() error {
	b.once.Do(func() { b.err = b.rc.Close() })
	return b.err
}

// Bounds of Finish: what a provider may still send after the end its
// protocol announced, and how long it may take to end the body.
const (
	finishLimit = 4 << 10
	finishWait  = 100 * time.Millisecond
)

// Finish ends a stream whose protocol announced its end (OpenAI's [DONE],
// Anthropic's message_stop) before the body ended. It reads the rest of the
// body, normally just the terminating chunk, so that the HTTP transport can
// give the connection to the next request, and then releases it. Closing a
// body before its end costs the connection, and the next request a dial. A
// provider that sends more than finishLimit bytes
// after the end, or leaves the body open longer than finishWait, loses the
// connection instead. Like every read, the first flushes the events already
// written for the client, so none waits for this one.
func (b *Body) Finish() error {
	t := time.AfterFunc(finishWait, func() { b.Release() })
	io.CopyN(io.Discard, b, finishLimit) // its end, error or limit is Release's to handle
	t.Stop()
	return b.Release()
}

// Closed reports whether Close has been called.
func (b *Body) Closed() bool { return b.closed.Load() }
