package responses_test

import (
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
)

func deferredCall(namespace, name string) responses.Call {
	return responses.Call{CallID: "call_" + name, Namespace: namespace, Name: name, Arguments: "{}", Route: responses.Route{Server: "s", Tool: name, Deferred: true}}
}

func refused(l *responses.Loop, c responses.Call) bool {
	_, ok := l.Refused(c)
	return ok
}

func toolJSON(raw string) oai.ToolUnionParam {
	return param.Override[oai.ToolUnionParam](json.RawMessage(raw))
}

// A deferred function is refused until a search of the run loaded it; the
// loaded set is loop state, which a ResumePoint carries on.
func TestLoopRefusesDeferredFunctionsNoSearchLoaded(t *testing.T) {
	l := responses.NewLoop(baseParams(), nil, responses.Options{})
	rec, ok := l.Refused(deferredCall("", "s__add"))
	require.True(t, ok)
	require.ErrorIs(t, rec.Err, responses.ErrNotLoaded)
	assert.Contains(t, rec.Output.Text, `"s__add"`)
	assert.Contains(t, rec.Output.Text, "tool_search")
	plain := deferredCall("", "s__add")
	plain.Route.Deferred = false
	assert.False(t, refused(l, plain), "a function sent in the request runs")

	// A turn whose search loaded a function and a namespace's function.
	_, err := l.Response(&oai.Response{ID: "resp_1"})
	require.NoError(t, err)
	l.EndTurn(nil, []responses.SearchRecord{{
		Call: responses.ToolSearchCall{CallID: "ts_1"},
		Tools: []oai.ToolUnionParam{
			toolJSON(`{"type":"function","name":"s__add","parameters":{}}`),
			toolJSON(`{"type":"namespace","name":"beta","description":"d","tools":[{"type":"function","name":"echo"}]}`),
		},
	}})
	assert.True(t, refused(l, deferredCall("", "s__add")), "loaded once the search's output is sent")
	_, err = l.Request(nil)
	require.NoError(t, err)
	assert.False(t, refused(l, deferredCall("", "s__add")))
	assert.False(t, refused(l, deferredCall("beta", "echo")))
	assert.True(t, refused(l, deferredCall("", "echo")), "loaded in a namespace, not flat")
	assert.True(t, refused(l, deferredCall("", "s__sub")))

	rp := l.Result().ResumePoint()
	assert.Equal(t, []string{"s__add", "beta/echo"}, rp.Loaded)
	next := responses.NewLoop(baseParams(), &rp, responses.Options{})
	assert.False(t, refused(next, deferredCall("beta", "echo")), "carried by the ResumePoint")
	assert.True(t, refused(next, deferredCall("", "s__sub")))
}

// A ResumePoint that does not say what was loaded: a store: false run
// reads it from its conversation; a chained one refuses nothing, since its
// earlier searches are the API's.
func TestLoopLoadedSetOfAnUnknownResumePoint(t *testing.T) {
	item := func(raw string) oai.ResponseInputItemUnionParam {
		return param.Override[oai.ResponseInputItemUnionParam](json.RawMessage(raw))
	}
	pending := []responses.CallRecord{{Call: responses.Call{CallID: "c0", Name: "x"}, Output: responses.Output{Text: "ok"}}}
	stateless := baseParams()
	stateless.Store = param.NewOpt(false)
	l := responses.NewLoop(stateless, &responses.ResumePoint{Pending: pending, History: []oai.ResponseInputItemUnionParam{
		item(`{"type":"message","role":"user","content":"x"}`),
		item(`{"type":"tool_search_output","call_id":"c1","execution":"client","status":"completed","tools":[
			{"type":"function","name":"alpha__add"},
			{"type":"namespace","name":"beta","description":"d","tools":[{"type":"function","name":"echo"}]}]}`),
	}}, responses.Options{})
	assert.False(t, refused(l, deferredCall("", "alpha__add")))
	assert.False(t, refused(l, deferredCall("beta", "echo")))
	assert.True(t, refused(l, deferredCall("", "alpha__echo")))

	// A search still to be delivered (run again by Resume, say) loads its
	// tools when it is.
	search := &responses.SearchRecord{Call: responses.ToolSearchCall{CallID: "ts_1"}, Tools: []oai.ToolUnionParam{toolJSON(`{"type":"function","name":"late"}`)}}
	withSearch := responses.NewLoop(baseParams(), &responses.ResumePoint{PreviousResponseID: "resp_1", Loaded: []string{},
		Pending: []responses.CallRecord{{Call: responses.Call{CallID: "ts_1"}, Search: search}}}, responses.Options{})
	assert.True(t, refused(withSearch, deferredCall("", "late")))
	_, err := withSearch.Request(nil)
	require.NoError(t, err)
	assert.False(t, refused(withSearch, deferredCall("", "late")))

	chained := responses.NewLoop(baseParams(), &responses.ResumePoint{PreviousResponseID: "resp_1", Pending: pending}, responses.Options{})
	assert.False(t, refused(chained, deferredCall("", "anything")))
	assert.Nil(t, chained.Result().ResumePoint().Loaded, "still unknown")
}
