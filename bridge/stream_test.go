package bridge

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// drain ranges over a bridge stream to its end.
func drain(t *testing.T, seq func(func(Event, error) bool)) ([]Event, *Result, error) {
	t.Helper()
	var events []Event
	var res *Result
	var err error
	for ev, e := range seq {
		events = append(events, ev)
		if ev.Kind == EventRunDone {
			res, err = ev.Result, e
		} else {
			require.NoError(t, e, "only run_done carries an error")
		}
	}
	require.NotNil(t, res, "the last event is run_done")
	require.Equal(t, EventRunDone, events[len(events)-1].Kind)
	return events, res, err
}

func ofKind(events []Event, k responses.EventKind) []Event {
	var out []Event
	for _, ev := range events {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// TestStreamNamesServerAndTool: call events carry the server and MCP tool
// of the function, progress arrives as events and still reaches
// WithProgress, and the last event has the bridge's Result.
func TestStreamNamesServerAndTool(t *testing.T) {
	model := responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "s__progress", Arguments: `{"steps":3,"ms":1}`},
			responsestest.FunctionCall{Name: "s__echo", Arguments: `{"text":"hi"}`},
			responsestest.FunctionCall{Name: "nowhere__tool", Arguments: `{}`},
		),
		responsestest.Text("all done"),
	)
	_, client := fakeAPI(t, model)
	var mu sync.Mutex
	hooked := 0
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer()), Stdio("broken", "/nonexistent/server")},
		WithSkipFailedServers())
	events, res, err := drain(t, b.Stream(ctxT(t), &client.Responses, params("x"),
		WithProgress(func(server, tool string, _ mcp.ProgressNotificationParams) {
			mu.Lock()
			defer mu.Unlock()
			if server == "s" && tool == "progress" {
				hooked++
			}
		})))
	require.NoError(t, err)
	assert.Equal(t, "all done", res.OutputText)
	assert.Equal(t, 2, res.Iterations)
	require.Len(t, b.MissingServers(), 1)
	assert.Equal(t, "broken", b.MissingServers()[0].Server)

	calls := ofKind(events, EventFunctionCall)
	require.Len(t, calls, 3)
	route := map[string][2]string{}
	for _, ev := range calls {
		route[ev.Call.Name] = eventRoute(ev)
	}
	assert.Equal(t, [2]string{"s", "progress"}, route["s__progress"])
	assert.Equal(t, [2]string{"s", "echo"}, route["s__echo"])
	assert.Equal(t, [2]string{"", ""}, route["nowhere__tool"], "an unknown function routes nowhere")
	for _, ev := range ofKind(events, EventCallDone) {
		assert.Equal(t, route[ev.Call.Name], eventRoute(ev))
	}
	progress := ofKind(events, EventCallProgress)
	require.NotEmpty(t, progress, "MCP progress becomes call_progress events")
	for _, ev := range progress {
		assert.Equal(t, "s", ev.Call.Route.Server)
		assert.Equal(t, "progress", ev.Call.Route.Tool)
		assert.Equal(t, 1, ev.Turn)
		assert.LessOrEqual(t, ev.Progress.Progress, float64(3))
	}
	mu.Lock()
	assert.Equal(t, 3, hooked, "WithProgress gets every notification")
	mu.Unlock()
}

// TestStreamStoreFalse: a store:false run streams through the bridge and
// resends the history on every turn.
func TestStreamStoreFalse(t *testing.T) {
	model := responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "s__echo", Arguments: `{"text":"kept"}`}),
		responsestest.Text("answer"),
	)
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	p := params("x")
	p.Store = openai.Bool(false)
	events, res, err := drain(t, b.Stream(ctxT(t), &client.Responses, p))
	require.NoError(t, err)
	assert.Equal(t, "answer", res.OutputText)
	assert.NotEmpty(t, ofKind(events, EventTextDelta))
	reqs := api.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, []string{"message", "function_call", "function_call_output"}, reqs[1].ItemTypes())
	assert.Empty(t, reqs[1].PreviousResponseID)
	assert.Equal(t, "kept", reqs[1].FunctionOutputs()[res.Turns[0].Calls[0].Call.CallID])
	for _, r := range reqs {
		require.NoError(t, r.ValidationErr)
	}
}

// TestResumeStreamAfterStream: a streamed run that stops on an API error
// keeps the outputs it could not deliver; ResumeStream delivers them
// without running the tools again.
func TestResumeStreamAfterStream(t *testing.T) {
	model := responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "s__echo", Arguments: `{"text":"once"}`}).WithID("resp_1"),
		responsestest.APIError(400, "bad_request", "try again"),
		responsestest.Text("resumed"),
	)
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	calls := 0
	count := WithBeforeCall(func(context.Context, Call) { calls++ })
	_, res, err := drain(t, b.Stream(ctxT(t), &client.Responses, params("x"), count))
	require.Error(t, err)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Len(t, res.Pending, 1)

	events, res2, err := drain(t, b.ResumeStream(ctxT(t), &client.Responses, params("x"), res.ResumePoint(), count))
	require.NoError(t, err)
	assert.Equal(t, "resumed", res2.OutputText)
	assert.Empty(t, ofKind(events, EventFunctionCall))
	assert.Equal(t, 1, calls, "the tool ran once")
	reqs := api.Requests()
	last := reqs[len(reqs)-1]
	assert.Equal(t, "resp_1", last.PreviousResponseID)
	assert.Equal(t, "once", last.FunctionOutputs()[res.Pending[0].Call.CallID])
}

// TestStreamOnClosedBridge: a stream of a closed Bridge ends at once with
// ErrClosed and a non-nil Result.
func TestStreamOnClosedBridge(t *testing.T) {
	_, client := fakeAPI(t, responsestest.Echo())
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	require.NoError(t, b.Close())
	events, res, err := drain(t, b.Stream(ctxT(t), &client.Responses, params("x")))
	require.ErrorIs(t, err, ErrClosed)
	assert.Len(t, events, 1)
	assert.NotNil(t, res)
}

// TestStreamBreakStopsEverything: breaking out of the one-shot Stream's
// loop while a call runs cancels it and kills the stdio server before the
// range statement returns (TestMain checks for leaked goroutines).
func TestStreamBreakStopsEverything(t *testing.T) {
	pidfile := t.TempDir() + "/pid"
	_, client := fakeAPI(t, responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__sleep", Arguments: `{"ms":60000}`}))
	sawCall := false
	for ev, err := range Stream(ctxT(t), &client.Responses, params("x"), []Server{stdioServer(t, "s", "-pidfile", pidfile)}) {
		require.NoError(t, err)
		if ev.Kind == EventFunctionCall {
			assert.Equal(t, "s", ev.Call.Route.Server)
			assert.Equal(t, "sleep", ev.Call.Route.Tool)
			sawCall = true
			break
		}
	}
	require.True(t, sawCall)
	raw, err := os.ReadFile(pidfile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err)
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "stdio server %d still alive", pid)
}

// TestOneShotStream: the one-shot Stream runs to the end and reports a
// failed New on its only event.
func TestOneShotStream(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "s__add", Arguments: `{"a":2,"b":3}`}}}
	_, client := fakeAPI(t, model.Handler())
	_, res, err := drain(t, Stream(ctxT(t), &client.Responses, params("x"), []Server{InProcess("s", mcptest.NewServer())}))
	require.NoError(t, err)
	assert.Contains(t, res.OutputText, "5")

	events, res, err := drain(t, Stream(ctxT(t), &client.Responses, params("x"), []Server{Stdio("broken", "/nonexistent/server")}))
	var se *startError
	require.ErrorAs(t, err, &se)
	assert.Len(t, events, 1)
	assert.NotNil(t, res)
}

// TestCloseEndsStreamInFlight: Close, even from the consumer's loop, ends
// a stream in flight with ErrClosed; a call interrupted after its response
// completed stays pending for Resume.
func TestCloseEndsStreamInFlight(t *testing.T) {
	_, client := fakeAPI(t, responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__sleep", Arguments: `{"ms":60000}`}))
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	var res *Result
	var runErr error
	for ev, err := range b.Stream(ctxT(t), &client.Responses, params("x")) {
		switch ev.Kind {
		case EventTurnDone: // the sleep runs on
			require.NoError(t, b.Close())
		case EventRunDone:
			res, runErr = ev.Result, err
		}
	}
	require.ErrorIs(t, runErr, ErrClosed)
	require.NotNil(t, res)
	require.Len(t, res.Pending, 1)
	assert.Equal(t, "s__sleep", res.Pending[0].Call.Name)
	assert.ErrorIs(t, res.Pending[0].Err, context.Canceled, "marked to run again on Resume")
}

// TestResumeStreamRerunsInterruptedCalls: a call a cancel interrupted
// after its response completed runs again on ResumeStream, before the
// first request (turn 0), and its event still names its server and tool.
func TestResumeStreamRerunsInterruptedCalls(t *testing.T) {
	open := make(chan struct{})
	srv := server.NewMCPServer("gate", "1.0.0", server.WithToolCapabilities(true))
	srv.AddTool(mcp.NewTool("wait"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		select {
		case <-open:
			return mcp.NewToolResultText("opened"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	api, client := fakeAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "g__wait", Arguments: `{}`}).WithID("resp_1"),
		responsestest.Text("after the gate"),
	))
	b := newBridge(t, []Server{InProcess("g", srv)})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var res *Result
	for ev, err := range b.Stream(ctx, &client.Responses, params("x")) {
		switch ev.Kind {
		case EventTurnDone:
			cancel()
		case EventRunDone:
			require.ErrorIs(t, err, context.Canceled)
			res = ev.Result
		}
	}
	require.Len(t, res.Pending, 1)
	close(open)

	events, res2, err := drain(t, b.ResumeStream(ctxT(t), &client.Responses, params("x"), res.ResumePoint()))
	require.NoError(t, err)
	assert.Equal(t, "after the gate", res2.OutputText)
	done := ofKind(events, EventCallDone)
	require.Len(t, done, 1)
	assert.Equal(t, 0, done[0].Turn)
	assert.Equal(t, [2]string{"g", "wait"}, [2]string{done[0].Call.Route.Server, done[0].Call.Route.Tool})
	assert.Equal(t, "opened", done[0].Record.Output.Text)
	reqs := api.Requests()
	assert.Equal(t, "opened", reqs[len(reqs)-1].FunctionOutputs()[res.Pending[0].Call.CallID])
}
