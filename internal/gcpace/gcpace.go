// Package gcpace keeps a server's garbage collector from running more
// often than its heap size warrants.
//
// Go starts a collection once the heap has grown by GOGC percent (100) of
// what the last one left live, and no sooner than at 4 MiB. A gateway at
// rest keeps a few MiB live, so under load with 100 KiB request bodies it
// collected every dozen requests, and the fixed part of each cycle (waking
// the mark workers, two stops of the world, scanning stacks and globals,
// idle cores joining the mark) cost more than the marking itself.
//
// Start keeps the heap goal at least a given floor: after every
// collection whose live heap is small, it raises GOGC so that the next one
// starts once the heap reaches the floor. A live heap of half the floor or
// more is paced by Go's own rule, GOGC=100, so the floor never raises the
// heap's peak above max(floor, what Go's default allows).
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// defaultPercent is GOGC's default.
const defaultPercent = 100

// heapMinimum is the heap below which Go does not collect at GOGC=100.
// The runtime scales it with GOGC: a large percent must not raise it
// above the floor.
const heapMinimum = 4 << 20

// Percent returns the GOGC percent whose heap goal, for live bytes left by
// the last collection, is floor bytes, and never less than Go's default.
func Percent(live, floor uint64) int {
	if floor <= 2*live {
		return defaultPercent
	}
	p := floor * 100 / heapMinimum
	if live > 0 {
		p = min(p, floor*100/live-100)
	}
	return int(max(p, defaultPercent))
}

// Pacer sets GOGC after every collection; Stop ends it.
type Pacer struct {
	floor  uint64
	sample []metrics.Sample

	mu      sync.Mutex
	stopped bool
	percent int
	prev    int // GOGC before Start, restored by Stop
}

// Start paces collections so that the heap goal is at least floor bytes.
// It sets GOGC at once, then again after every collection.
func Start(floor uint64) *Pacer {
	p := &Pacer{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	p.mu.Lock()
	p.prev = debug.SetGCPercent(defaultPercent)
	p.percent = defaultPercent
	p.mu.Unlock()
	p.update()
	return p
}

// Stop stops pacing and puts GOGC back as Start found it.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		debug.SetGCPercent(p.prev)
	}
}

// Percent returns the GOGC percent set last.
func (p *Pacer) Percent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.percent
}

// sentinel is the object whose collection tells the pacer that a cycle
// ended. It holds a pointer so that it is not a tiny allocation, which
// shares a block with others and is freed only with all of them.
type sentinel struct{ _ *byte }

// update sets GOGC from the live heap of the last collection, and arms a
// cleanup that runs it again after the next one.
func (p *Pacer) update() {
	metrics.Read(p.sample)
	var live uint64
	if v := p.sample[0].Value; v.Kind() == metrics.KindUint64 {
		live = v.Uint64()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	if pct := Percent(live, p.floor); pct != p.percent {
		debug.SetGCPercent(pct)
		p.percent = pct
	}
	runtime.AddCleanup(&sentinel{}, (*Pacer).update, p)
}
