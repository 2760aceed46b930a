package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		live, floor uint64
		want        int
	}{
		// A small live heap: the goal is the floor, live*(1+p/100).
		{4 * mib, 32 * mib, 700},
		{8 * mib, 32 * mib, 300},
		// Half the floor or more: Go's own rule. The floor below the live
		// heap must not wrap around.
		{16 * mib, 32 * mib, 100},
		{20 * mib, 32 * mib, 100},
		{18 * mib, 16 * mib, 100},
		{1 << 40, 32 * mib, 100},
		// A nearly empty heap: the runtime's minimum heap, 4 MiB scaled by
		// p/100, must stay at the floor, not go far past it.
		{1 * mib, 32 * mib, 800},
		{0, 32 * mib, 800},
		// A floor below Go's own minimum changes nothing.
		{0, 2 * mib, 100},
		{1 * mib, 4 * mib, 100},
	}
	for _, tt := range tests {
		if got := Percent(tt.live, tt.floor); got != tt.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", tt.live/mib, tt.floor/mib, got, tt.want)
		}
	}
}

// TestPacerFollowsCollections checks that the pacer sets GOGC from the
// live heap after collections, and that Stop puts GOGC back.
func TestPacerFollowsCollections(t *testing.T) {
	prev := debug.SetGCPercent(123)
	defer debug.SetGCPercent(prev)
	runtime.GC()
	p := Start(64 << 20)
	// The test binary's live heap is a few MiB: far below 32 MiB.
	if got := p.Percent(); got <= 100 {
		t.Errorf("GOGC %d after Start with a 64 MiB floor, want more than 100", got)
	}
	// A live heap above half the floor brings GOGC back to 100 once a
	// collection has seen it.
	ballast := make([]*[1 << 20]byte, 40)
	for i := range ballast {
		ballast[i] = new([1 << 20]byte)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.Percent() != 100 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := p.Percent(); got != 100 {
		t.Errorf("GOGC %d with 40 MiB live and a 64 MiB floor, want 100", got)
	}
	runtime.KeepAlive(ballast)
	p.Stop()
	p.Stop() // a second Stop is harmless
	if got := debug.SetGCPercent(prev); got != 123 {
		t.Errorf("GOGC %d after Stop, want 123 as before Start", got)
	}
}
