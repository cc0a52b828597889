package bridge

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// TestTransportCheckedBeforeAnythingStarts: a server without a transport,
// or whose transport lacks what it needs, fails New with an error naming
// the server and the field, and no server is connected.
func TestTransportCheckedBeforeAnythingStarts(t *testing.T) {
	var started atomic.Bool
	hooks := &server.Hooks{}
	hooks.AddBeforeInitialize(func(context.Context, any, *mcp.InitializeRequest) { started.Store(true) })
	good := InProcess("good", server.NewMCPServer("s", "1", server.WithHooks(hooks)))
	_, err := New(ctxT(t), []Server{
		good,
		{Config: mcpclient.Config{Name: "none"}},
		Stdio("nocmd", ""),
		HTTP("nourl", ""),
		InProcess("nosrv", nil),
	})
	require.Error(t, err)
	for _, want := range []string{
		`server "none": Config.Transport is nil`,
		`server "nocmd": Stdio.Command is empty`,
		`server "nourl": HTTP.URL is empty`,
		`server "nosrv": InProcess.Server is nil`,
	} {
		assert.ErrorContains(t, err, want)
	}
	assert.False(t, started.Load(), "New connected to a server before checking the others")
}
