package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// fakeStore is an in-memory LedgerStore whose InsertRecords can be made to
// fail or to stall.
type fakeStore struct {
	mu      sync.Mutex
	rows    []llmgate.Record
	batches []int
	calls   int
	// failFirst makes the first failFirst calls fail.
	failFirst int
	// gate, when not nil, makes InsertRecords wait until it is closed or
	// the context is done.
	gate chan struct{}
}

var _ llmgate.LedgerStore = (*fakeStore)(nil)

func (s *fakeStore) InsertRecords(ctx context.Context, rs []llmgate.Record) error {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls <= s.failFirst {
		return fmt.Errorf("insert call %d: %w", s.calls, errFake)
	}
	s.rows = append(s.rows, rs...)
	s.batches = append(s.batches, len(rs))
	return nil
}

var errFake = errors.New("fake store failure")

func (s *fakeStore) Usage(context.Context, llmgate.UsageQuery) ([]llmgate.UsageRow, error) {
	return nil, errors.New("fakeStore: Usage not implemented")
}

func (s *fakeStore) Close() error { return nil }

func (s *fakeStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

func (s *fakeStore) batchSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batches...)
}

// checkRows fails unless the store holds exactly the rows record(i) made
// for i in [0, n), each once.
func (s *fakeStore) checkRows(t *testing.T, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rows) != n {
		t.Fatalf("store has %d rows, want %d", len(s.rows), n)
	}
	seen := make([]bool, n)
	for _, r := range s.rows {
		i, err := strconv.Atoi(r.CorrelationID)
		if err != nil || i < 0 || i >= n {
			t.Fatalf("unexpected row %q", r.CorrelationID)
		}
		if seen[i] {
			t.Fatalf("row %d written twice", i)
		}
		seen[i] = true
	}
}

func record(i int) llmgate.Record {
	return llmgate.Record{
		Time:          time.Unix(1_700_000_000, 0),
		CorrelationID: strconv.Itoa(i),
		UserID:        "user-secretive",
		ClientID:      "client",
		Operation:     llmgate.OpChat,
		Provider:      "mock",
		Model:         "m",
		Attempt:       1,
		Final:         true,
	}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func closeWriter(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-w.exited:
	default:
		t.Fatal("writer goroutine still running after Close")
	}
}

func TestBatchBySize(t *testing.T) {
	s := &fakeStore{}
	w := New(s, Options{BatchSize: 10, FlushInterval: time.Hour})
	for i := range 25 {
		w.Record(record(i))
	}
	waitFor(t, "two full batches", func() bool { return s.count() == 20 })
	if got := w.Stats().Pending; got != 5 {
		t.Errorf("Pending = %d, want 5", got)
	}
	closeWriter(t, w)
	s.checkRows(t, 25)
	if got, want := fmt.Sprint(s.batchSizes()), "[10 10 5]"; got != want {
		t.Errorf("batch sizes = %s, want %s", got, want)
	}
	if st := w.Stats(); st.Written != 25 || st.Pending != 0 || st.Dropped != 0 || st.Failures != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestBatchByInterval(t *testing.T) {
	s := &fakeStore{}
	w := New(s, Options{BatchSize: 1000, FlushInterval: 10 * time.Millisecond})
	defer closeWriter(t, w)
	for i := range 3 {
		w.Record(record(i))
	}
	waitFor(t, "the interval flush", func() bool { return s.count() == 3 })
	if got, want := fmt.Sprint(s.batchSizes()), "[3]"; got != want {
		t.Errorf("batch sizes = %s, want %s", got, want)
	}
	// The timer restarts for the next rows.
	w.Record(record(3))
	waitFor(t, "the second interval flush", func() bool { return s.count() == 4 })
	s.checkRows(t, 4)
}

func TestFlush(t *testing.T) {
	s := &fakeStore{}
	w := New(s, Options{BatchSize: 64, FlushInterval: time.Hour})
	defer closeWriter(t, w)
	for i := range 100 {
		w.Record(record(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	s.checkRows(t, 100)
	if st := w.Stats(); st.Pending != 0 || st.Written != 100 {
		t.Errorf("Stats = %+v", st)
	}
	// Nothing recorded: Flush returns at once.
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
}

func TestFlushContextDone(t *testing.T) {
	s := &fakeStore{gate: make(chan struct{})}
	w := New(s, Options{BatchSize: 4, FlushInterval: time.Hour})
	w.Record(record(0))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := w.Flush(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush on a stalled store = %v, want DeadlineExceeded", err)
	}
	close(s.gate)
	closeWriter(t, w)
	s.checkRows(t, 1)
}

func TestRecordNeverBlocks(t *testing.T) {
	const n = 100_000
	s := &fakeStore{gate: make(chan struct{})}
	w := New(s, Options{BatchSize: 256, FlushInterval: time.Millisecond, QueueSize: 1024})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			w.Record(record(i))
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Record blocked while the store was stalled")
	}
	if st := w.Stats(); st.Pending != n || st.Dropped != 0 || st.Written != 0 {
		t.Errorf("Stats while stalled = %+v, want %d pending", st, n)
	}
	close(s.gate)
	closeWriter(t, w)
	s.checkRows(t, n)
}

func TestFailingStoreLosesNothing(t *testing.T) {
	var logs syncBuffer
	s := &fakeStore{failFirst: 3}
	w := New(s, Options{
		BatchSize:     16,
		FlushInterval: time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(&logs, nil)),
	})
	for i := range 50 {
		w.Record(record(i))
	}
	// Rows recorded while the store fails are accepted too.
	waitFor(t, "a failure", func() bool { return w.Stats().Failures >= 1 })
	for i := 50; i < 100; i++ {
		w.Record(record(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	s.checkRows(t, 100)
	if st := w.Stats(); st.Failures != 3 || st.Written != 100 || st.Pending != 0 {
		t.Errorf("Stats = %+v, want 3 failures and 100 written", st)
	}
	out := logs.String()
	if !strings.Contains(out, "fake store failure") || !strings.Contains(out, "rows=16") {
		t.Errorf("log lacks the error and the row count:\n%s", out)
	}
	if strings.Contains(out, "user-secretive") {
		t.Errorf("log holds record contents:\n%s", out)
	}
	closeWriter(t, w)
}

func TestCloseFlushesEverything(t *testing.T) {
	s := &fakeStore{}
	w := New(s, Options{BatchSize: 256, FlushInterval: time.Hour, QueueSize: 100})
	for i := range 1000 {
		w.Record(record(i))
	}
	closeWriter(t, w)
	s.checkRows(t, 1000)
	if st := w.Stats(); st.Written != 1000 || st.Pending != 0 {
		t.Errorf("Stats = %+v", st)
	}
	// Close is idempotent.
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseExpiredContext(t *testing.T) {
	s := &fakeStore{gate: make(chan struct{})}
	defer close(s.gate)
	w := New(s, Options{BatchSize: 4, FlushInterval: time.Millisecond})
	for i := range 10 {
		w.Record(record(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.Close(ctx)
	if err == nil {
		t.Fatal("Close with an expired context on a stalled store returned nil")
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "10 rows not written") {
		t.Errorf("Close error = %v, want it to count 10 unwritten rows and wrap context.Canceled", err)
	}
	select {
	case <-w.exited:
	default:
		t.Error("writer goroutine still running after Close")
	}
	if st := w.Stats(); st.Pending != 10 || st.Written != 0 {
		t.Errorf("Stats = %+v", st)
	}
	if err := w.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after a failed Close = %v, want ErrClosed", err)
	}
}

func TestRecordAfterClose(t *testing.T) {
	var logs syncBuffer
	s := &fakeStore{}
	w := New(s, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	w.Record(record(0))
	closeWriter(t, w)
	w.Record(record(1))
	w.Record(record(2))
	if st := w.Stats(); st.Dropped != 2 || st.Written != 1 || st.Pending != 0 {
		t.Errorf("Stats = %+v, want 2 dropped", st)
	}
	s.checkRows(t, 1)
	// Two drops within a second log once.
	if got := strings.Count(logs.String(), "after close"); got != 1 {
		t.Errorf("drop logged %d times, want 1:\n%s", got, logs.String())
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close with nothing pending = %v", err)
	}
}

func TestOverflowBound(t *testing.T) {
	s := &fakeStore{gate: make(chan struct{})}
	w := newWriter(s, Options{BatchSize: 4, FlushInterval: time.Hour, QueueSize: 2}, 10)
	// The writer may hold one batch while the store stalls; beyond it the
	// queue holds 2 and the overflow 10.
	for i := range 100 {
		w.Record(record(i))
	}
	st := w.Stats()
	if st.Pending+st.Dropped != 100 || st.Dropped == 0 || st.Pending > 2+10+4 {
		t.Errorf("Stats = %+v, want 100 rows split between pending (at most 16) and dropped", st)
	}
	close(s.gate)
	closeWriter(t, w)
	if got := int64(s.count()); got != st.Pending {
		t.Errorf("store has %d rows, want the %d pending ones", got, st.Pending)
	}
}

func TestConcurrentRecord(t *testing.T) {
	const goroutines, each = 64, 1000
	s := &fakeStore{}
	w := New(s, Options{BatchSize: 100, FlushInterval: time.Millisecond, QueueSize: 128})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				w.Record(record(g*each + i))
				if i%100 == 0 {
					_ = w.Stats()
				}
			}
		})
	}
	// Flush concurrently with the writers.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	wg.Wait()
	closeWriter(t, w)
	s.checkRows(t, goroutines*each)
}

func TestCloseRacingRecord(t *testing.T) {
	// Rows are either written or counted as dropped, never lost, even when
	// Close runs while Record is being called.
	s := &fakeStore{}
	w := New(s, Options{BatchSize: 50, FlushInterval: time.Millisecond, QueueSize: 16})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				w.Record(record(g*2000 + i))
			}
		})
	}
	closeWriter(t, w)
	wg.Wait()
	st := w.Stats()
	if st.Written+st.Dropped != 16000 || st.Pending != 0 {
		t.Errorf("Stats = %+v, want written+dropped = 16000", st)
	}
	if int64(s.count()) != st.Written {
		t.Errorf("store has %d rows, Written = %d", s.count(), st.Written)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 10 {
		s := &fakeStore{failFirst: 1}
		w := New(s, Options{BatchSize: 8, FlushInterval: time.Millisecond})
		for i := range 20 {
			w.Record(record(i))
		}
		closeWriter(t, w)
	}
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine to log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// discardStore accepts every batch and keeps nothing.
type discardStore struct{}

func (discardStore) InsertRecords(context.Context, []llmgate.Record) error { return nil }
func (discardStore) Usage(context.Context, llmgate.UsageQuery) ([]llmgate.UsageRow, error) {
	return []llmgate.UsageRow{}, nil
}
func (discardStore) Close() error { return nil }

func BenchmarkWriterRecord(b *testing.B) {
	w := New(discardStore{}, Options{})
	r := record(1)
	b.ReportAllocs()
	for b.Loop() {
		w.Record(r)
	}
	b.StopTimer()
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}
