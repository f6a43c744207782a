// Package procstat reads this process's CPU time and resident memory from
// /proc, for the CPU figure in the console header and stats. Pure Go.
package procstat

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// clockTick is USER_HZ, which Linux fixes at 100 for /proc/*/stat.
const clockTick = 10 * time.Millisecond

// Sample is one reading.
type Sample struct {
	At  time.Time
	CPU time.Duration // user + system time used so far
	RSS int64         // resident bytes
}

// Read takes a sample of this process. ok is false where /proc is missing.
func Read() (s Sample, ok bool) {
	s.At = time.Now()
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return s, false
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, false
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s, false
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return s, false
	}
	s.CPU = time.Duration(ut+st) * clockTick
	if statm, err := os.ReadFile("/proc/self/statm"); err == nil {
		if g := bytes.Fields(statm); len(g) > 1 {
			if pages, err := strconv.ParseInt(string(g[1]), 10, 64); err == nil {
				s.RSS = pages * int64(os.Getpagesize())
			}
		}
	}
	return s, true
}

// CPUPercent is the CPU used between two samples as a percentage of one
// core (200 means two cores busy).
func CPUPercent(before, after Sample) float64 {
	wall := after.At.Sub(before.At)
	if wall <= 0 {
		return 0
	}
	return float64(after.CPU-before.CPU) / float64(wall) * 100
}
