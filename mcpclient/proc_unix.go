//go:build unix

package mcpclient

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// newProcessGroup makes the child the leader of a new process group, so
// that it and everything it starts (sh -c wrappers, npx, node) can be
// signalled at once.
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to every process of the group led by pid.
func signalGroup(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(-pid, sig)
	}
}

func terminateGroup(pid int) { signalGroup(pid, syscall.SIGTERM) }
func killGroup(pid int)      { signalGroup(pid, syscall.SIGKILL) }

// groupAlive reports whether a live (not zombie) process is left in the
// process group pgid. On Linux it reads /proc, because a zombie nobody
// reaps would otherwise count as alive; elsewhere it asks kill(2).
func groupAlive(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	if alive, ok := procGroupAlive(pgid); ok {
		return alive
	}
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// procGroupAlive scans /proc; ok is false when /proc is unavailable.
func procGroupAlive(pgid int) (alive, ok bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false, false
	}
	found := false
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		found = true
		state, group, ok := procStat(pid)
		if ok && group == pgid && state != "Z" && state != "X" {
			return true, true
		}
	}
	return false, found
}

// procStat returns the state and process group of pid from /proc/pid/stat.
func procStat(pid int) (state string, pgrp int, ok bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false
	}
	s := string(raw)
	// The command name is in parentheses and may contain anything.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 3 {
		return "", 0, false
	}
	pgrp, err = strconv.Atoi(fields[2])
	if err != nil {
		return "", 0, false
	}
	return fields[0], pgrp, true
}
