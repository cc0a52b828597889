package bridgetemporal_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Crash tests: a worker process is SIGKILLed at a chosen point of a run
// and another one takes over. Each run must complete, with every call
// with side effects run at most once (counted by the MCP server, which
// lives in the test process) and the same answer as an undisturbed run.

// modelCalling calls fn with args once, then answers with the outputs.
func modelCalling(fn, args string) *responsestest.Model {
	return &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: fn, Arguments: args}}}
}

// fakeAPI starts the fake API with h and returns it with its base URL.
func fakeAPI(t *testing.T, h responsestest.Handler) (*responsestest.Server, string) {
	t.Helper()
	s := responsestest.New(h)
	t.Cleanup(s.Close)
	return s, s.URL + "/v1/"
}

// blockOnce makes a hook that, on its first call, reports on entered and
// waits until the caller goes away (the worker is killed).
func blockOnce(entered chan<- struct{}) (func(ctx context.Context) error, *atomic.Int64) {
	var starts atomic.Int64
	return func(ctx context.Context) error {
		if starts.Add(1) == 1 {
			entered <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}, &starts
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(2 * time.Minute):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func lastOutputs(api *responsestest.Server) string {
	reqs := api.Requests()
	var b strings.Builder
	for _, o := range reqs[len(reqs)-1].Outputs() {
		b.WriteString(o.Output)
	}
	return b.String()
}

func TestKilledWorkerSideEffectCallRunsOnce(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	s := &shop{}
	entered := make(chan struct{}, 1)
	hook, starts := blockOnce(entered)
	s.onCharge = hook
	api, url := fakeAPI(t, modelCalling("shop__charge", `{"amount":5}`).Handler())
	r := newRig(t, url, s)
	id, out := r.crash("charge me", bridgetemporal.RunOptions{}, entered, "the charge call", r.cfg)

	assert.Equal(t, int64(1), starts.Load(), "the side effect was attempted exactly once")
	assert.Equal(t, int64(0), s.charges.Load())
	assert.Contains(t, lastOutputs(api), "may or may not have taken effect", "the model was told the call was interrupted")
	assert.Contains(t, out.OutputText, "interrupted")
	r.replay(id, "side_effect_interrupted")
}

func TestKilledWorkerReadOnlyCallIsRetried(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	s := &shop{}
	entered := make(chan struct{}, 1)
	hook, starts := blockOnce(entered)
	s.onLookup = hook
	api, url := fakeAPI(t, modelCalling("shop__lookup", `{"item":"tea"}`).Handler())
	r := newRig(t, url, s)
	id, out := r.crash("price of tea", bridgetemporal.RunOptions{}, entered, "the lookup call", r.cfg)

	assert.Equal(t, int64(2), starts.Load(), "retried once on the new worker")
	assert.Equal(t, int64(1), s.lookups.Load())
	assert.Contains(t, lastOutputs(api), "tea costs 3", "the model got the real output")
	assert.Contains(t, out.OutputText, "tea costs 3")
	r.replay(id, "read_only_retried")
}

// undisturbed is the answer of a run of the lookup model with no crash.
func undisturbed(t *testing.T) string {
	t.Helper()
	s := &shop{}
	_, url := fakeAPI(t, modelCalling("shop__lookup", `{"item":"tea"}`).Handler())
	r := newRig(t, url, s)
	r.startWorker()
	run := r.start("price of tea", bridgetemporal.RunOptions{})
	return r.result(run.GetID()).OutputText
}

// holdRequest plays h, but holds the n-th request (from 1) until its
// client goes away (the worker is killed), reporting on entered.
func holdRequest(n int64, entered chan<- struct{}, h responsestest.Handler) responsestest.Handler {
	var seen atomic.Int64
	return func(req *responsestest.Request) responsestest.Reply {
		if seen.Add(1) == n {
			entered <- struct{}{}
			<-req.Context().Done()
			return responsestest.Text("never delivered")
		}
		return h(req)
	}
}

func TestKilledWorkerDuringModelRequest(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	want := undisturbed(t)
	entered := make(chan struct{}, 1)
	_, url := fakeAPI(t, holdRequest(2, entered, modelCalling("shop__lookup", `{"item":"tea"}`).Handler()))
	r := newRig(t, url, &shop{})
	id, out := r.crash("price of tea", bridgetemporal.RunOptions{}, entered, "the second model request", r.cfg)
	assert.Equal(t, want, out.OutputText)
	r.replay(id, "model_request_interrupted")
}

func TestKilledWorkerDuringApprovalWait(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	want := undisturbed(t)
	s := &shop{}
	_, url := fakeAPI(t, modelCalling("shop__lookup", `{"item":"tea"}`).Handler())
	r := newRig(t, url, s)
	w1 := r.startWorker()
	run := r.start("price of tea", bridgetemporal.RunOptions{RequireApproval: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pending := waitPending(t, r, run.GetID())
	w1.kill(t)
	r.startWorker()
	require.NoError(t, bridgetemporal.Approve(ctx, r.c, run.GetID(), pending[0].CallID))
	assert.Equal(t, want, r.result(run.GetID()).OutputText)
	assert.Equal(t, int64(1), s.lookups.Load())
	err := bridgetemporal.Approve(ctx, r.c, run.GetID(), pending[0].CallID)
	assert.Error(t, err, "a decided call cannot be decided again")
	r.replay(run.GetID(), "approval_across_crash")
}

// waitPending waits until the run of workflow id has calls awaiting
// approval and returns them.
func waitPending(t *testing.T, r *rig, id string) []bridgetemporal.PendingCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		pending, err := bridgetemporal.Pending(ctx, r.c, id)
		require.NoError(t, err)
		if len(pending) > 0 {
			return pending
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The worker dies right after a tool call answered: before the next model
// request is sent or while it is (the fake API holds the answer to that
// request until the kill is done, so the kill always lands mid-run).
func TestKilledWorkerBetweenTurns(t *testing.T) {
	t.Parallel() // a queue, servers and workers of its own
	want := undisturbed(t)
	s := &shop{}
	returned := make(chan struct{}, 1)
	killed := make(chan struct{})
	var once atomic.Bool
	s.onLookup = func(ctx context.Context) error {
		if once.CompareAndSwap(false, true) {
			returned <- struct{}{}
		}
		return nil
	}
	var n atomic.Int64
	m := modelCalling("shop__lookup", `{"item":"tea"}`).Handler()
	h := func(req *responsestest.Request) responsestest.Reply {
		if n.Add(1) >= 2 {
			select {
			case <-killed:
			case <-req.Context().Done():
			}
		}
		return m(req)
	}
	api, url := fakeAPI(t, h)
	r := newRig(t, url, s)
	w1 := r.startWorker()
	run := r.start("price of tea", bridgetemporal.RunOptions{})
	waitFor(t, returned, "the lookup call")
	w1.kill(t)
	close(killed)
	r.startWorker()
	assert.Equal(t, want, r.result(run.GetID()).OutputText)
	// When the kill beats the call's completion to the server, the
	// read-only call runs again on the new worker; never more.
	assert.LessOrEqual(t, s.lookups.Load(), int64(2))
	assert.GreaterOrEqual(t, api.Count(), 2)
}

func TestTemporalDownIsAClearError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := bridgetemporal.Dial(ctx, "127.0.0.1:1", clientOptions())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach the Temporal server at 127.0.0.1:1")
	assert.False(t, errors.Is(err, context.Canceled))
}
