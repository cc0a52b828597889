package bridge

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/internal/fakeapi"
	"github.com/mcpbridge/mcpbridge/internal/mcptest"
)

// TestRunFailsWhenAServerCannotStart: the default is to fail, naming the
// server and why; the model must never silently lose a server.
func TestRunFailsWhenAServerCannotStart(t *testing.T) {
	_, client := fakeAPI(t, fakeapi.Script(fakeapi.Text("ok")))
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
