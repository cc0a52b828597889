package responses_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func TestRunChainsOutputsWithPreviousResponseID(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`, CallID: "call_a"}).
			WithUsage(responsestest.Usage{InputTokens: 10, OutputTokens: 5, CachedTokens: 2, ReasoningTokens: 1}).WithID("resp_1"),
		responsestest.Text("Sunny in Paris.").WithUsage(responsestest.Usage{InputTokens: 20, OutputTokens: 7, CachedTokens: 3}).WithID("resp_2"),
	))
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)

	assert.Equal(t, "Sunny in Paris.", res.OutputText)
	assert.Equal(t, 2, res.Iterations)
	assert.Equal(t, "resp_2", res.LastResponseID)
	assert.Equal(t, "resp_2", res.Response.ID)
	assert.Empty(t, res.Pending)
	require.Len(t, res.Turns, 2)
	assert.Equal(t, "resp_1", res.Turns[0].ResponseID)
	require.Len(t, res.Turns[0].Calls, 1)
	rec := res.Turns[0].Calls[0]
	assert.Equal(t, responses.Call{CallID: "call_a", Name: "get_weather", Arguments: `{"city":"Paris"}`, ItemID: rec.Call.ItemID}, rec.Call)
	assert.NotEmpty(t, rec.Call.ItemID)
	assert.Equal(t, `get_weather:{"city":"Paris"}`, rec.Output.Text)
	assert.NoError(t, rec.Err)
	assert.Empty(t, res.Turns[1].Calls)
	assert.Equal(t, responses.Usage{InputTokens: 30, OutputTokens: 12, TotalTokens: 42, CachedTokens: 5, ReasoningTokens: 1}, res.Usage)
	assert.Equal(t, int64(15), res.Turns[0].Usage.TotalTokens)

	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "What is the weather in Paris?", reqs[0].InputText)
	assert.Empty(t, reqs[0].PreviousResponseID)
	assert.Equal(t, "resp_1", reqs[1].PreviousResponseID)
	assert.Equal(t, map[string]string{"call_a": `get_weather:{"city":"Paris"}`}, reqs[1].FunctionOutputs())
	assert.Equal(t, []string{"function_call_output"}, reqs[1].ItemTypes())
	for _, r := range reqs {
		assert.Equal(t, "Be brief.", r.Instructions, "instructions resent every turn")
		assert.Equal(t, "gpt-test", r.Model)
		require.Len(t, r.Tools, 1, "tools resent every turn")
		assert.Equal(t, true, r.Tools[0]["strict"])
		assert.Equal(t, "get_weather", r.Tools[0]["name"])
	}
	requireValid(t, s)
}

func TestRunPassesEveryParameterThrough(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Oslo"}`}),
		responsestest.Text("done"),
	))
	p := baseParams()
	p.Temperature = openai.Float(0.2)
	p.TopP = openai.Float(0.9)
	p.MaxOutputTokens = openai.Int(300)
	p.ParallelToolCalls = openai.Bool(true)
	p.Store = openai.Bool(true)
	p.Metadata = shared.Metadata{"run": "42"}
	p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortLow}
	p.ToolChoice = oai.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: param.NewOpt(oai.ToolChoiceOptionsAuto)}
	p.User = openai.String("user-7")
	p.SetExtraFields(map[string]any{"x_custom": "kept"})

	_, err := responses.Run(testCtx(t), api, p, responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		b := r.Body
		assert.Equal(t, 0.2, b["temperature"])
		assert.Equal(t, 0.9, b["top_p"])
		assert.Equal(t, float64(300), b["max_output_tokens"])
		assert.Equal(t, true, b["parallel_tool_calls"])
		assert.Equal(t, true, b["store"])
		assert.Equal(t, map[string]any{"run": "42"}, b["metadata"])
		assert.Equal(t, map[string]any{"effort": "low"}, b["reasoning"])
		assert.Equal(t, "auto", b["tool_choice"])
		assert.Equal(t, "user-7", b["user"])
		assert.Equal(t, "kept", b["x_custom"])
	}
	// The caller's params are not modified.
	assert.False(t, p.PreviousResponseID.Valid())
	assert.Len(t, p.Tools, 1)
}

func TestRunHandlesReasoningAndMessagesBesideCalls(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Rome"}`, CallID: "c1"},
			responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Lima"}`, CallID: "c2"},
		).WithReasoning("thinking").WithText("Let me check."),
		responsestest.Text("Both sunny."),
	))
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "Both sunny.", res.OutputText)
	require.Len(t, res.Turns[0].Calls, 2)
	outs := s.Requests()[1].Outputs()
	require.Len(t, outs, 2)
	assert.Equal(t, "c1", outs[0].CallID)
	assert.Equal(t, "c2", outs[1].CallID)
	assert.Equal(t, `get_weather:{"city":"Lima"}`, outs[1].Output)
	requireValid(t, s)
}

func TestRunConcurrentCallsAllStartBeforeAnyFinishes(t *testing.T) {
	const n = 5
	calls := make([]responsestest.FunctionCall, n)
	for i := range calls {
		calls[i] = responsestest.FunctionCall{Name: "get_weather", Arguments: fmt.Sprintf(`{"city":"c%d"}`, i), CallID: fmt.Sprintf("call_%d", i)}
	}
	s, api := newServer(t, responsestest.Script(responsestest.Calls(calls...), responsestest.Text("ok")))

	var started atomic.Int32
	allStarted := make(chan struct{})
	// finished orders completion: call i finishes only after call i+1 did,
	// so completion order is the reverse of call order.
	finished := make([]chan struct{}, n+1)
	for i := range finished {
		finished[i] = make(chan struct{})
	}
	close(finished[n])
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		var i int
		_, _ = fmt.Sscanf(c.CallID, "call_%d", &i)
		if started.Add(1) == n {
			close(allStarted)
		}
		select { // a barrier: opens only when all n calls are running at once
		case <-allStarted:
		case <-ctx.Done():
			return responses.Output{}, ctx.Err()
		}
		<-finished[i+1]
		defer close(finished[i])
		return responses.Output{Text: fmt.Sprintf("out%d", i)}, nil
	})
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{MaxConcurrency: n})
	require.NoError(t, err)
	outs := s.Requests()[1].Outputs()
	require.Len(t, outs, n)
	for i, o := range outs {
		assert.Equal(t, fmt.Sprintf("call_%d", i), o.CallID, "outputs keep call order")
		assert.Equal(t, fmt.Sprintf("out%d", i), o.Output)
		assert.Equal(t, fmt.Sprintf("out%d", i), res.Turns[0].Calls[i].Output.Text)
	}
}

func TestRunMaxConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			const n = 7
			calls := make([]responsestest.FunctionCall, n)
			for i := range calls {
				calls[i] = responsestest.FunctionCall{Name: "get_weather", Arguments: `{}`, CallID: fmt.Sprintf("call_%d", i)}
			}
			_, api := newServer(t, responsestest.Script(responsestest.Calls(calls...), responsestest.Text("ok")))
			var inflight, maxSeen atomic.Int32
			full := make(chan struct{})
			var once sync.Once
			var mu sync.Mutex
			var order []string
			exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
				mu.Lock()
				order = append(order, c.CallID)
				mu.Unlock()
				cur := inflight.Add(1)
				defer inflight.Add(-1)
				for {
					m := maxSeen.Load()
					if cur <= m || maxSeen.CompareAndSwap(m, cur) {
						break
					}
				}
				if cur == int32(limit) {
					once.Do(func() { close(full) })
				}
				select { // hold every call until the limit was reached once
				case <-full:
				case <-ctx.Done():
				}
				return responses.Output{Text: "x"}, nil
			})
			_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{MaxConcurrency: limit})
			require.NoError(t, err)
			assert.Equal(t, int32(limit), maxSeen.Load())
			if limit == 1 {
				want := make([]string, n)
				for i := range want {
					want[i] = fmt.Sprintf("call_%d", i)
				}
				assert.Equal(t, want, order, "MaxConcurrency 1 runs calls in order")
			}
		})
	}
}

// turnSource offers a new tool each turn and routes each turn's calls to
// an executor that knows which turn's tools it was made for.
type turnSource struct{ turns atomic.Int32 }

func (s *turnSource) Toolbox(context.Context) (responses.Toolbox, error) {
	n := s.turns.Add(1)
	return responses.Toolbox{
		Tools: []oai.ToolUnionParam{oai.ToolParamOfFunction(fmt.Sprintf("dynamic_%d", n), map[string]any{"type": "object"}, false)},
		Exec: responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
			return responses.Output{Text: fmt.Sprintf("turn %d ran %s", n, c.Name)}, nil
		}),
	}, nil
}

// TestRunToolSourcePairsToolsAndExecutor: each turn sends the caller's
// tools then the turn's, and the calls of a response run on the Executor
// of the Toolbox whose tools were offered in that request.
func TestRunToolSourcePairsToolsAndExecutor(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "dynamic_1", Arguments: `{}`}),
		responsestest.Calls(responsestest.FunctionCall{Name: "dynamic_2", Arguments: `{}`}),
		responsestest.Text("ok"),
	))
	p := baseParams()
	res, err := responses.Run(testCtx(t), api, p, &turnSource{}, responses.Options{})
	require.NoError(t, err)
	for i, r := range s.Requests() {
		var names []string
		for _, tool := range r.Tools {
			names = append(names, tool["name"].(string))
			assert.Contains(t, tool, "strict", "strict is always explicit")
		}
		assert.Equal(t, []string{"get_weather", fmt.Sprintf("dynamic_%d", i+1)}, names)
	}
	assert.Equal(t, "turn 1 ran dynamic_1", res.Turns[0].Calls[0].Output.Text)
	assert.Equal(t, "turn 2 ran dynamic_2", res.Turns[1].Calls[0].Output.Text)
	assert.Len(t, p.Tools, 1, "params.Tools untouched")
	requireValid(t, s)
}

type failingSource struct{ err error }

func (s failingSource) Toolbox(context.Context) (responses.Toolbox, error) {
	return responses.Toolbox{}, s.err
}

func TestRunToolSourceError(t *testing.T) {
	_, api := newServer(t, responsestest.Script(responsestest.Text("never")))
	boom := errors.New("no tools")
	_, err := responses.Run(testCtx(t), api, baseParams(), failingSource{boom}, responses.Options{})
	assert.ErrorIs(t, err, boom)
}

func TestRunArrayAndEmptyOutputs(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "image", Arguments: `{}`, CallID: "c_img"},
			responsestest.FunctionCall{Name: "empty", Arguments: ``, CallID: "c_empty"},
		),
		responsestest.Text("ok"),
	))
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		if c.Name == "empty" {
			return responses.Output{}, nil
		}
		return responses.Output{Text: "ignored when parts exist", Parts: []responses.Part{
			{Type: responses.PartText, Text: "a chart"},
			{Type: responses.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgo="},
			{Type: responses.PartFile, FileData: "aGVsbG8=", Filename: "hello.txt"},
		}}, nil
	})
	_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
	require.NoError(t, err)
	outs := s.Requests()[1].Outputs()
	require.Len(t, outs, 2)
	parts, ok := outs[0].Raw["output"].([]any)
	require.True(t, ok, "parts are sent as an array: %v", outs[0].Raw)
	require.Len(t, parts, 3)
	assert.Equal(t, "input_text", parts[0].(map[string]any)["type"])
	assert.Equal(t, "input_image", parts[1].(map[string]any)["type"])
	assert.Equal(t, "input_file", parts[2].(map[string]any)["type"])
	assert.Equal(t, "hello.txt", parts[2].(map[string]any)["filename"])
	out, present := outs[1].Raw["output"]
	assert.True(t, present, "an empty output is still sent")
	assert.Equal(t, "", out)
	requireValid(t, s)
}

func TestRunStoreFalseResendsConversation(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}}, Rounds: 2}
	h := model.Handler()
	s, api := newServer(t, func(r *responsestest.Request) responsestest.Reply {
		rep := h(r)
		if len(rep.Output) > 0 && rep.Output[0]["type"] == "function_call" {
			rep = rep.WithReasoning("plan")
		}
		return rep
	})
	p := baseParams()
	p.Store = openai.Bool(false)
	p.Include = []oai.ResponseIncludable{oai.ResponseIncludableReasoningEncryptedContent}
	res, err := responses.Run(testCtx(t), api, p, responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, `Tool results: get_weather({"city":"Paris"}) -> get_weather:{"city":"Paris"}`, res.OutputText)

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Empty(t, r.PreviousResponseID, "store:false cannot chain")
		assert.Equal(t, false, r.Body["store"])
	}
	assert.Equal(t, []string{"message", "reasoning", "function_call", "function_call_output"}, reqs[1].ItemTypes())
	assert.Equal(t, []string{"message", "reasoning", "function_call", "function_call_output",
		"reasoning", "function_call", "function_call_output"}, reqs[2].ItemTypes())
	assert.Equal(t, "What is the weather in Paris?", reqs[2].Prompt())
	// The resent function_call carries the call id its output refers to.
	assert.Equal(t, reqs[1].Input[2]["call_id"], reqs[1].Input[3]["call_id"])
	assert.NotEmpty(t, reqs[1].Input[1]["encrypted_content"])
	requireValid(t, s)
}

func TestRunStoreFalseDropsReasoningWithoutEncryptedContent(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{}`}).WithReasoning("hidden"),
		responsestest.Text("ok"),
	))
	p := baseParams()
	p.Store = openai.Bool(false)
	_, err := responses.Run(testCtx(t), api, p, responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"message", "function_call", "function_call_output"}, s.Requests()[1].ItemTypes())
	requireValid(t, s)
}

func TestRunConversationSendsOnlyNewOutputs(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{}`, CallID: "c1"}),
		responsestest.Text("ok"),
	))
	p := baseParams()
	p.Conversation = oai.ResponseNewParamsConversationUnion{OfString: openai.String("conv_123")}
	_, err := responses.Run(testCtx(t), api, p, responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[1].PreviousResponseID)
	assert.Equal(t, "conv_123", reqs[1].Body["conversation"])
	assert.Equal(t, []string{"function_call_output"}, reqs[1].ItemTypes())
}

func TestRunContinuesCallerPreviousResponseID(t *testing.T) {
	s, api := newServer(t, responsestest.Script(responsestest.Text("hi")))
	p := baseParams()
	p.PreviousResponseID = openai.String("resp_earlier")
	_, err := responses.Run(testCtx(t), api, p, responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "resp_earlier", s.Requests()[0].PreviousResponseID)
}

func TestRunInputItems(t *testing.T) {
	s, api := newServer(t, responsestest.Script(responsestest.Text("hi")))
	p := baseParams()
	p.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: oai.ResponseInputParam{
		oai.ResponseInputItemParamOfMessage("first", oai.EasyInputMessageRoleUser),
		oai.ResponseInputItemParamOfMessage("second", oai.EasyInputMessageRoleUser),
	}}
	_, err := responses.Run(testCtx(t), api, p, responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "second", s.Requests()[0].Prompt())
	assert.Len(t, s.Requests()[0].Input, 2)
	requireValid(t, s)
}

func TestRunNilArguments(t *testing.T) {
	_, err := responses.Run(context.Background(), nil, baseParams(), responses.Static(echoExec), responses.Options{})
	assert.Error(t, err)
	_, api := newServer(t, responsestest.Script())
	_, err = responses.Run(context.Background(), api, baseParams(), nil, responses.Options{})
	assert.Error(t, err)
}

func TestAPIErrorHidesKeys(t *testing.T) {
	e := &responses.APIError{HTTPStatus: 401, Code: "invalid_api_key", Message: "Incorrect API key provided: sk-proj-abcd1234efgh. You can find your API key at ..."}
	assert.NotContains(t, e.Error(), "abcd1234")
	assert.Contains(t, e.Error(), "invalid_api_key")
	assert.Contains(t, e.Error(), "401")
}

func TestResultJSONFriendly(t *testing.T) {
	// A Result's turns can be logged as JSON (no cycles, no funcs).
	_, api := newServer(t, responsestest.Script(responsestest.Calls(responsestest.FunctionCall{Name: "a"}), responsestest.Text("x")))
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	b, err := json.Marshal(res.Turns)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), `"Name":"a"`))
}

func TestManyConcurrentRunsShareOneServer(t *testing.T) {
	const n = 200
	s, api := newServer(t, responsestest.ToolCaller(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}))
	var wg sync.WaitGroup
	errs := make([]error, n)
	texts := make([]string, n)
	for i := range n {
		wg.Go(func() {
			exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
				return responses.Output{Text: fmt.Sprintf("run%d", i)}, nil
			})
			res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
			errs[i] = err
			if res != nil {
				texts[i] = res.OutputText
			}
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, fmt.Sprintf(`Tool results: get_weather({"city":"Paris"}) -> run%d`, i), texts[i])
	}
	assert.Equal(t, 2*n, s.Count())
}

// TestRunHooksAreSerialized runs four calls of one turn in parallel and
// has every hook record how many hooks are inside at once: never more
// than one. The hooks share a plain slice, so -race also checks it.
func TestRunHooksAreSerialized(t *testing.T) {
	var calls []responsestest.FunctionCall
	for i := range 4 {
		calls = append(calls, responsestest.FunctionCall{Name: "t", Arguments: `{}`, CallID: fmt.Sprintf("c%d", i)})
	}
	_, api := newServer(t, responsestest.Script(responsestest.Calls(calls...), responsestest.Text("ok")))
	var started sync.WaitGroup
	started.Add(4)
	exec := responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
		started.Done()
		started.Wait() // all four calls are in the executor at once
		return responses.Output{Text: "ok"}, nil
	})
	var inside, most atomic.Int32
	var log []string // no lock: the bridge serializes hooks
	enter := func(what string) {
		if n := inside.Add(1); n > most.Load() {
			most.Store(n)
		}
		log = append(log, what)
		time.Sleep(time.Millisecond)
		inside.Add(-1)
	}
	opts := responses.Options{
		MaxConcurrency: 4,
		BeforeCall:     func(_ context.Context, c responses.Call) { enter("before " + c.CallID) },
		Approve: func(_ context.Context, c responses.Call) (bool, string) {
			enter("approve " + c.CallID)
			return true, ""
		},
		AfterCall: func(_ context.Context, r responses.CallRecord) { enter("after " + r.Call.CallID) },
	}
	_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), opts)
	require.NoError(t, err)
	assert.Equal(t, int32(1), most.Load())
	assert.Len(t, log, 12)
}
