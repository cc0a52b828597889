package bridgetemporal

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses"
)

// WorkerOptions configure a worker.
type WorkerOptions struct {
	// TaskQueue to poll (DefaultTaskQueue when empty).
	TaskQueue string
	// Credentials resolve the user a run names (RunOptions.User) to the
	// credentials of per-user servers, on the worker: they never enter
	// history.
	Credentials func(ctx context.Context, user string) (bridge.Credentials, error)
	// Retry overrides the servers' hints: a key "server" or "server/tool"
	// mapped to true makes its calls retried after a worker's death, to
	// false makes them attempted at most once. The most specific key wins.
	Retry map[string]bool
	// Worker are the Temporal worker's own options (concurrency,
	// interceptors such as the OpenTelemetry one).
	Worker worker.Options
}

// retries decides whether calls to a tool may be run again.
func (o WorkerOptions) retries(info responses.Route) bool {
	if v, ok := o.Retry[info.Server+"/"+info.Tool]; ok {
		return v
	}
	if v, ok := o.Retry[info.Server]; ok {
		return v
	}
	return info.ReadOnly || info.Idempotent
}

// NewActivities returns the activities of a worker holding b, calling the
// Responses API through api (&client.Responses of an openai-go client).
func NewActivities(b *bridge.Bridge, api responses.API, opts WorkerOptions) *Activities {
	return &Activities{b: b, api: api, opts: opts}
}

// NewWorker returns a worker of c on opts.TaskQueue that runs durable runs
// with b's MCP servers and api. Start it with Run or Start; it does not
// close b. Unless opts.Worker sets StickyScheduleToStartTimeout, a run's
// next workflow task waits DefaultStickyTimeout for this worker before any
// other worker may take it, so a killed worker holds its runs that long
// (the SDK's default is 5 s; with the heartbeat timeout it made recovery
// from a SIGKILL about 15 s). Unless opts.Worker sets MaxHeartbeatThrottleInterval, the
// worker sends a heartbeat at most every DefaultFollowInterval, which is
// how fresh the text Follow shows is (a streaming model request records its
// text as heartbeat details; each one sent is a write on the server).
func NewWorker(c client.Client, b *bridge.Bridge, api responses.API, opts WorkerOptions) worker.Worker {
	q := opts.TaskQueue
	if q == "" {
		q = DefaultTaskQueue
	}
	wo := opts.Worker
	if wo.MaxHeartbeatThrottleInterval == 0 {
		wo.MaxHeartbeatThrottleInterval = DefaultFollowInterval
	}
	if wo.StickyScheduleToStartTimeout == 0 {
		wo.StickyScheduleToStartTimeout = DefaultStickyTimeout
	}
	w := worker.New(c, q, wo)
	Register(w, NewActivities(b, api, opts))
	return w
}

// Register registers the workflow and a's activities on w, under the names
// the workflow schedules.
func Register(w worker.Registry, a *Activities) {
	w.RegisterWorkflowWithOptions(Workflow, workflow.RegisterOptions{Name: WorkflowName})
	w.RegisterActivityWithOptions(a.ListTools, activity.RegisterOptions{Name: activityList})
	w.RegisterActivityWithOptions(a.ModelRequest, activity.RegisterOptions{Name: activityModel})
	w.RegisterActivityWithOptions(a.CallTool, activity.RegisterOptions{Name: activityCall})
	w.RegisterActivityWithOptions(a.SearchTools, activity.RegisterOptions{Name: activitySearch})
}
