//go:build !unix

package main

import "time"

// cpuSelf is not measured on this platform.
func cpuSelf() time.Duration { return 0 }

// cpuChildren is not measured on this platform.
func cpuChildren() time.Duration { return 0 }
