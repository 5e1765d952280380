// Package cputime reads the CPU time benchmarks report next to wall time:
// on a shared, busy machine the wall clock mostly measures the neighbours,
// the CPU time what the code itself cost.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD, which package syscall does not name.
const rusageThread = 1

// Process is the CPU time (user + system, all threads: OpenCV's decoder
// threads and background merges included) this process has used so far.
func Process(tb testing.TB) time.Duration { return read(tb, syscall.RUSAGE_SELF) }

// Thread is the CPU time the calling OS thread has used so far; lock the
// goroutine to its thread (runtime.LockOSThread) around what it measures.
func Thread(tb testing.TB) time.Duration { return read(tb, rusageThread) }

func read(tb testing.TB, who int) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
