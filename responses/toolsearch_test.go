package responses_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func searchParams(store bool) oai.ResponseNewParams {
	p := baseParams()
	p.Input = oai.ResponseNewParamsInputUnion{OfString: openai.String("open an issue about the flaky test")}
	p.Tools = []oai.ToolUnionParam{{OfToolSearch: &oai.ToolSearchToolParam{
		Execution:   oai.ToolSearchToolExecutionClient,
		Description: openai.String("Find tools by what they do."),
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"query": map[string]any{"type": "string"}},
			"required": []any{"query"}, "additionalProperties": false},
	}}}
	if !store {
		p.Store = openai.Bool(false)
	}
	return p
}

var issueParams = map[string]any{"type": "object", "properties": map[string]any{"title": map[string]any{"type": "string"}}}

// searcher loads create_issue, in a namespace or flat.
func searcher(namespaced bool, queries *[]string) responses.ToolSearcher {
	return responses.ToolSearcherFunc(func(_ context.Context, c responses.ToolSearchCall) ([]oai.ToolUnionParam, error) {
		*queries = append(*queries, c.Query)
		if !namespaced {
			return []oai.ToolUnionParam{{OfFunction: &oai.FunctionToolParam{Name: "github__create_issue", Strict: openai.Bool(false), Parameters: issueParams}}}, nil
		}
		return []oai.ToolUnionParam{{OfNamespace: &oai.NamespaceToolParam{Name: "github", Description: "GitHub", Tools: []oai.NamespaceToolToolUnionParam{
			{OfFunction: &oai.NamespaceToolToolFunctionParam{Name: "create_issue", Strict: openai.Bool(false), Parameters: issueParams}},
		}}}}, nil
	})
}

func TestRunClientToolSearch(t *testing.T) {
	for _, c := range []struct {
		name             string
		store, namespace bool
	}{{"chained flat", true, false}, {"chained namespaced", true, true}, {"stateless flat", false, false}, {"stateless namespaced", false, true}} {
		t.Run(c.name, func(t *testing.T) {
			m := &responsestest.SearchModel{Arguments: `{"title":"flaky"}`}
			s, api := newServer(t, m.Handler())
			var queries []string
			var got []responses.Call
			exec := responses.ExecutorFunc(func(_ context.Context, call responses.Call) (responses.Output, error) {
				got = append(got, call)
				return responses.Output{Text: "issue #7"}, nil
			})
			res, err := responses.Run(testCtx(t), api, searchParams(c.store), responses.Static(exec), responses.Options{ToolSearch: searcher(c.namespace, &queries)})
			require.NoError(t, err)
			assert.Equal(t, []string{"open an issue about the flaky test"}, queries)
			require.Len(t, got, 1)
			if c.namespace {
				assert.Equal(t, "github", got[0].Namespace)
				assert.Equal(t, "create_issue", got[0].Name)
				assert.Contains(t, res.OutputText, "github/create_issue")
			} else {
				assert.Empty(t, got[0].Namespace)
				assert.Equal(t, "github__create_issue", got[0].Name)
			}
			assert.Contains(t, res.OutputText, "issue #7")
			require.Len(t, res.Turns, 3)
			require.Len(t, res.Turns[0].Searches, 1)
			assert.Empty(t, res.Turns[0].Calls)
			assert.Len(t, res.Turns[0].Searches[0].Tools, 1)
			assert.JSONEq(t, `{"query":"open an issue about the flaky test"}`, string(res.Turns[0].Searches[0].Call.Arguments))

			reqs := s.Requests()
			require.Len(t, reqs, 3)
			if c.store {
				assert.Equal(t, []string{"tool_search_output"}, reqs[1].ItemTypes())
				assert.Equal(t, []string{"function_call_output"}, reqs[2].ItemTypes())
			} else {
				assert.Equal(t, []string{"message", "tool_search_call", "tool_search_output"}, reqs[1].ItemTypes())
				assert.Equal(t, []string{"message", "tool_search_call", "tool_search_output", "function_call", "function_call_output"}, reqs[2].ItemTypes(),
					"store:false history keeps the search items")
			}
			out := reqs[1].Input[len(reqs[1].Input)-1]
			assert.Equal(t, res.Turns[0].Searches[0].Call.CallID, out["call_id"])
			assert.Equal(t, "client", out["execution"])
			requireValid(t, s)
		})
	}
}

// TestRunToolSearchOutputsInCallOrder: outputs go back in the order of the
// calls, search outputs among function outputs.
func TestRunToolSearchOutputsInCallOrder(t *testing.T) {
	reply := responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Oslo"}`, CallID: "call_1"}).
		WithItem(map[string]any{"type": "tool_search_call", "execution": "client", "call_id": "call_2", "arguments": map[string]any{"query": "maps"}}).
		WithItem(map[string]any{"type": "function_call", "name": "get_weather", "arguments": `{"city":"Rome"}`, "call_id": "call_3"}).
		WithItem(map[string]any{"type": "tool_search_call", "execution": "server", "arguments": map[string]any{"query": "x"}}).
		WithItem(map[string]any{"type": "tool_search_output", "execution": "server", "tools": []any{}})
	s, api := newServer(t, responsestest.Script(reply, responsestest.Text("done")))
	var queries []string
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{ToolSearch: searcher(false, &queries)})
	require.NoError(t, err)
	assert.Equal(t, []string{"maps"}, queries, "the hosted search is not run by the client")
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, []string{"function_call_output", "tool_search_output", "function_call_output"}, reqs[1].ItemTypes())
	assert.Equal(t, "call_2", reqs[1].Input[1]["call_id"])
	assert.Len(t, res.Turns[0].Calls, 2)
	assert.Len(t, res.Turns[0].Searches, 1)
	requireValid(t, s)
}

func TestRunToolSearchFailures(t *testing.T) {
	t.Run("no searcher", func(t *testing.T) {
		_, api := newServer(t, responsestest.Script(responsestest.ToolSearch("x")))
		_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
		assert.ErrorIs(t, err, responses.ErrNoToolSearch)
	})
	t.Run("search error loads nothing", func(t *testing.T) {
		s, api := newServer(t, responsestest.Script(responsestest.ToolSearch("x"), responsestest.Text("ok")))
		boom := errors.New("index unavailable")
		res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{ToolSearch: responses.ToolSearcherFunc(
			func(context.Context, responses.ToolSearchCall) ([]oai.ToolUnionParam, error) { return nil, boom })})
		require.NoError(t, err)
		assert.ErrorIs(t, res.Turns[0].Searches[0].Err, boom)
		out := s.Requests()[1].Input[0]
		assert.Equal(t, "tool_search_output", out["type"])
		assert.Equal(t, []any{}, out["tools"])
	})
	t.Run("cancelled search resumes", func(t *testing.T) {
		s, api := newServer(t, responsestest.Script(responsestest.ToolSearch("x").WithID("resp_s"), responsestest.Text("ok")))
		ctx, cancel := context.WithCancel(testCtx(t))
		var queries []string
		cancelling := responses.ToolSearcherFunc(func(ctx context.Context, c responses.ToolSearchCall) ([]oai.ToolUnionParam, error) {
			cancel()
			return nil, ctx.Err()
		})
		res, err := responses.Run(ctx, api, baseParams(), responses.Static(echoExec), responses.Options{ToolSearch: cancelling})
		require.ErrorIs(t, err, context.Canceled)
		require.Len(t, res.Pending, 1)
		require.NotNil(t, res.Pending[0].Search)
		res, err = responses.Resume(testCtx(t), api, baseParams(), res.ResumePoint(), responses.Static(echoExec), responses.Options{ToolSearch: searcher(false, &queries)})
		require.NoError(t, err)
		assert.Equal(t, "ok", res.OutputText)
		assert.Equal(t, []string{"x"}, queries)
		last := s.Requests()[1]
		assert.Equal(t, "resp_s", last.PreviousResponseID)
		tools, _ := last.Input[0]["tools"].([]any)
		assert.Len(t, tools, 1, "the search ran again on resume")
	})
}
