package hostile

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// HTTPAttack answers one tools/call request of a hostile streamable HTTP
// server. s counts what it writes with s.Write.
type HTTPAttack func(s *HTTPServer, w http.ResponseWriter, r *http.Request, id json.RawMessage)

// HTTPServer is a streamable HTTP MCP server on 127.0.0.1 that answers the
// handshake and tools/list properly and runs its attack on tools/call.
type HTTPServer struct {
	// URL is the MCP endpoint (ending in /mcp).
	URL string
	srv *httptest.Server

	attack    HTTPAttack
	written   atomic.Int64
	attacking atomic.Int64

	mu      sync.Mutex
	headers []http.Header // of every request, in order
}

// NewHTTP starts a hostile streamable HTTP server; it is closed when tb
// ends.
func NewHTTP(tb testing.TB, attack HTTPAttack) *HTTPServer {
	tb.Helper()
	s := &HTTPServer{attack: attack}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/mcp"
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for its handlers.
func (s *HTTPServer) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Written is how many body bytes the attacks managed to write.
func (s *HTTPServer) Written() int64 { return s.written.Load() }

// Attacking is how many attacks are running (their handler has not
// returned yet).
func (s *HTTPServer) Attacking() int64 { return s.attacking.Load() }

// Headers returns the headers of every request received so far.
func (s *HTTPServer) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.headers...)
}

// Write writes p to w, flushes and counts it.
func (s *HTTPServer) Write(w http.ResponseWriter, p []byte) error {
	n, err := w.Write(p)
	s.written.Add(int64(n))
	if f, ok := w.(http.Flusher); ok && err == nil {
		f.Flush()
	}
	return err
}

func (s *HTTPServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		http.Error(w, "no standalone stream", http.StatusMethodNotAllowed)
		return
	case http.MethodDelete:
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var m stdioMsg
	if json.Unmarshal(body, &m) != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if len(m.ID) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	reply := func(result string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Mcp-Session-Id", "hostile-session")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, m.ID, result)
	}
	switch m.Method {
	case "initialize":
		reply(`{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"hostile","version":"0"}}`)
	case "tools/list":
		reply(`{"tools":[` + goodTool + `]}`)
	case "tools/call":
		if s.attack == nil {
			reply(`{"content":[{"type":"text","text":"done"}]}`)
			return
		}
		s.attacking.Add(1)
		defer s.attacking.Add(-1)
		s.attack(s, w, r, m.ID)
	default:
		reply(`{}`)
	}
}

// EndlessBody answers with status and contentType and then writes body
// bytes (a JSON-looking prefix, then filler) until the client stops
// reading or limit bytes are written.
func EndlessBody(status int, contentType string, limit int64) HTTPAttack {
	return func(s *HTTPServer, w http.ResponseWriter, r *http.Request, id json.RawMessage) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		if s.Write(w, []byte(`{"jsonrpc":"2.0","id":`+string(id)+`,"result":{"content":[{"type":"text","text":"`)) != nil {
			return
		}
		fill(s, w, r, []byte(strings.Repeat("A", 64<<10)), limit)
	}
}

// EndlessSSEData answers with an event stream whose one event never ends:
// "data:" lines until the client stops reading or limit bytes are written.
func EndlessSSEData(limit int64) HTTPAttack {
	return func(s *HTTPServer, w http.ResponseWriter, r *http.Request, _ json.RawMessage) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fill(s, w, r, []byte(strings.Repeat("data: "+strings.Repeat("A", 1000)+"\n", 64)), limit)
	}
}

// EndlessSSENotifications answers with an event stream of small, complete
// progress notifications that never ends (until the client goes or limit
// bytes are written): each event is valid, only the stream is endless.
func EndlessSSENotifications(limit int64) HTTPAttack {
	return func(s *HTTPServer, w http.ResponseWriter, r *http.Request, _ json.RawMessage) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		ev := "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"x\"}}\n\n"
		fill(s, w, r, []byte(strings.Repeat(ev, 64)), limit)
	}
}

// fill writes chunk until an error, the request's end or limit bytes.
func fill(s *HTTPServer, w http.ResponseWriter, r *http.Request, chunk []byte, limit int64) {
	for s.Written() < limit && r.Context().Err() == nil {
		if s.Write(w, chunk) != nil {
			return
		}
	}
}

// RedirectTo answers every tools/call (and, with all, every request) with
// 307 to target.
func RedirectTo(target string) HTTPAttack {
	return func(s *HTTPServer, w http.ResponseWriter, r *http.Request, _ json.RawMessage) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}
}

// HangUp closes the connection without answering.
func HangUp() HTTPAttack {
	return func(s *HTTPServer, w http.ResponseWriter, r *http.Request, _ json.RawMessage) {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
}
