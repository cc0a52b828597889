//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuSelf is the CPU time (user + system) this process has used.
func cpuSelf() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// cpuChildren is the CPU time of the children this process has reaped.
func cpuChildren() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
