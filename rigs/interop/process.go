package interop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Transport names server-everything accepts as its first argument, for
// StartEverythingHTTP.
const (
	ModeSSE            = "sse"            // legacy HTTP+SSE: GET /sse, POST /message?sessionId=...
	ModeStreamableHTTP = "streamableHttp" // streamable HTTP: POST/GET/DELETE /mcp
)

// How long a started server gets to accept connections, and how long it
// gets to exit after SIGTERM before the group is killed. Neither decides a
// test's result; they only bound waiting on a broken install.
const (
	readyTimeout = 60 * time.Second
	stopGrace    = 5 * time.Second
	portAttempts = 5
)

// StartEverythingHTTP starts server-everything on a free loopback port with
// transport mode (ModeSSE or ModeStreamableHTTP), waits until it accepts TCP
// connections and returns the URL a client connects to:
// http://127.0.0.1:PORT/sse for ModeSSE, http://127.0.0.1:PORT/mcp for
// ModeStreamableHTTP. The server's process group is terminated in
// tb.Cleanup; its output is logged if the test failed.
func StartEverythingHTTP(tb testing.TB, mode string) string {
	tb.Helper()
	var path string
	switch mode {
	case ModeSSE:
		path = "/sse"
	case ModeStreamableHTTP:
		path = "/mcp"
	default:
		tb.Fatalf("interop: unknown server-everything mode %q (want %q or %q)", mode, ModeSSE, ModeStreamableHTTP)
	}
	node := Node(tb)
	script := EverythingScript(tb)
	var lastErr error
	for range portAttempts {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("interop: %v", err)
		}
		p, err := Start(tb, []string{"PORT=" + strconv.Itoa(port)}, node, script, mode)
		if err != nil {
			tb.Fatalf("interop: %v", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = p.waitListening(addr, readyTimeout)
		if err == nil {
			return "http://" + addr + path
		}
		lastErr = err
		p.Stop()
		// Another process may have taken the port between freePort and
		// the server's listen; try a new one.
		if !strings.Contains(p.Output(), "EADDRINUSE") && !strings.Contains(p.Output(), "already in use") {
			break
		}
	}
	tb.Fatalf("interop: server-everything %s did not start: %v", mode, lastErr)
	return ""
}

// StartTasksExtensionHTTP starts tasks-ext-server.mjs (TasksExtensionScript)
// over streamable HTTP on a free loopback port, waits until it accepts TCP
// connections and returns its URL, http://127.0.0.1:PORT/mcp. Its process
// group is terminated in tb.Cleanup.
func StartTasksExtensionHTTP(tb testing.TB) string {
	tb.Helper()
	node := Node(tb)
	script := TasksExtensionScript(tb)
	var lastErr error
	for range portAttempts {
		port, err := freePort()
		if err != nil {
			tb.Fatalf("interop: %v", err)
		}
		p, err := Start(tb, nil, node, script, "http", strconv.Itoa(port))
		if err != nil {
			tb.Fatalf("interop: %v", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = p.waitListening(addr, readyTimeout); lastErr == nil {
			return "http://" + addr + "/mcp"
		}
		p.Stop()
		if !strings.Contains(p.Output(), "EADDRINUSE") {
			break
		}
	}
	tb.Fatalf("interop: tasks-ext-server.mjs did not start: %v", lastErr)
	return ""
}

// freePort asks the kernel for an unused loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a command started by Start in its own process group.
type Process struct {
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed once Wait returned
	err  error         // Wait's result, valid after done

	stopOnce sync.Once
}

// Start runs name with args in a new process group, its environment the
// current one plus env ("KEY=value" entries, later ones win), stdout and
// stderr captured together (the last 64 KiB are kept). The group is
// terminated when tb's cleanup runs, and the output is logged if tb failed.
// Start returns an error only when the command could not be started.
func Start(tb testing.TB, env []string, name string, args ...string) (*Process, error) {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &tailBuffer{limit: 64 << 10}
	cmd.Stdout = out
	cmd.Stderr = out
	// If a grandchild keeps the output pipe open, do not let Wait hang.
	cmd.WaitDelay = stopGrace
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("interop: output of %s %s:\n%s", name, strings.Join(args, " "), p.Output())
		}
	})
	return p, nil
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output returns the tail of the process's combined stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM to the process group, waits up to a few seconds for
// the process to exit, then kills the group with SIGKILL and waits until no
// member of the group is left. Later calls do nothing. It returns the process's exit error, which
// is normally a *exec.ExitError for the signal.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		timer := time.NewTimer(stopGrace)
		defer timer.Stop()
		select {
		case <-p.done:
		case <-timer.C:
		}
		// Kill whatever is left of the group, including children the
		// leader may have started.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
		// SIGKILL is asynchronous: wait (bounded) until no member of the
		// group is left, so callers can rely on it being gone.
		for deadline := time.Now().Add(stopGrace); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
				break
			}
		}
	})
	return p.err
}

// waitListening polls addr until a TCP connection succeeds, the process
// exits or timeout passes.
func (p *Process) waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before listening on %s (%v); output:\n%s", addr, p.err, p.Output())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s: %w; output:\n%s", addr, timeout, errNotReady, p.Output())
		}
	}
}

var errNotReady = errors.New("server not ready")

// tailBuffer is an io.Writer safe for concurrent use that keeps the last
// limit bytes written.
type tailBuffer struct {
	mu    sync.Mutex
	buf   []byte
	limit int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
