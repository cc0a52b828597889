package responses_test

// How Run turns failures into outputs or errors: failed, timed-out and
// denied calls, hook panics, iteration limits, bad API answers.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func TestRunCallFailuresBecomeOutputs(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "ok", Arguments: `{}`, CallID: "c_ok"},
			responsestest.FunctionCall{Name: "fails", Arguments: `{}`, CallID: "c_fail"},
			responsestest.FunctionCall{Name: "panics", Arguments: `{}`, CallID: "c_panic"},
			responsestest.FunctionCall{Name: "no_such_tool", Arguments: `{}`, CallID: "c_unknown"},
			responsestest.FunctionCall{Name: "ok", Arguments: `{"a":`, CallID: "c_badjson"},
			responsestest.FunctionCall{Name: "tool_error", Arguments: `{}`, CallID: "c_toolerr"},
		),
		responsestest.Text("handled"),
	))
	var executed sync.Map
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		executed.Store(c.CallID, true)
		switch c.Name {
		case "ok":
			return responses.Output{Text: "fine"}, nil
		case "fails":
			return responses.Output{}, errors.New("disk full")
		case "panics":
			panic("boom")
		case "tool_error":
			return responses.Output{Text: "division by zero", IsError: true}, nil
		}
		return responses.Output{}, fmt.Errorf("unknown function %q", c.Name)
	})
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "handled", res.OutputText)

	got := s.Requests()[1].FunctionOutputs()
	assert.Equal(t, "fine", got["c_ok"])
	assert.Equal(t, "error: disk full", got["c_fail"])
	assert.Contains(t, got["c_panic"], "error: tool call panicked")
	assert.Contains(t, got["c_panic"], "boom")
	assert.Equal(t, `error: unknown function "no_such_tool"`, got["c_unknown"])
	assert.Contains(t, got["c_badjson"], "not valid JSON")
	assert.Equal(t, "division by zero", got["c_toolerr"])
	_, ran := executed.Load("c_badjson")
	assert.False(t, ran, "invalid JSON never reaches the executor")

	calls := res.Turns[0].Calls
	assert.ErrorIs(t, calls[2].Err, responses.ErrCallPanic)
	assert.ErrorIs(t, calls[4].Err, responses.ErrInvalidArguments)
	assert.True(t, calls[1].Output.IsError)
	assert.True(t, calls[5].Output.IsError)
	assert.NoError(t, calls[5].Err)
	requireValid(t, s)
}

func TestRunCallTimeoutDoesNotStopSiblings(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "stuck", Arguments: `{}`, CallID: "c_stuck"},
			responsestest.FunctionCall{Name: "ok", Arguments: `{}`, CallID: "c_ok"},
		),
		responsestest.Text("done"),
	))
	release := make(chan struct{})
	stuckDone := make(chan struct{})
	t.Cleanup(func() { close(release); <-stuckDone })
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		if c.Name == "stuck" {
			defer close(stuckDone)
			<-release // ignores its context on purpose
			return responses.Output{Text: "too late"}, nil
		}
		return responses.Output{Text: "fine"}, nil
	})
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{CallTimeout: 20 * time.Millisecond})
	require.NoError(t, err)
	got := s.Requests()[1].FunctionOutputs()
	assert.Contains(t, got["c_stuck"], "timed out after 20ms (the run's call timeout: Options.CallTimeout", "which limit, and where it is set")
	assert.Equal(t, "fine", got["c_ok"])
	assert.ErrorIs(t, res.Turns[0].Calls[0].Err, responses.ErrCallTimeout)
}

func TestRunCallTimeoutWithContextAwareExecutor(t *testing.T) {
	_, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "slow", Arguments: `{}`}),
		responsestest.Text("done"),
	))
	exec := responses.ExecutorFunc(func(ctx context.Context, _ responses.Call) (responses.Output, error) {
		<-ctx.Done()
		return responses.Output{}, ctx.Err()
	})
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{CallTimeout: 10 * time.Millisecond})
	require.NoError(t, err)
	assert.ErrorIs(t, res.Turns[0].Calls[0].Err, responses.ErrCallTimeout)
}

func TestRunApproveHooks(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "read", Arguments: `{}`, CallID: "c_read"},
			responsestest.FunctionCall{Name: "delete_all", Arguments: `{}`, CallID: "c_del"},
		),
		responsestest.Text("ok"),
	))
	var executed atomic.Int32
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		executed.Add(1)
		assert.NotEqual(t, "delete_all", c.Name, "a denied call must not run")
		return responses.Output{Text: "data"}, nil
	})
	var mu sync.Mutex
	var before []string
	after := map[string]responses.CallRecord{}
	opts := responses.Options{
		Approve: func(_ context.Context, c responses.Call) (bool, string) {
			if c.Name == "delete_all" {
				return false, "destructive tools need a human"
			}
			return true, ""
		},
		BeforeCall: func(_ context.Context, c responses.Call) {
			mu.Lock()
			defer mu.Unlock()
			before = append(before, c.CallID)
		},
		AfterCall: func(_ context.Context, r responses.CallRecord) {
			mu.Lock()
			defer mu.Unlock()
			after[r.Call.CallID] = r
		},
	}
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), opts)
	require.NoError(t, err)
	assert.Equal(t, int32(1), executed.Load())
	assert.ElementsMatch(t, []string{"c_read", "c_del"}, before)
	require.Len(t, after, 2)
	assert.True(t, after["c_del"].Denied)
	assert.ErrorIs(t, after["c_del"].Err, responses.ErrDenied)
	assert.False(t, after["c_read"].Denied)
	assert.Equal(t, "data", after["c_read"].Output.Text)
	assert.True(t, res.Turns[0].Calls[1].Denied)

	out := s.Requests()[1].FunctionOutputs()["c_del"]
	assert.Contains(t, out, "denied")
	assert.Contains(t, out, "destructive tools need a human")
}

func TestRunHookPanicsAreContained(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "a", Arguments: `{}`, CallID: "c1"}),
		responsestest.Text("ok"),
	))
	opts := responses.Options{
		BeforeCall: func(context.Context, responses.Call) { panic("before") },
		AfterCall:  func(context.Context, responses.CallRecord) { panic("after") },
		Approve:    func(context.Context, responses.Call) (bool, string) { panic("approve") },
	}
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), opts)
	require.NoError(t, err)
	assert.False(t, res.Turns[0].Calls[0].Denied)
	assert.ErrorIs(t, res.Turns[0].Calls[0].Err, responses.ErrCallPanic, "a panicking Approve fails closed")
	assert.Contains(t, s.Requests()[1].FunctionOutputs()["c1"], "not approved")
}

func TestRunMaxIterations(t *testing.T) {
	var n atomic.Int32
	s, api := newServer(t, func(*responsestest.Request) responsestest.Reply {
		return responsestest.Calls(responsestest.FunctionCall{Name: "again", Arguments: fmt.Sprintf(`{"n":%d}`, n.Add(1))})
	})
	var executed atomic.Int32
	exec := responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
		executed.Add(1)
		return responses.Output{Text: "more"}, nil
	})
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{MaxIterations: 3})
	require.ErrorIs(t, err, responses.ErrMaxIterations)
	require.NotNil(t, res)
	assert.Equal(t, 3, res.Iterations)
	assert.Len(t, res.Turns, 3)
	assert.Len(t, s.Requests(), 3)
	assert.Equal(t, int32(3), executed.Load())
	require.Len(t, res.Pending, 1, "outputs of the last turn are kept")
	assert.Equal(t, res.Turns[2].Calls[0].Call.CallID, res.Pending[0].Call.CallID)
	assert.Equal(t, res.Turns[2].ResponseID, res.LastResponseID)
}

func TestRunDefaultMaxIterationsIsTen(t *testing.T) {
	s, api := newServer(t, func(*responsestest.Request) responsestest.Reply {
		return responsestest.Calls(responsestest.FunctionCall{Name: "x"})
	})
	_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	require.ErrorIs(t, err, responses.ErrMaxIterations)
	assert.Len(t, s.Requests(), 10)
}

func TestRunFailedAndIncompleteResponses(t *testing.T) {
	cases := []struct {
		name             string
		reply            responsestest.Reply
		status, code     string
		sentinel         error
		messageSubstring string
	}{
		{"failed", responsestest.Failed("server_error", "the model crashed"), "failed", "server_error", responses.ErrResponseFailed, "the model crashed"},
		{"incomplete", responsestest.Incomplete("max_output_tokens"), "incomplete", "max_output_tokens", responses.ErrResponseIncomplete, "max_output_tokens"},
		{"cancelled", responsestest.Reply{Status: "cancelled"}, "cancelled", "", responses.ErrResponseStatus, "cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, api := newServer(t, responsestest.Script(
				responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{}`, CallID: "c1"}).WithID("resp_good"),
				tc.reply.WithID("resp_bad"),
			))
			res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
			var apiErr *responses.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, tc.sentinel)
			assert.Equal(t, tc.status, apiErr.Status)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, "resp_bad", apiErr.ResponseID)
			assert.Equal(t, 200, apiErr.HTTPStatus)
			assert.Contains(t, apiErr.Error(), tc.messageSubstring)
			require.NotNil(t, res)
			assert.Equal(t, "resp_good", res.LastResponseID)
			assert.Equal(t, "resp_bad", res.Response.ID)
			require.Len(t, res.Pending, 1)
			assert.Equal(t, "c1", res.Pending[0].Call.CallID)
			assert.Equal(t, 1, res.Iterations)
		})
	}
}

func TestRunHTTPErrorIsAPIError(t *testing.T) {
	_, api := newServer(t, responsestest.Script(responsestest.APIError(400, "invalid_value", "tools[0].name is invalid")))
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	var apiErr *responses.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.HTTPStatus)
	assert.Equal(t, "invalid_value", apiErr.Code)
	assert.Equal(t, "tools[0].name is invalid", apiErr.Message)
	var sdkErr *openai.Error
	require.ErrorAs(t, err, &sdkErr, "unwraps to the SDK error")
	assert.Equal(t, 400, sdkErr.StatusCode)
	require.NotNil(t, res)
	assert.Zero(t, res.Iterations)
}

func TestRunRetries429WithSDKRetries(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.APIError(429, "rate_limit_exceeded", "slow down"),
		responsestest.APIError(503, "server_error", "try again"),
		responsestest.Text("finally"),
	))
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec),
		responses.Options{RequestOptions: []option.RequestOption{option.WithMaxRetries(3)}})
	require.NoError(t, err)
	assert.Equal(t, "finally", res.OutputText)
	assert.Len(t, s.Requests(), 3)
}

func TestRunNoRetriesSurfaces429(t *testing.T) {
	_, api := newServer(t, responsestest.Script(responsestest.APIError(429, "rate_limit_exceeded", "slow down"), responsestest.Text("x")))
	_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	var apiErr *responses.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.HTTPStatus)
	assert.Equal(t, "rate_limit_exceeded", apiErr.Code)
}

func TestRunMalformedResponses(t *testing.T) {
	cases := map[string]responsestest.Reply{
		"not json":     responsestest.Malformed(),
		"text/plain":   {RawBody: []byte("hello"), ContentType: "text/plain"},
		"no id":        {RawBody: []byte(`{"object":"response","status":"completed","output":[]}`)},
		"html 502":     responsestest.HTTPError(502, "<html>bad gateway</html>"),
		"json array":   {RawBody: []byte(`[1,2,3]`)},
		"bad error id": responsestest.HTTPError(500, `{"error": "just a string"}`),
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			_, api := newServer(t, responsestest.Script(reply))
			res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
			require.Error(t, err)
			require.NotNil(t, res)
			assert.Zero(t, res.Iterations)
		})
	}
}
