package bridgetemporal_test

// A worker's config changes between its death and the next worker: the
// calls the run made with the old tool set get an error naming what is
// missing (the model reads it), the other servers' calls still run, and
// nothing hangs.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// restartWith runs a model that calls shop__lookup, which the first worker
// is killed in (a read-only call: retried on the next worker), then
// s__echo, then answers. The next worker holds change(config); it returns
// the outputs each request delivered.
func restartWith(t *testing.T, change func(workerConfig) workerConfig) []map[string]string {
	t.Helper()
	s := &shop{}
	entered := make(chan struct{}, 1)
	s.onLookup, _ = blockOnce(entered)
	api, url := fakeAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{CallID: "call_lookup", Name: "shop__lookup", Arguments: `{"item":"tea"}`}),
		responsestest.Calls(responsestest.FunctionCall{CallID: "call_echo", Name: "s__echo", Arguments: `{"text":"still here"}`}),
		responsestest.Text("done")))
	r := newRig(t, url, s)
	r.cfg.Servers = append(r.cfg.Servers, serve(t, "s", mcptest.NewServer()))
	// The lookup is an activity of its own (a streaming worker would run
	// it in the model request, which the next worker sends again).
	r.cfg.Unstreamed = true
	_, out := r.crash("buy tea", bridgetemporal.RunOptions{}, entered, "the lookup call", change(r.cfg))
	assert.Equal(t, "done", out.OutputText)
	outs := outputsSent(api)
	require.Len(t, outs, 3)
	assert.Equal(t, "still here", outs[2]["call_echo"], "another server's call runs")
	return outs
}

// without returns cfg without the server named name.
func without(name string) func(workerConfig) workerConfig {
	return func(cfg workerConfig) workerConfig {
		cfg.Servers = slices.DeleteFunc(slices.Clone(cfg.Servers), func(s workerServer) bool { return s.Name == name })
		return cfg
	}
}

// allowing returns cfg with the shop offering only tools.
func allowing(tools ...string) func(workerConfig) workerConfig {
	return func(cfg workerConfig) workerConfig {
		cfg.Servers = slices.Clone(cfg.Servers)
		for i := range cfg.Servers {
			if cfg.Servers[i].Name == "shop" {
				cfg.Servers[i].AllowTools = tools
			}
		}
		return cfg
	}
}

func TestRestartedWorkerLacksTheServer(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	out := restartWith(t, without("shop"))[1]["call_lookup"]
	assert.Contains(t, out, "shop__lookup")
	assert.Contains(t, out, `no MCP server "shop"`)
	assert.Contains(t, out, "not run")
}

func TestRestartedWorkerLacksTheTool(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	out := restartWith(t, allowing("charge", "restock"))[1]["call_lookup"]
	assert.Contains(t, out, "shop__lookup")
	assert.Contains(t, out, `MCP server "shop" offers no tool "lookup"`)
	assert.Contains(t, out, "not run")
}

// Another tool set (another hash) that still routes the call the same
// way: the call runs.
func TestRestartedWorkerWithAnotherToolSet(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	out := restartWith(t, allowing("lookup", "charge"))[1]["call_lookup"]
	assert.Equal(t, "tea costs 3", out)
}

// A worker whose config lacks a server when the run starts: the model is
// not offered its tools, a call to one is answered as an unknown
// function, and the other server's call of the same turn runs.
func TestWorkerLackingAServerFromTheStart(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	api, url := fakeAPI(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{CallID: "call_lookup", Name: "shop__lookup", Arguments: `{"item":"tea"}`},
			responsestest.FunctionCall{CallID: "call_echo", Name: "s__echo", Arguments: `{"text":"still here"}`}),
		responsestest.Text("done")))
	api.SetValidation(false) // the model calls a function the request did not offer
	r := newRig(t, url, &shop{})
	r.cfg.Servers = append(r.cfg.Servers, serve(t, "s", mcptest.NewServer()))
	r.startWorkerWith(without("shop")(r.cfg))
	run := r.start("buy tea", bridgetemporal.RunOptions{})
	assert.Equal(t, "done", r.result(run.GetID()).OutputText)
	outs := outputsSent(api)
	require.Len(t, outs, 2)
	assert.Contains(t, outs[1]["call_lookup"], `unknown function "shop__lookup"`)
	assert.Equal(t, "still here", outs[1]["call_echo"])
	assert.Equal(t, int64(0), r.shop.lookups.Load())
}

// A call whose name this worker's tool set sends elsewhere than the run's
// did (the same function name, another tool) is not run.
func TestCallRoutedElsewhereByANewToolSetIsNotRun(t *testing.T) {
	s := &shop{}
	acts := bridgetemporal.NewActivities(newShopBridge(t, s), nil, bridgetemporal.WorkerOptions{})
	call := responses.Call{CallID: "call_1", Name: "shop__lookup", Arguments: `{"item":"tea"}`, Route: responses.Route{Server: "shop", Tool: "price"}}
	res, err := acts.CallTool(context.Background(), bridgetemporal.CallInput{ToolSet: "an-older-tool-set", Call: call})
	require.NoError(t, err)
	assert.True(t, res.Output.IsError)
	assert.Contains(t, res.Err, `made for tool "price" of MCP server "shop", but this worker sends it to tool "lookup" of MCP server "shop"`)
	assert.Contains(t, res.Err, "not run")
	assert.Equal(t, int64(0), s.lookups.Load())

	// The same call from the tool set the worker has runs.
	call.Route.Tool = "lookup"
	res, err = acts.CallTool(context.Background(), bridgetemporal.CallInput{ToolSet: "an-older-tool-set", Call: call})
	require.NoError(t, err)
	assert.Equal(t, "tea costs 3", res.Output.Text)
}

// The worker dies while a model request made with the old tool set is in
// flight and the next worker lacks a server: the request is listed and
// sent again with the new worker's tools, and the run goes on with them.
func TestRestartedWorkerResendsTheModelRequestWithItsTools(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	entered := make(chan struct{}, 1)
	api, url := fakeAPI(t, holdRequest(1, entered, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{CallID: "call_echo", Name: "s__echo", Arguments: `{"text":"still here"}`}),
		responsestest.Text("done"))))
	r := newRig(t, url, &shop{})
	r.cfg.Servers = append(r.cfg.Servers, serve(t, "s", mcptest.NewServer()))
	_, out := r.crash("buy tea", bridgetemporal.RunOptions{}, entered, "the first model request", without("shop")(r.cfg))
	assert.Equal(t, "done", out.OutputText)
	reqs := api.Requests()
	require.Len(t, reqs, 3)
	names := func(req *responsestest.Request) (shop, s int) {
		for _, tool := range req.Tools {
			name, _ := tool["name"].(string)
			switch {
			case strings.HasPrefix(name, "shop__"):
				shop++
			case strings.HasPrefix(name, "s__"):
				s++
			}
		}
		return shop, s
	}
	shopTools, sTools := names(reqs[0])
	assert.Equal(t, 3, shopTools, "the first worker offered the shop")
	shopTools, sTools2 := names(reqs[1])
	assert.Equal(t, 0, shopTools, "the request was sent again with the new worker's tools")
	assert.Equal(t, sTools, sTools2)
	assert.Equal(t, "still here", reqs[2].FunctionOutputs()["call_echo"])
}

// A call waits for approval while its worker dies; the next worker lacks
// its server. Approved, the call is not run and the model reads which
// server is missing.
func TestApprovedCallOnAWorkerLackingItsServer(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	api, url := fakeAPI(t, modelCalling("shop__lookup", `{"item":"tea"}`).Handler())
	r := newRig(t, url, &shop{})
	w1 := r.startWorker()
	run := r.start("price of tea", bridgetemporal.RunOptions{RequireApproval: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pending := waitPending(t, r, run.GetID())
	w1.kill(t)
	cfg := without("shop")(r.cfg)
	cfg.Servers = append(cfg.Servers, serve(t, "s", mcptest.NewServer())) // a worker needs a server
	r.startWorkerWith(cfg)
	require.NoError(t, bridgetemporal.Approve(ctx, r.c, run.GetID(), pending[0].CallID))
	out := r.result(run.GetID())
	assert.Contains(t, lastOutputs(api), `shop__lookup: this worker has no MCP server "shop" connected`)
	assert.Contains(t, out.OutputText, "not run")
	assert.Equal(t, int64(0), r.shop.lookups.Load())
}
