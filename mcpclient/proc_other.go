//go:build !unix

package mcpclient

import (
	"os"
	"os/exec"
)

// Without process groups only the direct child can be signalled.
func newProcessGroup(*exec.Cmd) {}

func terminateGroup(int) {}

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func groupAlive(int) bool { return false }

type procRef struct{}

func strayDescendants(int) []procRef { return nil }

func signalProcs([]procRef, int) {}

func procsAlive([]procRef) bool { return false }

const (
	sigTerm = 15
	sigKill = 9
)
