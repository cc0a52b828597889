package mcpclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// standaloneAnswerServer is a streamable HTTP server at protocol
// 2025-11-25 that answers tools/call on the standalone GET stream instead
// of the call's own stream: it primes the call's stream with an event id
// and a reconnection delay far longer than any test, waits for the
// client's GET stream, sends the result there and ends the call's stream.
// The conformance suite's sse-retry server does this whenever the client's
// GET stream opens after the call.
type standaloneAnswerServer struct {
	get      chan http.ResponseWriter // the open GET stream, handed over once
	answered chan struct{}            // closed once the result went out on it
	once     sync.Once
}

func newStandaloneAnswerServer(t *testing.T) string {
	s := &standaloneAnswerServer{get: make(chan http.ResponseWriter), answered: make(chan struct{})}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

func (s *standaloneAnswerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case s.get <- w: // the POST handler writes the result, then closes answered
			<-s.answered
		case <-r.Context().Done():
			return
		}
		<-r.Context().Done() // keep the stream open, as servers do
		return
	case http.MethodDelete:
		return
	}
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	reply := func(result string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Mcp-Session-Id", "s1")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
	}
	switch req.Method {
	case "initialize":
		reply(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"standalone","version":"1"}}`)
	case "tools/list":
		reply(`{"tools":[{"name":"slow","inputSchema":{"type":"object"}}]}`)
	case "tools/call":
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "id: call-1\nretry: 3600000\ndata: \n\n")
		w.(http.Flusher).Flush()
		select {
		case g := <-s.get:
			fmt.Fprintf(g, "event: message\nid: get-1\ndata: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"on the GET stream\"}]}}\n\n", req.ID)
			g.(http.Flusher).Flush()
			s.once.Do(func() { close(s.answered) })
		case <-r.Context().Done():
		}
	default:
		if len(req.ID) == 0 {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		reply(`{}`)
	}
}

// A result the server sends on the standalone GET stream answers the call
// waiting for it. The spec has servers send results on the call's own
// stream (or a resumption of it), but some send them on whichever stream
// is open; a client that ignored them waited out the server's reconnection
// delay and then resumed a stream that would never carry the result.
func TestResultOnStandaloneStreamAnswersTheCall(t *testing.T) {
	url := newStandaloneAnswerServer(t)
	c := connect(t, mcpclient.Config{Name: "standalone", Transport: &mcpclient.HTTP{URL: url}})
	// The bound only keeps a regression from hanging the run: without the
	// result from the GET stream, the call waits an hour.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, "slow", json.RawMessage(`{}`))
	require.NoError(t, err)
	assert.Equal(t, "on the GET stream", textOf(t, res))
}
