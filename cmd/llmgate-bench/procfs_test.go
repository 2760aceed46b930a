package main

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, file string
		want       time.Duration
		err        bool
	}{
		{"command with spaces and parentheses", "testdata/stat_llmgate.txt", (1523 + 377) * clockTick, false},
		{"a real idle process", "testdata/stat.txt", 0, false},
		{"truncated", "testdata/stat_truncated.txt", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseStatCPU(b)
			if tt.err {
				if !errors.Is(err, errProcFormat) {
					t.Fatalf("err = %v, want errProcFormat", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStatCPU = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestParseStatusMemory(t *testing.T) {
	b, err := os.ReadFile("testdata/status.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseStatusMemory(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (memory{RSS: 51234 << 10, HWM: 73120 << 10}); got != want {
		t.Fatalf("parseStatusMemory = %+v, want %+v", got, want)
	}
	if _, err := parseStatusMemory([]byte("Name:\tx\nVmRSS:\t12 kB\n")); !errors.Is(err, errProcFormat) {
		t.Fatalf("without VmHWM: err = %v, want errProcFormat", err)
	}
	if _, err := parseStatusMemory([]byte("VmRSS:\t12 MB\nVmHWM:\t1 kB\n")); !errors.Is(err, errProcFormat) {
		t.Fatalf("unknown unit: err = %v, want errProcFormat", err)
	}
}

func TestProcSelf(t *testing.T) {
	// The live files of this test process parse, and a reset peak is not
	// below the current resident set.
	pid := os.Getpid()
	if _, err := procCPU(pid); err != nil {
		t.Fatal(err)
	}
	m, err := procMemory(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Fatalf("memory = %+v: want 0 < RSS <= HWM", m)
	}
}
