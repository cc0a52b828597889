package responses_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// hostedExec runs the private get_weather function and routes the hosted
// calls of the servers it knows.
type hostedExec struct {
	known map[string]bool // hosted server labels this "tool source" offers
	pre   bool            // preapprove every hosted call
}

func (e hostedExec) Execute(_ context.Context, c responses.Call) (responses.Output, error) {
	if c.Hosted != "" {
		return responses.Output{}, fmt.Errorf("hosted call %s executed", c.Name)
	}
	return responses.Output{Text: "sunny"}, nil
}

func (e hostedExec) Route(c responses.Call) responses.Route {
	if c.Hosted != "" {
		if !e.known[c.Hosted] {
			return responses.Route{}
		}
		return responses.Route{Server: c.Hosted, Tool: c.Name}
	}
	return responses.Route{Server: "private", Tool: c.Name}
}

func (e hostedExec) Preapproved(c responses.Call) bool { return e.pre && c.Hosted != "" }

func docsModel() *responsestest.HostedModel {
	return &responsestest.HostedModel{
		Servers: []responsestest.HostedServer{{Label: "docs", Tools: []responsestest.HostedTool{
			{Name: "search", ReadOnly: true, Run: func(a string) (string, error) { return "found " + a, nil }},
			{Name: "publish", Run: func(string) (string, error) { return "published", nil }},
		}}},
		Calls:     []responsestest.MCPCall{{Server: "docs", Name: "search", Arguments: `{"q":"go"}`}, {Server: "docs", Name: "publish", Arguments: `{"id":7}`}},
		Functions: []responsestest.FunctionCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}},
	}
}

func docsTool() oai.ToolUnionParam {
	return oai.ToolUnionParam{OfMcp: &oai.ToolMcpParam{
		ServerLabel: "docs", ServerURL: openai.String("https://docs.example/mcp"),
		RequireApproval: oai.ToolMcpRequireApprovalUnionParam{OfMcpToolApprovalFilter: &oai.ToolMcpRequireApprovalMcpToolApprovalFilterParam{
			Never: oai.ToolMcpRequireApprovalMcpToolApprovalFilterNeverParam{ReadOnly: openai.Bool(true)},
		}},
	}}
}

// A run mixing a private function and a hosted mcp tool: the approval
// request goes through Approve with the hooks, is answered next turn
// (chained, and resent whole with store: false), and the hosted calls show
// in the turns.
func TestHostedApprovalChainedAndStateless(t *testing.T) {
	for _, store := range []bool{true, false} {
		t.Run(fmt.Sprintf("store=%v", store), func(t *testing.T) {
			s, api := newServer(t, docsModel().Handler())
			p := baseParams()
			p.Tools = []oai.ToolUnionParam{weatherTool(), docsTool()}
			p.Store = openai.Bool(store)
			var asked []responses.Call
			var after []responses.CallRecord
			res, err := responses.Run(testCtx(t), api, p, responses.Static(hostedExec{known: map[string]bool{"docs": true}}), responses.Options{
				Approve: func(_ context.Context, c responses.Call) (bool, string) {
					asked = append(asked, c)
					return true, ""
				},
				AfterCall: func(_ context.Context, r responses.CallRecord) { after = append(after, r) },
			})
			require.NoError(t, err)
			requireValid(t, s)
			require.Len(t, res.Turns, 2)
			assert.Contains(t, res.OutputText, "docs/publish({\"id\":7}) -> published")
			assert.Contains(t, res.OutputText, "get_weather({\"city\":\"Paris\"}) -> sunny")

			require.Len(t, asked, 2, "the function call and the hosted approval")
			var hosted responses.Call
			for _, c := range asked {
				if c.Hosted != "" {
					hosted = c
				}
			}
			assert.Equal(t, "docs", hosted.Hosted)
			assert.Equal(t, "publish", hosted.Name)
			assert.Equal(t, responses.Route{Server: "docs", Tool: "publish"}, hosted.Route)
			assert.Len(t, after, 2)

			h0 := res.Turns[0].Hosted
			require.Len(t, h0, 2)
			assert.Equal(t, "mcp_list_tools", h0[0].Type)
			assert.Equal(t, []string{"search", "publish"}, h0[0].Tools)
			assert.Equal(t, "search", h0[1].Name)
			h1 := res.Turns[1].Hosted
			require.Len(t, h1, 1)
			assert.Equal(t, hosted.CallID, h1[0].ApprovalRequestID)
			assert.Equal(t, "published", h1[0].Output)

			reqs := s.Requests()
			require.Len(t, reqs, 2)
			types := reqs[1].ItemTypes()
			assert.Equal(t, []string{"mcp_approval_response", "function_call_output"}, types[len(types)-2:], "response order")
			if !store {
				assert.Contains(t, types, "mcp_approval_request", "store: false resends the request it answers")
			} else {
				assert.Len(t, types, 2)
			}
			last := reqs[1].Input[len(reqs[1].Input)-2]
			assert.Equal(t, true, last["approve"])
		})
	}
}

// Hostile: a hosted call the tool source does not route is denied without
// asking, with or without an approval policy; a flood of approval
// requests reaches the policy a bounded number of times, and every request
// is still answered (no).
func TestHostedApprovalsFailClosed(t *testing.T) {
	approvals := []map[string]any{{"type": "mcp_approval_request", "id": "mcpr_other",
		"server_label": "evil", "name": "exfiltrate", "arguments": "{}"}}
	for i := range 40 {
		approvals = append(approvals, map[string]any{"type": "mcp_approval_request", "id": fmt.Sprintf("mcpr_f%d", i),
			"server_label": "docs", "name": "publish", "arguments": "{}"})
	}
	flood := responsestest.Reply{Output: approvals}
	s, api := newServer(t, responsestest.Script(flood, responsestest.Text("done"), flood, responsestest.Text("done")))
	p := baseParams()
	p.Tools = []oai.ToolUnionParam{docsTool()}
	var asked atomic.Int64
	res, err := responses.Run(testCtx(t), api, p, responses.Static(hostedExec{known: map[string]bool{"docs": true}}), responses.Options{
		Approve: func(context.Context, responses.Call) (bool, string) { asked.Add(1); return true, "" },
	})
	require.NoError(t, err)
	requireValid(t, s)
	assert.Equal(t, int64(15), asked.Load(), "bounded: 16 considered, the first one denied unasked")
	answers := s.Requests()[1].Input
	require.Len(t, answers, 41)
	yes := 0
	for _, a := range answers {
		if a["approve"] == true {
			yes++
		}
	}
	assert.Equal(t, 15, yes)
	evil := answers[0]
	assert.Equal(t, false, evil["approve"])
	assert.Contains(t, evil["reason"], "not a tool this run offers")
	assert.True(t, res.Turns[0].Calls[0].Denied)

	// No approval policy: a routed request is approved as a function call
	// would run; the unrouted one and those past the bound are still not.
	res, err = responses.Run(testCtx(t), api, p, responses.Static(hostedExec{known: map[string]bool{"docs": true}}), responses.Options{})
	require.NoError(t, err)
	got := s.Requests()[3].Input
	require.Len(t, got, 41)
	approved := 0
	for _, a := range got {
		if a["approve"] == true {
			approved++
		}
	}
	assert.Equal(t, 15, approved)
	assert.Equal(t, false, got[0]["approve"])
	assert.True(t, strings.Contains(fmt.Sprint(got[40]["reason"]), "more than 16 approval requests"))
	_ = res
}

// Streamed: hosted calls are events as the API finishes them, and the
// approval is asked once the response is complete.
func TestHostedStreamEvents(t *testing.T) {
	s, _ := newServer(t, docsModel().Handler())
	c := s.Client()
	p := baseParams()
	p.Tools = []oai.ToolUnionParam{weatherTool(), docsTool()}
	var hosted []*responses.HostedCall
	var done []responses.CallRecord
	for ev, err := range responses.Stream(testCtx(t), &c.Responses, p, responses.Static(hostedExec{known: map[string]bool{"docs": true}, pre: true}), responses.Options{}) {
		require.NoError(t, err)
		switch ev.Kind {
		case responses.EventHostedCall:
			hosted = append(hosted, ev.Hosted)
		case responses.EventCallDone:
			done = append(done, ev.Record)
		}
	}
	requireValid(t, s)
	require.Len(t, hosted, 3)
	assert.Equal(t, "mcp_list_tools", hosted[0].Type)
	assert.Equal(t, "found {\"q\":\"go\"}", hosted[1].Output)
	assert.Equal(t, "published", hosted[2].Output)
	require.Len(t, done, 2)
}
