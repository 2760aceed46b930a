package router

import (
	"math"
	"math/bits"
	"sync"
)

// pool is a group with its balancing state.
type pool struct {
	g                *Group
	strategy         Strategy
	members          []*Member
	weights          []int64
	fallbacks        []*pool
	contextFallbacks []*pool
	budget           budget

	mu      sync.Mutex // held only while picking
	current []int64    // smooth weighted round robin state, per member
	next    uint64     // cursor that breaks ties round robin
}

func newPool(g *Group) *pool {
	p := &pool{g: g, strategy: g.Strategy, members: g.Members}
	if p.strategy == "" {
		p.strategy = RoundRobin
	}
	p.weights = make([]int64, len(g.Members))
	p.current = make([]int64, len(g.Members))
	for i, m := range g.Members {
		p.weights[i] = int64(max(m.Weight, 1))
	}
	return p
}

// triedSet holds the members a request has attempted, without allocating for
// the first few.
type triedSet struct {
	buf   [8]*Member
	n     int
	extra []*Member
}

func (t *triedSet) add(m *Member) {
	if t.n < len(t.buf) {
		t.buf[t.n] = m
		t.n++
		return
	}
	t.extra = append(t.extra, m)
}

func (t *triedSet) hasMember(m *Member) bool {
	for _, x := range t.buf[:t.n] {
		if x == m {
			return true
		}
	}
	for _, x := range t.extra {
		if x == m {
			return true
		}
	}
	return false
}

func (t *triedSet) hasDeployment(d *Deployment) bool {
	for _, x := range t.buf[:t.n] {
		if x.Deployment == d {
			return true
		}
	}
	for _, x := range t.extra {
		if x.Deployment == d {
			return true
		}
	}
	return false
}

// filter says which members a pick may choose.
type filter struct {
	tried  *triedSet   // when non-nil, skip the members in it
	skip   *Deployment // when non-nil, skip this deployment's members
	cooled bool        // choose among members cooling down after a 429, not ready ones
}

// eligible returns the bit set of members that pass f at now.
func (p *pool) eligible(now int64, f *filter) uint64 {
	var mask uint64
	for i, m := range p.members {
		d := m.Deployment
		if d == f.skip || (f.tried != nil && f.tried.hasMember(m)) {
			continue
		}
		ok := d.ready(now)
		if f.cooled {
			ok = d.cooling(now)
		}
		if ok {
			mask |= 1 << i
		}
	}
	return mask
}

// pick chooses a member that passes f by the pool's strategy and reserves it:
// its deployment's in-flight count goes up, and probe reports whether the
// attempt is a half-open probe. The caller must end the reservation. pick
// returns nil when no member passes f. It does not allocate.
func (p *pool) pick(r *Router, now int64, f filter) (m *Member, probe bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	mask := p.eligible(now, &f)
	for mask != 0 {
		var i int
		if f.cooled {
			i = p.soonest(mask)
		} else {
			i = p.choose(r, mask)
		}
		m := p.members[i]
		if ok, probe := m.Deployment.acquire(now, f.cooled, r.opts.FailureThreshold); ok {
			m.Deployment.inFlight.Add(1)
			return m, probe
		}
		// Another request took the half-open probe, or counted the fault
		// that opens the breaker, since eligible looked.
		mask &^= 1 << i
	}
	return nil, false
}

// choose returns the index of the member of mask the strategy prefers.
func (p *pool) choose(r *Router, mask uint64) int {
	switch p.strategy {
	case LeastInFlight:
		return p.lowest(mask, func(m *Member) float64 { return float64(m.Deployment.inFlight.Load()) })
	case LowestLatency:
		if e := r.opts.Explore; e > 0 && r.rand() < e {
			n := bits.OnesCount64(mask)
			return nthBit(mask, min(int(r.rand()*float64(n)), n-1))
		}
		return p.lowest(mask, func(m *Member) float64 { return math.Float64frombits(m.Deployment.ewma.Load()) })
	case Priority:
		tier, top := uint64(0), math.MaxInt
		for i := range p.members {
			if mask&(1<<i) == 0 {
				continue
			}
			switch pr := p.members[i].Priority; {
			case pr < top:
				tier, top = 1<<i, pr
			case pr == top:
				tier |= 1 << i
			}
		}
		return p.smooth(tier)
	default:
		return p.smooth(mask)
	}
}

// smooth is nginx's smooth weighted round robin over the members of mask:
// each gains its weight, the richest is chosen and pays the total.
func (p *pool) smooth(mask uint64) int {
	best := -1
	var total int64
	for i := range p.members {
		if mask&(1<<i) == 0 {
			continue
		}
		p.current[i] += p.weights[i]
		total += p.weights[i]
		if best < 0 || p.current[i] > p.current[best] {
			best = i
		}
	}
	p.current[best] -= total
	return best
}

// lowest returns the member of mask with the lowest key, scanning from a
// cursor that advances on every call so that ties go round robin.
func (p *pool) lowest(mask uint64, key func(*Member) float64) int {
	n := len(p.members)
	start := int(p.next % uint64(n))
	p.next++
	best, bestKey := -1, 0.0
	for j := range n {
		i := (start + j) % n
		if mask&(1<<i) == 0 {
			continue
		}
		if k := key(p.members[i]); best < 0 || k < bestKey {
			best, bestKey = i, k
		}
	}
	return best
}

// soonest returns the member of mask whose rate-limit cooldown ends first.
func (p *pool) soonest(mask uint64) int {
	best := -1
	var end int64
	for i, m := range p.members {
		if mask&(1<<i) == 0 {
			continue
		}
		if u := m.Deployment.coolUntil.Load(); best < 0 || u < end {
			best, end = i, u
		}
	}
	return best
}

// nthBit returns the index of the n-th (from 0) set bit of mask.
func nthBit(mask uint64, n int) int {
	for range n {
		mask &= mask - 1
	}
	return bits.TrailingZeros64(mask)
}
