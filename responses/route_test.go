package responses_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// routingExec is an Executor that routes "x_<tool>" to server "x", tool
// "<tool>", and answers with the route its call carries.
type routingExec struct {
	mu     sync.Mutex
	routed int
}

func (e *routingExec) Route(c responses.Call) responses.Route {
	e.mu.Lock()
	e.routed++
	e.mu.Unlock()
	if c.Name == "boom" {
		panic("router panicked")
	}
	server, tool, ok := strings.Cut(c.Name, "_")
	if !ok {
		return responses.Route{}
	}
	return responses.Route{Server: server, Tool: tool}
}

func (e *routingExec) Execute(ctx context.Context, c responses.Call) (responses.Output, error) {
	responses.ReportProgress(ctx, responses.Progress{Progress: 1})
	return responses.Output{Text: c.Route.Server + "/" + c.Route.Tool}, nil
}

// routeObserver keeps the route each call span started with.
type routeObserver struct {
	responses.NopObserver
	mu      sync.Mutex
	started map[string]responses.Route
	ended   map[string]responses.Route
}

func (o *routeObserver) StartCall(ctx context.Context, c responses.Call) context.Context {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started[c.CallID] = c.Route
	return ctx
}

func (o *routeObserver) EndCall(_ context.Context, r responses.CallRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended[r.Call.CallID] = r.Call.Route
}

func routedCalls() responsestest.Handler {
	return responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "alpha_echo", Arguments: `{}`, CallID: "c1"},
			responsestest.FunctionCall{Name: "plain", Arguments: `{}`, CallID: "c2"},
			responsestest.FunctionCall{Name: "boom", Arguments: `{}`, CallID: "c3"},
		),
		responsestest.Text("done"))
}

var wantRoutes = map[string]responses.Route{
	"c1": {Server: "alpha", Tool: "echo"},
	"c2": {},
	"c3": {}, // a Router that panics routes nothing; the call still runs
}

// hookRoutes records the route every hook sees, by call id.
type hookRoutes struct {
	before, approve, after map[string]responses.Route
}

func (h *hookRoutes) options(o *routeObserver) responses.Options {
	h.before, h.approve, h.after = map[string]responses.Route{}, map[string]responses.Route{}, map[string]responses.Route{}
	return responses.Options{
		Observer:   o,
		BeforeCall: func(_ context.Context, c responses.Call) { h.before[c.CallID] = c.Route },
		Approve: func(_ context.Context, c responses.Call) (bool, string) {
			h.approve[c.CallID] = c.Route
			return true, ""
		},
		AfterCall: func(_ context.Context, r responses.CallRecord) { h.after[r.Call.CallID] = r.Call.Route },
	}
}

func newRouteObserver() *routeObserver {
	return &routeObserver{started: map[string]responses.Route{}, ended: map[string]responses.Route{}}
}

// TestRunCarriesTheRoute: the executor's Router is asked once per call and
// its answer reaches the hooks, the Observer, the executor and the record.
func TestRunCarriesTheRoute(t *testing.T) {
	_, api := newServer(t, routedCalls())
	exec := &routingExec{}
	obs := newRouteObserver()
	var h hookRoutes
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), h.options(obs))
	require.NoError(t, err)
	for _, m := range []map[string]responses.Route{h.before, h.approve, h.after, obs.started, obs.ended} {
		assert.Equal(t, wantRoutes, m)
	}
	got := map[string]responses.Route{}
	for _, r := range res.Turns[0].Calls {
		got[r.Call.CallID] = r.Call.Route
	}
	assert.Equal(t, wantRoutes, got)
	assert.Equal(t, "alpha/echo", res.Turns[0].Calls[0].Output.Text, "Execute gets the routed call")
	assert.Equal(t, 3, exec.routed, "one Route per call")
}

// TestStreamCarriesTheRoute: a streamed call is routed before its
// EventFunctionCall, and its progress and result events carry the route.
func TestStreamCarriesTheRoute(t *testing.T) {
	_, api := newStreamServer(t, routedCalls())
	obs := newRouteObserver()
	var h hookRoutes
	events, _, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(&routingExec{}), h.options(obs)))
	require.NoError(t, err)
	for _, kind := range []responses.EventKind{responses.EventFunctionCall, responses.EventCallProgress, responses.EventCallDone} {
		got := map[string]responses.Route{}
		for _, ev := range events {
			if ev.Kind == kind {
				got[ev.Call.CallID] = ev.Call.Route
				if kind == responses.EventCallDone {
					assert.Equal(t, ev.Call.Route, ev.Record.Call.Route)
				}
			}
		}
		assert.Equal(t, wantRoutes, got, kind)
	}
	assert.Equal(t, wantRoutes, obs.started)
}

// TestStaticExecutorsRouteNothing: an Executor that is no Router leaves
// every route zero.
func TestStaticExecutorsRouteNothing(t *testing.T) {
	_, api := newServer(t, routedCalls())
	exec := responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
		return responses.Output{Text: "ok"}, nil
	})
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
	require.NoError(t, err)
	for _, r := range res.Turns[0].Calls {
		assert.Zero(t, r.Call.Route)
	}
}
