package responses_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

type spanKey struct{}

// spanObserver records spans as paths ("run/turn1/call:get_weather") the way
// a tracer would nest them through the contexts it returns.
type spanObserver struct {
	mu    sync.Mutex
	ended []string
}

func span(ctx context.Context, name string) context.Context {
	parent, _ := ctx.Value(spanKey{}).(string)
	if parent != "" {
		name = parent + "/" + name
	}
	return context.WithValue(ctx, spanKey{}, name)
}

func (o *spanObserver) end(ctx context.Context) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = append(o.ended, ctx.Value(spanKey{}).(string))
}

func (o *spanObserver) StartRun(ctx context.Context, _ *oai.ResponseNewParams) context.Context {
	return span(ctx, "run")
}
func (o *spanObserver) EndRun(ctx context.Context, _ *responses.Result, _ error) { o.end(ctx) }
func (o *spanObserver) StartTurn(ctx context.Context, n int) context.Context {
	return span(ctx, fmt.Sprintf("turn%d", n))
}
func (o *spanObserver) EndTurn(ctx context.Context, _ int, _ *responses.Turn, _ error) { o.end(ctx) }
func (o *spanObserver) StartCall(ctx context.Context, c responses.Call) context.Context {
	return span(ctx, "call:"+c.Name)
}
func (o *spanObserver) EndCall(ctx context.Context, _ responses.CallRecord) { o.end(ctx) }

// TestObserverSpansNest: the run, turn and call contexts nest, the API
// request runs in the turn's context and the executor in the call's.
func TestObserverSpansNest(t *testing.T) {
	_, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}),
		responsestest.Text("sunny"),
	))
	var execSpan string
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		execSpan, _ = ctx.Value(spanKey{}).(string)
		return responses.Output{Text: "sunny"}, nil
	})
	obs := &spanObserver{}
	_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{Observer: obs})
	require.NoError(t, err)
	assert.Equal(t, "run/turn1/call:get_weather", execSpan)
	assert.Equal(t, []string{"run/turn1/call:get_weather", "run/turn1", "run/turn2", "run"}, obs.ended)
}

// TestObserverSpansNestStream: Stream starts and ends the run span like
// Run, so a tracer's turn and call spans have the run as their parent.
func TestObserverSpansNestStream(t *testing.T) {
	_, api := newStreamServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}),
		responsestest.Text("sunny"),
	))
	var execSpan string
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		execSpan, _ = ctx.Value(spanKey{}).(string)
		return responses.Output{Text: "sunny"}, nil
	})
	obs := &spanObserver{}
	_, _, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{Observer: obs}))
	require.NoError(t, err)
	assert.Equal(t, "run/turn1/call:get_weather", execSpan)
	assert.Equal(t, []string{"run/turn1/call:get_weather", "run/turn1", "run/turn2", "run"}, obs.ended)
}
