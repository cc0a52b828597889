package bridge

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Where a call goes is decided once, by the tool set of the turn the model
// called from, and carried with the call: hooks, records, stream events and
// traces name the server and MCP tool that ran it, never a guess made again
// from the function name.

// namespacedCalls is a response calling beta's echo by (namespace, name),
// alpha's echo by its flat name and a function nobody offers.
func namespacedCalls() responsestest.Reply {
	return responsestest.Reply{Output: []map[string]any{
		{"type": "function_call", "namespace": "beta", "name": "echo", "arguments": `{"text":"b"}`, "call_id": "call_b", "status": "completed"},
		{"type": "function_call", "namespace": "alpha", "name": "echo", "arguments": `{"text":"a"}`, "call_id": "call_a", "status": "completed"},
		{"type": "function_call", "namespace": "beta", "name": "nope", "arguments": `{}`, "call_id": "call_x", "status": "completed"},
	}}
}

// routeOpts are the option sets under which a namespaced call used to be
// reported as another server's (WithoutPrefix: beta's echo as alpha's
// "echo") or as nobody's.
func routeOpts() map[string][]Option {
	return map[string][]Option{
		"prefixed":   {WithNamespaces()},
		"unprefixed": {WithNamespaces(), withoutPrefix()},
	}
}

func TestRunCarriesTheRouteOfNamespacedCalls(t *testing.T) {
	for name, opts := range routeOpts() {
		t.Run(name, func(t *testing.T) {
			api, client := fakeAPI(t, responsestest.Script(namespacedCalls(), responsestest.Text("done")))
			servers := twoServers()
			servers[1].AutoApprove = []string{"echo"} // beta's echo only
			b := newBridge(t, servers, opts...)
			var mu sync.Mutex
			asked := map[string]bool{}
			res, err := b.Run(ctxT(t), &client.Responses, params("x"),
				WithApproval(func(_ context.Context, c Call) (bool, string) {
					mu.Lock()
					defer mu.Unlock()
					asked[c.CallID] = true
					return c.CallID != "call_a", "alpha's echo needs a person"
				}))
			require.NoError(t, err)
			requireValid(t, api)
			calls := res.Turns[0].Calls
			require.Len(t, calls, 3)
			assert.False(t, asked["call_b"], "beta auto-approves its echo")
			assert.True(t, asked["call_a"], "alpha does not auto-approve its echo")
			assert.Equal(t, "b", calls[0].Output.Text)
			assert.True(t, calls[1].Denied)
			assert.ErrorIs(t, calls[2].Err, ErrUnknownFunction)
			assertRoutes(t, map[string][2]string{"call_b": {"beta", "echo"}, "call_a": {"alpha", "echo"}, "call_x": {}}, callRoutes(calls))
		})
	}
}

func TestStreamCarriesTheRouteOfNamespacedCalls(t *testing.T) {
	for name, opts := range routeOpts() {
		t.Run(name, func(t *testing.T) {
			_, client := fakeAPI(t, responsestest.Script(namespacedCalls(), responsestest.Text("done")))
			b := newBridge(t, twoServers(), opts...)
			events, _, err := drain(t, b.Stream(ctxT(t), &client.Responses, params("x")))
			require.NoError(t, err)
			want := map[string][2]string{"call_b": {"beta", "echo"}, "call_a": {"alpha", "echo"}, "call_x": {}}
			for _, kind := range []responses.EventKind{EventFunctionCall, EventCallDone} {
				got := map[string][2]string{}
				for _, ev := range ofKind(events, kind) {
					got[ev.Call.CallID] = eventRoute(ev)
				}
				assertRoutes(t, want, got)
			}
		})
	}
}

// A deferred top-level function loaded by the API's own tool search comes
// back with namespace set to its own name.
func TestHostedSearchOfAFlatFunctionRoutesToIt(t *testing.T) {
	model := responsestest.Script(
		responsestest.Reply{Output: []map[string]any{
			{"type": "tool_search_call", "execution": "server", "arguments": map[string]any{"query": "add"}, "status": "completed"},
			{"type": "tool_search_output", "execution": "server", "status": "completed", "tools": []any{map[string]any{
				"type": "function", "name": "alpha__add", "strict": false, "defer_loading": true,
				"parameters": map[string]any{"type": "object", "properties": map[string]any{}}}}},
			{"type": "function_call", "namespace": "alpha__add", "name": "alpha__add", "arguments": `{"a":1,"b":2}`, "call_id": "call_add", "status": "completed"},
		}},
		responsestest.Text("done"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, twoServers(), WithToolSearch(ToolSearchHosted))
	events, res, err := drain(t, b.Stream(ctxT(t), &client.Responses, params("x")))
	require.NoError(t, err)
	requireValid(t, api)
	c := res.Turns[0].Calls[0]
	require.NoError(t, c.Err)
	assert.Equal(t, "3", c.Output.Text)
	assertRoutes(t, map[string][2]string{"call_add": {"alpha", "add"}}, callRoutes(res.Turns[0].Calls))
	for _, ev := range ofKind(events, EventCallDone) {
		assert.Equal(t, [2]string{"alpha", "add"}, eventRoute(ev))
	}
}

func callRoutes(recs []CallRecord) map[string][2]string {
	out := map[string][2]string{}
	for _, r := range recs {
		out[r.Call.CallID] = recordRoute(r)
	}
	return out
}

func assertRoutes(t *testing.T, want, got map[string][2]string) {
	t.Helper()
	assert.Equal(t, want, got, "call id -> (server, tool)")
}

func eventRoute(ev Event) [2]string { return [2]string{ev.Call.Route.Server, ev.Call.Route.Tool} }

func recordRoute(r CallRecord) [2]string { return [2]string{r.Call.Route.Server, r.Call.Route.Tool} }

// TestHostedSearchOnTheFake: the fake plays the API's hosted search over
// the bridge's deferred tools; the call it makes (flat: namespace set to the
// function's name; namespaced: by namespace) reaches alpha's add in Run,
// in Stream and in a store: false run, and carries that route.
func TestHostedSearchOnTheFake(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		pick string
	}{
		{"flat", nil, "alpha__add"},
		{"namespaced", []Option{WithNamespaces()}, "add"},
	} {
		for _, streamed := range []bool{false, true} {
			for _, store := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/stream=%t/store=%t", tc.name, streamed, store), func(t *testing.T) {
					model := &responsestest.SearchModel{Query: func(string) string { return "add numbers" },
						Pick: pick(tc.pick), Arguments: `{"a":2,"b":3}`}
					api, client := fakeAPI(t, model.Handler())
					servers := twoServers()
					servers[1].AlwaysLoad = []string{"*"}
					b := newBridge(t, servers, append(tc.opts, WithToolSearch(ToolSearchHosted))...)
					p := params("x")
					p.Store = openai.Bool(store)
					var res *Result
					var err error
					if streamed {
						_, res, err = drain(t, b.Stream(ctxT(t), &client.Responses, p))
					} else {
						res, err = b.Run(ctxT(t), &client.Responses, p)
					}
					require.NoError(t, err)
					requireValid(t, api)
					require.Len(t, res.Turns, 2)
					c := res.Turns[0].Calls[0]
					require.NoError(t, c.Err)
					assert.Equal(t, "5", c.Output.Text)
					assert.Equal(t, [2]string{"alpha", "add"}, recordRoute(c))
				})
			}
		}
	}
}
