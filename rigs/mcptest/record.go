package mcptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/server"
)

// Request is one HTTP request a [Recorder] received: its headers (Auth is
// the Authorization header), MCP session, JSON-RPC method (the HTTP method
// for a request without one, such as the session's DELETE) and, for
// tools/call, the "text" argument.
type Request struct {
	Header                      http.Header
	Auth, Session, Method, Text string
}

// Recorder serves an MCP server over streamable HTTP (with sessions) and
// records every request, so a test can see which credentials and sessions
// each call went with.
type Recorder struct {
	URL string // the MCP endpoint
	mu  sync.Mutex
	all []Request
}

// NewRecorder serves s at a new [Recorder]; it stops when the test ends.
func NewRecorder(t testing.TB, s *server.MCPServer) *Recorder {
	t.Helper()
	rs := &Recorder{}
	h := server.NewStreamableHTTPServer(s)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Header: r.Header.Clone(), Auth: r.Header.Get("Authorization"), Session: r.Header.Get("Mcp-Session-Id"), Method: r.Method}
		if r.Body != nil {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var msg struct {
				Method string `json:"method"`
				Params struct {
					Arguments struct {
						Text string `json:"text"`
					} `json:"arguments"`
				} `json:"params"`
			}
			if json.Unmarshal(body, &msg) == nil && msg.Method != "" {
				req.Method, req.Text = msg.Method, msg.Params.Arguments.Text
			}
		}
		rs.mu.Lock()
		rs.all = append(rs.all, req)
		rs.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
	})
	rs.URL = ts.URL + "/mcp"
	return rs
}

// Requests returns a copy of the requests received so far, in order.
func (rs *Recorder) Requests() []Request {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]Request(nil), rs.all...)
}
