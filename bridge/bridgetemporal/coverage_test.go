package bridgetemporal_test

// Features of the bridge in durable runs on a real server, each against
// Bridge.Run on the same fake model and MCP servers: the outputs every
// request delivered must be the same.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// sameAsRun starts a worker holding r.cfg, runs "buy tea" durably with o
// and returns its output, after checking that Bridge.Run over the same
// servers (for o.User) sends the model the same outputs.
func sameAsRun(t *testing.T, r *rig, api *responsestest.Server, model func() responsestest.Handler, o bridgetemporal.RunOptions) *bridgetemporal.RunOutput {
	t.Helper()
	r.startWorker()
	run := r.start("buy tea", o)
	out := r.result(run.GetID())
	r.replay(run.GetID(), "")
	assert.Equal(t, runOutputs(t, r, model(), o.User), outputsSent(api), "the same outputs as Bridge.Run")
	return out
}

// serve serves s over streamable HTTP as a worker server named name.
func serve(t *testing.T, name string, s *server.MCPServer) workerServer {
	return workerServer{Name: name, URL: mcptest.NewHTTPServer(t, s, mcptest.KindStreamable).URL}
}

// namespacedCall is a function_call of name in namespace.
func namespacedCall(callID, namespace, name, args string) map[string]any {
	return map[string]any{"type": "function_call", "call_id": callID, "namespace": namespace, "name": name, "arguments": args, "status": "completed"}
}

// With namespaces, each server is a namespace tool and a call names
// (namespace, function): each reaches its own server.
func TestDurableNamespaces(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	model := func() responsestest.Handler {
		return responsestest.Script(
			responsestest.Reply{Output: []map[string]any{
				namespacedCall("call_shop", "shop", "lookup", `{"item":"tea"}`),
				namespacedCall("call_s", "s", "echo", `{"text":"from s"}`),
			}},
			responsestest.Text("done"))
	}
	api, url := fakeAPI(t, model())
	r := newRig(t, url, &shop{})
	r.cfg.Namespaces = true
	r.cfg.Servers = append(r.cfg.Servers, serve(t, "s", mcptest.NewServer()))
	sameAsRun(t, r, api, model, bridgetemporal.RunOptions{})
	outs := outputsSent(api)[1]
	assert.Equal(t, "tea costs 3", outs["call_shop"])
	assert.Equal(t, "from s", outs["call_s"])
	var spaces []any
	for _, tool := range api.Requests()[0].Tools {
		spaces = append(spaces, tool["name"])
	}
	assert.ElementsMatch(t, []any{"shop", "s"}, spaces, "one namespace tool per server")
}

// A tool with an output schema is sent with output_schema and its result
// reaches the model as the structured JSON, as in Run.
func TestDurableOutputSchema(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	model := func() responsestest.Handler {
		return responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__structured"})
	}
	api, url := fakeAPI(t, model())
	r := newRig(t, url, &shop{})
	r.cfg.Servers = append(r.cfg.Servers, serve(t, "s", mcptest.NewServer()))
	sameAsRun(t, r, api, model, bridgetemporal.RunOptions{})
	var sent map[string]any
	for _, tool := range api.Requests()[0].Tools {
		if tool["name"] == "s__structured" {
			sent = tool
		}
	}
	require.NotNil(t, sent)
	assert.NotNil(t, sent["output_schema"], "output_schema is sent")
	outs := api.Requests()[1].Outputs()
	require.Len(t, outs, 1)
	assert.JSONEq(t, `{"answer":42,"items":["a","b"]}`, outs[0].Output)
}

// sampler has a tool "ask" that asks the client's model for a completion
// while the call is in flight. It asks with a multi round-trip result
// (SEP-2322): a 2026-07-28 client answers the input request and calls
// again; for an older client mcp-go sends sampling/createMessage itself and
// calls the handler again with the answer, so both eras are served.
func sampler() *server.MCPServer {
	srv := server.NewMCPServer("sampler", "1.0.0", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("ask"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res := server.SamplingResponse(req.Params.InputResponses, "sample")
		if res == nil {
			params := mcp.CreateMessageParams{SystemPrompt: "sampling", MaxTokens: 100}
			params.Messages = []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("sample me")}}
			return server.NewInputRequestBuilder("ask").Sample("sample", params).ToolResult(), nil
		}
		// The content arrives typed from a handshake-era client and as
		// decoded JSON from an input response: read it as JSON either way.
		var text struct{ Type, Text string }
		raw, _ := json.Marshal(res.Content)
		if err := json.Unmarshal(raw, &text); err != nil || text.Type != "text" {
			return mcp.NewToolResultError(fmt.Sprintf("sampled content is not text: %s", raw)), nil
		}
		return mcp.NewToolResultText(res.Model + " said: " + text.Text), nil
	})
	return srv
}

// A server that samples during a durable tool call is served on the
// worker, by the worker Bridge's sampling config.
func TestDurableSampling(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	model := func() responsestest.Handler {
		calls := responsestest.ToolCaller(responsestest.FunctionCall{Name: "sampler__ask"})
		return func(req *responsestest.Request) responsestest.Reply {
			if req.Instructions == "sampling" {
				return responsestest.Text("completion")
			}
			return calls(req)
		}
	}
	api, url := fakeAPI(t, model())
	r := newRig(t, url, &shop{})
	r.cfg.Sampling = true
	r.cfg.Servers = append(r.cfg.Servers, serve(t, "sampler", sampler()))
	out := sameAsRun(t, r, api, model, bridgetemporal.RunOptions{})
	assert.Contains(t, out.OutputText, "sampling-model said: completion")
	var sampled int
	for _, req := range api.Requests() {
		if req.Instructions == "sampling" {
			sampled++
			assert.NoError(t, req.ValidationErr)
		}
	}
	assert.Equal(t, 1, sampled, "one sampling request, from the worker")
}

// With hosted tool search the API searches and loads; the worker routes
// the call it makes to the function it loaded.
func TestDurableHostedToolSearch(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	model := func() responsestest.Handler {
		m := &responsestest.SearchModel{Query: func(string) string { return "charge a card" }, Arguments: `{"amount":3}`}
		return m.Handler()
	}
	api, url := fakeAPI(t, model())
	r := newRig(t, url, &shop{})
	r.cfg.ToolSearch = bridge.ToolSearchHosted
	out := sameAsRun(t, r, api, model, bridgetemporal.RunOptions{})
	assert.Equal(t, int64(1), r.shop.charges.Load())
	assert.Contains(t, out.OutputText, "charged 3")
}

// A run for a user: the worker resolves the user's credentials, the
// per-user server sees them on each call, and they appear nowhere in the
// run's history, which holds every activity's input and output (local
// activities' results included, as markers).
func TestDurablePerUserCredentialsStayOutOfHistory(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	const secret = "s3cr3t-token-of-alice-8f2c1d"
	model := func() responsestest.Handler {
		return responsestest.ToolCaller(responsestest.FunctionCall{Name: "users__lookup", Arguments: `{"item":"tea"}`})
	}
	api, url := fakeAPI(t, model())
	r := newRig(t, url, &shop{})
	rec := mcptest.NewRecorder(t, (&shop{}).server())
	r.cfg.Servers = append(r.cfg.Servers, workerServer{Name: "users", URL: rec.URL, PerUser: true})
	r.cfg.Tokens = map[string]string{"alice": secret}
	r.startWorker()
	run := r.start("buy tea", bridgetemporal.RunOptions{User: "alice"})
	out := r.result(run.GetID())
	assert.Contains(t, out.OutputText, "tea costs 3")

	var calls int
	for _, req := range rec.Requests() {
		if req.Method == "tools/call" {
			calls++
			assert.Equal(t, "Bearer "+secret, req.Auth, "the call went with alice's credentials")
		}
	}
	assert.Equal(t, 1, calls)

	hist := r.history(run.GetID())
	raw, err := proto.Marshal(hist) // payloads are raw bytes here, not base64
	require.NoError(t, err)
	assert.True(t, bytes.Contains(raw, []byte(`"alice"`)), "the user's name is in history (the scan sees payloads)")
	assert.False(t, bytes.Contains(raw, []byte(secret)), "the secret is not in history")
	for _, req := range api.Requests() {
		assert.NotContains(t, string(req.Raw), secret, "nor sent to the model")
	}
	t.Logf("history of a per-user run: %d events, %d bytes", len(hist.Events), len(raw))
	assert.Equal(t, runOutputs(t, r, model(), "alice"), outputsSent(api), "the same outputs as Bridge.Run")
}
