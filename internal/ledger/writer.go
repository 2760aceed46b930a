// Package ledger writes ledger records to a llmgate.LedgerStore in the
// background, in batches, so that the request path never waits on a
// database.
//
// Record hands a row to a buffered channel and returns. When the channel is
// full the row goes to an overflow list instead, so that a slow or failing
// store costs memory, not rows. The overflow holds at most MaxOverflow rows;
// beyond that bound a row is dropped, counted in Stats.Dropped, and an error
// is logged at most once per second. A single goroutine takes rows in
// batches of Options.BatchSize, or whatever has arrived after
// Options.FlushInterval, and writes each batch with one InsertRecords call.
// A batch that fails is retried, with a backoff from 100ms doubling to 5s,
// until it is written or the Writer is closed with an expired context.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmgate/llmgate"
)

// The defaults of Options.
const (
	DefaultBatchSize     = 1024
	DefaultFlushInterval = 500 * time.Millisecond
	DefaultQueueSize     = 8192
)

// MaxOverflow is the number of rows the overflow list holds when the queue
// is full. A row recorded beyond it is dropped.
const MaxOverflow = 1_000_000

// The retry backoff after a failed InsertRecords call.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// dropLogInterval rate-limits the error logged for dropped rows.
const dropLogInterval = time.Second

// ErrClosed is returned by Flush after Close, when rows are left unwritten.
var ErrClosed = errors.New("ledger writer closed")

// Options configures a Writer. The zero value uses every default.
type Options struct {
	// BatchSize is the largest number of rows written in one InsertRecords
	// call. Zero means DefaultBatchSize (1024).
	BatchSize int
	// FlushInterval is how long a row may wait for its batch to fill before
	// the batch is written anyway. Zero means DefaultFlushInterval (500ms).
	FlushInterval time.Duration
	// QueueSize is the capacity of the channel Record writes into. Zero
	// means DefaultQueueSize (8192).
	QueueSize int
	// Logger receives write failures and drops. Nil discards them.
	Logger *slog.Logger
}

// Stats are the counters of a Writer.
type Stats struct {
	// Written is the number of rows the store accepted.
	Written int64
	// Dropped is the number of rows Record did not keep: recorded after
	// Close, or beyond MaxOverflow.
	Dropped int64
	// Pending is the number of rows kept but not yet written.
	Pending int64
	// Failures is the number of InsertRecords calls that returned an error.
	Failures int64
}

// Writer is an asynchronous, batching llmgate.Ledger in front of a
// llmgate.LedgerStore. Its methods are safe for concurrent use.
type Writer struct {
	store         llmgate.LedgerStore
	batchSize     int
	flushInterval time.Duration
	log           *slog.Logger
	maxOverflow   int

	queue chan llmgate.Record

	// mu guards the overflow list, which holds rows that found the queue
	// full; the rows in overflow[ohead:] are waiting.
	mu       sync.Mutex
	overflow []llmgate.Record
	ohead    int
	// overflowed wakes the writer goroutine when the overflow gets a row,
	// or the queue a batch.
	overflowed chan struct{}

	// closed is set by Close; inflight counts Record calls that passed the
	// closed check, so that Close can wait for them before the final drain.
	closed    atomic.Bool
	inflight  atomic.Int64
	closeOnce sync.Once
	closing   chan struct{}

	flushes chan chan struct{}

	// ctx is passed to the store; Close cancels it when its own context
	// expires, to abandon a write that cannot finish.
	ctx    context.Context
	cancel context.CancelFunc
	exited chan struct{}

	accepted    atomic.Int64
	written     atomic.Int64
	dropped     atomic.Int64
	failures    atomic.Int64
	lastDropLog atomic.Int64
}

var _ llmgate.Ledger = (*Writer)(nil)

// New starts a Writer that writes to store. Call Close to stop it; the
// store stays open and is the caller's to close, after the Writer.
func New(store llmgate.LedgerStore, opts Options) *Writer {
	return newWriter(store, opts, MaxOverflow)
}

func newWriter(store llmgate.LedgerStore, opts Options, maxOverflow int) *Writer {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		store:         store,
		batchSize:     opts.BatchSize,
		flushInterval: opts.FlushInterval,
		log:           opts.Logger,
		maxOverflow:   maxOverflow,
		queue:         make(chan llmgate.Record, opts.QueueSize),
		overflowed:    make(chan struct{}, 1),
		closing:       make(chan struct{}),
		flushes:       make(chan chan struct{}),
		ctx:           ctx,
		cancel:        cancel,
		exited:        make(chan struct{}),
	}
	go w.run()
	return w
}

// Record queues r for writing. It never blocks and does not allocate while
// the queue has room. After Close, r is dropped and counted.
func (w *Writer) Record(r llmgate.Record) {
	if w.closed.Load() {
		w.drop("ledger record after close: row dropped")
		return
	}
	w.inflight.Add(1)
	defer w.inflight.Add(-1)
	// Close may have started between the check above and the Add; checking
	// again after the Add is what lets Close wait for this call.
	if w.closed.Load() {
		w.drop("ledger record after close: row dropped")
		return
	}
	w.accepted.Add(1)
	select {
	case w.queue <- r:
		// The writer wakes on its timer, or here once a batch is waiting:
		// waking it for every row would cost each request a goroutine
		// switch.
		if len(w.queue) >= w.batchSize {
			w.wake()
		}
		return
	default:
	}
	w.mu.Lock()
	if len(w.overflow)-w.ohead >= w.maxOverflow {
		w.mu.Unlock()
		w.accepted.Add(-1)
		w.drop("ledger queue and overflow full: row dropped")
		return
	}
	w.overflow = append(w.overflow, r)
	w.mu.Unlock()
	w.wake()
}

// wake tells the writer goroutine that rows are waiting, without blocking.
func (w *Writer) wake() {
	select {
	case w.overflowed <- struct{}{}:
	default:
	}
}

// drop counts a dropped row and logs msg at most once per dropLogInterval.
func (w *Writer) drop(msg string) {
	n := w.dropped.Add(1)
	now := time.Now().UnixNano()
	last := w.lastDropLog.Load()
	if now-last >= int64(dropLogInterval) && w.lastDropLog.CompareAndSwap(last, now) {
		w.log.Error(msg, "dropped_total", n)
	}
}

// Stats returns the Writer's counters.
func (w *Writer) Stats() Stats {
	written := w.written.Load()
	return Stats{
		Written:  written,
		Dropped:  w.dropped.Load(),
		Pending:  w.accepted.Load() - written,
		Failures: w.failures.Load(),
	}
}

// Flush returns once every row recorded before the call has been written,
// or with an error when ctx is done first or the Writer was closed with
// rows left unwritten.
func (w *Writer) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case w.flushes <- done:
	case <-w.exited:
		return w.exitedErr()
	case <-ctx.Done():
		return fmt.Errorf("ledger: flush: %d rows pending: %w", w.Stats().Pending, ctx.Err())
	}
	select {
	case <-done:
		return nil
	case <-w.exited:
		return w.exitedErr()
	case <-ctx.Done():
		return fmt.Errorf("ledger: flush: %d rows pending: %w", w.Stats().Pending, ctx.Err())
	}
}

func (w *Writer) exitedErr() error {
	if p := w.Stats().Pending; p > 0 {
		return fmt.Errorf("ledger: %d rows not written: %w", p, ErrClosed)
	}
	return nil
}

// Close stops accepting rows, writes every row already recorded and stops
// the writer goroutine. When ctx is done first, Close cancels the write in
// progress (the store must honour its context), waits for the goroutine to
// exit and returns an error saying how many rows were not written. Close
// may be called more than once.
func (w *Writer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		// A Record that passed the closed check before the Store is about to
		// enqueue; wait for it so that the final drain sees its row. Record
		// never blocks, so this wait is short.
		for w.inflight.Load() != 0 {
			runtime.Gosched()
		}
		close(w.closing)
	})
	select {
	case <-w.exited:
	case <-ctx.Done():
		w.cancel()
		<-w.exited
		if p := w.Stats().Pending; p > 0 {
			return fmt.Errorf("ledger: close: %d rows not written: %w", p, ctx.Err())
		}
		return nil
	}
	w.cancel()
	if p := w.Stats().Pending; p > 0 {
		return fmt.Errorf("ledger: close: %d rows not written: %w", p, ErrClosed)
	}
	return nil
}

// waiter is a Flush call waiting for the rows taken before it to be written.
type waiter struct {
	mark int64
	done chan struct{}
}

// run is the writer goroutine. It moves rows from the overflow and the
// queue into backlog, in that order since overflow rows are older, and
// writes backlog[head:] from its front. taken and done count rows that
// entered and left the backlog, so that a Flush is answered once everything
// taken before it is written.
func (w *Writer) run() {
	defer close(w.exited)

	var (
		backlog  []llmgate.Record
		head     int
		taken    int64
		done     int64
		waiters  []waiter
		closing  = w.closing
		isClosed bool
		flushDue bool
		backoff  time.Duration
	)
	timer := time.NewTimer(w.flushInterval)
	timer.Stop()
	timerOn := false

	size := func() int { return len(backlog) - head }
	take := func(r llmgate.Record) {
		backlog = append(backlog, r)
		taken++
	}
	takeOverflow := func(n int) {
		before := len(backlog)
		backlog = w.takeOverflow(backlog, n)
		taken += int64(len(backlog) - before)
	}
	// fill moves rows into the backlog, without blocking, until it holds a
	// batch or the sources are empty.
	fill := func() {
		if size() < w.batchSize {
			takeOverflow(w.batchSize - size())
		}
		for size() < w.batchSize {
			select {
			case r := <-w.queue:
				take(r)
			default:
				return
			}
		}
	}
	// drainAll moves every waiting row into the backlog: all the overflow
	// and what the queue holds now.
	drainAll := func() {
		takeOverflow(-1)
		for n := len(w.queue); n > 0; n-- {
			take(<-w.queue)
		}
	}
	addFlush := func(ch chan struct{}) {
		drainAll()
		if done >= taken {
			close(ch)
			return
		}
		waiters = append(waiters, waiter{mark: taken, done: ch})
	}
	release := func() {
		i := 0
		for ; i < len(waiters) && waiters[i].mark <= done; i++ {
			close(waiters[i].done)
		}
		waiters = waiters[i:]
	}
	onClose := func() {
		isClosed = true
		closing = nil
	}

	for {
		fill()
		if flushDue && size() == 0 {
			flushDue = false
		}
		// The timer runs whenever no flush is due, rows or not: the writer
		// learns of rows in the queue on its tick, or from wake once a
		// batch is waiting, so a row waits at most one flush interval.
		if !timerOn && !flushDue {
			timer.Reset(w.flushInterval)
			timerOn = true
		}
		if size() > 0 && (size() >= w.batchSize || flushDue || isClosed || len(waiters) > 0) {
			n := min(size(), w.batchSize)
			batch := backlog[head : head+n]
			if err := w.store.InsertRecords(w.ctx, batch); err != nil {
				if w.ctx.Err() != nil {
					return
				}
				w.failures.Add(1)
				backoff = min(max(backoff*2, minBackoff), maxBackoff)
				// Records hold no secrets, but a log line carries counts and
				// the error only, never rows.
				w.log.Error("ledger: writing batch failed, retrying",
					"rows", n, "pending", w.Stats().Pending, "retry_in", backoff, "err", err)
				retry := time.NewTimer(backoff)
			wait:
				for {
					select {
					case <-retry.C:
						break wait
					case ch := <-w.flushes:
						addFlush(ch)
					case <-closing:
						onClose()
					case <-w.ctx.Done():
						retry.Stop()
						return
					}
				}
				continue
			}
			backoff = 0
			w.written.Add(int64(n))
			done += int64(n)
			clear(batch)
			head += n
			if size() == 0 {
				backlog, head = backlog[:0], 0
				if cap(backlog) > 4*w.batchSize {
					// A Flush or Close drained a large overflow; let it go.
					backlog = nil
				}
				flushDue = false
				if timerOn {
					timer.Stop()
					timerOn = false
				}
			}
			release()
			continue
		}
		if isClosed {
			// Close waited for every Record in flight before signalling, so
			// no row arrives after this drain.
			drainAll()
			if size() == 0 {
				return
			}
			continue
		}
		select {
		case <-w.overflowed:
		case <-timer.C:
			timerOn = false
			flushDue = true
		case ch := <-w.flushes:
			addFlush(ch)
		case <-closing:
			onClose()
		case <-w.ctx.Done():
			return
		}
	}
}

// takeOverflow appends up to n rows (all of them when n < 0) from the front
// of the overflow list to dst.
func (w *Writer) takeOverflow(dst []llmgate.Record, n int) []llmgate.Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	avail := len(w.overflow) - w.ohead
	if avail == 0 {
		return dst
	}
	if n < 0 || n > avail {
		n = avail
	}
	end := w.ohead + n
	dst = append(dst, w.overflow[w.ohead:end]...)
	clear(w.overflow[w.ohead:end])
	w.ohead = end
	switch {
	case w.ohead == len(w.overflow):
		w.overflow = w.overflow[:0]
		w.ohead = 0
	case w.ohead > len(w.overflow)/2:
		// Compact so that a list that never empties does not grow forever.
		k := copy(w.overflow, w.overflow[w.ohead:])
		clear(w.overflow[k:])
		w.overflow = w.overflow[:k]
		w.ohead = 0
	}
	return dst
}
