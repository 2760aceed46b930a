package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat. USER_HZ is
// 100 on every Linux architecture Go supports; reading it with sysconf would
// need cgo.
const clockTick = 10 * time.Millisecond

// errProcFormat reports a /proc file that does not have the expected shape.
var errProcFormat = errors.New("unexpected /proc format")

// parseStatCPU returns utime+stime from the contents of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name: %w", errProcFormat)
	}
	// After ") " come field 3 (state) onwards; utime and stime are fields
	// 14 and 15, at indexes 11 and 12 of the rest.
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name: %w", len(f), errProcFormat)
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: cpu ticks %q: %w", s, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * clockTick, nil
}

// memory is the resident set of a process, from /proc/<pid>/status.
type memory struct {
	// RSS is VmRSS, the resident set now.
	RSS int64
	// HWM is VmHWM, the peak resident set since the process started or
	// since its peak was last reset through clear_refs.
	HWM int64
}

// parseStatusMemory returns VmRSS and VmHWM, in bytes, from the contents of
// /proc/<pid>/status.
func parseStatusMemory(status []byte) (memory, error) {
	var m memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return memory{}, fmt.Errorf("status: %s %q: %w", key, val, errProcFormat)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("status: %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return memory{}, fmt.Errorf("status: %w", err)
	}
	if seen != 2 {
		return memory{}, fmt.Errorf("status: VmRSS or VmHWM missing: %w", errProcFormat)
	}
	return m, nil
}

// procCPU returns the user+system CPU time process pid has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading cpu time of %d: %w", pid, err)
	}
	return parseStatCPU(b)
}

// procMemory returns the resident set of process pid.
func procMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("reading memory of %d: %w", pid, err)
	}
	return parseStatusMemory(b)
}

// resetPeak sets the VmHWM of process pid to its current VmRSS (writing 5
// to clear_refs, Linux 4.0+), so that the next reading is the peak of what
// happened in between. It fails where the kernel or permissions do not
// allow it; the caller then reports the lifetime peak.
func resetPeak(pid int) error {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return fmt.Errorf("resetting the peak RSS of %d: %w", pid, err)
	}
	return nil
}
