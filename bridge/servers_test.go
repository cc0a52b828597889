package bridge

// Servers coming and going: failed starts, connect timeouts, tool list
// changes, crashes and cancellation.

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestFailedServerIsLeftOut(t *testing.T) {
	bad := Stdio("broken", "/nonexistent/mcp-server-binary")
	good := InProcess("good", mcptest.NewServer())

	b := newBridge(t, []Server{bad, good}, WithSkipFailedServers())
	assert.Equal(t, []string{"good"}, b.order)
	require.Len(t, b.MissingServers(), 1)
	assert.Equal(t, "broken", b.MissingServers()[0].Server)
	var found bool
	for _, d := range b.Diagnostics() {
		if d.Server == "broken" && d.Dropped {
			found = true
		}
	}
	assert.True(t, found, "the left-out server is in Diagnostics")

	// The model asking for a tool of the missing server learns why.
	_, err := b.Call(ctxT(t), "broken__anything", `{}`)
	require.ErrorIs(t, err, ErrUnknownFunction)
	assert.Contains(t, err.Error(), "not connected: broken")

	// By default a failed server fails New.
	_, err = New(ctxT(t), []Server{bad, good})
	require.Error(t, err)
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "broken", se.Server)
	var start *startError
	require.ErrorAs(t, err, &start)
	assert.Len(t, start.failed, 1)
	assert.NotErrorIs(t, err, ErrNoServers)

	_, err = New(ctxT(t), []Server{bad}, WithSkipFailedServers())
	require.ErrorIs(t, err, ErrNoServers)

	_, err = New(ctxT(t), []Server{good, InProcess("good", mcptest.NewServer())})
	require.ErrorContains(t, err, `"good" used twice`)
}

// TestConnectTimeout: a server that never answers the handshake is left
// out after the connect timeout instead of holding New forever (the
// context here has no deadline), and its process is gone.
func TestConnectTimeout(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	mute := stdioServer(t, "mute", "-mode", "mute", "-pidfile", pidfile)
	good := InProcess("good", mcptest.NewServer())
	type result struct {
		b   *Bridge
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := New(context.Background(), []Server{mute, good}, WithConnectTimeout(200*time.Millisecond), WithSkipFailedServers())
		done <- result{b, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("New is still waiting for a server that never answers")
	}
	require.NoError(t, r.err)
	t.Cleanup(func() { _ = r.b.Close() })
	assert.Equal(t, []string{"good"}, r.b.order)
	require.Len(t, r.b.MissingServers(), 1)
	missing := r.b.MissingServers()[0]
	assert.Equal(t, "mute", missing.Server)
	assert.ErrorIs(t, missing, context.DeadlineExceeded)
	raw, err := os.ReadFile(pidfile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(raw))
	require.NoError(t, err)
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the mute server's process outlived New")
}

// TestToolListChanged has the model add a tool in turn one and call it as
// soon as it is offered: the bridge must relist after the server's
// list_changed and route the new name. The notification and the add_tool
// result travel apart, so the model (like a real one) waits for the tool
// to appear in a request, calling echo meanwhile, for at most four turns.
func TestToolListChanged(t *testing.T) {
	offers := func(req *responsestest.Request, name string) bool {
		for _, tool := range req.Tools {
			if tool["name"] == name {
				return true
			}
		}
		return false
	}
	for _, kind := range []string{"inprocess", "stdio"} {
		t.Run(kind, func(t *testing.T) {
			var called atomic.Bool
			model := func(req *responsestest.Request) responsestest.Reply {
				switch {
				case req.Index == 0:
					return responsestest.Calls(responsestest.FunctionCall{Name: "s__add_tool", Arguments: `{"name":"late_tool"}`})
				case called.Load() || req.Index > 4:
					return responsestest.Text("done")
				case offers(req, "s__late_tool"):
					called.Store(true)
					return responsestest.Calls(responsestest.FunctionCall{Name: "s__late_tool", Arguments: `{"text":"hello"}`})
				default:
					time.Sleep(20 * time.Millisecond) // a model takes a while
					return responsestest.Calls(responsestest.FunctionCall{Name: "s__echo", Arguments: `{"text":"waiting"}`})
				}
			}
			api, client := fakeAPI(t, model)
			srv := InProcess("s", mcptest.NewServer())
			if kind == "stdio" {
				srv = stdioServer(t, "s")
			}
			b := newBridge(t, []Server{srv})
			res, err := b.Run(ctxT(t), &client.Responses, params("x"))
			require.NoError(t, err)
			require.True(t, called.Load(), "late_tool was never offered in %d requests", len(api.Requests()))
			last := res.Turns[len(res.Turns)-2].Calls[0]
			require.Equal(t, "s__late_tool", last.Call.Name)
			require.NoError(t, last.Err)
			assert.Contains(t, last.Output.Text, "hello")
			assert.False(t, offers(api.Requests()[0], "s__late_tool"))
		})
	}
}

// TestOnlyOfferedToolsCanBeCalled: the model can call only the tools in
// the set it was given. A tool a server adds without telling anyone is not
// callable in the run that did not offer it, even though the server has
// it; after Refresh the next run offers it and the call goes through.
func TestOnlyOfferedToolsCanBeCalled(t *testing.T) {
	srv := server.NewMCPServer("quiet", "1", server.WithToolCapabilities(false))
	echo := func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("called " + req.Params.Name), nil
	}
	srv.AddTool(mcp.NewTool("first"), echo)
	b := newBridge(t, []Server{InProcess("q", srv)})
	srv.AddTool(mcp.NewTool("second"), echo) // no list_changed: tools capability without listChanged

	model := func() responsestest.Handler {
		return responsestest.Script(
			responsestest.Calls(responsestest.FunctionCall{Name: "q__second", Arguments: `{}`, CallID: "c"}),
			responsestest.Text("done"),
		)
	}
	api, client := fakeAPI(t, model())
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	call := res.Turns[0].Calls[0]
	require.ErrorIs(t, call.Err, ErrUnknownFunction)
	assert.True(t, call.Output.IsError)
	assert.Contains(t, api.Requests()[1].FunctionOutputs()["c"], "q__second")

	require.NoError(t, b.refresh(ctxT(t), false))
	_, client = fakeAPI(t, model())
	res, err = b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	call = res.Turns[0].Calls[0]
	require.NoError(t, call.Err)
	assert.Equal(t, "called second", call.Output.Text)
}

func TestStdioCrashOnlyAffectsItsServer(t *testing.T) {
	model := responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "crashy__exit", Arguments: `{"code":3,"message":"boom"}`},
			responsestest.FunctionCall{Name: "steady__echo", Arguments: `{"text":"unaffected"}`},
		),
		responsestest.Calls(responsestest.FunctionCall{Name: "crashy__echo", Arguments: `{"text":"back again"}`}),
		responsestest.Text("done"),
	)
	_, client := fakeAPI(t, model)
	b := newBridge(t, []Server{stdioServer(t, "crashy"), InProcess("steady", mcptest.NewServer())})
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	first := res.Turns[0].Calls
	require.Error(t, first[0].Err)
	assert.ErrorIs(t, first[0].Err, mcpclient.ErrProcessExited)
	assert.Contains(t, first[0].Output.Text, "crashy")
	assert.Equal(t, "unaffected", first[1].Output.Text)
	again := res.Turns[1].Calls[0]
	require.NoError(t, again.Err, "the server is restarted for later calls")
	assert.Equal(t, "back again", again.Output.Text)
}

func TestCancelKillsStdioServers(t *testing.T) {
	dir := t.TempDir()
	pidfile := dir + "/pid"
	started := make(chan struct{})
	model := responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__sleep", Arguments: `{"ms":60000}`})
	_, client := fakeAPI(t, model)
	ctx, cancel := context.WithCancel(ctxT(t))
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, &client.Responses, params("x"),
			[]Server{stdioServer(t, "s", "-pidfile", pidfile)},
			WithBeforeCall(func(context.Context, responses.Call) { once.Do(func() { close(started) }) }))
		done <- err
	}()
	<-started
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	raw, err := os.ReadFile(pidfile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	// Run has returned: the process must already be gone (reaped).
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "stdio server %d still alive", pid)
}
