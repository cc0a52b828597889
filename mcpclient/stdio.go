package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// errTransportClosed is the cause given to requests still waiting when the
// transport is closed on purpose.
var errTransportClosed = errors.New("connection closed")

// stdioTransport is a transport.BidirectionalInterface over a child
// process, written for this package instead of mcp-go's transport.Stdio so
// that it can: put the child in its own process group and end the whole
// group (SIGTERM, then SIGKILL after a grace period); notice the process
// dying even when a grandchild keeps stdout open; report exits as
// ErrProcessExited with the stderr tail; bound the length of stdout lines;
// and honour the context while writing to a child that does not read.
type stdioTransport struct {
	server   string
	command  string
	args     []string
	env      []string
	dir      string
	grace    time.Duration
	maxLine  int
	log      *slog.Logger
	stderr   *ring
	startedC chan struct{}

	cmd    *exec.Cmd
	pid    int
	stdin  *os.File
	stdout *os.File
	errR   *os.File

	writeSem chan struct{}

	mu      sync.Mutex
	pending map[string]chan reply

	requests    chan transport.JSONRPCRequest // from the server, for the workers
	floodLogged atomic.Bool
	dropped     atomic.Int64 // server requests dropped because the queue was full

	notifyMu  sync.RWMutex
	onNotify  func(mcp.JSONRPCNotification)
	onRequest transport.RequestHandler

	done    chan struct{} // closed once the transport is unusable
	deadErr error         // why; set before done is closed
	dead    sync.Once

	exited     chan struct{} // closed when cmd.Wait returned
	waitErr    error
	stderrDone chan struct{}
	readerDone chan struct{}
	closing    atomic.Bool
	closeOnce  sync.Once
	reqCtx     context.Context
	reqCancel  context.CancelFunc
	wg         sync.WaitGroup
}

type stdioOptions struct {
	server  string
	command string
	args    []string
	env     []string
	dir     string
	grace   time.Duration
	maxLine int
	stderr  int
	log     *slog.Logger
}

func newStdioTransport(o stdioOptions) *stdioTransport {
	ctx, cancel := context.WithCancel(context.Background())
	return &stdioTransport{
		server: o.server, command: o.command, args: o.args, env: o.env, dir: o.dir,
		grace: o.grace, maxLine: o.maxLine, log: o.log,
		stderr:     newRing(o.stderr),
		writeSem:   make(chan struct{}, 1),
		pending:    map[string]chan reply{},
		requests:   make(chan transport.JSONRPCRequest, serverRequestQueue),
		done:       make(chan struct{}),
		exited:     make(chan struct{}),
		stderrDone: make(chan struct{}),
		readerDone: make(chan struct{}),
		startedC:   make(chan struct{}),
		reqCtx:     ctx,
		reqCancel:  cancel,
	}
}

// spawnError marks a failure to start the process (as opposed to one of
// the handshake).
type spawnError struct{ err error }

func (e *spawnError) Error() string { return e.err.Error() }
func (e *spawnError) Unwrap() error { return e.err }

// Start spawns the process. The context only bounds starting: the process
// lives until Close.
func (t *stdioTransport) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-t.startedC:
		return nil
	default:
	}
	close(t.startedC)

	inR, inW, err := os.Pipe()
	if err != nil {
		return &spawnError{err}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return &spawnError{err}
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return &spawnError{err}
	}
	cmd := exec.Command(t.command, t.args...)
	cmd.Env = t.env
	cmd.Dir = t.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	newProcessGroup(cmd)
	err = cmd.Start()
	// The child has its copies; ours of its ends must go, or we would never
	// see EOF on stdout.
	closeAll(inR, outW, errW)
	if err != nil {
		closeAll(inW, outR, errR)
		t.markDead(&spawnError{err})
		close(t.exited)
		close(t.stderrDone)
		close(t.readerDone)
		return &spawnError{err}
	}
	t.cmd, t.pid = cmd, cmd.Process.Pid
	t.stdin, t.stdout, t.errR = inW, outR, errR
	t.log.Debug("mcp server started", "server", t.server, "pid", t.pid)

	t.wg.Add(3 + serverRequestWorkers)
	go t.wait()
	go t.drainStderr()
	go t.read()
	for range serverRequestWorkers {
		go t.serveRequests()
	}
	return nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// Pid is the process id of the server (its process group id too).
func (t *stdioTransport) Pid() int { return t.pid }

// Stderr returns the kept tail of the server's stderr.
func (t *stdioTransport) Stderr() string { return t.stderr.String() }

// Done is closed once the transport can't be used any more.
func (t *stdioTransport) Done() <-chan struct{} { return t.done }

// Err is why the transport is done (nil while it is not).
func (t *stdioTransport) Err() error {
	select {
	case <-t.done:
		return t.deadErr
	default:
		return nil
	}
}

func (t *stdioTransport) markDead(err error) {
	t.dead.Do(func() {
		t.deadErr = err
		close(t.done)
	})
}

// wait reaps the process. If it ended on its own, the rest of its group
// goes too, and stdout is closed after a while if something outside the
// group still holds it open.
func (t *stdioTransport) wait() {
	defer t.wg.Done()
	t.waitErr = t.cmd.Wait()
	close(t.exited)
	if t.closing.Load() {
		return
	}
	killGroup(t.pid)
	select {
	case <-t.readerDone:
	case <-time.After(2 * time.Second):
		_ = t.stdout.Close()
	}
}

func (t *stdioTransport) drainStderr() {
	defer t.wg.Done()
	defer close(t.stderrDone)
	_, _ = io.Copy(t.stderr, t.errR)
}

// exitError describes how the process ended, once it has (bounded wait).
func (t *stdioTransport) exitError(why string) error {
	select {
	case <-t.exited:
	case <-time.After(time.Second):
	}
	// Give the stderr drain a moment to catch the last words.
	select {
	case <-t.stderrDone:
	case <-time.After(500 * time.Millisecond):
	}
	e := &processExitError{why: why}
	select {
	case <-t.exited:
		if t.waitErr != nil {
			e.status = t.waitErr.Error()
		} else {
			e.status = "exit status 0"
		}
	default:
	}
	return e
}

// write sends one line, serialised with the other writers. A write the
// context interrupts half way leaves a broken line on the child's stdin, so
// the connection is then given up.
func (t *stdioTransport) write(ctx context.Context, line []byte) error {
	select {
	case t.writeSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return t.deadErr
	}
	defer func() { <-t.writeSem }()
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = t.stdin.SetWriteDeadline(time.Now())
		close(interrupted)
	})
	n, err := t.stdin.Write(line)
	if !stop() {
		<-interrupted
		_ = t.stdin.SetWriteDeadline(time.Time{})
	}
	if err == nil {
		return nil
	}
	if n > 0 {
		t.markDead(fmt.Errorf("write to server stdin interrupted: %w", err))
		killGroup(t.pid)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Most likely the process is gone: report that once the reader knows.
	select {
	case <-t.done:
		return t.deadErr
	case <-time.After(time.Second):
		return fmt.Errorf("write to server stdin: %w", err)
	}
}

// SendRequest writes the request and waits for its response, the context,
// or the end of the transport.
func (t *stdioTransport) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	select {
	case <-t.done:
		return nil, t.deadErr
	default:
	}
	if t.stdin == nil {
		return nil, errors.New("stdio transport not started")
	}
	if req.Method == string(mcp.MethodServerDiscover) {
		return t.probe(ctx, req)
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}
	key := req.ID.String()
	ch := make(chan reply, 1)
	t.mu.Lock()
	t.pending[key] = ch
	t.mu.Unlock()
	forget := func() {
		t.mu.Lock()
		delete(t.pending, key)
		t.mu.Unlock()
	}
	if err := t.write(ctx, append(raw, '\n')); err != nil {
		forget()
		return nil, err
	}
	select {
	case r := <-ch:
		return r.resp, r.err
	case <-t.done:
		select {
		case r := <-ch:
			return r.resp, r.err
		default:
		}
		forget()
		return nil, t.deadErr
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	}
}

// SendNotification writes a notification.
func (t *stdioTransport) SendNotification(ctx context.Context, n mcp.JSONRPCNotification) error {
	if t.stdin == nil {
		return errors.New("stdio transport not started")
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("marshal notification: %w", err)
	}
	return t.write(ctx, append(raw, '\n'))
}

// SetNotificationHandler sets where notifications go. It is called on the
// reading goroutine, so it must not block for long.
func (t *stdioTransport) SetNotificationHandler(h func(mcp.JSONRPCNotification)) {
	t.notifyMu.Lock()
	t.onNotify = h
	t.notifyMu.Unlock()
}

// SetRequestHandler sets who answers requests from the server.
func (t *stdioTransport) SetRequestHandler(h transport.RequestHandler) {
	t.notifyMu.Lock()
	t.onRequest = h
	t.notifyMu.Unlock()
}

// GetSessionId returns "": stdio has no sessions.
func (t *stdioTransport) GetSessionId() string { return "" }

// Close ends the process group: stdin is closed and SIGTERM sent; after
// the grace period whatever is left of the group gets SIGKILL. On Linux,
// descendants that left the group (setsid) but still descend from the
// server get the same signals. It returns
// once the process is reaped and every goroutine of the transport is done.
func (t *stdioTransport) Close() error {
	t.closeOnce.Do(func() {
		t.closing.Store(true)
		t.markDead(errTransportClosed)
		t.reqCancel()
		if t.cmd == nil {
			return
		}
		// Descendants that left the group (setsid) are found while the
		// server still holds them in its tree, and ended with it.
		strays := strayDescendants(t.pid)
		_ = t.stdin.Close()
		terminateGroup(t.pid)
		signalProcs(strays, sigTerm)
		deadline := time.Now().Add(t.grace)
		timer := time.NewTimer(t.grace)
		defer timer.Stop()
		select {
		case <-t.exited:
		case <-timer.C:
		}
		// Let the rest of the group finish within the same grace period.
		for (groupAlive(t.pid) || procsAlive(strays)) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		strays = append(strays, strayDescendants(t.pid)...)
		killGroup(t.pid)
		signalProcs(strays, sigKill)
		<-t.exited
		// SIGKILL is delivered asynchronously: wait (bounded) until the
		// group is really gone.
		for end := time.Now().Add(2 * time.Second); (groupAlive(t.pid) || procsAlive(strays)) && time.Now().Before(end); {
			time.Sleep(5 * time.Millisecond)
		}
		_ = t.stdout.Close()
		_ = t.errR.Close()
	})
	t.wg.Wait()
	return nil
}
