package mcptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// HTTP kinds for NewHTTPServer.
const (
	KindStreamable = "http"
	KindSSE        = "sse"
)

// HTTPServer serves an MCPServer over streamable HTTP (mcp-go's
// StreamableHTTPServer at /mcp) or SSE (SSEServer, /sse and /message) on a
// local listener. It can be stopped and started again on the same address
// (all sessions are forgotten, as after a server restart) and can make the
// server forget its sessions while running (ExpireSessions).
type HTTPServer struct {
	// URL is what a client connects to: base + "/mcp" or base + "/sse".
	URL string
	// Base is "http://127.0.0.1:port".
	Base string

	kind string
	mcp  *server.MCPServer
	addr string

	inits    atomic.Int64
	requests atomic.Int64

	mu      sync.Mutex
	srv     *http.Server
	served  chan struct{}
	stream  *server.StreamableHTTPServer
	sse     *server.SSEServer
	known   map[string]bool
	expired map[string]bool
}

// NewHTTPServer starts s over kind (KindStreamable or KindSSE) on
// 127.0.0.1 and stops it when tb ends.
func NewHTTPServer(tb testing.TB, s *server.MCPServer, kind string) *HTTPServer {
	tb.Helper()
	h := &HTTPServer{kind: kind, mcp: s, addr: "127.0.0.1:0", known: map[string]bool{}, expired: map[string]bool{}}
	if err := h.Start(); err != nil {
		tb.Fatalf("mcptest: start %s server: %v", kind, err)
	}
	tb.Cleanup(h.Stop)
	return h
}

// Start (re)starts serving on the same address with a fresh transport
// server, which knows no sessions.
func (h *HTTPServer) Start() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		return errors.New("mcptest: already running")
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly after Stop
		ln, err = net.Listen("tcp", h.addr)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	h.addr = ln.Addr().String()
	h.Base = "http://" + h.addr
	var handler http.Handler
	switch h.kind {
	case KindSSE:
		h.sse = server.NewSSEServer(h.mcp, server.WithBaseURL(h.Base))
		h.URL = h.Base + "/sse"
		handler = h.sse
	default:
		h.stream = server.NewStreamableHTTPServer(h.mcp)
		h.URL = h.Base + "/mcp"
		handler = h.stream
	}
	h.srv = &http.Server{Handler: h.wrap(handler), ReadHeaderTimeout: 10 * time.Second}
	h.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln)
	}(h.srv, h.served)
	return nil
}

// Stop closes the listener and every connection, and forgets all sessions.
// It is safe to call when already stopped.
func (h *HTTPServer) Stop() {
	h.mu.Lock()
	srv, served, stream, sse := h.srv, h.served, h.stream, h.sse
	h.srv, h.stream, h.sse = nil, nil, nil
	h.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if stream != nil {
		_ = stream.Shutdown(ctx)
	}
	if sse != nil {
		sse.CloseSessions()
	}
	_ = srv.Close()
	<-served
}

// ExpireSessions makes the server answer 404 to every request that carries
// a session id it has handed out so far (streamable HTTP), or ends every
// SSE stream (SSE), as if the sessions had timed out.
func (h *HTTPServer) ExpireSessions() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range h.known {
		h.expired[id] = true
	}
	if h.sse != nil {
		h.sse.CloseSessions()
	}
}

// Initializes reports how many initialize requests the server has received.
func (h *HTTPServer) Initializes() int { return int(h.inits.Load()) }

// Requests reports how many HTTP requests the server has received.
func (h *HTTPServer) Requests() int { return int(h.requests.Load()) }

func (h *HTTPServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		if id := r.Header.Get("Mcp-Session-Id"); id != "" {
			h.mu.Lock()
			expired := h.expired[id]
			h.known[id] = true
			h.mu.Unlock()
			if expired {
				http.Error(w, "session expired", http.StatusNotFound)
				return
			}
		}
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
			if err == nil {
				if strings.Contains(string(body), `"method":"initialize"`) {
					h.inits.Add(1)
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
		}
		next.ServeHTTP(w, r)
		if id := w.Header().Get("Mcp-Session-Id"); id != "" {
			h.mu.Lock()
			h.known[id] = true
			h.mu.Unlock()
		}
	})
}
