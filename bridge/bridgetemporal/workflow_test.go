package bridgetemporal_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// env runs the workflow in the SDK's test environment with real
// activities: a Bridge over the shop server and the fake Responses API.
type env struct {
	*testsuite.TestWorkflowEnvironment
	api  *responsestest.Server
	shop *shop
	b    *bridge.Bridge
}

func newEnv(t *testing.T, h responsestest.Handler, wopts bridgetemporal.WorkerOptions, bopts ...bridge.Option) *env {
	t.Helper()
	s := &shop{}
	return envWith(t, h, wopts, s, newShopBridge(t, s, bopts...))
}

// envWith is newEnv with a Bridge of the test's (s: the shop it serves,
// for its counts).
func envWith(t *testing.T, h responsestest.Handler, wopts bridgetemporal.WorkerOptions, s *shop, b *bridge.Bridge) *env {
	t.Helper()
	e := &env{TestWorkflowEnvironment: testEnv(), shop: s, b: b}
	var acts *bridgetemporal.Activities
	acts, e.api = activitiesOf(t, b, h, wopts)
	bridgetemporal.Register(e, acts)
	return e
}

// testEnv is a test environment of the SDK that logs nothing.
//
// Its deadlock detector allows workflow code 10 s without yielding instead
// of the SDK's 1 s: under -race on a loaded 2-core machine a workflow task
// was once starved past 1 s and reported as a deadlock. Workflow code that
// truly blocks is still caught.
func testEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	e := suite.NewTestWorkflowEnvironment()
	e.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 10 * time.Second})
	return e
}

// activitiesOf returns the activities of a worker holding b and a fake
// API playing h.
func activitiesOf(t *testing.T, b *bridge.Bridge, h responsestest.Handler, wopts bridgetemporal.WorkerOptions) (*bridgetemporal.Activities, *responsestest.Server) {
	t.Helper()
	api := responsestest.New(h)
	t.Cleanup(api.Close)
	c := api.Client()
	return bridgetemporal.NewActivities(b, &c.Responses, wopts), api
}

// run runs "buy tea" with o to its end and returns the run's output.
func (e *env) run(t *testing.T, o bridgetemporal.RunOptions) bridgetemporal.RunOutput {
	t.Helper()
	e.ExecuteWorkflow(bridgetemporal.Workflow, input(t, params("buy tea"), o))
	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, e.GetWorkflowError())
	var out bridgetemporal.RunOutput
	require.NoError(t, e.GetWorkflowResult(&out))
	return out
}

// bridgeRun is the undurable twin of a test's run: "buy tea" played by h
// with Bridge.Run over a shop of its own (with bopts) and a fake of its
// own. It returns the fake, the shop and the result.
func bridgeRun(t *testing.T, h responsestest.Handler, bopts ...bridge.Option) (*responsestest.Server, *shop, *bridge.Result) {
	t.Helper()
	s := &shop{}
	b := newShopBridge(t, s, bopts...)
	api := responsestest.New(h)
	t.Cleanup(api.Close)
	c := api.Client()
	res, err := b.Run(context.Background(), &c.Responses, params("buy tea"))
	require.NoError(t, err)
	return api, s, res
}

// failFirstAttempt makes the first attempt of every call fail as when its
// worker dies (a heartbeat timeout); a later attempt answers "NAME ran".
// It returns the attempts made, by function.
func failFirstAttempt(e *env) (attempts func(function string) int) {
	counts := map[string]int{}
	var mu sync.Mutex // activities run on goroutines of their own
	e.OnActivity("mcpbridge.CallTool", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in bridgetemporal.CallInput) (bridgetemporal.CallResult, error) {
			mu.Lock()
			counts[in.Call.Name]++
			n := counts[in.Call.Name]
			mu.Unlock()
			if n == 1 {
				return bridgetemporal.CallResult{}, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil)
			}
			return bridgetemporal.CallResult{Output: bridgeOutput(in.Call.Name + " ran")}, nil
		})
	return func(function string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[function]
	}
}

// shopModel calls lookup, then charge, then answers with what it got.
func shopModel() responsestest.Handler {
	m := &responsestest.Model{
		Plan: func(prompt string) []responsestest.FunctionCall {
			return []responsestest.FunctionCall{
				{Name: "shop__lookup", Arguments: `{"item":"tea"}`},
				{Name: "shop__charge", Arguments: `{"amount":3}`},
			}
		},
	}
	return m.Handler()
}

func TestDurableRunAnswersAsBridgeRun(t *testing.T) {
	e := newEnv(t, shopModel(), bridgetemporal.WorkerOptions{})
	out := e.run(t, bridgetemporal.RunOptions{})
	api2, _, res := bridgeRun(t, shopModel()) // the same run in a goroutine

	assert.Equal(t, res.OutputText, out.OutputText)
	assert.Equal(t, res.Iterations, out.Iterations)
	assert.Equal(t, 2, out.Calls)
	assert.Equal(t, int64(1), e.shop.charges.Load())
	assert.Equal(t, int64(1), e.shop.lookups.Load())
	assert.Contains(t, out.OutputText, "charged 3")

	// The requests are the same, but for the ids the fake generates.
	require.Equal(t, api2.Count(), e.api.Count())
	for i, r := range e.api.Requests() {
		want := api2.Requests()[i]
		assert.Equal(t, len(want.Tools), len(r.Tools), "request %d tools", i)
		assert.Equal(t, want.ItemTypes(), r.ItemTypes(), "request %d items", i)
		assert.Equal(t, want.PreviousResponseID != "", r.PreviousResponseID != "", "request %d chaining", i)
	}
}

func TestRefusedAPIRequestEndsTheRunWithTheAPIMessage(t *testing.T) {
	e := newEnv(t, responsestest.Script(responsestest.APIError(http.StatusBadRequest, "invalid_value", "model gpt-nope does not exist")), bridgetemporal.WorkerOptions{})
	e.ExecuteWorkflow(bridgetemporal.Workflow, input(t, params("hi"), bridgetemporal.RunOptions{}))
	err := e.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 400")
	assert.Contains(t, err.Error(), "model gpt-nope does not exist")
	assert.Equal(t, 1, e.api.Count(), "a 400 is not retried")
}

func TestRateLimitedRequestIsRetried(t *testing.T) {
	limited := responsestest.APIError(http.StatusTooManyRequests, "rate_limit_exceeded", "slow down").WithHeader("retry-after", "2")
	e := newEnv(t, responsestest.Script(limited, limited, responsestest.Text("done")), bridgetemporal.WorkerOptions{})
	assert.Equal(t, "done", e.run(t, bridgetemporal.RunOptions{}).OutputText)
	assert.Equal(t, 3, e.api.Count(), "two 429s retried by Temporal, none by the SDK")
}

func TestApprovalsAreDurableWaits(t *testing.T) {
	e := newEnv(t, shopModel(), bridgetemporal.WorkerOptions{})
	var pending []bridgetemporal.PendingCall
	e.RegisterDelayedCallback(func() {
		v, err := e.QueryWorkflow(bridgetemporal.QueryPending)
		require.NoError(t, err)
		require.NoError(t, v.Get(&pending))
		for _, p := range pending {
			d := bridgetemporal.Decision{CallID: p.CallID, Approve: p.Tool == "lookup", Reason: "not today"}
			e.UpdateWorkflow(bridgetemporal.UpdateDecide, "d-"+p.CallID, &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			}, d)
		}
		// An unknown call id is refused by the validator.
		e.UpdateWorkflow(bridgetemporal.UpdateDecide, "bad", &testsuite.TestUpdateCallback{
			OnAccept: func() { t.Error("accepted a decision for no pending call") },
			OnReject: func(err error) { assert.Contains(t, err.Error(), "call_nope") },
		}, bridgetemporal.Decision{CallID: "call_nope", Approve: true})
	}, 48*time.Hour) // a person answering two days later
	out := e.run(t, bridgetemporal.RunOptions{RequireApproval: true})
	require.Len(t, pending, 2)
	assert.Equal(t, "shop__lookup", pending[0].Function)
	assert.Equal(t, "shop", pending[0].Server)
	assert.Equal(t, `{"item":"tea"}`, pending[0].Arguments)
	assert.Equal(t, int64(0), e.shop.charges.Load(), "denied: not run")
	assert.Equal(t, int64(1), e.shop.lookups.Load())
	assert.Contains(t, out.OutputText, "denied and not executed: not today")
}

func TestAutoApprovedToolsDoNotWait(t *testing.T) {
	s := &shop{}
	srv := bridge.InProcess("shop", s.server())
	srv.AutoApprove = []string{"lookup", "charge"}
	e := envWith(t, shopModel(), bridgetemporal.WorkerOptions{}, s, newBridge(t, srv))
	e.run(t, bridgetemporal.RunOptions{RequireApproval: true})
	assert.Equal(t, int64(1), s.charges.Load())
}

// A call with side effects whose activity timed out (its worker died) is
// answered as interrupted and not retried; a read-only one is retried.
func TestInterruptedCallsAreNotRerun(t *testing.T) {
	e := newPlainEnv(t, shopModel(), bridgetemporal.WorkerOptions{})
	attempts := failFirstAttempt(e)
	out := e.run(t, bridgetemporal.RunOptions{})
	assert.Equal(t, 1, attempts("shop__charge"), "at most once")
	assert.Equal(t, 2, attempts("shop__lookup"), "read-only: retried")
	assert.Contains(t, out.OutputText, "shop__lookup ran")
	assert.Contains(t, out.OutputText, "may or may not have taken effect")
}

func TestRetryOverridesByServerAndTool(t *testing.T) {
	e := newPlainEnv(t, shopModel(), bridgetemporal.WorkerOptions{Retry: map[string]bool{"shop": true, "shop/lookup": false}})
	attempts := failFirstAttempt(e)
	e.run(t, bridgetemporal.RunOptions{})
	assert.Equal(t, 2, attempts("shop__charge"), "the server is marked retryable")
	assert.Equal(t, 1, attempts("shop__lookup"), "the tool is marked at most once")
}

func TestContinueAsNewKeepsTheRun(t *testing.T) {
	m := &responsestest.Model{Rounds: 3, Calls: []responsestest.FunctionCall{{Name: "shop__lookup", Arguments: `{"item":"tea"}`}}}
	s := &shop{}
	acts, api := activitiesOf(t, newShopBridge(t, s), m.Handler(), bridgetemporal.WorkerOptions{})
	out, executions := runAcrossExecutions(t, acts, input(t, params("buy tea"), bridgetemporal.RunOptions{TurnsPerExecution: 1}))
	assert.Equal(t, 4, out.Iterations)
	assert.Equal(t, 3, out.Calls)
	assert.True(t, strings.HasPrefix(out.OutputText, "Tool results:"), out.OutputText)
	assert.Equal(t, 4, executions, "one turn per execution")
	assert.Equal(t, int64(3), s.lookups.Load())
	for i, r := range api.Requests()[1:] {
		assert.NotEmpty(t, r.PreviousResponseID, "request %d chains", i+2)
	}
}

// runAcrossExecutions runs the workflow from in with acts, one test
// environment per execution, continuing as new as the run asks, and
// returns its output and how many executions it took.
func runAcrossExecutions(t *testing.T, acts *bridgetemporal.Activities, in bridgetemporal.RunInput) (out bridgetemporal.RunOutput, executions int) {
	t.Helper()
	for {
		executions++
		require.Less(t, executions, 10)
		e := testEnv()
		bridgetemporal.Register(e, acts)
		e.ExecuteWorkflow(bridgetemporal.Workflow, in)
		err := e.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			in = bridgetemporal.RunInput{}
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
			require.NotNil(t, in.State)
			continue
		}
		require.NoError(t, err)
		require.NoError(t, e.GetWorkflowResult(&out))
		return out, executions
	}
}

// A worker whose config lacks the server a call needs answers the call
// with an error naming the function (the model reads it) and the run
// goes on; nothing hangs.
func TestWorkerLackingAServerAnswersTheCall(t *testing.T) {
	other := &shop{}
	// shopModel calls shop__lookup and shop__charge.
	e := envWith(t, shopModel(), bridgetemporal.WorkerOptions{}, other, newBridge(t, bridge.InProcess("other", other.server())))
	e.api.SetValidation(false) // the model calls functions this request did not offer
	out := e.run(t, bridgetemporal.RunOptions{})
	assert.Contains(t, out.OutputText, "shop__charge")
	assert.Contains(t, out.OutputText, "unknown function")
	assert.Equal(t, int64(0), other.charges.Load())
}

// A worker whose tool set changed between the listing and the model
// request lists again; when it keeps changing the run ends saying so.
func TestChangingToolSetEndsTheRunClearly(t *testing.T) {
	e := newEnv(t, shopModel(), bridgetemporal.WorkerOptions{})
	n := 0
	e.OnActivity("mcpbridge.ListTools", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in bridgetemporal.ListInput) (bridgetemporal.ToolSetRef, error) {
			n++
			return bridgetemporal.ToolSetRef{Hash: fmt.Sprintf("stale-%d", n)}, nil
		})
	e.ExecuteWorkflow(bridgetemporal.Workflow, input(t, params("buy tea"), bridgetemporal.RunOptions{}))
	err := e.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tool set is not the one listed for this turn")
	assert.Equal(t, 3, n)
	assert.Equal(t, 0, e.api.Count(), "nothing was sent with a tool set nobody listed")
}
