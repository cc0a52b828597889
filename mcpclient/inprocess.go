package mcpclient

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// barrierMethod marks the internal notification inProcessTransport queues
// behind a request's notifications; it never reaches a handler.
const barrierMethod = "mcpbridge/internal/barrier"

// inProcessTransport talks to an mcp-go MCPServer in this process. It does
// what mcp-go's InProcessTransport does, plus one thing: the server queues
// notifications (progress!) on a channel that a goroutine forwards, so
// with mcp-go's transport a request can return before the notifications it
// caused have been delivered. Here SendRequest returns only after every
// notification queued during the request has been handed to the handler.
type inProcessTransport struct {
	srv      *server.MCPServer
	session  *server.InProcessSession
	server   string
	log      *slog.Logger
	handlers inProcessHandlers

	notifyMu sync.RWMutex
	onNotify func(mcp.JSONRPCNotification)

	barrierMu sync.Mutex
	barriers  map[string]chan struct{}
	nextID    atomic.Int64

	startOnce sync.Once
	done      chan struct{}
	closeOnce sync.Once
	fwdDone   chan struct{}
	started   atomic.Bool
}

// inProcessHandlers answer the requests an in-process server sends to the
// client (nil: not offered).
type inProcessHandlers struct {
	sampling    server.SamplingHandler
	elicitation server.ElicitationHandler
	roots       server.RootsHandler
}

func newInProcessTransport(srv *server.MCPServer, name string, log *slog.Logger, h inProcessHandlers) *inProcessTransport {
	return &inProcessTransport{
		srv:      srv,
		server:   name,
		log:      log,
		handlers: h,
		barriers: map[string]chan struct{}{},
		done:     make(chan struct{}),
		fwdDone:  make(chan struct{}),
	}
}

func (t *inProcessTransport) Start(ctx context.Context) error {
	var err error
	t.startOnce.Do(func() {
		select {
		case <-t.done:
			err = errTransportClosed
			return
		default:
		}
		t.session = server.NewInProcessSessionWithHandlers(t.srv.GenerateInProcessSessionID(),
			t.handlers.sampling, t.handlers.elicitation, t.handlers.roots)
		if err = t.srv.RegisterSession(ctx, t.session); err != nil {
			err = fmt.Errorf("register in-process session: %w", err)
			return
		}
		t.started.Store(true)
		go t.forward()
	})
	return err
}

func (t *inProcessTransport) forward() {
	defer close(t.fwdDone)
	ch := t.session.ClientNotifications()
	for {
		select {
		case <-t.done:
			return
		case n := <-ch:
			if n.Method == barrierMethod {
				id, _ := n.Params.AdditionalFields["id"].(string)
				t.barrierMu.Lock()
				if b := t.barriers[id]; b != nil {
					close(b)
					delete(t.barriers, id)
				}
				t.barrierMu.Unlock()
				continue
			}
			t.notifyMu.RLock()
			h := t.onNotify
			t.notifyMu.RUnlock()
			if h != nil {
				h(n)
			}
		}
	}
}

// flush waits until every notification queued so far has been forwarded.
func (t *inProcessTransport) flush(ctx context.Context) {
	id := strconv.FormatInt(t.nextID.Add(1), 10)
	b := make(chan struct{})
	t.barrierMu.Lock()
	t.barriers[id] = b
	t.barrierMu.Unlock()
	n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
		Method: barrierMethod,
		Params: mcp.NotificationParams{AdditionalFields: map[string]any{"id": id}},
	}}
	select {
	case t.session.NotificationChannel() <- n:
	case <-t.done:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-b:
	case <-t.done:
	case <-ctx.Done():
	}
}

func (t *inProcessTransport) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	if !t.started.Load() {
		return nil, fmt.Errorf("in-process transport not started")
	}
	select {
	case <-t.done:
		return nil, errTransportClosed
	default:
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}
	// The handler runs on its own goroutine so that a cancelled context
	// returns at once even if the tool ignores it (it then finishes in the
	// background). A panic in it is this request's failure, not the host
	// program's: nothing up the goroutine's stack would recover it.
	result := make(chan mcp.JSONRPCMessage, 1)
	panicked := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				t.log.Error("mcp in-process server panicked", "server", t.server, "method", req.Method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				panicked <- fmt.Errorf("%w while handling %s: %v", ErrServerPanic, req.Method, r)
			}
		}()
		result <- t.srv.HandleMessage(t.srv.WithContext(ctx, t.session), raw)
	}()
	var msg mcp.JSONRPCMessage
	select {
	case msg = <-result:
	case err := <-panicked:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.done:
		return nil, errTransportClosed
	}
	t.flush(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("marshal response: %w", err)
	}
	var resp transport.JSONRPCResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("unmarshal response: %w", err)
	}
	return &resp, nil
}

func (t *inProcessTransport) SendNotification(ctx context.Context, n mcp.JSONRPCNotification) error {
	if !t.started.Load() {
		return fmt.Errorf("in-process transport not started")
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("marshal notification: %w", err)
	}
	return t.handleNotification(ctx, n.Method, raw)
}

// handleNotification hands a notification to the server, recovering a
// panic of its handler.
func (t *inProcessTransport) handleNotification(ctx context.Context, method string, raw []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("mcp in-process server panicked", "server", t.server, "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w while handling %s: %v", ErrServerPanic, method, r)
		}
	}()
	t.srv.HandleMessage(t.srv.WithContext(ctx, t.session), raw)
	return nil
}

func (t *inProcessTransport) SetNotificationHandler(h func(mcp.JSONRPCNotification)) {
	t.notifyMu.Lock()
	t.onNotify = h
	t.notifyMu.Unlock()
}

func (t *inProcessTransport) GetSessionId() string { return "" }

func (t *inProcessTransport) Close() error {
	t.closeOnce.Do(func() {
		close(t.done)
		// Start can't run any more: it either ran or never will.
		t.startOnce.Do(func() {})
		if t.started.Load() {
			<-t.fwdDone
			t.srv.UnregisterSession(context.Background(), t.session.SessionID())
		}
	})
	return nil
}
