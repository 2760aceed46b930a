package router

import (
	"math"
	"time"
)

// ewmaAlpha weighs a new latency sample against the average.
const ewmaAlpha = 0.3

// maxCooldown caps the doubling of a breaker's open period.
const maxCooldown = 5 * time.Minute

// ready reports whether d can take an attempt at now without waiting: its
// breaker is closed and no rate-limit cooldown is running, or it is half-open
// with no probe in flight.
func (d *Deployment) ready(now int64) bool {
	if d.open.Load() {
		return now >= d.openUntil.Load() && !d.probing.Load()
	}
	return now >= d.coolUntil.Load()
}

// cooling reports whether d's breaker is closed but a rate-limit cooldown is
// running: d can take an attempt once it ends.
func (d *Deployment) cooling(now int64) bool {
	return !d.open.Load() && now < d.coolUntil.Load()
}

// acquire reserves d for one attempt. It fails when the breaker is open, or
// half-open with a probe in flight, or (unless cooled is true) a cooldown is
// running, or threshold (positive) consecutive faults are counted but the
// breaker is not yet marked open: fail counts a fault before it opens the
// breaker, and no attempt may start in between. probe reports that the
// attempt is the half-open probe; whoever holds it must end it with succeed,
// fail or neutral.
func (d *Deployment) acquire(now int64, cooled bool, threshold int) (ok, probe bool) {
	if d.open.Load() {
		if now < d.openUntil.Load() || !d.probing.CompareAndSwap(false, true) {
			return false, false
		}
		if !d.open.Load() {
			// A probe closed the breaker between the two loads.
			d.probing.Store(false)
			return true, false
		}
		return true, true
	}
	if !cooled && now < d.coolUntil.Load() {
		return false, false
	}
	if threshold > 0 && d.failures.Load() >= int64(threshold) {
		return false, false
	}
	return true, false
}

// release gives back a reservation that was never used.
func (d *Deployment) release(probe bool) {
	d.inFlight.Add(-1)
	d.neutral(probe)
}

// observe adds a successful attempt's duration to the latency average.
func (d *Deployment) observe(lat time.Duration) {
	s := float64(max(lat, 1))
	for {
		old := d.ewma.Load()
		v := s
		if old != 0 {
			v = ewmaAlpha*s + (1-ewmaAlpha)*math.Float64frombits(old)
		}
		if d.ewma.CompareAndSwap(old, math.Float64bits(v)) {
			return
		}
	}
}

// succeed records a successful attempt: a probe closes the breaker.
func (d *Deployment) succeed(probe bool) {
	if probe {
		d.mu.Lock()
		d.failures.Store(0)
		d.open.Store(false)
		d.probing.Store(false)
		d.mu.Unlock()
		return
	}
	if d.failures.Load() != 0 && !d.open.Load() {
		d.failures.Store(0)
	}
}

// neutral ends an attempt that says nothing about d's health: the client left,
// the request was at fault, or the upstream only asked to slow down.
func (d *Deployment) neutral(probe bool) {
	if probe {
		d.probing.Store(false)
	}
}

// fail records an upstream fault at now. The threshold-th consecutive fault
// opens a closed breaker for base; a failed probe re-opens it for twice the
// previous period.
func (d *Deployment) fail(now int64, probe bool, threshold int, base time.Duration) {
	n := d.failures.Add(1)
	if threshold < 0 {
		return
	}
	if probe {
		d.mu.Lock()
		d.cooldown = min(2*max(d.cooldown, base/2), max(maxCooldown, base))
		// Move the deadline before freeing the probe slot, so that nobody
		// sees the old deadline with a free slot.
		d.openUntil.Store(now + int64(d.cooldown))
		d.probing.Store(false)
		d.mu.Unlock()
		return
	}
	if n < int64(threshold) || d.open.Load() {
		return
	}
	d.mu.Lock()
	if !d.open.Load() && d.failures.Load() >= int64(threshold) {
		d.cooldown = base
		// Set the deadline before opening, so that nobody sees an open
		// breaker with a past deadline and takes it for half-open.
		d.openUntil.Store(now + int64(base))
		d.open.Store(true)
	}
	d.mu.Unlock()
}

// coolFor keeps d out of rotation until now+ra, as a rate-limited answer's
// Retry-After asked; a later cooldown already set stays.
func (d *Deployment) coolFor(now int64, ra time.Duration) {
	until := now + int64(ra)
	for {
		old := d.coolUntil.Load()
		if old >= until || d.coolUntil.CompareAndSwap(old, until) {
			return
		}
	}
}

// waitFor returns how long from now until d may be ready again, and false
// when that is unknown (a probe is in flight) or d is ready.
func (d *Deployment) waitFor(now int64) (time.Duration, bool) {
	if d.open.Load() {
		if u := d.openUntil.Load(); u > now {
			return time.Duration(u - now), true
		}
		return 0, false
	}
	if u := d.coolUntil.Load(); u > now {
		return time.Duration(u - now), true
	}
	return 0, false
}

func (d *Deployment) state(now int64) DeploymentState {
	s := DeploymentState{
		Name:                d.Name,
		Provider:            d.Provider,
		State:               StateHealthy,
		ConsecutiveFailures: int(d.failures.Load()),
		InFlight:            int(d.inFlight.Load()),
		LatencyEWMA:         time.Duration(math.Float64frombits(d.ewma.Load())),
	}
	if d.open.Load() {
		u := d.openUntil.Load()
		s.OpenUntil = time.Unix(0, u)
		s.State = StateOpen
		if now >= u {
			s.State = StateHalfOpen
		}
	}
	if u := d.coolUntil.Load(); u > now {
		s.RateLimitedUntil = time.Unix(0, u)
	}
	return s
}
