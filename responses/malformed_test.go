package responses_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// A function_call item the loop cannot trust never runs a tool. When the
// call can still be answered (its call_id is usable) the model gets an
// error output saying what was wrong; when it cannot, the run stops with
// ErrMalformedResponse before any tool runs.
func TestRunMalformedFunctionCalls(t *testing.T) {
	good := responsestest.RawCall("call_ok", "get_weather", `{"city":"Paris"}`)
	answerable := map[string]map[string]any{
		"arguments object":   responsestest.RawCall("call_bad", "get_weather", map[string]any{"city": "x"}),
		"arguments number":   responsestest.RawCall("call_bad", "get_weather", 42),
		"arguments null":     {"type": "function_call", "id": "fc_1", "call_id": "call_bad", "name": "get_weather", "arguments": nil},
		"arguments missing":  {"type": "function_call", "id": "fc_1", "call_id": "call_bad", "name": "get_weather"},
		"name missing":       responsestest.RawCall("call_bad", nil, `{}`),
		"name empty":         responsestest.RawCall("call_bad", "", `{}`),
		"name not a string":  responsestest.RawCall("call_bad", 7, `{}`),
		"arguments not JSON": responsestest.RawCall("call_bad", "get_weather", `{"city":`),
	}
	for name, item := range answerable {
		t.Run(name, func(t *testing.T) {
			var ran atomic.Int64
			exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
				ran.Add(1)
				return responses.Output{Text: "ran " + c.CallID}, nil
			})
			s, api := newServer(t, responsestest.Script(
				responsestest.RawOutput("resp_1", []any{good, item}),
				responsestest.Text("done"),
			))
			res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
			require.NoError(t, err)
			assert.EqualValues(t, 1, ran.Load(), "only the well-formed call runs")
			outs := s.Requests()[1].FunctionOutputs()
			assert.Equal(t, "ran call_ok", outs["call_ok"])
			assert.True(t, strings.HasPrefix(outs["call_bad"], "error: "), "the model is told: %q", outs["call_bad"])
			rec := res.Turns[0].Calls[1]
			if name == "arguments not JSON" {
				assert.ErrorIs(t, rec.Err, responses.ErrInvalidArguments)
			} else {
				assert.ErrorIs(t, rec.Err, responses.ErrMalformedCall)
			}
			requireValid(t, s)
		})
	}

	fatal := map[string][]any{
		"call_id missing":    {good, responsestest.RawCall(nil, "get_weather", `{}`)},
		"call_id empty":      {good, responsestest.RawCall("", "get_weather", `{}`)},
		"call_id number":     {good, responsestest.RawCall(12, "get_weather", `{}`)},
		"call_id too long":   {good, responsestest.RawCall(strings.Repeat("c", 65), "get_weather", `{}`)},
		"call_id duplicate":  {good, responsestest.RawCall("call_ok", "get_weather", `{}`)},
		"item not an object": {good, 42},
		"item without type":  {good, map[string]any{"call_id": "x"}},
		"output not a list":  {"function_call"},
		"output missing":     nil,
	}
	for name, output := range fatal {
		t.Run(name, func(t *testing.T) {
			var ran atomic.Int64
			exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
				ran.Add(1)
				return responses.Output{Text: "ran"}, nil
			})
			var reply responsestest.Reply
			if name == "output not a list" {
				reply = responsestest.RawOutput("resp_1", map[string]any{"type": "function_call"})
			} else if output == nil {
				reply = responsestest.RawOutput("resp_1", nil)
			} else {
				reply = responsestest.RawOutput("resp_1", output)
			}
			s, api := newServer(t, responsestest.Script(reply, responsestest.Text("done")))
			res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
			require.ErrorIs(t, err, responses.ErrMalformedResponse)
			require.NotNil(t, res)
			assert.Zero(t, ran.Load(), "no tool runs")
			assert.Equal(t, 1, s.Count(), "nothing more is sent")
			assert.Empty(t, res.Pending)
		})
	}
}
