package responses_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// countingExec counts executions per call id.
type countingExec struct {
	mu    sync.Mutex
	count map[string]int
}

func (e *countingExec) Execute(_ context.Context, c responses.Call) (responses.Output, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.count == nil {
		e.count = map[string]int{}
	}
	e.count[c.CallID]++
	return responses.Output{Text: "result of " + c.CallID}, nil
}

func (e *countingExec) total() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.count {
		n += c
	}
	return n
}

func TestResumeDeliversPendingWithoutReexecuting(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"A"}`, CallID: "c1"},
			responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"B"}`, CallID: "c2"},
		).WithID("resp_calls"),
		responsestest.APIError(503, "server_error", "overloaded"),
		responsestest.Text("A and B are sunny.").WithID("resp_final"),
	))
	exec := &countingExec{}
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{})
	var apiErr *responses.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.HTTPStatus)
	require.NotNil(t, res)
	assert.Equal(t, "resp_calls", res.LastResponseID)
	require.Len(t, res.Pending, 2)
	assert.Equal(t, 2, exec.total())

	res2, err := responses.Resume(testCtx(t), api, baseParams(), res.ResumePoint(), responses.Static(exec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "A and B are sunny.", res2.OutputText)
	assert.Equal(t, 2, exec.total(), "resume never runs a tool again")
	assert.Empty(t, res2.Pending)

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	last := reqs[2]
	assert.Equal(t, "resp_calls", last.PreviousResponseID)
	assert.Equal(t, "Be brief.", last.Instructions)
	assert.Len(t, last.Tools, 1)
	outs := last.Outputs()
	require.Len(t, outs, 2)
	assert.Equal(t, "c1", outs[0].CallID)
	assert.Equal(t, "result of c1", outs[0].Output)
	assert.Equal(t, "c2", outs[1].CallID)
	// Request 1 (the failed one) carried the same outputs.
	assert.Equal(t, reqs[1].FunctionOutputs(), last.FunctionOutputs())
	requireValid(t, s)
}

func TestResumeAfterMaxIterations(t *testing.T) {
	var n atomic.Int32
	s, api := newServer(t, func(r *responsestest.Request) responsestest.Reply {
		if n.Add(1) <= 2 {
			return responsestest.Calls(responsestest.FunctionCall{Name: "step"})
		}
		return responsestest.Text("finished")
	})
	exec := &countingExec{}
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{MaxIterations: 2})
	require.ErrorIs(t, err, responses.ErrMaxIterations)
	require.Len(t, res.Pending, 1)
	res2, err := responses.Resume(testCtx(t), api, baseParams(), res.ResumePoint(), responses.Static(exec), responses.Options{MaxIterations: 2})
	require.NoError(t, err)
	assert.Equal(t, "finished", res2.OutputText)
	assert.Equal(t, 2, exec.total())
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, res.LastResponseID, reqs[2].PreviousResponseID)
	assert.Equal(t, res.Pending[0].Call.CallID, reqs[2].Outputs()[0].CallID)
}

func TestResumeStoreFalseResendsHistory(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{}`, CallID: "c1"}),
		responsestest.Failed("server_error", "boom"),
		responsestest.Text("ok"),
	))
	p := baseParams()
	p.Store = openai.Bool(false)
	exec := &countingExec{}
	res, err := responses.Run(testCtx(t), api, p, responses.Static(exec), responses.Options{})
	require.ErrorIs(t, err, responses.ErrResponseFailed)
	rp := res.ResumePoint()
	assert.Len(t, rp.History, 2, "user message and function call")
	_, err = responses.Resume(testCtx(t), api, p, rp, responses.Static(exec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, 1, exec.total())
	last := s.Requests()[2]
	assert.Empty(t, last.PreviousResponseID)
	assert.Equal(t, []string{"message", "function_call", "function_call_output"}, last.ItemTypes())
	requireValid(t, s)
}

func TestResumeWithoutPendingStartsOver(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.APIError(500, "server_error", "down"),
		responsestest.Text("hello"),
	))
	res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{})
	require.Error(t, err)
	assert.Empty(t, res.Pending)
	res2, err := responses.Resume(testCtx(t), api, baseParams(), res.ResumePoint(), responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "hello", res2.OutputText)
	assert.Equal(t, "What is the weather in Paris?", s.Requests()[1].InputText)
}

func TestCancelDuringToolsReturnsPromptlyAndResumeRerunsInterrupted(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "fast", Arguments: `{}`, CallID: "c_fast"},
			responsestest.FunctionCall{Name: "slow", Arguments: `{}`, CallID: "c_slow"},
		),
		responsestest.Text("done"),
	))
	ctx, cancel := context.WithCancel(testCtx(t))
	fastDone := make(chan struct{})
	var slowRuns atomic.Int32
	var fastRuns atomic.Int32
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		if c.Name == "fast" {
			fastRuns.Add(1)
			defer close(fastDone)
			return responses.Output{Text: "fast result"}, nil
		}
		if slowRuns.Add(1) == 1 {
			<-fastDone
			cancel() // the caller gives up while this call is running
			<-ctx.Done()
			return responses.Output{}, ctx.Err()
		}
		return responses.Output{Text: "slow result"}, nil
	})
	// One at a time: the fast call's record is handed over before the slow
	// call starts and cancels the run.
	res, err := responses.Run(ctx, api, baseParams(), responses.Static(exec), responses.Options{MaxConcurrency: 1})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	require.Len(t, res.Pending, 2)
	assert.Equal(t, "fast result", res.Pending[0].Output.Text)
	assert.ErrorIs(t, res.Pending[1].Err, context.Canceled)
	assert.Len(t, s.Requests(), 1)

	res2, err := responses.Resume(testCtx(t), api, baseParams(), res.ResumePoint(), responses.Static(exec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, "done", res2.OutputText)
	assert.Equal(t, int32(1), fastRuns.Load(), "finished calls are not run again")
	assert.Equal(t, int32(2), slowRuns.Load(), "the interrupted call is run again")
	got := s.Requests()[1].FunctionOutputs()
	assert.Equal(t, map[string]string{"c_fast": "fast result", "c_slow": "slow result"}, got)
}

func TestCancelWithExecutorIgnoringContext(t *testing.T) {
	_, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "stubborn", Arguments: `{}`}),
		responsestest.Text("never"),
	))
	ctx, cancel := context.WithCancel(testCtx(t))
	started := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan struct{})
	exec := responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
		defer close(finished)
		close(started)
		<-release
		return responses.Output{}, nil
	})
	go func() { <-started; cancel() }()
	res, err := responses.Run(ctx, api, baseParams(), responses.Static(exec), responses.Options{})
	require.ErrorIs(t, err, context.Canceled, "Run returns without waiting for the stuck executor")
	require.Len(t, res.Pending, 1)
	close(release)
	<-finished
}

func TestCancelDuringAPIRequest(t *testing.T) {
	entered := make(chan struct{})
	var once sync.Once
	_, api := newServer(t, func(r *responsestest.Request) responsestest.Reply {
		if r.Index == 0 {
			return responsestest.Calls(responsestest.FunctionCall{Name: "x", CallID: "c1"}).WithID("resp_1")
		}
		once.Do(func() { close(entered) })
		<-r.Context().Done() // hangs until the client goes away
		return responsestest.Text("too late")
	})
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() { <-entered; cancel() }()
	res, err := responses.Run(ctx, api, baseParams(), responses.Static(echoExec), responses.Options{})
	require.ErrorIs(t, err, context.Canceled)
	var apiErr *responses.APIError
	assert.False(t, errors.As(err, &apiErr))
	require.NotNil(t, res)
	assert.Equal(t, "resp_1", res.LastResponseID)
	require.Len(t, res.Pending, 1)
	assert.Equal(t, "x:{}", res.Pending[0].Output.Text)
}

func TestLoggingNeverShowsSecrets(t *testing.T) {
	s, api := newServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "login", Arguments: `{"password":"hunter2-secret"}`}),
		responsestest.APIError(401, "invalid_api_key", "Incorrect API key provided: sk-fakeapi-not-a-real-key"),
	))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	exec := responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
		return responses.Output{Text: "token=tool-output-secret"}, nil
	})
	_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{
		Logger:         logger,
		RequestOptions: []option.RequestOption{option.WithHeader("X-Gateway-Token", "gateway-secret")},
	})
	require.Error(t, err)
	logs := buf.String()
	assert.Contains(t, logs, "tool call")
	assert.Contains(t, logs, "login")
	for _, secret := range []string{responsestest.FakeAPIKey, "hunter2-secret", "tool-output-secret", "gateway-secret", "Bearer"} {
		assert.NotContains(t, logs, secret)
		assert.NotContains(t, err.Error(), secret)
	}
	// The header did reach the server.
	assert.Equal(t, "gateway-secret", s.Requests()[0].Header.Get("X-Gateway-Token"))
	assert.Equal(t, "[redacted]", s.Requests()[0].Header.Get("Authorization"))
	assert.False(t, strings.Contains(string(s.Requests()[0].Raw), responsestest.FakeAPIKey))
}
