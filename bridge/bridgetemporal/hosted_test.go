package bridgetemporal_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// A durable run answers the API's approval requests for a hosted server
// through its durable approvals, like the bridge's own calls, and denies
// one for a server the worker does not have without asking.
func TestHostedApprovalsAreDurableWaits(t *testing.T) {
	s := &shop{}
	docs := bridge.HTTP("docs", "https://docs.example/mcp")
	docs.Hosted = true
	b2, err := bridge.New(t.Context(), []bridge.Server{bridge.InProcess("shop", s.server()), docs})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b2.Close() })
	model := &responsestest.HostedModel{
		Servers: []responsestest.HostedServer{
			{Label: "docs", Tools: []responsestest.HostedTool{{Name: "publish", Run: func(string) (string, error) { return "published", nil }}}},
			{Label: "evil", Tools: []responsestest.HostedTool{{Name: "exfiltrate"}}},
		},
		Calls: []responsestest.MCPCall{{Server: "docs", Name: "publish", Arguments: `{"id":7}`}},
	}
	e := envWith(t, model.Handler(), bridgetemporal.WorkerOptions{}, s, b2)
	var pending []bridgetemporal.PendingCall
	e.RegisterDelayedCallback(func() {
		v, err := e.QueryWorkflow(bridgetemporal.QueryPending)
		require.NoError(t, err)
		require.NoError(t, v.Get(&pending))
		for _, p := range pending {
			e.UpdateWorkflow(bridgetemporal.UpdateDecide, "d-"+p.CallID, &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			}, bridgetemporal.Decision{CallID: p.CallID, Approve: true})
		}
	}, time.Hour)
	out := e.run(t, bridgetemporal.RunOptions{RequireApproval: true})
	require.Len(t, pending, 1)
	assert.Equal(t, "docs", pending[0].Server)
	assert.Equal(t, "publish", pending[0].Tool)
	assert.Contains(t, out.OutputText, `docs/publish({"id":7}) -> published`)
	reqs := e.api.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, []string{"mcp_approval_response"}, reqs[1].ItemTypes())
}
