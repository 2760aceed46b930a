// Package bufpooltest helps tests check that nothing uses a buffer after
// it went back to bufpool.
package bufpooltest

import (
	"sync/atomic"
	"testing"

	"github.com/llmgate/llmgate/internal/bufpool"
)

// Poison overwrites every buffer that goes back to bufpool while t runs,
// so that a later read of it shows, and returns the count of them, which
// counts a buffer once it is overwritten.
func Poison(t testing.TB) *atomic.Int32 {
	var n atomic.Int32
	f := func(b []byte) {
		for i := range b {
			b[i] = 'X'
		}
		n.Add(1)
	}
	bufpool.OnPut.Store(&f)
	t.Cleanup(func() { bufpool.OnPut.Store(nil) })
	return &n
}
