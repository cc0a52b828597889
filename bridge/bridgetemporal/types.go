package bridgetemporal

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/mcpbridge/mcpbridge/responses"
)

// Names a worker registers and a client uses.
const (
	// DefaultTaskQueue is the task queue of workers and runs that name none.
	DefaultTaskQueue = "mcpbridge"
	// WorkflowName is the registered name of [Workflow].
	WorkflowName = "mcpbridge.Run"
	// QueryEvents answers a run's events from an index on ([EventsPage]).
	QueryEvents = "mcpbridge.events"
	// QueryPending answers the calls awaiting approval ([]PendingCall).
	QueryPending = "mcpbridge.pending"
	// UpdateDecide approves or denies a pending call ([Decision]).
	UpdateDecide = "mcpbridge.decide"

	activityList   = "mcpbridge.ListTools"
	activityModel  = "mcpbridge.ModelRequest"
	activityCall   = "mcpbridge.CallTool"
	activitySearch = "mcpbridge.SearchTools"
)

// Defaults of RunOptions and WorkerOptions.
const (
	DefaultTurnsPerExecution = 100
	DefaultModelTimeout      = 10 * time.Minute
	DefaultCallTimeout       = 10 * time.Minute
	DefaultHeartbeatTimeout  = 10 * time.Second
	// DefaultStickyTimeout is how long a run's workflow task waits for
	// the worker that ran its last one before any worker may take it
	// (NewWorker). A live but busy worker past it only costs the next
	// worker a replay of the run's history.
	DefaultStickyTimeout = 2 * time.Second
	// DefaultFollowInterval is the workers' heartbeat throttle unless
	// worker.Options sets one (NewWorker): Follow sees a running model
	// request's text this fresh.
	DefaultFollowInterval = 250 * time.Millisecond
	// MaxPayloadBytes is the largest request body, response or output a
	// run puts in its history (Temporal refuses payloads over 2 MB by
	// default; this leaves room for the rest of an event).
	MaxPayloadBytes = 1536 << 10
)

// Errors of a durable run. The workflow's error names them in its message;
// errors.Is works on the values a worker or client returns directly.
var (
	// ErrInterrupted: a call with side effects whose worker stopped before
	// the call returned. It is not run again; the model reads this.
	ErrInterrupted = errors.New("the call was interrupted (its worker stopped) and was not run again: it may or may not have taken effect")
	// ErrHistoryTooLarge: a request body, response or output is larger
	// than a history payload can hold (MaxPayloadBytes). For store: false
	// runs this is the conversation outgrowing history: use store: true,
	// which chains with previous_response_id.
	ErrHistoryTooLarge = errors.New("larger than a Temporal history payload can hold")
)

// RunOptions tune a durable run. The zero value is usable.
type RunOptions struct {
	// ID is the workflow id (a new random id when empty).
	ID string
	// TaskQueue is the workers' task queue (DefaultTaskQueue when empty).
	TaskQueue string
	// User names the user whose credentials the workers use for per-user
	// servers (WorkerOptions.Credentials); never the credentials.
	User string
	// RequireApproval makes every call the server config does not
	// auto-approve wait for Approve or Deny.
	RequireApproval bool
	// MaxIterations, MaxConcurrency and MaxOutputBytes are those of
	// responses.Options, for the whole run across executions.
	MaxIterations  int
	MaxConcurrency int
	MaxOutputBytes int
	// TurnsPerExecution: the workflow continues as new after this many
	// turns (DefaultTurnsPerExecution when 0), so its history stays short.
	TurnsPerExecution int
	// ModelTimeout and CallTimeout bound one model request and one tool
	// call attempt (DefaultModelTimeout, DefaultCallTimeout when 0).
	ModelTimeout time.Duration
	CallTimeout  time.Duration
	// HeartbeatTimeout: an activity whose worker has not heartbeated for
	// this long is given up (DefaultHeartbeatTimeout when 0).
	HeartbeatTimeout time.Duration
}

// RunInput is the input of [Workflow], as kept in history.
type RunInput struct {
	// Params are the request parameters (responses.ResponseNewParams) as
	// JSON: model, instructions, input, the caller's own tools.
	Params  json.RawMessage
	Options RunOptions
	// State carries a run across continue-as-new; nil for a new run.
	State *Carried `json:",omitempty"`
}

// Carried is what a run takes from one execution to the next.
type Carried struct {
	PreviousResponseID string
	Pending            []PendingOutput
	// History is the conversation of a store: false run, item by item.
	History    []json.RawMessage
	Iterations int
	Usage      responses.Usage
	Calls      int
	// EventBase is the index of the first event of the new execution.
	EventBase  int
	OutputText string
	// Loaded are the functions the run's client tool searches loaded
	// (responses.ResumePoint.Loaded); nil when unknown.
	Loaded []string
}

// PendingOutput is an output computed and not yet delivered.
type PendingOutput struct {
	Call   responses.Call
	Output responses.Output
	Err    string `json:",omitempty"`
	Denied bool   `json:",omitempty"`
	// Search is set when the output answers a client tool search.
	Search *SearchOutput `json:",omitempty"`
}

// SearchOutput is the answer to a client tool search.
type SearchOutput struct {
	Call  responses.ToolSearchCall
	Tools []json.RawMessage
	Err   string `json:",omitempty"`
}

// RunOutput is what a finished durable run returns.
type RunOutput struct {
	OutputText     string
	LastResponseID string
	Iterations     int
	Calls          int
	Usage          responses.Usage
}

// EventKind says what an Event reports.
type EventKind string

// The events of a durable run.
const (
	// EventText: the text of a completed response (Text).
	EventText EventKind = "text"
	// EventTextDelta: text the model wrote (Text), made by Follow: while
	// a model request runs, from its heartbeat details; after it, from
	// the response's EventText and, for the last response, the run's
	// output. A turn's deltas, in order, are its text (a request that is
	// retried starts its text again).
	EventTextDelta EventKind = "text_delta"
	// EventCall: a call is about to run (Call); for a call that ran in
	// the model request (StreamOptions.Eager), once that request is
	// recorded, just before its EventCallDone.
	EventCall EventKind = "call"
	// EventAwaitingApproval: a call waits for Approve or Deny (Call).
	EventAwaitingApproval EventKind = "awaiting_approval"
	// EventCallDone: a call finished, failed, was denied or interrupted
	// (Call, Output).
	EventCallDone EventKind = "call_done"
	// EventSearch: a client tool search was answered (Text: the query).
	EventSearch EventKind = "search"
)

// Event is one thing a durable run did, as Follow reports it. Texts are
// cut at 4 KiB (Output at 1 KiB): an event is a view, not the record.
type Event struct {
	// Index orders the run's events from 0 (-1 for EventTextDelta).
	Index int
	Kind  EventKind
	// Turn is the number of the response the event belongs to, from 1,
	// counted across the run's executions.
	Turn   int
	Text   string      `json:",omitempty"`
	Call   *CallView   `json:",omitempty"`
	Output *OutputView `json:",omitempty"`
	// Cut says Text was cut at 4 KiB.
	Cut bool `json:",omitempty"`
}

// CallView is a call as events and QueryPending show it.
type CallView struct {
	CallID    string
	Function  string // as the model called it ("namespace/name" in a namespace)
	Server    string `json:",omitempty"`
	Tool      string `json:",omitempty"`
	Arguments string
}

// OutputView is a call's output as events show it.
type OutputView struct {
	Text    string
	IsError bool
	Denied  bool `json:",omitempty"`
}

// PendingCall is a call waiting for approval.
type PendingCall = CallView

// EventsPage answers QueryEvents: the events from the asked index on (at
// most 256), and whether the run is over.
type EventsPage struct {
	Events []Event
	Next   int
	Done   bool
}

// Decision answers a pending call (UpdateDecide).
type Decision struct {
	CallID  string
	Approve bool
	Reason  string `json:",omitempty"`
}
