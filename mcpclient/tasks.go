package mcpclient

// Tool calls the server runs as a task. Two shapes exist:
//
//   - Protocol 2025-11-25: the client asks for a task (tools/call with a
//     "task" parameter, for a tool whose execution.taskSupport allows it, on
//     a server declaring tasks.requests.tools.call), the server answers with
//     a CreateTaskResult ({"task": {...}}), the client polls tasks/get and
//     fetches the outcome with tasks/result, which also carries the requests
//     the task makes of the client (elicitation) while it waits for input.
//   - The tasks extension of 2026-07-28 (io.modelcontextprotocol/tasks): the
//     client declares the extension and the server decides; a task comes
//     back as a flat result with resultType "task", and tasks/get carries
//     the outcome itself (result, or error) once the task is done; a task
//     waiting on the client lists inputRequests, answered with tasks/update
//     (taskinput.go).
//
// Either way CallTool waits for the outcome and returns it as the call's
// result: polling at the server's pollInterval within [minTaskPoll,
// Config.MaxTaskPoll], woken early (never more often than minTaskPoll) by
// notifications/tasks/status, bounded by the call's context as a whole. A
// call that ends early (context cancelled or past its deadline) sends
// tasks/cancel in the background, bounded by taskCancelTimeout and by
// Close, so a server that never answers it cannot hold anything up.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
)

const (
	// tasksExtension names the tasks extension of protocol 2026-07-28.
	tasksExtension = "io.modelcontextprotocol/tasks"
	// minTaskPoll is the shortest wait between two polls of one task,
	// whatever pollInterval the server asks for (0 included) and however
	// many status notifications it sends.
	minTaskPoll = 100 * time.Millisecond
	// defaultTaskPoll is the wait between polls when the server suggests
	// none.
	defaultTaskPoll = time.Second
	// DefaultMaxTaskPoll is the default of Config.MaxTaskPoll.
	DefaultMaxTaskPoll = 5 * time.Second
	// taskCancelTimeout bounds the tasks/cancel sent for a call that ended
	// early.
	taskCancelTimeout = 5 * time.Second
)

// AsTask asks the server to run the call as a task (protocol 2025-11-25's
// task-augmented tools/call) when it declares task-augmented tool calls;
// use it for tools whose [Tool].TaskSupport is "required" (they fail
// otherwise) or, at the caller's choice, "optional". Without the server's
// capability the call is sent as usual. Under the tasks extension of
// protocol 2026-07-28 the server decides, and CallTool follows a task
// whether or not AsTask was given.
func AsTask() CallOption {
	return func(o *callOptions) { o.asTask = true }
}

// wireTask is a task's state as tools/call, tasks/get and
// notifications/tasks/status carry it, in both shapes (the extension's
// field names beside 2025-11-25's). Poll intervals are decoded as numbers
// of any size, so a huge or fractional value is bounded instead of failing
// the call.
type wireTask struct {
	TaskID         string          `json:"taskId"`
	Status         mcp.TaskStatus  `json:"status"`
	StatusMessage  string          `json:"statusMessage"`
	PollInterval   *float64        `json:"pollInterval"`   // 2025-11-25, milliseconds
	PollIntervalMs *float64        `json:"pollIntervalMs"` // the extension
	Result         json.RawMessage `json:"result"`         // the extension, once completed
	Error          json.RawMessage `json:"error"`          // the extension, once failed
	InputRequests  json.RawMessage `json:"inputRequests"`  // the extension, input_required
}

// describe is the task's status as a person reads it: "working: Gathering
// sources...".
func (t wireTask) describe() string {
	s := string(t.Status)
	if s == "" {
		s = "unknown status"
	}
	if m := strings.TrimSpace(t.StatusMessage); m != "" {
		if len(m) > maxStatusMessage {
			m = textsafe.Cut(m, maxStatusMessage) + "..."
		}
		s += ": " + m
	}
	if len(s) > 2*maxStatusMessage { // a status of the server's invention
		s = textsafe.Cut(s, 2*maxStatusMessage) + "..."
	}
	return s
}

// maxStatusMessage bounds the statusMessage a task's progress and errors
// repeat: it is for a person to read.
const maxStatusMessage = 1024

// pollWait is how long to wait before the next tasks/get: the server's
// pollInterval bounded to [minTaskPoll, ceiling].
func (t wireTask) pollWait(ceiling time.Duration) time.Duration {
	ms := t.PollIntervalMs
	if ms == nil {
		ms = t.PollInterval
	}
	d := defaultTaskPoll
	if ms != nil {
		switch v := *ms; {
		case v != v || v <= 0: // NaN or not positive
			d = minTaskPoll
		case v >= float64(ceiling/time.Millisecond):
			d = ceiling
		default:
			d = time.Duration(v * float64(time.Millisecond))
		}
	}
	return min(max(d, minTaskPoll), ceiling)
}

// createdTask reads a tools/call result that may be a task: with
// augmented (the request asked for a task) a 2025-11-25 CreateTaskResult,
// and whatever was asked the extension's flat result of resultType
// "task". ok is false for an ordinary tool result.
func createdTask(raw json.RawMessage, augmented bool) (t wireTask, ext bool, ok bool, err error) {
	var probe struct {
		ResultType string          `json:"resultType"`
		Task       json.RawMessage `json:"task"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return wireTask{}, false, false, nil // not an object: the usual decoding reports it
	}
	switch {
	case probe.ResultType == "task":
		ext = true
		err = json.Unmarshal(raw, &t)
	case augmented && present(probe.Task):
		err = json.Unmarshal(probe.Task, &t)
	default:
		return wireTask{}, false, false, nil
	}
	if err != nil {
		return wireTask{}, ext, true, fmt.Errorf("decode the task the server created: %w", err)
	}
	if t.TaskID == "" {
		return wireTask{}, ext, true, errors.New("the server created a task without a taskId")
	}
	return t, ext, true, nil
}

// taskAugmentable reports whether s's server takes task-augmented
// tools/call requests (2025-11-25's capability).
func (s *session) taskAugmentable() bool {
	t := s.info.Capabilities.Tasks
	return t != nil && t.Requests != nil && t.Requests.Tools != nil && t.Requests.Tools.Call != nil
}

// taskCall is one call the server runs as a task, on the session that
// created it (tasks belong to it: the wait never reconnects).
type taskCall struct {
	s    *session
	tool string
	ext  bool // the 2026-07-28 extension's shape
	id   string
}

// nameHeader is the Mcp-Name header the extension's tasks/get and
// tasks/cancel carry over streamable HTTP (the task's id), which mcp-go
// does not set for these methods; nil for 2025-11-25's tasks.
func (t *taskCall) nameHeader() http.Header {
	if !t.ext {
		return nil
	}
	v, ok := mcp.EncodeHeaderValue(t.id)
	if !ok {
		return nil
	}
	return http.Header{mcp.HeaderName: {v}}
}

// awaitTask waits for the outcome of task t, created with first, and
// returns it as the call's result. It owns one use of t.s (session.enter).
func (c *Client) awaitTask(ctx context.Context, t *taskCall, first wireTask, o callOptions, progressToken string) (*mcp.CallToolResult, error) {
	defer t.s.leave()
	wake, unwatch := c.tasks.watch(t.id)
	defer unwatch()
	start := time.Now()
	cur := first
	reported, steps := "", 0
	lastPoll := start
	answered := map[string]bool{} // ids of the extension's inputRequests answered (taskinput.go)
	for {
		if o.progress != nil {
			if d := cur.describe(); d != reported {
				reported, steps = d, steps+1
				c.progress.deliver(progressToken, mcp.ProgressNotificationParams{ProgressToken: progressToken, Progress: float64(steps), Message: "task " + d})
			}
		}
		switch {
		case cur.Status.IsTerminal(), !t.ext && cur.Status == mcp.TaskStatusInputRequired:
			return c.taskOutcome(ctx, t, cur, start)
		case t.ext && cur.Status == mcp.TaskStatusInputRequired:
			if err := c.answerTaskInput(ctx, t, cur, answered); err != nil {
				c.cancelTask(t)
				if ctx.Err() != nil {
					return nil, c.taskStopped(t, cur, start, ctx.Err())
				}
				return nil, c.newError(OpCall, t.tool, fmt.Errorf("%w (%s; the task was cancelled)", err, inputMethods(cur.InputRequests)), t.s)
			}
		}
		if err := c.waitPoll(ctx, wake, lastPoll, cur.pollWait(c.cfg.MaxTaskPoll)); err != nil {
			c.cancelTask(t)
			return nil, c.taskStopped(t, cur, start, err)
		}
		lastPoll = time.Now()
		next, err := c.getTask(ctx, t)
		if err != nil {
			c.cancelTask(t)
			if ctx.Err() != nil {
				return nil, c.taskStopped(t, cur, start, ctx.Err())
			}
			return nil, err
		}
		cur = next
	}
}

// waitPoll waits until the next poll is due: wait after lastPoll, or
// minTaskPoll after it once a status notification woke the task.
func (c *Client) waitPoll(ctx context.Context, wake <-chan struct{}, lastPoll time.Time, wait time.Duration) error {
	timer := time.NewTimer(time.Until(lastPoll.Add(wait)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-wake:
			if wait > minTaskPoll {
				wait = minTaskPoll
				timer.Reset(time.Until(lastPoll.Add(wait)))
			}
		}
	}
}

// taskStopped is the error of a task whose call ended before it did.
func (c *Client) taskStopped(t *taskCall, cur wireTask, start time.Time, err error) error {
	return c.newError(OpCall, t.tool, fmt.Errorf("task %s still %s after %s (tasks/cancel sent): %w",
		t.id, cur.describe(), time.Since(start).Round(time.Millisecond), err), t.s)
}

// getTask polls t with tasks/get.
func (c *Client) getTask(ctx context.Context, t *taskCall) (wireTask, error) {
	getCtx, sink := withSink(ctx, string(mcp.MethodTasksGet))
	_, err := t.s.mc.GetTask(getCtx, mcp.GetTaskRequest{Header: t.nameHeader(), Params: mcp.GetTaskParams{TaskId: t.id}})
	raw := sink.get()
	if raw == nil {
		if err == nil {
			err = errors.New("answered without a result")
		}
		return wireTask{}, c.newError(OpCall, t.tool, fmt.Errorf("task %s: tasks/get: %w", t.id, c.sessionCause(t.s, err)), t.s)
	}
	var w wireTask
	if err := json.Unmarshal(raw, &w); err != nil {
		return wireTask{}, c.newError(OpCall, t.tool, fmt.Errorf("task %s: decode tasks/get result: %w", t.id, err), t.s)
	}
	return w, nil
}

// taskOutcome turns a finished task (or, in 2025-11-25's shape, one that
// waits for input) into the call's result.
func (c *Client) taskOutcome(ctx context.Context, t *taskCall, cur wireTask, start time.Time) (*mcp.CallToolResult, error) {
	if t.ext {
		switch {
		case cur.Status == mcp.TaskStatusCompleted && present(cur.Result):
			res, err := lenientCallResult(cur.Result)
			if err != nil {
				return nil, c.newError(OpCall, t.tool, fmt.Errorf("task %s: decode its result: %w", t.id, err), t.s)
			}
			return res, nil
		case cur.Status == mcp.TaskStatusFailed && present(cur.Error):
			return nil, c.newError(OpCall, t.tool, fmt.Errorf("task %s failed: %s", t.id, rpcErrorText(cur.Error)), t.s)
		default:
			return nil, c.newError(OpCall, t.tool, fmt.Errorf("task %s ended %s without a result", t.id, cur.describe()), t.s)
		}
	}
	// tasks/result blocks until the task is done, carrying the requests it
	// makes of the client meanwhile.
	resCtx, sink := withSink(ctx, string(mcp.MethodTasksResult))
	_, err := t.s.mc.TaskResult(resCtx, mcp.TaskResultRequest{Params: mcp.TaskResultParams{TaskId: t.id}})
	if raw := sink.get(); raw != nil {
		res, lerr := lenientCallResult(raw)
		if lerr == nil {
			return res, nil
		}
		err = lerr
	}
	if err == nil {
		err = errors.New("answered without a result")
	}
	if ctx.Err() != nil {
		c.cancelTask(t)
		return nil, c.taskStopped(t, cur, start, ctx.Err())
	}
	return nil, c.newError(OpCall, t.tool, fmt.Errorf("task %s (%s): tasks/result: %w", t.id, cur.describe(), c.sessionCause(t.s, err)), t.s)
}

// cancelTask sends tasks/cancel for t in the background: best effort,
// bounded by taskCancelTimeout and ended by Close.
func (c *Client) cancelTask(t *taskCall) {
	if !t.s.alive() {
		return
	}
	t.s.enter()
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer t.s.leave()
		ctx, cancel := context.WithTimeout(c.life, taskCancelTimeout)
		defer cancel()
		if _, err := t.s.mc.CancelTask(ctx, mcp.CancelTaskRequest{Header: t.nameHeader(), Params: mcp.CancelTaskParams{TaskId: t.id}}); err != nil {
			c.cfg.Logger.Debug("mcp server did not confirm tasks/cancel", "server", c.cfg.Name, "tool", t.tool, "task", t.id, "err", err)
		}
	}()
}

// inputMethods names the methods of an extension task's inputRequests.
func inputMethods(raw json.RawMessage) string {
	var reqs map[string]struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(raw, &reqs) != nil || len(reqs) == 0 {
		return "no inputRequests given"
	}
	seen := map[string]bool{}
	var names []string
	for _, r := range reqs {
		if m := r.Method; m != "" && !seen[m] && len(names) < 4 {
			seen[m] = true
			names = append(names, m)
		}
	}
	return "inputRequests: " + strings.Join(names, ", ")
}

// rpcErrorText renders the JSON-RPC error object of a failed extension
// task.
func rpcErrorText(raw json.RawMessage) string {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "an error the client could not decode"
	}
	return fmt.Sprintf("%s (code %d)", e.Message, e.Code)
}

// taskWatch routes notifications/tasks/status to the calls waiting on
// their tasks. A notification only wakes its waiter (a channel of one,
// so a flood costs nothing more); the state is read by polling.
type taskWatch struct {
	mu   sync.Mutex
	byID map[string][]chan struct{}
}

// watch registers a waiter for task id; unwatch removes it.
func (w *taskWatch) watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.byID == nil {
		w.byID = map[string][]chan struct{}{}
	}
	w.byID[id] = append(w.byID[id], ch)
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := w.byID[id]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(w.byID, id)
		} else {
			w.byID[id] = list
		}
	}
}

// dispatch wakes the waiters of the task a notifications/tasks/status
// names.
func (w *taskWatch) dispatch(n mcp.JSONRPCNotification) {
	id, _ := n.Params.AdditionalFields["taskId"].(string)
	if id == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.byID[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
