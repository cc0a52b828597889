package bridge

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// requireValid fails when the fake API rejected any request of the run.
func requireValid(t *testing.T, api *responsestest.Server) {
	t.Helper()
	for _, r := range api.Requests() {
		require.NoError(t, r.ValidationErr, "request #%d", r.Index)
	}
}

// toolTypes lists the type (and name) of each tool of a request.
func toolTypes(req *responsestest.Request) []string {
	var out []string
	for _, tool := range req.Tools {
		s, _ := tool["type"].(string)
		if n, ok := tool["name"].(string); ok {
			s += ":" + n
		}
		if e, ok := tool["execution"].(string); ok {
			s += ":" + e
		}
		out = append(out, s)
	}
	return out
}

// pick returns a SearchModel Pick that takes the loaded function called name.
func pick(name string) func([]responsestest.LoadedTool) (responsestest.LoadedTool, bool) {
	return func(l []responsestest.LoadedTool) (responsestest.LoadedTool, bool) {
		for _, lt := range l {
			if lt.Name == name {
				return lt, true
			}
		}
		return responsestest.LoadedTool{}, false
	}
}

func twoServers() []Server {
	alpha := InProcess("alpha", mcptest.NewServer(mcptest.WithInstructions("Alpha: arithmetic and echoes.")))
	beta := InProcess("beta", mcptest.NewServer())
	beta.Description = "Beta's tools."
	return []Server{alpha, beta}
}

func TestNamespacesRouteByNamespaceAndName(t *testing.T) {
	model := responsestest.Script(
		responsestest.Reply{Output: []map[string]any{
			{"type": "function_call", "namespace": "beta", "name": "echo", "arguments": `{"text":"hi"}`, "status": "completed"},
			{"type": "function_call", "name": "alpha__echo", "arguments": `{"text":"flat"}`, "status": "completed"},
			{"type": "function_call", "namespace": "alpha", "name": "nope", "arguments": `{}`, "status": "completed"},
		}},
		responsestest.Text("done"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, twoServers(), WithNamespaces())
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	requireValid(t, api)

	req := api.Requests()[0]
	require.Equal(t, []string{"namespace:alpha", "namespace:beta"}, toolTypes(req))
	assert.Equal(t, "Alpha: arithmetic and echoes.", req.Tools[0]["description"], "the server's instructions")
	assert.Equal(t, "Beta's tools.", req.Tools[1]["description"], "Server.Description")
	inner := req.Tools[0]["tools"].([]any)
	assert.Len(t, inner, len(mcptest.ToolNames))
	var names []string
	for _, f := range inner {
		names = append(names, f.(map[string]any)["name"].(string))
	}
	assert.ElementsMatch(t, mcptest.ToolNames, names, "functions keep their MCP names")

	calls := res.Turns[0].Calls
	require.Len(t, calls, 3)
	require.NoError(t, calls[0].Err)
	assert.Equal(t, "beta", calls[0].Call.Namespace)
	assert.Contains(t, calls[0].Output.Text, "hi")
	assert.ErrorIs(t, calls[1].Err, ErrUnknownFunction, "flat names are not offered with namespaces")
	assert.ErrorIs(t, calls[2].Err, ErrUnknownFunction)
	assert.Contains(t, calls[2].Output.Text, `"alpha/nope"`)
}

func TestClientToolSearch(t *testing.T) {
	for _, namespaces := range []bool{false, true} {
		for _, store := range []bool{true, false} {
			t.Run(map[bool]string{false: "flat", true: "namespaced"}[namespaces]+map[bool]string{true: "/chained", false: "/store=false"}[store], func(t *testing.T) {
				m := &responsestest.SearchModel{
					Query:     func(string) string { return "add two numbers" },
					Pick:      pick(map[bool]string{false: "alpha__add", true: "add"}[namespaces]),
					Arguments: `{"a":2,"b":3}`,
				}
				api, client := fakeAPI(t, m.Handler())
				opts := []Option{WithToolSearch(ToolSearchClient)}
				if namespaces {
					opts = append(opts, WithNamespaces())
				}
				b := newBridge(t, alwaysLoad(twoServers(), "beta", "echo"), opts...)
				p := params("what is 2+3?")
				if !store {
					p.Store = openai.Bool(false)
				}
				res, err := b.Run(ctxT(t), &client.Responses, p)
				require.NoError(t, err)
				requireValid(t, api)

				reqs := api.Requests()
				require.Len(t, reqs, 3)
				if namespaces {
					assert.Equal(t, []string{"namespace:beta", "tool_search:client"}, toolTypes(reqs[0]))
				} else {
					assert.Equal(t, []string{"function:beta__echo", "tool_search:client"}, toolTypes(reqs[0]), "only the always-loaded tool and the search")
				}
				require.Len(t, res.Turns[0].Searches, 1)
				s := res.Turns[0].Searches[0]
				assert.Equal(t, "add two numbers", s.Call.Query)
				assert.NotEmpty(t, s.Tools)
				assert.LessOrEqual(t, len(loadedKeys(s.Tools)), searchResults)
				call := res.Turns[1].Calls[0]
				require.NoError(t, call.Err)
				assert.Equal(t, "5", call.Output.Text)
			})
		}
	}
}

// loadedKeys lists the functions of search results by key.
func loadedKeys(tools []oai.ToolUnionParam) []string {
	var keys []string
	for _, t := range tools {
		switch {
		case t.OfFunction != nil:
			keys = append(keys, t.OfFunction.Name)
		case t.OfNamespace != nil:
			for _, f := range t.OfNamespace.Tools {
				keys = append(keys, functionKey(t.OfNamespace.Name, f.OfFunction.Name))
			}
		}
	}
	return keys
}

func TestUnloadedCallTellsTheModelToSearch(t *testing.T) {
	model := responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "alpha__add", Arguments: `{"a":1,"b":1}`}),
		responsestest.Text("done"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, twoServers(), WithToolSearch(ToolSearchClient))
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	requireValid(t, api)
	c := res.Turns[0].Calls[0]
	require.ErrorIs(t, c.Err, responses.ErrNotLoaded)
	assert.Contains(t, c.Output.Text, "tool_search")
	assert.Contains(t, c.Output.Text, "alpha__add")
}

// A program that adds its own tool_search tool while the bridge adds one
// gets responses.ErrToolConflict before any request, not the API's 400.
func TestOwnToolSearchConflictsWithTheBridges(t *testing.T) {
	api, client := fakeAPI(t, responsestest.Script(responsestest.Text("never")))
	b := newBridge(t, twoServers(), WithToolSearch(ToolSearchHosted))
	p := params("x")
	p.Tools = []oai.ToolUnionParam{{OfToolSearch: &oai.ToolSearchToolParam{}}}
	_, err := b.Run(ctxT(t), &client.Responses, p)
	require.ErrorIs(t, err, responses.ErrToolConflict)
	assert.Empty(t, api.Requests())
}

func TestHostedToolSearchNamespaced(t *testing.T) {
	loaded := map[string]any{"type": "namespace", "name": "alpha", "description": "d", "tools": []any{
		map[string]any{"type": "function", "name": "add", "strict": false, "defer_loading": true,
			"parameters": map[string]any{"type": "object", "properties": map[string]any{}}}}}
	model := responsestest.Script(
		responsestest.Reply{Output: []map[string]any{
			{"type": "tool_search_call", "execution": "server", "arguments": map[string]any{"query": "add"}, "status": "completed"},
			{"type": "tool_search_output", "execution": "server", "tools": []any{loaded}, "status": "completed"},
			{"type": "function_call", "namespace": "alpha", "name": "add", "arguments": `{"a":1,"b":2}`, "status": "completed"},
		}},
		responsestest.Text("done"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, alwaysLoad(twoServers(), "beta", "echo"), WithToolSearch(ToolSearchHosted), WithNamespaces())
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	requireValid(t, api)
	req := api.Requests()[0]
	require.Equal(t, []string{"namespace:alpha", "namespace:beta", "tool_search:server"}, toolTypes(req))
	for _, f := range req.Tools[1]["tools"].([]any) {
		fm := f.(map[string]any)
		assert.Equal(t, fm["name"] != "echo", fm["defer_loading"] == true, "beta/%s", fm["name"])
	}
	require.NoError(t, res.Turns[0].Calls[0].Err)
	assert.Equal(t, "3", res.Turns[0].Calls[0].Output.Text)
}

func TestHostedToolSearch(t *testing.T) {
	loaded := map[string]any{"type": "function", "name": "alpha__add", "strict": false, "defer_loading": true,
		"parameters": map[string]any{"type": "object", "properties": map[string]any{}}}
	model := responsestest.Script(
		responsestest.Reply{Output: []map[string]any{
			{"type": "tool_search_call", "execution": "server", "arguments": map[string]any{"query": "add"}, "status": "completed"},
			{"type": "tool_search_output", "execution": "server", "tools": []any{loaded}, "status": "completed"},
			{"type": "function_call", "name": "alpha__add", "arguments": `{"a":1,"b":2}`, "status": "completed"},
		}},
		responsestest.Text("done"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, alwaysLoad(twoServers(), "beta", "*"), WithToolSearch(ToolSearchHosted))
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	requireValid(t, api)
	req := api.Requests()[0]
	var deferred, plain int
	for _, tool := range req.Tools {
		switch {
		case tool["type"] == "tool_search":
			assert.Equal(t, "server", tool["execution"])
		case tool["defer_loading"] == true:
			deferred++
			assert.True(t, strings.HasPrefix(tool["name"].(string), "alpha__"))
		default:
			plain++
			assert.True(t, strings.HasPrefix(tool["name"].(string), "beta__"), "beta is always loaded")
		}
	}
	assert.Equal(t, len(mcptest.ToolNames), deferred)
	assert.Equal(t, len(mcptest.ToolNames), plain)
	require.NoError(t, res.Turns[0].Calls[0].Err)
	assert.Equal(t, "3", res.Turns[0].Calls[0].Output.Text)
}

func TestAutoToolSearchThreshold(t *testing.T) {
	for _, tc := range []struct {
		threshold  int
		wantSearch bool
	}{{10, true}, {1000, false}} {
		api, client := fakeAPI(t, responsestest.Script(responsestest.Text("done")))
		b := newBridge(t, twoServers(), WithToolSearch(ToolSearchAuto), withSearchThreshold(tc.threshold))
		_, err := b.Run(ctxT(t), &client.Responses, params("x"))
		require.NoError(t, err)
		requireValid(t, api)
		types := toolTypes(api.Requests()[0])
		if tc.wantSearch {
			assert.Equal(t, []string{"tool_search:client"}, types, "threshold %d", tc.threshold)
		} else {
			assert.Len(t, types, 2*len(mcptest.ToolNames), "threshold %d", tc.threshold)
		}
	}
}

// TestToolSearchAcrossListChanges: a function the run loaded stays callable
// by name after its server relists; one added later must be searched for
// first; one that disappears is unknown.
func TestToolSearchAcrossListChanges(t *testing.T) {
	var step atomic.Int32
	lastOutput := func(req *responsestest.Request) string {
		outs := req.Outputs()
		if len(outs) == 0 {
			return ""
		}
		return outs[len(outs)-1].Output
	}
	call := func(name, args string) responsestest.Reply {
		return responsestest.Calls(responsestest.FunctionCall{Name: name, Arguments: args})
	}
	model := func(req *responsestest.Request) responsestest.Reply {
		out := lastOutput(req)
		switch step.Load() {
		case 0:
			step.Add(1)
			return responsestest.ToolSearch("register a tool with a name")
		case 1:
			step.Add(1)
			return call("s__add_tool", `{"name":"late_tool"}`)
		case 2: // until the relist happened, late_tool is unknown
			if strings.Contains(out, "not loaded") {
				step.Add(1)
				return responsestest.ToolSearch("late_tool")
			}
			if req.Index > 40 {
				return responsestest.Text("gave up")
			}
			return call("s__late_tool", `{"text":"early"}`)
		case 3:
			step.Add(1)
			return call("s__late_tool", `{"text":"hello"}`)
		case 4:
			step.Add(1)
			return call("s__remove_tool", `{"name":"late_tool"}`) // loaded by the first search, kept across relists
		case 5:
			if strings.Contains(out, "unknown function") {
				step.Add(1)
				return responsestest.Text("done")
			}
			if req.Index > 80 {
				return responsestest.Text("gave up")
			}
			return call("s__late_tool", `{"text":"gone?"}`)
		}
		return responsestest.Text("done")
	}
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithToolSearch(ToolSearchClient), withSearchResults(8))
	res, err := b.Run(ctxT(t), &client.Responses, params("x"), WithMaxIterations(100))
	require.NoError(t, err)
	requireValid(t, api)
	require.Equal(t, int32(6), step.Load(), "final: %s", res.OutputText)
	var hello bool
	for _, turn := range res.Turns {
		for _, c := range turn.Calls {
			if c.Call.Name == "s__late_tool" && c.Err == nil && strings.Contains(c.Output.Text, "hello") {
				hello = true
			}
			if c.Call.Name == "s__remove_tool" {
				require.NoError(t, c.Err, "a tool loaded before a relist stays loaded")
			}
		}
	}
	assert.True(t, hello, "late_tool was callable once searched for")
}

func TestOutputSchemaIsSentAndResultsAreItsJSON(t *testing.T) {
	api, client := fakeAPI(t, responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__structured"}))
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	requireValid(t, api)
	var sent map[string]any
	for _, tool := range api.Requests()[0].Tools {
		if tool["name"] == "s__structured" {
			sent = tool
		}
	}
	require.NotNil(t, sent["output_schema"], "output_schema is sent")
	out := res.Turns[0].Calls[0].Output.Text
	assert.JSONEq(t, `{"answer":42,"items":["a","b"]}`, out)
	assert.True(t, json.Valid([]byte(out)))
}

func TestUnknownToolSearchModeIsRefused(t *testing.T) {
	_, err := New(ctxT(t), twoServers(), WithToolSearch("sometimes"))
	require.ErrorContains(t, err, `tool search mode "sometimes"`)
}

// alwaysLoad sets the AlwaysLoad list of the named server.
func alwaysLoad(servers []Server, name string, tools ...string) []Server {
	for i := range servers {
		if servers[i].Name == name {
			servers[i].AlwaysLoad = tools
		}
	}
	return servers
}

// TestClientToolSearchStreamed: a streamed run built the way Bridge.Run
// builds its loop (one run's source and options) searches, loads and calls
// the same way.
func TestClientToolSearchStreamed(t *testing.T) {
	m := &responsestest.SearchModel{
		Query:     func(string) string { return "add two numbers" },
		Pick:      pick("alpha__add"),
		Arguments: `{"a":2,"b":3}`,
	}
	api, client := fakeAPI(t, m.Handler())
	b := newBridge(t, twoServers(), WithToolSearch(ToolSearchClient))
	run := withRun(b.cfg.run, nil)
	var outputs []string
	for ev, err := range responses.Stream(ctxT(t), &client.Responses, params("what is 2+3?"), &source{b: b, run: &run}, b.loopOptions(&run)) {
		require.NoError(t, err)
		if ev.Kind == responses.EventCallDone {
			outputs = append(outputs, ev.Record.Output.Text)
		}
	}
	requireValid(t, api)
	require.Len(t, api.Requests(), 3)
	assert.Contains(t, outputs, "5", "the function the search loaded ran")
}

// A call carries Route.Deferred for a function only a client search
// offers, and the loop refuses it until a search loaded it; always-loaded
// functions and hosted search's deferred ones are not Deferred (the API
// loads those).
func TestRoutesSayWhichFunctionsAClientSearchMustLoad(t *testing.T) {
	b := newBridge(t, alwaysLoad(twoServers(), "beta", "*"), WithToolSearch(ToolSearchClient))
	routes := b.Routes()
	assert.True(t, routes["alpha__add"].Deferred)
	assert.False(t, routes["beta__echo"].Deferred, "always loaded")
	hosted := newBridge(t, twoServers(), WithToolSearch(ToolSearchHosted))
	assert.False(t, hosted.Routes()["alpha__add"].Deferred)
}
