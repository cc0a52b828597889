//go:build unix

package mcpclient

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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
	// An empty group is the common case once the server exited: kill(2)
	// tells it without reading the whole process table (which, done for
	// every one of many servers closing at once, cost the square of their
	// number).
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	if alive, ok := procGroupAlive(pgid); ok {
		return alive
	}
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// procGroupAlive reads the process table; ok is false when /proc is
// unavailable.
func procGroupAlive(pgid int) (alive, ok bool) {
	procs, ok := processTable()
	if !ok {
		return false, false
	}
	for _, st := range procs {
		if st.pgrp == pgid {
			return true, true
		}
	}
	return false, true
}

// processTable returns the live (not zombie) processes from /proc, read
// after the call began; ok is false when /proc is unavailable. Reading it
// costs a file per process, so callers at the same time share one
// reading: a reading gathers the callers that arrive while the previous
// one runs, then starts. Closing many servers at once (each looks for its
// descendants) then reads the table a few times instead of once per
// server, which grew with the square of their number.
func processTable() (map[int]procStatus, bool) {
	procScans.mu.Lock()
	s := procScans.next
	if s == nil {
		s = &procScan{done: make(chan struct{})}
		procScans.next = s
		prev := procScans.running
		procScans.mu.Unlock()
		if prev != nil {
			<-prev.done // one reading at a time; callers join s meanwhile
		}
		procScans.mu.Lock()
		procScans.next, procScans.running = nil, s
		procScans.mu.Unlock()
		s.procs, s.ok = readProcessTable()
		close(s.done)
		return s.procs, s.ok
	}
	procScans.mu.Unlock()
	<-s.done
	return s.procs, s.ok
}

// procScans are the reading of the process table under way and the one
// gathering callers to start next.
var procScans struct {
	mu      sync.Mutex
	running *procScan
	next    *procScan
}

type procScan struct {
	done  chan struct{}
	procs map[int]procStatus
	ok    bool
}

func readProcessTable() (map[int]procStatus, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	procs := map[int]procStatus{}
	found := false
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		found = true
		if st, ok := readStat(p); ok && st.state != "Z" && st.state != "X" {
			procs[p] = st
		}
	}
	return procs, found
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
	procs, ok := processTable()
	if !ok {
		return nil
	}
	children := map[int][]int{}
	for p, st := range procs {
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
