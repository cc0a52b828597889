package hostile

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TaskServer is a streamable HTTP MCP server (protocol 2025-11-25) whose
// one tool, "job" (execution.taskSupport "required"), runs as a task that
// misbehaves as configured. Set the fields before the first call.
type TaskServer struct {
	// URL is the MCP endpoint (ending in /mcp).
	URL string
	srv *httptest.Server

	// PollInterval is the task's pollInterval as JSON ("0", "1e300",
	// "" to leave it out).
	PollInterval string
	// DoneAfter is how many tasks/get see the task working before it
	// completes; negative means never.
	DoneAfter int
	// Flood is how many notifications/tasks/status each tasks/get's
	// response (an event stream) carries before its result.
	Flood int
	// ResultBytes is the size of the completed task's text, poison
	// included at its start, middle and end.
	ResultBytes int
	// IgnoreCancel holds every tasks/cancel unanswered until the client
	// goes away.
	IgnoreCancel bool

	gets, cancels, results atomic.Int64
}

// NewTaskServer starts a TaskServer; it is closed when tb ends.
func NewTaskServer(tb testing.TB) *TaskServer {
	tb.Helper()
	s := &TaskServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/mcp"
	tb.Cleanup(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// Gets, Cancels and Results count the tasks/get, tasks/cancel and
// tasks/result requests received.
func (s *TaskServer) Gets() int64    { return s.gets.Load() }
func (s *TaskServer) Cancels() int64 { return s.cancels.Load() }
func (s *TaskServer) Results() int64 { return s.results.Load() }

// Poison is what a hostile server puts into text that must be cleaned
// before it reaches the model or a terminal.
const Poison = "\x00\x1b[2J\x1b]0;pwned\x07\u202e\u0085"

func (s *TaskServer) task(status string) string {
	poll := ""
	if s.PollInterval != "" {
		poll = `,"pollInterval":` + s.PollInterval
	}
	return fmt.Sprintf(`{"taskId":"job-1","status":%q,"statusMessage":"poll %d","createdAt":"2026-01-01T00:00:00Z","lastUpdatedAt":"2026-01-01T00:00:00Z","ttl":60000%s}`,
		status, s.gets.Load(), poll)
}

func (s *TaskServer) serve(w http.ResponseWriter, r *http.Request) {
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
		w.Header().Set("Mcp-Session-Id", "hostile-tasks")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, m.ID, result)
	}
	switch m.Method {
	case "initialize":
		reply(`{"protocolVersion":"2025-11-25","capabilities":{"tools":{},"tasks":{"cancel":{},"requests":{"tools":{"call":{}}}}},"serverInfo":{"name":"hostile-tasks","version":"0"}}`)
	case "tools/list":
		reply(`{"tools":[{"name":"job","description":"runs as a task","inputSchema":{"type":"object"},"execution":{"taskSupport":"required"}}]}`)
	case "tools/call":
		if !strings.Contains(string(body), `"task":`) {
			reply(`{"content":[{"type":"text","text":"job needs a task"}],"isError":true}`)
			return
		}
		reply(`{"task":` + s.task("working") + `}`)
	case "tasks/get":
		n := s.gets.Add(1)
		status := "working"
		if s.DoneAfter >= 0 && n > int64(s.DoneAfter) {
			status = "completed"
		}
		if s.Flood == 0 {
			reply(s.task(status))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Mcp-Session-Id", "hostile-tasks")
		note := `event: message` + "\n" + `data: {"jsonrpc":"2.0","method":"notifications/tasks/status","params":` + s.task("working") + "}\n\n"
		var b strings.Builder
		for i := 0; i < s.Flood; i++ {
			b.WriteString(note)
			if b.Len() > 64<<10 {
				if _, err := io.WriteString(w, b.String()); err != nil {
					return
				}
				b.Reset()
			}
		}
		fmt.Fprintf(&b, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}\n\n", m.ID, s.task(status))
		_, _ = io.WriteString(w, b.String())
	case "tasks/result":
		s.results.Add(1)
		text, _ := json.Marshal(bigText(s.ResultBytes))
		reply(`{"content":[{"type":"text","text":` + string(text) + `}]}`)
	case "tasks/cancel":
		s.cancels.Add(1)
		if s.IgnoreCancel {
			<-r.Context().Done()
			return
		}
		reply(s.task("cancelled"))
	default:
		reply(`{}`)
	}
}

// bigText is n bytes of text (at least the poison, three times) with
// Poison at its start, middle and end.
func bigText(n int) string {
	fill := strings.Repeat("R", max(0, (n-3*len(Poison))/2))
	return Poison + fill + Poison + fill + Poison
}
