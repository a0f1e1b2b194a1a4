//go:build unix

package model

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far (benchmark
// figures on a shared machine: CPU per value, not wall time).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
