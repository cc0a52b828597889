package bridge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// TestRunFailsWhenAServerCannotStart: the default is to fail, naming the
// server and why; the model must never silently lose a server.
func TestRunFailsWhenAServerCannotStart(t *testing.T) {
	_, client := fakeAPI(t, responsestest.Script(responsestest.Text("ok")))
	bad := Stdio("broken", "/nonexistent/mcp-server-binary")
	good := InProcess("good", mcptest.NewServer())
	_, err := Run(ctxT(t), &client.Responses, params("x"), []Server{bad, good})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"broken"`)
	assert.Equal(t, 1, strings.Count(err.Error(), "broken"), "the server is named once: %v", err)
}

// TestConfigIsCheckedBeforeAnythingStarts: an invalid server name fails New
// without connecting to any server.
func TestConfigIsCheckedBeforeAnythingStarts(t *testing.T) {
	var listed atomic.Bool
	hooks := &server.Hooks{}
	hooks.AddBeforeInitialize(func(context.Context, any, *mcp.InitializeRequest) { listed.Store(true) })
	srv := server.NewMCPServer("s", "1", server.WithHooks(hooks))
	_, err := New(ctxT(t), []Server{InProcess("---", srv)})
	require.Error(t, err)
	assert.False(t, listed.Load(), "New connected to a server it then rejected")
}

// TestTruncatedSurvivesTheBridge: an output cut to the cap says so.
func TestTruncatedSurvivesTheBridge(t *testing.T) {
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithMaxOutputBytes(64))
	out, err := b.Call(ctxT(t), "s__echo", `{"text":"`+strings.Repeat("x", 500)+`"}`)
	require.NoError(t, err)
	assert.Contains(t, out.Text, "truncated")
	assert.True(t, out.Truncated, "Truncated is lost on the way")
}

// TestStartErrorShowsHTTPStatusAndEndpoint: a server that refuses the
// handshake is reported once, with the HTTP status and the endpoint, and
// without the credentials in its URL.
func TestStartErrorShowsHTTPStatusAndEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/mcp?token=sekret"
	_, err := New(ctxT(t), []Server{HTTP("weather", url)})
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	assert.Equal(t, 1, strings.Count(msg, "weather"), "the server is named once")
	assert.Contains(t, msg, "HTTP 401")
	assert.Contains(t, msg, strings.TrimPrefix(srv.URL, "http://")+"/mcp")
	assert.NotContains(t, msg, "hunter2")
	assert.NotContains(t, msg, "sekret")
}

// TestValidationUsesTheOfferedSchema: a call is checked against the schema
// of the tool as offered in its turn, not against a later relist.
func TestValidationUsesTheOfferedSchema(t *testing.T) {
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithValidateArguments())
	offered := b.current.Load()

	// The server's "add" now wants a third argument.
	c := b.conns["s"]
	c.mu.Lock()
	tools := append([]convert.Tool(nil), c.tools...)
	for i := range tools {
		if tools[i].Name == "add" {
			tools[i].InputSchema = json.RawMessage(`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"},"c":{"type":"number"}},"required":["a","b","c"]}`)
		}
	}
	c.tools = tools
	c.mu.Unlock()
	require.NoError(t, b.rebuild(ctxT(t)))

	exec := &turnExec{b: b, ts: offered, run: &b.cfg.run}
	out, err := exec.Execute(ctxT(t), Call{Name: "s__add", Arguments: `{"a":2,"b":3}`})
	require.NoError(t, err, "checked against the schema the model was given")
	assert.Equal(t, "5", out.Text)

	_, err = b.Call(ctxT(t), "s__add", `{"a":2,"b":3}`)
	require.ErrorIs(t, err, ErrInvalidArguments, "the current set has the new schema")
}
