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
	st, ok := readStat(pid)
	return st.state, st.pgrp, ok
}

// procRef names one process for as long as it lives: the pid with the
// process's start time, so that a pid reused by an unrelated process is
// never signalled.
type procRef struct {
	pid   int
	start string
}

// strayDescendants lists the live descendants of pid that left its process
// group (setsid or setpgid, as daemonising helpers do), which a signal to
// the group misses. It reads /proc (Linux); elsewhere it finds none. A
// descendant whose parent has already exited was handed to init (or to a
// subreaper) and is no longer found: only what still hangs off the
// server's tree when Close runs is.
func strayDescendants(pid int) []procRef {
	if pid <= 0 {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	type info struct {
		ppid, pgrp int
		start      string
	}
	procs := map[int]info{}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, ok := readStat(p)
		if !ok || st.state == "Z" || st.state == "X" {
			continue
		}
		procs[p] = info{st.ppid, st.pgrp, st.start}
		children[st.ppid] = append(children[st.ppid], p)
	}
	var strays []procRef
	queue := append([]int(nil), children[pid]...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if in, ok := procs[p]; ok && in.pgrp != pid {
			strays = append(strays, procRef{p, in.start})
		}
		queue = append(queue, children[p]...)
	}
	return strays
}

// signalProcs sends sig to each process still alive as itself.
func signalProcs(procs []procRef, sig syscall.Signal) {
	for _, p := range procs {
		if st, ok := readStat(p.pid); ok && st.start == p.start {
			_ = syscall.Kill(p.pid, sig)
		}
	}
}

// procsAlive reports whether one of procs still runs (zombies don't).
func procsAlive(procs []procRef) bool {
	for _, p := range procs {
		if st, ok := readStat(p.pid); ok && st.start == p.start && st.state != "Z" && st.state != "X" {
			return true
		}
	}
	return false
}

type procStatus struct {
	state      string
	ppid, pgrp int
	start      string // start time in clock ticks after boot
}

// readStat parses /proc/pid/stat.
func readStat(pid int) (procStatus, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStatus{}, false
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStatus{}, false
	}
	// After the command name: state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime priority
	// nice num_threads itrealvalue starttime ...
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procStatus{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return procStatus{}, false
	}
	return procStatus{state: f[0], ppid: ppid, pgrp: pgrp, start: f[19]}, true
}

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)
