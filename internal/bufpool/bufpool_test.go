package bufpool

import (
	"sync/atomic"
	"testing"
)

func TestGet(t *testing.T) {
	for _, c := range []struct {
		n       int
		pooled  bool
		wantCap int
	}{
		{0, false, 0},
		{Min - 1, false, Min - 1},
		{Min, true, Min},
		{Min + 1, true, 2 * Min},
		{100 << 10, true, 128 << 10},
		{8 << 20, true, 8 << 20},
		{8<<20 + 1, false, 8<<20 + 1},
	} {
		b, pooled := Get(c.n)
		if pooled != c.pooled || cap(b) != c.wantCap || len(b) != 0 {
			t.Errorf("Get(%d): len %d, cap %d, pooled %v; want len 0, cap %d, pooled %v", c.n, len(b), cap(b), pooled, c.wantCap, c.pooled)
		}
	}
}

// TestPut checks that Put pools a buffer of its class, whole, and leaves
// one that grew past its class alone.
func TestPut(t *testing.T) {
	var got atomic.Int32
	f := func(b []byte) {
		if len(b) != Min<<1 {
			t.Errorf("OnPut saw %d bytes, want the whole buffer of %d", len(b), Min<<1)
		}
		got.Add(1)
	}
	OnPut.Store(&f)
	defer OnPut.Store(nil)
	b, _ := Get(Min + 1)
	Put(append(b, 'x'))
	grown := append(b[:cap(b)], 'y') // past its class
	Put(grown)
	if n := got.Load(); n != 1 {
		t.Fatalf("Put pooled %d buffers, want 1", n)
	}
}
