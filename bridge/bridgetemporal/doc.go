// Package bridgetemporal runs the Responses loop of a [bridge.Bridge] as a
// Temporal workflow: a durable run outlives the process that started it,
// waits for a person's approval as long as it takes, and spreads over as
// many workers as the load needs.
//
// The workflow drives the same [responses.Loop] that [responses.Run] and
// [responses.Stream] drive, so it makes the same decisions (request
// bodies, limits, refused, denied and failed calls, output caps, pending
// outputs, tool search answers and what the run's searches loaded, which
// continue-as-new carries and a new worker replays). What does I/O runs
// as an activity on a worker: one model request
// ([Activities.ModelRequest]), one MCP tool call ([Activities.CallTool]),
// the tool listing ([Activities.ListTools]) and one client tool search
// ([Activities.SearchTools]). MCP connections live in
// the workers, each holding a Bridge built from the server config; the
// workflow's history holds references and small records only:
//
//   - the tool set travels as a content hash that workers resolve;
//   - a run chains its turns with previous_response_id, so a request
//     carries only the new outputs; a store: false run resends its
//     conversation and fails with [ErrHistoryTooLarge] once it no longer
//     fits in a history payload;
//   - every output is capped (responses.Options.MaxOutputBytes);
//   - credentials never enter history: a run names a user and workers
//     resolve the name ([WorkerOptions.Credentials]).
//
// Retries. A model request is retried by Temporal on 408, 409, 429, 5xx
// and network failures, after the API's retry-after when it sends one; the
// SDK's own retries are off inside the activity. Any other 4xx ends the
// run with the API's message ([responses.APIError]). A tool call whose
// server marks it readOnlyHint or idempotentHint (or that
// [WorkerOptions.Retry] marks) is retried on a worker's death; any other
// call is attempted at most once: when its worker dies mid-call the model
// reads that the call was interrupted and may or may not have taken
// effect ([ErrInterrupted]), and the call is never run a second time.
// Activities heartbeat, so a dead worker's call is noticed within
// [DefaultHeartbeatTimeout], not at the end of its timeout. A call that
// reaches a worker whose tool set changed since (its config did) runs
// only if that worker routes it to the same server and tool; otherwise
// the model reads which server or tool the worker lacks.
//
// Eager calls. A worker whose API streams (a [responses.StreamAPI], as
// openai-go's client is) streams each model request, and a call that may be
// retried by the rule above, that the Loop does not refuse and that needs
// no approval starts as soon as the model has written it, as in
// [responses.Stream] ([responses.StreamResponse] reads the stream for
// both): it runs inside the model request's activity, which returns its
// output with the response. A retried model request brings new call ids
// and runs such calls again, which their hints allow. A call with side
// effects starts only once the response that made it is recorded in
// history, as an activity of its own.
//
// Following a run: the workflow keeps what happened (text of each turn,
// calls, results, approvals awaited) in memory and answers the
// [QueryEvents] query, and a streaming model request records the text
// written so far as its heartbeat details ([ModelProgress]), which
// DescribeWorkflowExecution returns with the run's pending activities.
// [Follow] reads both, so a caller sees calls, results and the model's
// text as they happen ([EventTextDelta]) without anything extra in history
// and without a channel besides Temporal; the workers' heartbeat throttle
// ([DefaultFollowInterval]) bounds how fresh the text is. With RequireApproval, each call the server
// config does not auto-approve waits for the [UpdateDecide] update
// ([Approve], [Deny]); [QueryPending] lists the calls waiting. A run
// continues as new every [RunOptions].TurnsPerExecution turns.
//
// Changing the workflow (for contributors). Runs in flight replay their
// history with the new code, so a change that makes the workflow issue
// other commands for the same history (schedule another activity, skip
// one, decide differently on the same activity results) is guarded by
// workflow.GetVersion with a change id of its own (the change* constants
// of workflow.go), the old path kept for runs that recorded the old
// default. TestReplayRecordedHistories replays the histories in testdata;
// never record them again to make a change pass: add a history recorded
// before the change (a v0_ file) and one after it.
package bridgetemporal
