package bridge

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// toolsServer has a harmless and a destructive tool that both answer.
func toolsServer() *server.MCPServer {
	s := mcptest.NewServer()
	for _, name := range []string{"read", "delete"} {
		s.AddTools(server.ServerTool{
			Tool: mcp.NewTool(name),
			Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText(name + " done"), nil
			},
		})
	}
	return s
}

func TestAutoApproveSkipsTheHook(t *testing.T) {
	picky := InProcess("picky", toolsServer())
	picky.AutoApprove = []string{"read"}
	trusted := InProcess("trusted", toolsServer())
	trusted.AutoApprove = []string{"*"}

	_, client := fakeAPI(t, responsestest.ToolCaller(
		responsestest.FunctionCall{Name: "picky__read"},
		responsestest.FunctionCall{Name: "picky__delete"},
		responsestest.FunctionCall{Name: "trusted__delete"},
	))
	b := newBridge(t, []Server{picky, trusted})
	var (
		mu    sync.Mutex
		asked []string
	)
	res, err := b.Run(ctxT(t), &client.Responses, params("x"),
		WithApproval(func(_ context.Context, c responses.Call) (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, c.Name)
			return false, "nobody is here to approve"
		}))
	require.NoError(t, err)
	calls := res.Turns[0].Calls
	require.Len(t, calls, 3)
	assert.False(t, calls[0].Denied)
	assert.Equal(t, "read done", calls[0].Output.Text)
	assert.True(t, calls[1].Denied, "a tool not in AutoApprove still asks the hook")
	assert.False(t, calls[2].Denied)
	assert.Equal(t, "delete done", calls[2].Output.Text)
	assert.Equal(t, []string{"picky__delete"}, asked, "the hook is asked only about tools nobody auto-approved")
}

// waitingServer's "wait" tool answers only when its call is cancelled.
func waitingServer() *server.MCPServer {
	s := mcptest.NewServer()
	s.AddTools(server.ServerTool{
		Tool: mcp.NewTool("wait"),
		Handler: func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	})
	return s
}

func TestServerCallTimeout(t *testing.T) {
	slow := InProcess("slow", waitingServer())
	slow.CallTimeout = 50 * time.Millisecond
	other := InProcess("other", mcptest.NewServer())
	b := newBridge(t, []Server{slow, other})

	_, err := b.Call(ctxT(t), "slow__wait", `{}`)
	require.Error(t, err)
	assert.ErrorIs(t, err, responses.ErrCallTimeout)
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "a server timeout is not a cancelled run: Resume must not run it again")
	assert.Contains(t, err.Error(), `mcp server "slow": call tool "wait"`)
	assert.Contains(t, err.Error(), "timed out after 50ms (the server's call timeout: Server.CallTimeout", "which limit, and where it is set")

	out, err := b.Call(ctxT(t), "other__echo", `{"text":"fine"}`)
	require.NoError(t, err, "other servers are not bounded by it")
	assert.Equal(t, "fine", out.Text)
}
