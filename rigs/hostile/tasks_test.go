package hostile_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/rigs/hostile"
)

// minTaskPoll is mcpclient's documented shortest wait between two polls of
// a task (Config.MaxTaskPoll's doc).
const minTaskPoll = 100 * time.Millisecond

func taskBridge(t *testing.T, s *hostile.TaskServer, srv bridge.Server, opts ...bridge.Option) *bridge.Bridge {
	t.Helper()
	if srv.Config.Name == "" {
		srv.Config.Name = "hostile"
	}
	srv.Config.Transport = &mcpclient.HTTP{URL: s.URL}
	b, err := bridge.New(testCtx(t, 30*time.Second), []bridge.Server{srv}, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// A task that never finishes is bounded by the call timeout: the call
// fails as a call timeout naming the server, the tool and the task, and
// the task is cancelled on the server.
func TestTaskThatNeverFinishesIsBoundedByTheCallTimeout(t *testing.T) {
	s := hostile.NewTaskServer(t)
	s.DoneAfter = -1
	s.PollInterval = "10"
	b := taskBridge(t, s, bridge.Server{CallTimeout: 400 * time.Millisecond})
	_, err := b.Call(testCtx(t, 30*time.Second), "hostile__job", `{}`)
	require.Error(t, err)
	assert.ErrorIs(t, err, responses.ErrCallTimeout)
	for _, want := range []string{`"hostile"`, `"job"`, "task job-1 still working", "tasks/cancel sent"} {
		assert.Contains(t, err.Error(), want)
	}
	require.Eventually(t, func() bool { return s.Cancels() == 1 }, 10*time.Second, 10*time.Millisecond, "tasks/cancel never arrived")
	assert.Zero(t, s.Results(), "tasks/result of an unfinished task")
}

// A pollInterval of 0 is polled no more often than the minimum, and a
// huge one no less often than Config.MaxTaskPoll (which a test may lower):
// the call neither spins nor sleeps past its result.
func TestTaskPollIntervalIsBounded(t *testing.T) {
	t.Run("zero", func(t *testing.T) {
		s := hostile.NewTaskServer(t)
		s.PollInterval = "0"
		s.DoneAfter = 4
		c := connect(t, mcpclient.Config{Name: "hostile", Transport: &mcpclient.HTTP{URL: s.URL}})
		start := time.Now()
		res, err := c.CallTool(testCtx(t, 30*time.Second), "job", nil, mcpclient.AsTask())
		elapsed := time.Since(start)
		require.NoError(t, err)
		assert.False(t, res.IsError)
		assert.EqualValues(t, 5, s.Gets())
		assert.GreaterOrEqual(t, elapsed, time.Duration(s.Gets()-1)*minTaskPoll, "polled faster than the minimum")
	})
	for _, huge := range []string{"1e15", "1e300", "-5", "0.5"} {
		t.Run(huge, func(t *testing.T) {
			s := hostile.NewTaskServer(t)
			s.PollInterval = huge
			s.DoneAfter = 2
			c := connect(t, mcpclient.Config{Name: "hostile", Transport: &mcpclient.HTTP{URL: s.URL}, MaxTaskPoll: 150 * time.Millisecond})
			// Without the bound the wait would outlast this context.
			res, err := c.CallTool(testCtx(t, 20*time.Second), "job", nil, mcpclient.AsTask())
			require.NoError(t, err)
			assert.False(t, res.IsError)
			assert.EqualValues(t, 3, s.Gets())
		})
	}
}

// A flood of notifications/tasks/status (10 000) costs
// neither polls nor memory: each only wakes the waiting call, which still
// polls at most once per minimum interval, and a slow OnNotification
// callback sees a bounded queue.
func TestTaskStatusFloodIsBounded(t *testing.T) {
	s := hostile.NewTaskServer(t)
	s.PollInterval = "60000"
	s.DoneAfter = 2
	s.Flood = 5000
	release := make(chan struct{})
	c := connect(t, mcpclient.Config{Name: "hostile", Transport: &mcpclient.HTTP{URL: s.URL},
		OnNotification: func(string, mcp.JSONRPCNotification) { <-release }})
	defer close(release)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	var steps int
	res, err := c.CallTool(testCtx(t, 60*time.Second), "job", nil, mcpclient.AsTask(),
		mcpclient.WithProgress(func(mcp.ProgressNotificationParams) { steps++ }))
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.False(t, res.IsError)
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.EqualValues(t, 3, s.Gets())
	assert.LessOrEqual(t, steps, 4, "progress reported per poll, not per notification")
	assert.GreaterOrEqual(t, elapsed, 2*minTaskPoll)
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, live, int64(4<<20), "%d notifications left %d bytes live", 2*s.Flood, live)
	t.Logf("%d status notifications: %d polls, %s, %d bytes live after", 2*s.Flood, s.Gets(), elapsed.Round(time.Millisecond), live)
}

// A huge task result is capped and cleaned like any other output.
func TestHugeTaskResultIsCapped(t *testing.T) {
	const limit = 4096
	s := hostile.NewTaskServer(t)
	s.PollInterval = "1"
	s.DoneAfter = 1
	s.ResultBytes = 2 << 20
	b := taskBridge(t, s, bridge.Server{}, bridge.WithMaxOutputBytes(limit))
	out, err := b.Call(testCtx(t, 30*time.Second), "hostile__job", `{}`)
	require.NoError(t, err)
	checkDeliverable(t, "task result", out.Text, limit)
	assert.True(t, strings.HasPrefix(out.Text, "RRR") || strings.Contains(out.Text, "RRRR"), "%.60q", out.Text)
}

// A server that never answers tasks/cancel cannot hold the call, nor
// Close: the call ends at its deadline and Close ends the cancel in flight.
func TestIgnoredTaskCancelDoesNotHang(t *testing.T) {
	s := hostile.NewTaskServer(t)
	s.PollInterval = "10"
	s.DoneAfter = -1
	s.IgnoreCancel = true
	c, err := mcpclient.Connect(testCtx(t, 30*time.Second), mcpclient.Config{Name: "hostile", Transport: &mcpclient.HTTP{URL: s.URL}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(testCtx(t, 30*time.Second), 300*time.Millisecond)
	defer cancel()
	_, err = c.CallTool(ctx, "job", nil, mcpclient.AsTask())
	require.True(t, errors.Is(err, context.DeadlineExceeded), "err = %v", err)
	require.Eventually(t, func() bool { return s.Cancels() == 1 }, 10*time.Second, 5*time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case <-closed:
	case <-testCtx(t, 20*time.Second).Done():
		t.Fatal("Close waited on the unanswered tasks/cancel")
	}
}
