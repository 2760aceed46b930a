// Package bufpool keeps large byte buffers, in size classes, for the bodies
// that cross the gateway whole: a request body read from a client, a body
// encoded for a provider. A new buffer of that size is zeroed by the
// runtime before it is overwritten, a pass over every byte, and is garbage
// the next moment; a pooled one is neither.
package bufpool

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

const (
	// Min is the smallest buffer Get pools; smaller ones cost little to
	// allocate.
	Min = 64 << 10
	// maxClass is the size class of the largest pooled buffer,
	// 64 KiB << 7 = 8 MiB; larger ones are allocated.
	maxClass = 7
)

// pools holds, per size class c, buffers of Min << c bytes.
var pools [maxClass + 1]sync.Pool

// class returns the size class of a buffer of at least n bytes, and false
// past the largest.
func class(n int) (int, bool) {
	if n <= Min {
		return 0, true
	}
	c := bits.Len(uint((n - 1) / Min))
	return c, c <= maxClass
}

// Get returns an empty buffer with room for n bytes: from the pool when n
// is Min or more and not past the largest class, and pooled then reports
// true, and the buffer goes back with Put once nothing refers to it.
// Otherwise it is a new buffer that is not pooled.
func Get(n int) (buf []byte, pooled bool) {
	c, ok := class(n)
	if n < Min || !ok {
		return make([]byte, 0, n), false
	}
	if p, _ := pools[c].Get().(*[]byte); p != nil {
		return (*p)[:0], true
	}
	return make([]byte, 0, Min<<c), true
}

// Put returns b, from Get, to the pool of its class. A buffer that grew
// past its class while it was filled is left to the garbage collector.
func Put(b []byte) {
	c, ok := class(cap(b))
	if !ok || cap(b) != Min<<c {
		return
	}
	if f := OnPut.Load(); f != nil {
		(*f)(b[:cap(b)])
	}
	b = b[:0]
	pools[c].Put(&b)
}

// OnPut, when set, is called with each buffer Put takes back, whole, before
// it is pooled: tests overwrite it, so that a use after Put shows.
var OnPut atomic.Pointer[func([]byte)]
