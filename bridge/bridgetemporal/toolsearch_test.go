package bridgetemporal_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// unsearchedModel calls charge before any tool search loaded it, then
// searches for it and calls it again, then answers.
func unsearchedModel() responsestest.Handler {
	return responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{CallID: "call_early", Name: "shop__charge", Arguments: `{"amount":3}`}),
		responsestest.ToolSearch("charge a card"),
		responsestest.Calls(responsestest.FunctionCall{CallID: "call_late", Name: "shop__charge", Arguments: `{"amount":3}`}),
		responsestest.Text("done"))
}

// outputsSent lists, request by request, the function outputs each one
// delivered, by call id.
func outputsSent(api *responsestest.Server) []map[string]string {
	var out []map[string]string
	for _, r := range api.Requests() {
		out = append(out, r.FunctionOutputs())
	}
	return out
}

// With client tool search, a deferred function no search of the run has
// loaded is refused by the loop in a durable run as in Bridge.Run: the
// model reads that it must search first, and the tool does not run; once
// a search loaded it, it runs.
func TestDurableClientToolSearchRefusesUnloadedFunctions(t *testing.T) {
	e := newEnv(t, unsearchedModel(), bridgetemporal.WorkerOptions{}, bridge.WithToolSearch(bridge.ToolSearchClient))
	e.run(t, bridgetemporal.RunOptions{})
	assert.Equal(t, int64(1), e.shop.charges.Load(), "only the call after the search ran")

	api2, s2, _ := bridgeRun(t, unsearchedModel(), bridge.WithToolSearch(bridge.ToolSearchClient))
	assert.Equal(t, int64(1), s2.charges.Load())

	want := outputsSent(api2)
	require.Len(t, want, 4)
	assert.Contains(t, want[1]["call_early"], "function not loaded")
	assert.Contains(t, want[3]["call_late"], "charged 3")
	assert.Equal(t, want, outputsSent(e.api), "the same outputs as Bridge.Run")
}

// The same on a real server, the worker a process of its own: the loop of
// the workflow refuses what Bridge.Run refuses, with the same outputs.
func TestDurableClientToolSearchOnAServer(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	api, url := fakeAPI(t, unsearchedModel())
	r := newRig(t, url, &shop{})
	r.cfg.ToolSearch = bridge.ToolSearchClient
	r.startWorker()
	run := r.start("buy tea", bridgetemporal.RunOptions{})
	r.result(run.GetID())
	r.replay(run.GetID(), "toolsearch_unloaded_refused")
	assert.Equal(t, int64(1), r.shop.charges.Load(), "only the call after the search ran")
	assert.Equal(t, runOutputs(t, r, unsearchedModel(), ""), outputsSent(api), "the same outputs as Bridge.Run")
}

// runOutputs runs model with Bridge.Run over the rig's servers, built as
// its workers build theirs but with a shop of its own (so counts start
// again), on a fake API of its own, for user when not empty, and returns
// the outputs each request delivered (outputsSent).
func runOutputs(t *testing.T, r *rig, model responsestest.Handler, user string) []map[string]string {
	t.Helper()
	api := responsestest.New(model)
	t.Cleanup(api.Close)
	c := api.Client()
	cfg := r.cfg
	cfg.Servers = append([]workerServer(nil), r.cfg.Servers...)
	for i, s := range cfg.Servers {
		if s.URL == r.mcp.URL {
			cfg.Servers[i].URL = mcptest.NewHTTPServer(t, (&shop{}).server(), mcptest.KindStreamable).URL
		}
	}
	b, wo, err := cfg.bridgeOf(context.Background(), &c)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	if user != "" {
		creds, err := wo.Credentials(ctx, user)
		require.NoError(t, err)
		ctx = bridge.WithCredentials(ctx, creds)
	}
	_, err = b.Run(ctx, &c.Responses, params("buy tea"))
	require.NoError(t, err)
	return outputsSent(api)
}

// searchThenCall searches for query; when the search output arrives it
// calls, in one response, the first function the search loaded and the
// first of also that it did not load; then it answers.
func searchThenCall(query string, also ...string) responsestest.Handler {
	return func(req *responsestest.Request) responsestest.Reply {
		var loaded []string
		for _, it := range req.Input {
			switch it["type"] {
			case "function_call_output":
				return responsestest.Text("done")
			case "tool_search_output":
				tools, _ := it["tools"].([]any)
				for _, tool := range tools {
					m, _ := tool.(map[string]any)
					if name, _ := m["name"].(string); m["type"] == "function" {
						loaded = append(loaded, name)
					}
				}
			}
		}
		if req.Index == 0 {
			return responsestest.ToolSearch(query)
		}
		if len(loaded) == 0 {
			return responsestest.Text("the search loaded nothing")
		}
		calls := []responsestest.FunctionCall{{CallID: "call_loaded", Name: loaded[0], Arguments: `{"amount":3}`}}
		for _, fn := range also {
			if !slices.Contains(loaded, fn) {
				calls = append(calls, responsestest.FunctionCall{CallID: "call_unloaded", Name: fn, Arguments: `{"item":"tea"}`})
				break
			}
		}
		if len(calls) < 2 {
			return responsestest.Text("the search loaded everything")
		}
		return responsestest.Calls(calls...)
	}
}

// The loaded set is loop state carried across continue-as-new: after it, a
// function the search loaded runs and one it did not is refused, as in
// one Bridge.Run.
func TestLoadedSetCarriedAcrossContinueAsNew(t *testing.T) {
	model := func() responsestest.Handler { return searchThenCall("charge a card", "shop__lookup", "shop__restock") }
	s := &shop{}
	acts, api := activitiesOf(t, newShopBridge(t, s, bridge.WithToolSearch(bridge.ToolSearchClient)), model(), bridgetemporal.WorkerOptions{})
	out, executions := runAcrossExecutions(t, acts, input(t, params("buy tea"), bridgetemporal.RunOptions{TurnsPerExecution: 1}))
	assert.Equal(t, 3, executions)
	assert.Equal(t, "done", out.OutputText)

	api2, _, _ := bridgeRun(t, model(), bridge.WithToolSearch(bridge.ToolSearchClient))
	want := outputsSent(api2)
	require.Len(t, want, 3)
	assert.Contains(t, want[2]["call_loaded"], "charged 3")
	assert.Contains(t, want[2]["call_unloaded"], "function not loaded")
	assert.Equal(t, want, outputsSent(api))
	assert.Equal(t, int64(1), s.charges.Load())
	assert.Equal(t, int64(0), s.lookups.Load()+s.restocks.Load())
}

// The loaded set survives a worker's death: the worker is killed while the
// request carrying the search's output is in flight; the new worker
// rebuilds the loop, loaded set included, from the run's history.
func TestLoadedSetSurvivesAKilledWorker(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	model := func() responsestest.Handler { return searchThenCall("charge a card", "shop__lookup", "shop__restock") }
	entered := make(chan struct{}, 1)
	api, url := fakeAPI(t, holdRequest(2, entered, model())) // the request with the search's output
	r := newRig(t, url, &shop{})
	r.cfg.ToolSearch = bridge.ToolSearchClient
	_, out := r.crash("buy tea", bridgetemporal.RunOptions{}, entered, "the request after the search", r.cfg)
	assert.Equal(t, "done", out.OutputText)
	assert.Equal(t, int64(1), r.shop.charges.Load())
	assert.Equal(t, int64(0), r.shop.lookups.Load()+r.shop.restocks.Load(), "the unloaded function did not run")
	want := runOutputs(t, r, model(), "")
	got := outputsSent(api)
	require.Len(t, got, 4, "the held request was sent again")
	assert.Equal(t, want, append(got[:1:1], got[2:]...), "the same outputs as Bridge.Run")
}
