package bridgeotel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgeotel"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// TestCallSpansNameTheServerTheCallWentTo: a call span names the server
// and MCP tool the call was routed to, for namespaced calls too and with
// unprefixed names, where the function name alone names another server's
// tool ("echo" is alpha's, beta's echo is called as (beta, echo)).
func TestCallSpansNameTheServerTheCallWentTo(t *testing.T) {
	for name, opts := range map[string][]bridge.Option{
		"prefixed":   {bridge.WithNamespaces()},
		"unprefixed": {bridge.WithNamespaces(), bridge.WithNames(func(_, tool string) string { return tool })},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			tp, rec := newRecorder(t)
			fake := responsestest.New(responsestest.Script(
				responsestest.Reply{Output: []map[string]any{
					{"type": "function_call", "namespace": "beta", "name": "echo", "arguments": `{"text":"b"}`, "call_id": "call_b", "status": "completed"},
					{"type": "function_call", "namespace": "alpha", "name": "add", "arguments": `{"a":1,"b":2}`, "call_id": "call_a", "status": "completed"},
				}},
				responsestest.Text("done"),
			))
			defer fake.Close()
			client := fake.Client()
			b, err := bridge.New(ctx, []bridge.Server{
				bridge.InProcess("alpha", mcptest.NewServer()), bridge.InProcess("beta", mcptest.NewServer()),
			}, opts...)
			require.NoError(t, err)
			defer b.Close()

			_, err = b.Run(ctx, &client.Responses, params(), bridge.WithObserver(bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))))
			require.NoError(t, err)
			got := map[string][2]any{}
			for _, s := range rec.Ended() {
				a := attrs(s)
				if id, ok := a["gen_ai.tool.call.id"].(string); ok {
					got[id] = [2]any{a["mcp.server.name"], a["mcp.tool.name"]}
				}
			}
			assert.Equal(t, map[string][2]any{"call_b": {"beta", "echo"}, "call_a": {"alpha", "add"}}, got)
		})
	}
}
