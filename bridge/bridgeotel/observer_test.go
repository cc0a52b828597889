package bridgeotel_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgeotel"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

const secretArg = "s3cret-argument-value"

// TestSpansNest: a bridge run over an in-process MCP server makes a run
// span, one turn span per request and a call span under the turn that
// asked for it, with the documented attributes and no argument or output.
func TestSpansNest(t *testing.T) {
	ctx := testCtx(t)
	tp, rec := newRecorder(t)
	fake := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "t__echo", Arguments: `{"text":"` + secretArg + `"}`, CallID: "call_echo"}).
			WithUsage(responsestest.Usage{InputTokens: 10, OutputTokens: 5, CachedTokens: 2, ReasoningTokens: 1}),
		responsestest.Text("done").WithUsage(responsestest.Usage{InputTokens: 20, OutputTokens: 7}),
	))
	defer fake.Close()
	client := fake.Client()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("t", mcptest.NewServer())})
	require.NoError(t, err)
	defer b.Close()

	obs := bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))
	res, err := b.Run(ctx, &client.Responses, params(), bridge.WithObserver(obs))
	require.NoError(t, err)
	require.Len(t, res.Turns, 2)

	sp := split(t, rec.Ended())
	require.Len(t, rec.Ended(), 4)
	run, turns, call := sp.run, sp.turns, sp.calls["t__echo"]
	require.Len(t, turns, 2)
	require.NotNil(t, call)
	assert.Equal(t, "invoke_agent gpt-5-mini", run.Name())
	assert.Equal(t, "chat gpt-5-mini", turns[0].Name())

	// Nesting: one trace, run > turn > call.
	for _, s := range rec.Ended() {
		assert.Equal(t, run.SpanContext().TraceID(), s.SpanContext().TraceID(), s.Name())
	}
	assert.False(t, run.Parent().IsValid(), "the run span is a root")
	for _, tn := range turns {
		assert.Equal(t, run.SpanContext().SpanID(), tn.Parent().SpanID(), "turns are children of the run")
	}
	assert.Equal(t, turns[0].SpanContext().SpanID(), call.Parent().SpanID(), "the call is a child of turn 1")

	assert.Equal(t, trace.SpanKindInternal, run.SpanKind())
	ra := attrs(run)
	assert.Equal(t, "invoke_agent", ra["gen_ai.operation.name"])
	assert.Equal(t, "openai", ra["gen_ai.provider.name"])
	assert.Equal(t, "gpt-5-mini", ra["gen_ai.request.model"])
	assert.Equal(t, int64(2), ra["mcpbridge.iterations"])
	assert.Equal(t, res.LastResponseID, ra["gen_ai.response.id"])
	assert.Equal(t, int64(30), ra["gen_ai.usage.input_tokens"])
	assert.Equal(t, int64(12), ra["gen_ai.usage.output_tokens"])
	assert.Equal(t, int64(2), ra["gen_ai.usage.cache_read.input_tokens"])
	assert.Equal(t, int64(1), ra["mcpbridge.usage.reasoning_tokens"])
	assert.Equal(t, codes.Unset, run.Status().Code)

	for i, tn := range turns {
		ta := attrs(tn)
		assert.Equal(t, trace.SpanKindClient, tn.SpanKind())
		assert.Equal(t, "chat", ta["gen_ai.operation.name"])
		assert.Equal(t, int64(i+1), ta["mcpbridge.turn"])
		assert.Equal(t, res.Turns[i].ResponseID, ta["gen_ai.response.id"])
		assert.Equal(t, res.Turns[i].Usage.InputTokens, ta["gen_ai.usage.input_tokens"])
		assert.Equal(t, int64(len(res.Turns[i].Calls)), ta["mcpbridge.calls"])
	}

	ca := attrs(call)
	assert.Equal(t, "execute_tool", ca["gen_ai.operation.name"])
	assert.Equal(t, "t__echo", ca["gen_ai.tool.name"])
	assert.Equal(t, "call_echo", ca["gen_ai.tool.call.id"])
	assert.Equal(t, "function", ca["gen_ai.tool.type"])
	assert.Equal(t, "t", ca["mcp.server.name"])
	assert.Equal(t, "echo", ca["mcp.tool.name"])
	assert.Equal(t, "tools/call", ca["mcp.method.name"])
	assert.Equal(t, int64(len(res.Turns[0].Calls[0].Output.Text)), ca["mcpbridge.output.bytes"])
	assert.Equal(t, false, ca["mcpbridge.call.denied"])
	assert.Equal(t, codes.Unset, call.Status().Code)
	assert.True(t, call.EndTime().After(call.StartTime()), "the call span has a duration")

	// The argument (echoed back as the output) is recorded nowhere.
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			assert.NotContains(t, kv.Value.String(), secretArg, "%s: %s", s.Name(), kv.Key)
		}
		assert.NotContains(t, s.Status().Description, secretArg)
		assert.Empty(t, s.Events(), s.Name())
	}
}

// TestErrorsSetStatus: a tool error, an unknown function, a denied call and
// an API error each end their span with status Error and error.type; the
// run span carries the run's error.
func TestErrorsSetStatus(t *testing.T) {
	ctx := testCtx(t)
	tp, rec := newRecorder(t)
	fake := responsestest.New(responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "t__fail", Arguments: `{"message":"` + secretArg + `"}`},
			responsestest.FunctionCall{Name: "t__nope", Arguments: `{}`},
			responsestest.FunctionCall{Name: "t__add", Arguments: `{"a":1,"b":2}`},
			responsestest.FunctionCall{Name: "t__echo", Arguments: `{"text":"ok"}`},
		),
		responsestest.APIError(400, "invalid_value", "bad request"),
	))
	defer fake.Close()
	client := fake.Client()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("t", mcptest.NewServer())})
	require.NoError(t, err)
	defer b.Close()

	deny := bridge.WithApproval(func(_ context.Context, c bridge.Call) (bool, string) {
		return c.Name != "t__add", "no adding"
	})
	obs := bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))
	_, err = b.Run(ctx, &client.Responses, params(), deny, bridge.WithObserver(obs))
	require.Error(t, err)

	sp := split(t, rec.Ended())
	run, turns, calls := sp.run, sp.turns, sp.calls
	require.Len(t, turns, 2)
	require.Len(t, calls, 4)

	for name, want := range map[string]string{"t__fail": "tool_error", "t__nope": "*bridge.callError", "t__add": "denied"} {
		s := calls[name]
		assert.Equal(t, codes.Error, s.Status().Code, name)
		assert.Equal(t, want, s.Status().Description, name)
		assert.Equal(t, want, attrs(s)["error.type"], name)
		assert.NotContains(t, s.Status().Description, secretArg)
	}
	assert.Equal(t, true, attrs(calls["t__add"])["mcpbridge.call.denied"])
	assert.NotContains(t, attrs(calls["t__nope"]), "mcp.server.name", "an unknown function resolves to no server")
	assert.Equal(t, codes.Unset, calls["t__echo"].Status().Code)
	assert.NotContains(t, attrs(calls["t__echo"]), "error.type")

	failed := turns[1]
	assert.Equal(t, codes.Error, failed.Status().Code)
	assert.Contains(t, failed.Status().Description, "bad request")
	fa := attrs(failed)
	assert.Equal(t, int64(400), fa["http.response.status_code"])
	assert.Equal(t, "400", fa["error.type"])
	assert.Equal(t, int64(2), fa["mcpbridge.turn"])

	assert.Equal(t, codes.Error, run.Status().Code)
	assert.Equal(t, err.Error(), run.Status().Description)
	assert.Equal(t, int64(1), attrs(run)["mcpbridge.iterations"])
}

// TestErrorTypes: errors are classified for error.type by their sentinel,
// never by their message.
func TestErrorTypes(t *testing.T) {
	tp, rec := newRecorder(t)
	obs := bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("run: %w", responses.ErrMaxIterations), "max_iterations"},
		{&responses.APIError{Status: "incomplete", Err: responses.ErrResponseIncomplete}, "incomplete"},
		{fmt.Errorf("x: %w", context.Canceled), "canceled"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "deadline_exceeded"},
		{fmt.Errorf("plain"), "_OTHER"},
	} {
		ctx := obs.StartRun(context.Background(), nil)
		obs.EndRun(ctx, nil, tc.err)
		spans := rec.Ended()
		s := spans[len(spans)-1]
		assert.Equal(t, "invoke_agent", s.Name())
		assert.Equal(t, tc.want, attrs(s)["error.type"], tc.err.Error())
	}
	for _, tc := range []struct {
		rec  responses.CallRecord
		want any
	}{
		{responses.CallRecord{Err: fmt.Errorf("%w after 1s", responses.ErrCallTimeout)}, "timeout"},
		{responses.CallRecord{Err: fmt.Errorf("%w: boom", responses.ErrCallPanic)}, "panic"},
		{responses.CallRecord{Err: fmt.Errorf("%w: not an object", responses.ErrInvalidArguments)}, "invalid_arguments"},
		{responses.CallRecord{Err: fmt.Errorf("%w: no name", responses.ErrMalformedCall)}, "malformed_call"},
		{responses.CallRecord{Output: responses.Output{Text: "fine"}}, nil},
	} {
		ctx := obs.StartCall(context.Background(), responses.Call{Name: "f"})
		obs.EndCall(ctx, tc.rec)
		spans := rec.Ended()
		assert.Equal(t, tc.want, attrs(spans[len(spans)-1])["error.type"])
	}
}
