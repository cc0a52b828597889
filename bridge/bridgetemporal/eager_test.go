package bridgetemporal_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// plainAPI hides NewStreaming: its worker sends model requests unstreamed,
// so every call runs as an activity of its own (the path of the calls
// that wait for history).
type plainAPI struct{ responses.API }

// newPlainEnv is newEnv with a worker whose API does not stream.
func newPlainEnv(t *testing.T, h responsestest.Handler, wopts bridgetemporal.WorkerOptions) *env {
	t.Helper()
	s := &shop{}
	e := &env{TestWorkflowEnvironment: testEnv(), shop: s, b: newShopBridge(t, s)}
	e.api = responsestest.New(h)
	t.Cleanup(e.api.Close)
	c := e.api.Client()
	bridgetemporal.Register(e, bridgetemporal.NewActivities(e.b, plainAPI{&c.Responses}, wopts))
	return e
}

// holdUntil is a channel closed by the first of: release called, or a
// minute gone (so a broken build fails instead of hanging); timedOut says
// which.
type holdUntil struct {
	ch       chan struct{}
	once     sync.Once
	timedOut atomic.Bool
}

func newHold() *holdUntil {
	h := &holdUntil{ch: make(chan struct{})}
	go func() {
		select {
		case <-h.ch:
		case <-time.After(time.Minute):
			h.timedOut.Store(true)
			h.release()
		}
	}()
	return h
}

func (h *holdUntil) release() { h.once.Do(func() { close(h.ch) }) }

// lookupThenCharge is a model whose first response calls lookup and
// charge and holds its terminal event until hold is released; then it
// answers with the outputs.
func lookupThenCharge(hold *holdUntil) responsestest.Handler {
	m := &responsestest.Model{Calls: []responsestest.FunctionCall{
		{Name: "shop__lookup", Arguments: `{"item":"tea"}`},
		{Name: "shop__charge", Arguments: `{"amount":3}`},
	}}
	h := m.Handler()
	return func(req *responsestest.Request) responsestest.Reply {
		r := h(req)
		if len(req.Outputs()) == 0 {
			r = r.WithWait(len(r.Output), hold.ch)
		}
		return r
	}
}

// The read-only call starts while the model is still writing the
// response (its terminal event waits for the call to start); the call with
// side effects starts only after the model request's activity completed.
func TestEagerReadOnlyCallStartsBeforeTheResponseEnds(t *testing.T) {
	hold := newHold()
	e := newEnv(t, lookupThenCharge(hold), bridgetemporal.WorkerOptions{})
	e.SetTestTimeout(2 * time.Minute) // the hold fails it first
	var modelDone atomic.Bool
	var chargesWhileStreaming atomic.Int64
	chargesWhileStreaming.Store(-1)
	e.shop.onLookup = func(ctx context.Context) error {
		chargesWhileStreaming.Store(e.shop.charges.Load())
		hold.release() // the model may end its response now
		return nil
	}
	var chargeAfterModel atomic.Bool
	e.shop.onCharge = func(ctx context.Context) error {
		chargeAfterModel.Store(modelDone.Load())
		return nil
	}
	var mu sync.Mutex
	var activities []string
	e.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		activities = append(activities, info.ActivityType.Name)
		mu.Unlock()
	})
	e.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, err error) {
		if info.ActivityType.Name == "mcpbridge.ModelRequest" && err == nil {
			modelDone.Store(true)
		}
	})
	e.ExecuteWorkflow(bridgetemporal.Workflow, input(t, params("buy tea"), bridgetemporal.RunOptions{}))
	require.NoError(t, e.GetWorkflowError())
	var out bridgetemporal.RunOutput
	require.NoError(t, e.GetWorkflowResult(&out))

	assert.False(t, hold.timedOut.Load(), "the read-only call did not start before the response ended")
	assert.Equal(t, int64(0), chargesWhileStreaming.Load(), "nothing charged while the model was writing")
	assert.True(t, chargeAfterModel.Load(), "the charge started after the model request was recorded")
	assert.Equal(t, int64(1), e.shop.lookups.Load())
	assert.Equal(t, int64(1), e.shop.charges.Load())
	assert.Equal(t, 2, out.Calls)
	assert.Contains(t, out.OutputText, "tea costs 3")
	assert.Contains(t, out.OutputText, "charged 3")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, count(activities, "mcpbridge.CallTool"), "only the charge ran as an activity of its own: %v", activities)
}

func count(xs []string, x string) int {
	n := 0
	for _, s := range xs {
		if s == x {
			n++
		}
	}
	return n
}

// A call that needs approval never starts early, read-only or not.
func TestEagerCallsWaitForApproval(t *testing.T) {
	m := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "shop__lookup", Arguments: `{"item":"tea"}`}}}
	e := newEnv(t, m.Handler(), bridgetemporal.WorkerOptions{})
	var lookupsBeforeDecision atomic.Int64
	lookupsBeforeDecision.Store(-1)
	e.RegisterDelayedCallback(func() {
		lookupsBeforeDecision.Store(e.shop.lookups.Load())
		v, err := e.QueryWorkflow(bridgetemporal.QueryPending)
		require.NoError(t, err)
		var pending []bridgetemporal.PendingCall
		require.NoError(t, v.Get(&pending))
		require.Len(t, pending, 1)
		e.UpdateWorkflow(bridgetemporal.UpdateDecide, "d", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("rejected: %v", err) },
		}, bridgetemporal.Decision{CallID: pending[0].CallID, Approve: true})
	}, time.Hour)
	e.ExecuteWorkflow(bridgetemporal.Workflow, input(t, params("price of tea"), bridgetemporal.RunOptions{RequireApproval: true}))
	require.NoError(t, e.GetWorkflowError())
	assert.Equal(t, int64(0), lookupsBeforeDecision.Load(), "not run before the approval")
	assert.Equal(t, int64(1), e.shop.lookups.Load())
}

// On a real server: the history shows the read-only call's output in the
// model request's result and the charge scheduled after it completed.
func TestEagerCallsOnARealServer(t *testing.T) {
	hold := newHold()
	s := &shop{}
	s.onLookup = func(ctx context.Context) error { hold.release(); return nil }
	_, url := fakeAPI(t, lookupThenCharge(hold))
	r := newRig(t, url, s)
	r.startWorker()
	run := r.start("buy tea", bridgetemporal.RunOptions{})
	out := r.result(run.GetID())
	assert.False(t, hold.timedOut.Load(), "the read-only call did not start before the response ended")
	assert.Equal(t, int64(1), s.lookups.Load())
	assert.Equal(t, int64(1), s.charges.Load())
	assert.Contains(t, out.OutputText, "tea costs 3")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it := r.c.GetWorkflowHistory(ctx, run.GetID(), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	names := map[int64]string{}
	var order []string
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			names[ev.GetEventId()] = a.GetActivityType().GetName()
			order = append(order, "scheduled "+a.GetActivityType().GetName())
		}
		if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil {
			name := names[a.GetScheduledEventId()]
			order = append(order, "completed "+name)
			if name == "mcpbridge.ModelRequest" && len(order) == 2 {
				var mr bridgetemporal.ModelResult
				require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetResult(), &mr))
				require.Len(t, mr.Eager, 1, "the lookup ran in the model request")
				var res struct{ Output responses.Output }
				raw, _ := json.Marshal(mr.Eager[0])
				require.NoError(t, json.Unmarshal(raw, &res))
				assert.Contains(t, res.Output.Text, "tea costs 3")
			}
		}
	}
	assert.Equal(t, []string{
		"scheduled mcpbridge.ModelRequest", "completed mcpbridge.ModelRequest",
		"scheduled mcpbridge.CallTool", "completed mcpbridge.CallTool",
		"scheduled mcpbridge.ModelRequest", "completed mcpbridge.ModelRequest",
	}, order)
	r.replay(run.GetID(), "eager_read_only")
}
