package hostile

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// SSEServer is a legacy HTTP+SSE MCP server on 127.0.0.1: it answers the
// handshake and tools/list over its event stream, and answers tools/call
// by writing "data:" lines of one event that never ends, until the client
// stops reading or limit bytes are written.
type SSEServer struct {
	// URL is the SSE endpoint (ending in /sse).
	URL     string
	srv     *httptest.Server
	limit   int64
	written atomic.Int64
	out     chan string // messages for the stream; "" starts the attack
	gone    chan struct{}
}

// NewSSE starts a hostile SSE server; it is closed when tb ends.
func NewSSE(tb testing.TB, limit int64) *SSEServer {
	tb.Helper()
	s := &SSEServer{limit: limit, out: make(chan string, 16), gone: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sse", s.stream)
	mux.HandleFunc("POST /message", s.message)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/sse"
	tb.Cleanup(func() {
		close(s.gone)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// Written is how many stream bytes the attack managed to write.
func (s *SSEServer) Written() int64 { return s.written.Load() }

func (s *SSEServer) stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	if _, err := io.WriteString(w, "event: endpoint\ndata: /message?sessionId=hostile\n\n"); err != nil {
		return
	}
	flush()
	chunk := strings.Repeat("data: "+strings.Repeat("A", 1000)+"\n", 64)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.gone:
			return
		case msg := <-s.out:
			if msg != "" {
				if _, err := io.WriteString(w, "event: message\ndata: "+msg+"\n\n"); err != nil {
					return
				}
				flush()
				continue
			}
			for s.written.Load() < s.limit && r.Context().Err() == nil {
				n, err := io.WriteString(w, chunk)
				s.written.Add(int64(n))
				if err != nil {
					return
				}
				flush()
			}
		}
	}
}

func (s *SSEServer) message(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var m stdioMsg
	if json.Unmarshal(body, &m) != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	if len(m.ID) == 0 {
		return
	}
	var msg string
	switch m.Method {
	case "initialize":
		msg = `{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":{"protocolVersion":"2024-11-05","capabilities":{"tools":{}},"serverInfo":{"name":"hostile","version":"0"}}}`
	case "tools/list":
		msg = `{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":{"tools":[` + goodTool + `]}}`
	case "tools/call":
		msg = ""
	default:
		msg = `{"jsonrpc":"2.0","id":` + string(m.ID) + `,"result":{}}`
	}
	select {
	case s.out <- msg:
	case <-s.gone:
	}
}

// NewRedirect starts a server that answers every request with 307 to
// target (an absolute URL); it is closed when tb ends. It records the
// headers it received in the returned server's Headers.
func NewRedirect(tb testing.TB, target string) *HTTPServer {
	tb.Helper()
	s := &HTTPServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}))
	s.URL = s.srv.URL + "/mcp"
	tb.Cleanup(s.Close)
	return s
}
