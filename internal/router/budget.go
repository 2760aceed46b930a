package router

import (
	"math"
	"sync"
	"time"
)

// budgetWindow is the time constant over which deposits fade, and the most
// per-second allowance a burst of ratio-funded retries can borrow.
const budgetWindow = 10 * time.Second

// budget is the retry budget of one group. It keeps two balances: ratio,
// fed by requests, and rate, fed by the clock. A retry needs a whole token in
// either and takes one from both, so the retries of a run stay within
// max(ratio·requests, rate·seconds) instead of the sum.
type budget struct {
	perRequest float64 // tokens deposited by each request
	perSecond  float64 // tokens accrued per second, and the rate balance's cap

	mu    sync.Mutex
	ratio float64 // decays toward zero with time constant budgetWindow
	rate  float64 // in [-perSecond·window, perSecond]
	last  int64   // Unix nanoseconds of the last update; 0 before the first
}

func (b *budget) advance(now int64) {
	if b.last == 0 {
		b.last = now
		return
	}
	if now <= b.last {
		return
	}
	dt := time.Duration(now - b.last).Seconds()
	b.last = now
	b.ratio *= math.Exp(-dt / budgetWindow.Seconds())
	b.rate = min(b.rate+b.perSecond*dt, b.perSecond)
}

// start fills the per-second allowance at now, so that a new router can
// retry at once; it accrues from then on.
func (b *budget) start(now int64) {
	b.mu.Lock()
	b.advance(now)
	b.rate = b.perSecond
	b.mu.Unlock()
}

// deposit records one request.
func (b *budget) deposit(now int64) {
	b.mu.Lock()
	b.advance(now)
	b.ratio += b.perRequest
	b.mu.Unlock()
}

// withdraw takes a token for one retry and reports whether there was one.
func (b *budget) withdraw(now int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	if b.ratio < 1 && b.rate < 1 {
		return false
	}
	b.ratio--
	b.rate = max(b.rate-1, -b.perSecond*budgetWindow.Seconds())
	return true
}
