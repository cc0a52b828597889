package responses_test

import (
	"context"
	"github.com/openai/openai-go/v3"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// newStreamServer starts a validating fake API; its client's Responses
// service serves both Run (API) and Stream (StreamAPI).
func newStreamServer(t testing.TB, h responsestest.Handler, opts ...option.RequestOption) (*responsestest.Server, *oai.ResponseService) {
	t.Helper()
	s := responsestest.New(h)
	s.SetValidation(true)
	t.Cleanup(s.Close)
	c := s.Client(opts...)
	return s, &c.Responses
}

// collect ranges over a stream to its end.
func collect(seq func(func(responses.Event, error) bool)) (events []responses.Event, res *responses.Result, err error) {
	for ev, e := range seq {
		events = append(events, ev)
		if ev.Kind == responses.EventRunDone {
			res, err = ev.Result, e
		} else if e != nil {
			panic("an error on an event other than run_done")
		}
	}
	return events, res, err
}

func kinds(events []responses.Event) []responses.EventKind {
	out := make([]responses.EventKind, len(events))
	for i, ev := range events {
		out[i] = ev.Kind
	}
	return out
}

func deltas(events []responses.Event, k responses.EventKind) string {
	var b strings.Builder
	for _, ev := range events {
		if ev.Kind == k {
			b.WriteString(ev.Delta)
		}
	}
	return b.String()
}

func twoTurnScript() responsestest.Handler {
	return responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`, CallID: "call_a"}).
			WithReasoning("Look it up.").WithID("resp_1"),
		responsestest.Text("Sunny in Paris today.").WithID("resp_2"),
	)
}

func TestStreamYieldsEventsInOrderAndTheResultOfRun(t *testing.T) {
	s, api := newStreamServer(t, twoTurnScript())
	events, res, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{}))
	require.NoError(t, err)
	// The call's result comes after the call and before turn 2; whether
	// before or after the end of turn 1 depends on who is quicker, the
	// call or the rest of the stream.
	ks := kinds(events)
	callDone := slices.Index(ks, responses.EventCallDone)
	require.Positive(t, callDone)
	assert.Equal(t, []responses.EventKind{
		responses.EventReasoningDelta, responses.EventReasoningDelta, responses.EventReasoningDelta,
		responses.EventFunctionCall, responses.EventTurnDone,
		responses.EventTextDelta, responses.EventTextDelta, responses.EventTextDelta, responses.EventTextDelta,
		responses.EventTurnDone, responses.EventRunDone,
	}, slices.Delete(slices.Clone(ks), callDone, callDone+1))
	assert.Less(t, callDone, slices.Index(ks, responses.EventTextDelta))
	assert.Equal(t, "Look it up.", deltas(events, responses.EventReasoningDelta))
	assert.Equal(t, "Sunny in Paris today.", deltas(events, responses.EventTextDelta))
	call := events[3].Call
	assert.Equal(t, responses.Call{CallID: "call_a", Name: "get_weather", Arguments: `{"city":"Paris"}`, ItemID: call.ItemID}, call)
	assert.Equal(t, 1, events[3].Turn)
	assert.Equal(t, `get_weather:{"city":"Paris"}`, events[callDone].Record.Output.Text)
	assert.Equal(t, 1, events[callDone].Turn)
	turn1 := events[slices.Index(ks, responses.EventTurnDone)]
	assert.Equal(t, "resp_1", turn1.ResponseID)
	assert.NotZero(t, turn1.Usage.TotalTokens)
	assert.Equal(t, 2, events[len(events)-2].Turn)

	// The same script through Run gives the same Result.
	s2, api2 := newStreamServer(t, twoTurnScript())
	want, err := responses.Run(testCtx(t), api2, baseParams(), responses.Static(echoExec), responses.Options{})
	require.NoError(t, err)
	assert.Equal(t, want.OutputText, res.OutputText)
	assert.Equal(t, want.Iterations, res.Iterations)
	assert.Equal(t, want.LastResponseID, res.LastResponseID)
	assert.Equal(t, want.Usage.OutputTokens, res.Usage.OutputTokens)
	require.Len(t, res.Turns, 2)
	assert.Equal(t, want.Turns[0].Calls[0].Output, res.Turns[0].Calls[0].Output)
	assert.Equal(t, want.Turns[0].Calls[0].Call, res.Turns[0].Calls[0].Call)

	reqs, reqs2 := s.Requests(), s2.Requests()
	require.Len(t, reqs, 2)
	for i := range reqs {
		assert.Equal(t, true, reqs[i].Body["stream"])
		assert.Equal(t, reqs2[i].PreviousResponseID, reqs[i].PreviousResponseID)
		assert.Equal(t, reqs2[i].FunctionOutputs(), reqs[i].FunctionOutputs())
	}
	requireValid(t, s)
}

func TestStreamStartsCallsBeforeTheResponseEnds(t *testing.T) {
	// The second call is an hour away: the first call runs and finishes
	// while the model is still writing.
	_, api := newStreamServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "first"}, responsestest.FunctionCall{Name: "second"}).WithDelays(0, time.Hour),
	))
	var sawDone bool
	for ev, err := range responses.Stream(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{}) {
		require.NoError(t, err)
		require.NotEqual(t, responses.EventTurnDone, ev.Kind)
		if ev.Kind == responses.EventCallDone {
			assert.Equal(t, "first", ev.Call.Name)
			assert.Equal(t, "first:{}", ev.Record.Output.Text)
			sawDone = true
			break // also stops the stream that waits an hour
		}
	}
	assert.True(t, sawDone)
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

func TestStreamOutputsGoBackInCallOrder(t *testing.T) {
	// c finishes first, a last; the outputs still go a, b, c.
	s, api := newStreamServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "a", CallID: "ca"}, responsestest.FunctionCall{Name: "b", CallID: "cb"}, responsestest.FunctionCall{Name: "c", CallID: "cc"}),
		responsestest.Text("ok"),
	))
	// Each call is released by the AfterCall of the one before: hooks are
	// serialized, so its call_done is out before the next call returns.
	// (Released from the executor, a and b would race to their hooks.)
	cDone, bDone := make(chan struct{}), make(chan struct{})
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		switch c.Name {
		case "a":
			<-bDone
		case "b":
			<-cDone
		}
		return responses.Output{Text: "out " + c.Name}, nil
	})
	after := func(_ context.Context, rec responses.CallRecord) {
		switch rec.Call.Name {
		case "b":
			close(bDone)
		case "c":
			close(cDone)
		}
	}
	events, _, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{AfterCall: after}))
	require.NoError(t, err)
	var order []string
	for _, ev := range events {
		if ev.Kind == responses.EventCallDone {
			order = append(order, ev.Call.Name)
		}
	}
	assert.Equal(t, []string{"c", "b", "a"}, order)
	outs := s.Requests()[1].Outputs()
	require.Len(t, outs, 3)
	assert.Equal(t, []string{"ca", "cb", "cc"}, []string{outs[0].CallID, outs[1].CallID, outs[2].CallID})
	assert.Equal(t, "out a", outs[0].Output)
}

func TestStreamMaxConcurrencyOneRunsCallsInOrder(t *testing.T) {
	_, api := newStreamServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "a"}, responsestest.FunctionCall{Name: "b"}, responsestest.FunctionCall{Name: "c"}, responsestest.FunctionCall{Name: "d"}),
		responsestest.Text("ok"),
	))
	var mu sync.Mutex
	var order []string
	running := 0
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		mu.Lock()
		running++
		order = append(order, c.Name)
		assert.Equal(t, 1, running)
		mu.Unlock()
		mu.Lock()
		running--
		mu.Unlock()
		return responses.Output{Text: "x"}, nil
	})
	_, _, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{MaxConcurrency: 1}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d"}, order)
}

// blockingExec blocks every call until its ctx ends, and records that.
type blockingExec struct {
	started   chan string
	mu        sync.Mutex
	cancelled []string
}

func (e *blockingExec) Execute(ctx context.Context, c responses.Call) (responses.Output, error) {
	e.started <- c.Name
	<-ctx.Done()
	e.mu.Lock()
	e.cancelled = append(e.cancelled, c.Name)
	e.mu.Unlock()
	return responses.Output{}, ctx.Err()
}

func TestStreamFailuresKeepPendingAndCancelEagerCalls(t *testing.T) {
	// The model holds its second item (or its terminal event) until the
	// first call has started: the failure always finds it running.
	slowStarted := make(chan struct{})
	turn2Calls := responsestest.Calls(responsestest.FunctionCall{Name: "slow"}, responsestest.FunctionCall{Name: "never"}).WithWait(1, slowStarted)
	slowItem := map[string]any{"type": "function_call", "name": "slow", "arguments": "{}", "status": "completed"}
	cases := map[string]struct {
		reply responsestest.Reply
		check func(t *testing.T, err error)
	}{
		"error event": {turn2Calls.WithErrorEvent(1, "server_error", "the model broke"), func(t *testing.T, err error) {
			var apiErr *responses.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, responses.ErrStreamError)
			assert.Equal(t, "server_error", apiErr.Code)
			assert.Equal(t, "the model broke", apiErr.Message)
			assert.NotEmpty(t, apiErr.ResponseID)
		}},
		"dropped connection": {turn2Calls.WithDropAfter(1), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, responses.ErrStreamInterrupted)
		}},
		"response.failed": {responsestest.Failed("server_error", "boom").WithItem(slowItem).WithWait(1, slowStarted), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, responses.ErrResponseFailed)
		}},
		"response.incomplete": {responsestest.Incomplete("max_output_tokens").WithItem(slowItem).WithWait(1, slowStarted), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, responses.ErrResponseIncomplete)
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			slowStarted = make(chan struct{})
			tc.reply = tc.reply.WithWait(1, slowStarted)
			s, api := newStreamServer(t, responsestest.Script(
				responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"A"}`, CallID: "c1"}).WithID("resp_calls"),
				tc.reply,
				responsestest.Text("A is sunny.").WithID("resp_final"),
			))
			counting := &countingExec{}
			blocking := &blockingExec{started: make(chan string, 4)}
			exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
				if c.Name == "slow" {
					close(slowStarted)
				}
				if c.Name == "slow" || c.Name == "never" {
					return blocking.Execute(ctx, c)
				}
				return counting.Execute(ctx, c)
			})
			_, res, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{}))
			require.Error(t, err)
			tc.check(t, err)
			assert.Equal(t, "resp_calls", res.LastResponseID)
			require.Len(t, res.Pending, 1, "the outputs of turn 1 are kept")
			assert.Equal(t, "result of c1", res.Pending[0].Output.Text)
			assert.Len(t, res.Turns, 1, "the failed response is no turn")
			close(blocking.started)
			var started []string
			for n := range blocking.started {
				started = append(started, n)
			}
			assert.Equal(t, []string{"slow"}, started, "the streamed call started eagerly, the unstreamed one never")
			blocking.mu.Lock()
			assert.Equal(t, started, blocking.cancelled, "the eager call was cancelled and waited for before the stream ended")
			blocking.mu.Unlock()

			// Resume (streamed) delivers the pending output without running c1 again.
			_, res2, err := collect(responses.ResumeStream(testCtx(t), api, baseParams(), res.ResumePoint(), responses.Static(exec), responses.Options{}))
			require.NoError(t, err)
			assert.Equal(t, "A is sunny.", res2.OutputText)
			assert.Equal(t, 1, counting.total())
			reqs := s.Requests()
			require.Len(t, reqs, 3)
			assert.Equal(t, "resp_calls", reqs[2].PreviousResponseID)
			assert.Equal(t, map[string]string{"c1": "result of c1"}, reqs[2].FunctionOutputs())
		})
	}
}

func TestStreamBreakCancelsCallsInFlight(t *testing.T) {
	_, api := newStreamServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "a"}, responsestest.FunctionCall{Name: "b"}).WithDelays(0, 0, time.Hour),
	))
	blocking := &blockingExec{started: make(chan string, 2)}
	n := 0
	for ev, err := range responses.Stream(testCtx(t), api, baseParams(), responses.Static(blocking), responses.Options{}) {
		require.NoError(t, err)
		if ev.Kind == responses.EventFunctionCall {
			n++
		}
		if n == 2 {
			<-blocking.started
			<-blocking.started
			break // both calls are running, the response is an hour from its end
		}
	}
	blocking.mu.Lock()
	assert.ElementsMatch(t, []string{"a", "b"}, blocking.cancelled, "both calls were cancelled and returned before the loop ended")
	blocking.mu.Unlock()
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

func TestStreamStoreFalseResendsHistory(t *testing.T) {
	s, api := newStreamServer(t, twoTurnScript())
	p := baseParams()
	p.Store = openai.Bool(false)
	p.Include = []oai.ResponseIncludable{oai.ResponseIncludableReasoningEncryptedContent}
	_, res, err := collect(responses.Stream(testCtx(t), api, p, responses.Static(echoExec), responses.Options{}))
	require.NoError(t, err)
	assert.Equal(t, "Sunny in Paris today.", res.OutputText)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[1].PreviousResponseID)
	assert.Equal(t, []string{"message", "reasoning", "function_call", "function_call_output"}, reqs[1].ItemTypes())
	assert.Equal(t, "call_a", reqs[1].Input[2]["call_id"])
	requireValid(t, s)

	// Resume after a stream with store: false resends the same history.
	hist := res.ResumePoint().History
	assert.Len(t, hist, 5, "input, reasoning, call, output, answer")
}

func TestStreamProgressApprovalAndHooks(t *testing.T) {
	_, api := newStreamServer(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "long"}, responsestest.FunctionCall{Name: "forbidden"}),
		responsestest.Text("done"),
	))
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		for i := 1; i <= 3; i++ {
			assert.True(t, responses.ReportProgress(ctx, responses.Progress{Progress: float64(i), Total: 3, Message: "step"}))
		}
		return responses.Output{Text: "finished"}, nil
	})
	var mu sync.Mutex
	var after []string
	opts := responses.Options{
		Approve: func(_ context.Context, c responses.Call) (bool, string) { return c.Name != "forbidden", "not allowed" },
		AfterCall: func(_ context.Context, r responses.CallRecord) {
			mu.Lock()
			after = append(after, r.Call.Name)
			mu.Unlock()
		},
	}
	events, res, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(exec), opts))
	require.NoError(t, err)
	var progress []float64
	records := map[string]responses.CallRecord{}
	for _, ev := range events {
		switch ev.Kind {
		case responses.EventCallProgress:
			assert.Equal(t, "long", ev.Call.Name)
			assert.Equal(t, float64(3), ev.Progress.Total)
			progress = append(progress, ev.Progress.Progress)
		case responses.EventCallDone:
			records[ev.Call.Name] = ev.Record
		}
	}
	assert.Equal(t, []float64{1, 2, 3}, progress)
	assert.True(t, records["forbidden"].Denied)
	assert.ErrorIs(t, records["forbidden"].Err, responses.ErrDenied)
	assert.Equal(t, "finished", records["long"].Output.Text)
	assert.Positive(t, records["long"].Duration)
	assert.ElementsMatch(t, []string{"long", "forbidden"}, after, "the caller's AfterCall still runs")
	assert.Equal(t, records["forbidden"], res.Turns[0].Calls[1])
	assert.False(t, responses.ReportProgress(context.Background(), responses.Progress{}), "no stream listens")
}

func TestStreamHTTPErrorAndNilArguments(t *testing.T) {
	_, api := newStreamServer(t, responsestest.Script(responsestest.APIError(429, "rate_limit_exceeded", "slow down")))
	_, res, err := collect(responses.Stream(testCtx(t), api, baseParams(), responses.Static(echoExec), responses.Options{}))
	var apiErr *responses.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.HTTPStatus)
	assert.Equal(t, "rate_limit_exceeded", apiErr.Code)
	require.NotNil(t, res)

	_, res, err = collect(responses.Stream(testCtx(t), nil, baseParams(), responses.Static(echoExec), responses.Options{}))
	assert.Error(t, err)
	assert.NotNil(t, res)
	_, _, err = collect(responses.Stream(testCtx(t), api, baseParams(), nil, responses.Options{}))
	assert.Error(t, err)
}

func TestStreamCancelledContextEndsWithRunDone(t *testing.T) {
	called := make(chan struct{})
	_, api := newStreamServer(t, func(*responsestest.Request) responsestest.Reply {
		close(called)
		return responsestest.Text("never written").WithDelays(time.Hour)
	})
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() { <-called; cancel() }()
	events, res, err := collect(responses.Stream(ctx, api, baseParams(), responses.Static(echoExec), responses.Options{}))
	assert.ErrorIs(t, err, context.Canceled)
	require.Len(t, events, 1)
	assert.Equal(t, responses.EventRunDone, events[0].Kind)
	assert.NotNil(t, res)
}
