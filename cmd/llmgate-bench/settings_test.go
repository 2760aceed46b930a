package main

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	s, err := parseSettings([]string{"-quick", "-rate", "50,0,20", "-targets", "llmgate,floor", "-out", "x/r.md"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Sizes, []int{1 << 10, 100 << 10}) || time.Duration(s.Duration) != 500*time.Millisecond || s.HoldStreams != 200 {
		t.Errorf("quick defaults not applied: %+v", s)
	}
	if !slices.Equal(s.Rates, []float64{20, 50}) || !slices.Equal(s.Targets, []string{targetFloor, targetLLMGate}) {
		t.Errorf("rates %v, targets %v", s.Rates, s.Targets)
	}
	if s.Rounds != 3 {
		t.Errorf("rounds %d, want the default 3", s.Rounds)
	}
	if s.JSONOut != "x/r.json" || s.SVGOut != "x/r.svg" {
		t.Errorf("outputs %q %q", s.JSONOut, s.SVGOut)
	}
	s, err = parseSettings([]string{"-quick", "-sizes", "10KB", "-duration", "1s"}, io.Discard)
	if err != nil || !slices.Equal(s.Sizes, []int{10 << 10}) || time.Duration(s.Duration) != time.Second {
		t.Errorf("explicit flags lost to -quick: %+v, %v", s, err)
	}
	for _, bad := range [][]string{
		{"-targets", "nginx"}, {"-sizes", "9MB"}, {"-sizes", ""}, {"-concurrency", "0"},
		{"-concurrency", "", "-rate", ""}, {"-stream", "maybe"}, {"-duration", "0s"}, {"-hold", "-1"}, {"extra"},
		{"-rounds", "0"}, {"-rounds", "-2"}, {"-duration", "10ms", "-rounds", "11"},
	} {
		if _, err := parseSettings(bad, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want errUsage", bad, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"512": 512, "512B": 512, "1KB": 1024, "10kb": 10240, "1MB": 1 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
