// Package logbuf buffers a log's output for a few milliseconds, so that a
// request's log line costs a copy into memory instead of a write system
// call of its own: under load the lines of many requests leave in one
// write. A line waits at most the Writer's delay, and Close writes what is
// left, so an orderly shutdown loses nothing; a crash loses at most the last
// delay's lines.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Defaults of New.
const (
	DefaultDelay = 20 * time.Millisecond
	// DefaultLimit is the buffered size at which a Write writes the buffer
	// out at once, so that a burst of logging costs memory only up to it.
	DefaultLimit = 64 << 10
)

// Writer is an io.Writer that buffers what is written to out. It is safe
// for concurrent use; each Write is kept whole, so lines are never
// interleaved.
type Writer struct {
	out   io.Writer
	delay time.Duration
	limit int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds data
	closed bool

	// outMu orders the writes to out, which happen outside mu so that a
	// slow out does not block Write's copy.
	outMu sync.Mutex
	spare []byte
	err   error // the first error out returned, kept for Flush and Close
}

// New returns a Writer to out. A delay or limit of zero or less means the
// default.
func New(out io.Writer, delay time.Duration, limit int) *Writer {
	if delay <= 0 {
		delay = DefaultDelay
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	w := &Writer{out: out, delay: delay, limit: limit}
	w.timer = time.AfterFunc(time.Hour, func() { w.Flush() })
	w.timer.Stop()
	return w
}

// Write copies p into the buffer and returns len(p), nil. The buffer is
// written to out after the Writer's delay, or now when it reaches the
// limit. After Close, p is written to out directly.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.outMu.Lock()
		defer w.outMu.Unlock()
		return w.out.Write(p)
	}
	if len(w.buf) == 0 {
		w.timer.Reset(w.delay)
	}
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= w.limit
	w.mu.Unlock()
	if full {
		w.Flush()
	}
	return len(p), nil
}

// Flush writes the buffer to out now and returns the first error out has
// returned, if any.
func (w *Writer) Flush() error {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	b := w.buf
	w.buf = w.spare[:0]
	w.timer.Stop()
	w.mu.Unlock()
	if len(b) > 0 {
		if _, err := w.out.Write(b); err != nil && w.err == nil {
			w.err = err
		}
	}
	// Keep the written buffer for the next round, unless a burst made it
	// much larger than the limit.
	if cap(b) <= 2*w.limit {
		w.spare = b[:0]
	} else {
		w.spare = nil
	}
	return w.err
}

// Close writes what is buffered; later Writes go to out directly. It
// returns the first error out has returned, if any.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.Flush()
}
