package main

import "testing"

// TestHasEnv checks how the gateway tells that the operator set GOGC,
// which turns its own pacing of the garbage collector off: as the Go
// runtime reads it, an empty value is unset.
func TestHasEnv(t *testing.T) {
	tests := []struct {
		environ []string
		want    bool
	}{
		{[]string{"PATH=/bin", "GOGC=200"}, true},
		{[]string{"GOGC=off"}, true},
		{[]string{"GOGC="}, false},
		{[]string{"GOGCX=1", "XGOGC=1", "gogc=1"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := hasEnv(tt.environ, "GOGC"); got != tt.want {
			t.Errorf("hasEnv(%q, GOGC) = %v, want %v", tt.environ, got, tt.want)
		}
	}
}
