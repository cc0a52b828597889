package mcpclient

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
)

// CallOption changes one CallTool call.
type CallOption func(*callOptions)

type callOptions struct {
	progress func(mcp.ProgressNotificationParams)
	asTask   bool // AsTask (tasks.go)
}

// WithProgress asks the server for progress notifications: the request
// carries a progressToken unique to this call and every
// notifications/progress with that token is passed to fn. fn runs on the
// connection's reading goroutine, one notification at a time and never
// after CallTool has returned, so it must be quick. Servers may send no
// progress at all; some (mcp-go's stdio server among them) write progress
// from another goroutine than responses, so a notification sent just
// before the result can arrive after it and is then dropped.
func WithProgress(fn func(mcp.ProgressNotificationParams)) CallOption {
	return func(o *callOptions) { o.progress = fn }
}

// progressRouter maps progress tokens to callbacks.
type progressRouter struct {
	prefix string
	next   atomic.Int64
	mu     sync.RWMutex
	byTok  map[string]*progressEntry
}

type progressEntry struct {
	mu     sync.Mutex
	fn     func(mcp.ProgressNotificationParams)
	closed bool
}

var routerSeq atomic.Int64

func newProgressRouter() *progressRouter {
	return &progressRouter{
		prefix: "mcpbridge-" + strconv.FormatInt(routerSeq.Add(1), 10) + "-",
		byTok:  map[string]*progressEntry{},
	}
}

// register returns a fresh token routed to fn and the function that
// removes it again (waiting for a callback still running).
func (r *progressRouter) register(fn func(mcp.ProgressNotificationParams)) (string, func()) {
	tok := r.prefix + strconv.FormatInt(r.next.Add(1), 10)
	e := &progressEntry{fn: fn}
	r.mu.Lock()
	r.byTok[tok] = e
	r.mu.Unlock()
	return tok, func() {
		r.mu.Lock()
		delete(r.byTok, tok)
		r.mu.Unlock()
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
	}
}

// deliver passes p to the callback of tok, if it is still registered, one
// call at a time. Progress notifications (dispatch) and a task's status
// (tasks.go) both reach the call's progress callback this way.
func (r *progressRouter) deliver(tok string, p mcp.ProgressNotificationParams) {
	r.mu.RLock()
	e := r.byTok[tok]
	r.mu.RUnlock()
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.fn(p)
	}
}

// dispatch delivers a notifications/progress to its callback, if any.
func (r *progressRouter) dispatch(n mcp.JSONRPCNotification) {
	raw, err := json.Marshal(n.Params.AdditionalFields)
	if err != nil {
		return
	}
	var p mcp.ProgressNotificationParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return
	}
	r.deliver(fmt.Sprint(p.ProgressToken), p)
}
