package responsestest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

const objParams = `{"type":"object","properties":{}}`

func nsTool(name string, fns ...string) string {
	return `{"type":"namespace","name":"` + name + `","description":"d","tools":[` + strings.Join(fns, ",") + `]}`
}

func deferred(name string) string {
	return `{"type":"function","name":"` + name + `","strict":false,"defer_loading":true,"parameters":` + objParams + `}`
}

const clientSearch = `{"type":"tool_search","execution":"client","description":"Find tools","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}`

func TestValidateToolSearchShapes(t *testing.T) {
	ok := []struct{ name, body string }{
		{"namespace", body(nsTool("github", fnTool("create_issue", false, objParams), fnTool("list_prs", true, `{"type":"object","properties":{},"additionalProperties":false,"required":[]}`)))},
		{"same name in two namespaces", body(nsTool("a", fnTool("t", false, objParams)), nsTool("b", fnTool("t", false, objParams)))},
		{"hosted search with deferred tools", body(`{"type":"tool_search"}`, deferred("x"), nsTool("n", deferred("y")))},
		{"client search", body(clientSearch, deferred("x"))},
		{"output_schema", body(`{"type":"function","name":"f","strict":false,"parameters":` + objParams + `,"output_schema":{"type":"object","properties":{"t":{"type":"number"}}}}`)},
		{"search items in a stateless conversation", `{"model":"m","store":false,"tools":[` + clientSearch + `],"input":[{"role":"user","content":"hi"},` +
			`{"type":"tool_search_call","call_id":"c1","execution":"client","arguments":{"query":"x"},"status":"completed"},` +
			`{"type":"tool_search_output","call_id":"c1","execution":"client","status":"completed","tools":[` + fnTool("f", false, objParams) + `]}]}`},
		{"chained search output", `{"model":"m","previous_response_id":"resp_1","input":[{"type":"tool_search_output","call_id":"c1","execution":"client","tools":[]}]}`},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			assert.NoError(t, responsestest.ValidateRequestJSON([]byte(c.body)))
		})
	}
	bad := []struct{ name, body, want string }{
		{"namespace function without strict", body(nsTool("n", `{"type":"function","name":"f","parameters":`+objParams+`}`)), "/tools/0/tools/0/strict"},
		{"namespace function bad name", body(nsTool("n", fnTool("a.b", false, objParams))), "/tools/0/tools/0/name"},
		{"namespace function bad params", body(nsTool("n", fnTool("f", false, `{"type":"string"}`))), "/tools/0/tools/0/parameters/type"},
		{"duplicate in namespace", body(nsTool("n", fnTool("f", false, objParams), fnTool("f", false, objParams))), "is also the name of /tools/0/tools/0"},
		{"duplicate namespace", body(nsTool("n", fnTool("f", false, objParams)), nsTool("n", fnTool("g", false, objParams))), "namespace \"n\" is also the name of /tools/0"},
		{"namespace named like a function", body(fnTool("n", false, objParams), nsTool("n", fnTool("g", false, objParams))), "has the name of a function tool"},
		{"empty namespace", body(`{"type":"namespace","name":"n","description":"d","tools":[]}`), "/tools/0"},
		{"deferred without search", body(deferred("x")), "need a tool_search tool"},
		{"deferred in namespace without search", body(nsTool("n", deferred("x"))), "/tools/0/tools/0/defer_loading"},
		{"two search tools", body(`{"type":"tool_search"}`, clientSearch), "at most one tool_search"},
		{"orphan search output", `{"model":"m","store":false,"input":[{"type":"tool_search_output","call_id":"c9","execution":"client","tools":[]}]}`, "answers no tool_search_call"},
		{"client search output without call_id", `{"model":"m","input":[{"type":"tool_search_output","execution":"client","tools":[]}]}`, "without call_id"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := responsestest.ValidateRequestJSON([]byte(c.body))
			require.ErrorIs(t, err, responsestest.ErrInvalidRequest)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestDeferredCallNeedsLoading: a scripted reply that calls a deferred tool
// no search has loaded fails loudly, since the API would never emit it.
func TestDeferredCallNeedsLoading(t *testing.T) {
	s := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "x"}),
	))
	defer s.Close()
	s.SetValidation(true)
	c := s.Client()
	_, err := c.Responses.New(context.Background(), oai.ResponseNewParams{
		Model: "m", Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
		Tools: []oai.ToolUnionParam{{OfToolSearch: &oai.ToolSearchToolParam{}}, {OfFunction: &oai.FunctionToolParam{
			Name: "x", Strict: openai.Bool(false), DeferLoading: openai.Bool(true), Parameters: map[string]any{"type": "object", "properties": map[string]any{}}}}},
	})
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, `deferred tool "x" before a tool search loaded it`)
}

// TestChainedSearchOutputMustAnswerACall: with previous_response_id, a
// tool_search_output must answer a tool_search_call of the chain.
func TestChainedSearchOutputMustAnswerACall(t *testing.T) {
	s := responsestest.New(responsestest.Script(responsestest.ToolSearch("issues").WithID("resp_a"), responsestest.Text("ok"), responsestest.Text("never")))
	defer s.Close()
	s.SetValidation(true)
	c := s.Client()
	ctx := context.Background()
	first, err := c.Responses.New(ctx, oai.ResponseNewParams{Model: "m", Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
	require.NoError(t, err)
	require.Len(t, first.Output, 1)
	call := first.Output[0]
	assert.Equal(t, "tool_search_call", call.Type)
	assert.Equal(t, "client", call.Execution)
	require.NotEmpty(t, call.CallID)
	answer := func(callID string) error {
		_, err := c.Responses.New(ctx, oai.ResponseNewParams{Model: "m", PreviousResponseID: openai.String("resp_a"),
			Input: oai.ResponseNewParamsInputUnion{OfInputItemList: []oai.ResponseInputItemUnionParam{{OfToolSearchOutput: &oai.ResponseToolSearchOutputItemParam{
				CallID: openai.String(callID), Execution: "client", Tools: []oai.ResponseToolSearchOutputItemParamToolUnion{}}}}}})
		return err
	}
	require.NoError(t, answer(call.CallID))
	err = answer("call_other")
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "answers no tool_search_call of this conversation")
}

// TestSearchModelPlaysHostedSearch: with a hosted tool_search tool, the
// SearchModel searches the deferred tools itself and answers in one
// response with the search items and the call, a top-level function called
// with namespace set to its own name and a namespaced one by its
// namespace, as the API does.
func TestSearchModelPlaysHostedSearch(t *testing.T) {
	fn := func(name, desc string) oai.ToolUnionParam {
		return oai.ToolUnionParam{OfFunction: &oai.FunctionToolParam{Name: name, Description: openai.String(desc), Strict: openai.Bool(false),
			DeferLoading: openai.Bool(true), Parameters: map[string]any{"type": "object", "properties": map[string]any{}}}}
	}
	ns := oai.ToolUnionParam{OfNamespace: &oai.NamespaceToolParam{Name: "tickets", Description: "Ticket tools",
		Tools: []oai.NamespaceToolToolUnionParam{{OfFunction: &oai.NamespaceToolToolFunctionParam{Name: "close_ticket",
			Description: openai.String("Close a ticket"), Strict: openai.Bool(false), DeferLoading: openai.Bool(true),
			Parameters: map[string]any{"type": "object", "properties": map[string]any{}}}}}}}
	for _, tc := range []struct {
		query, namespace, name string
	}{
		{"weather forecast", "get_weather", "get_weather"},
		{"close ticket", "tickets", "close_ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &responsestest.SearchModel{Query: func(string) string { return tc.query }}
			s := responsestest.New(m.Handler())
			defer s.Close()
			s.SetValidation(true)
			c := s.Client()
			resp, err := c.Responses.New(context.Background(), oai.ResponseNewParams{
				Model: "m", Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
				Tools: []oai.ToolUnionParam{{OfToolSearch: &oai.ToolSearchToolParam{Execution: oai.ToolSearchToolExecutionServer}},
					fn("get_weather", "Weather forecast for a city"), fn("send_mail", "Send an email"), ns},
			})
			require.NoError(t, err)
			require.NoError(t, s.Requests()[0].ValidationErr)
			var types []string
			for _, it := range resp.Output {
				types = append(types, it.Type+":"+string(it.Execution))
			}
			require.Equal(t, []string{"tool_search_call:server", "tool_search_output:server", "function_call:"}, types)
			loaded := resp.Output[1].Tools
			require.NotEmpty(t, loaded)
			call := resp.Output[2]
			assert.Equal(t, tc.namespace, call.Namespace)
			assert.Equal(t, tc.name, call.Name)
		})
	}
}
