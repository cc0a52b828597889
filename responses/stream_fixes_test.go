package responses_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// TestStreamRunsNamespacedCallsOnce: a call the model makes to a function
// of a namespace starts while streaming and is the call of the completed
// response; it must not be started a second time.
func TestStreamRunsNamespacedCallsOnce(t *testing.T) {
	m := &responsestest.SearchModel{Arguments: `{"title":"flaky"}`}
	_, api := newStreamServer(t, m.Handler())
	var mu sync.Mutex
	var got []responses.Call
	exec := responses.ExecutorFunc(func(_ context.Context, call responses.Call) (responses.Output, error) {
		mu.Lock()
		got = append(got, call)
		mu.Unlock()
		return responses.Output{Text: "issue #7"}, nil
	})
	var queries []string
	events, res, err := collect(responses.Stream(testCtx(t), api, searchParams(true), responses.Static(exec), responses.Options{ToolSearch: searcher(true, &queries)}))
	require.NoError(t, err)
	require.Len(t, got, 1, "the namespaced call runs once")
	assert.Equal(t, "github", got[0].Namespace)
	assert.Contains(t, res.OutputText, "issue #7")
	var calls []responses.Call
	for _, ev := range events {
		if ev.Kind == responses.EventFunctionCall {
			calls = append(calls, ev.Call)
		}
	}
	require.Len(t, calls, 1)
	assert.Equal(t, "github", calls[0].Namespace)
}

// TestStreamDoesNotRunMalformedCalls: a function_call whose arguments are
// not a JSON-encoded string is answered with an error, never run, as under
// Run; streaming must not run it early with empty arguments.
func TestStreamDoesNotRunMalformedCalls(t *testing.T) {
	reply := responsestest.Text("").WithItem(map[string]any{"type": "function_call", "id": "fc_1", "name": "get_weather", "arguments": map[string]any{"city": "Oslo"}, "call_id": "call_1", "status": "completed"})
	_, api := newStreamServer(t, responsestest.Script(reply, responsestest.Text("done")))
	ran := 0
	exec := responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
		ran++
		return responses.Output{Text: "ran"}, nil
	})
	_, res, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{}))
	require.NoError(t, err)
	assert.Zero(t, ran, "a malformed call never reaches the executor")
	require.Len(t, res.Turns[0].Calls, 1)
	assert.ErrorIs(t, res.Turns[0].Calls[0].Err, responses.ErrMalformedCall)
}

// TestStreamLateProgressKeepsItsTurn: an executor abandoned at its call
// timeout that reports progress while the next turn streams reports it
// for its own turn.
func TestStreamLateProgressKeepsItsTurn(t *testing.T) {
	release := make(chan struct{})
	seen := make(chan struct{})
	h := func(req *responsestest.Request) responsestest.Reply {
		if req.Index == 0 {
			return responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{}`})
		}
		close(release) // turn 2 is streaming
		return responsestest.Text("done").WithWait(0, seen)
	}
	_, api := newStreamServer(t, h)
	returned := make(chan struct{})
	exec := responses.ExecutorFunc(func(ctx context.Context, _ responses.Call) (responses.Output, error) {
		defer close(returned)
		<-release // ignores ctx: abandoned at the timeout
		responses.ReportProgress(ctx, responses.Progress{Progress: 1})
		return responses.Output{Text: "late"}, nil
	})
	var progress []responses.Event
	for ev, err := range responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{CallTimeout: time.Millisecond}) {
		if ev.Kind == responses.EventCallProgress {
			progress = append(progress, ev)
			close(seen)
		}
		if ev.Kind == responses.EventRunDone {
			require.NoError(t, err)
		}
	}
	<-returned
	require.Len(t, progress, 1)
	assert.Equal(t, 1, progress[0].Turn, "the progress of a turn-1 call")
}
