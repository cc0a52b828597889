// Package responses drives the OpenAI Responses API function-calling loop
// with the calls executed on the client side.
//
// Run sends a request, runs every function_call of the response through the
// Executor of that turn (concurrently, bounded), sends one
// function_call_output per call back chained with previous_response_id, and
// repeats until the model answers without calling functions or the
// iteration limit is reached. Each turn's tools and the Executor for their
// calls come together from a ToolSource (Static for a fixed set). The loop
// knows nothing of where the functions live: package bridge plugs MCP
// servers in as a ToolSource, and any other one works the same way.
//
// Stream runs the same loop over server-sent events and yields what
// happens as it happens: text deltas, function calls (started as soon as
// the model has written them, before the response ends), call progress and
// results, and the end of each response and of the run.
//
// Failures of single calls (unknown functions, invalid JSON arguments, tool
// errors, panics, timeouts, denials, malformed function_call items) become
// outputs the model reads, and the loop goes on. Every output passes one
// place before it is sent: it is cleaned of control and bidi formatting
// characters and capped (Options.MaxOutputBytes). Failures of the API end the loop with an error and a
// partial Result; outputs computed but not delivered are kept in
// Result.Pending, and Resume delivers them without running the tools again.
package responses

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"
)

// API creates one model response. *oai.ResponseService satisfies it: pass
// &client.Responses of an openai-go client.
type API interface {
	New(ctx context.Context, body oai.ResponseNewParams, opts ...option.RequestOption) (*oai.Response, error)
}

// Call is one function call the model asked for.
type Call struct {
	CallID    string // call_id: pairs the call with its output
	Name      string // the function name
	Namespace string // the namespace of the function, when it was sent in a namespace tool
	Arguments string // the arguments as the model wrote them (JSON text)
	ItemID    string // id of the function_call output item
	// Route is where the call goes, as the Executor of the call's turn
	// said before the call ran (see [Router]); the zero Route when it did
	// not say (an unknown function, a malformed call, an Executor that is
	// no Router). Hooks, records, stream events and the [Observer] all see
	// it, so none has to guess the destination again from the name.
	Route Route
	// Hosted, when set, makes this no function call but the approval
	// request of a call the API runs itself on a hosted tool of the
	// request (an mcp_approval_request item; see [HostedCall]): Hosted is
	// the tool's server_label, Name and Arguments are the call's, and
	// CallID and ItemID the request's id. The loop never executes it: it
	// is denied unless the turn's Executor routes it (a [Router] giving a
	// non-zero Route), then approved by the run's policy as a function
	// call would be run (the Executor's [Preapprover], Options.Approve when
	// set). The answer is an mcp_approval_response item in the next
	// request.
	Hosted string

	// malformed says why the item cannot be run (no name, arguments not
	// a string); such a call is answered with an error output.
	malformed string
}

// PartType is the kind of one content part of an Output.
type PartType string

// The content part kinds the Responses API accepts in a function_call_output.
const (
	PartText  PartType = "input_text"
	PartImage PartType = "input_image"
	PartFile  PartType = "input_file"
)

// Part is one content part of an Output: text, an image (URL or data URL)
// or a file (base64 data and a name, or a URL the API fetches).
type Part struct {
	Type     PartType
	Text     string // PartText
	ImageURL string // PartImage: https URL or data:image/...;base64,...
	FileData string // PartFile: base64 data (or a data URL)
	FileURL  string // PartFile: https URL of the file, instead of FileData
	Filename string // PartFile
}

// Output is what one call produced. When Parts is empty the output is sent
// to the model as the string Text; otherwise it is sent as the list of
// parts and Text is not sent. IsError marks a failure (the tool's own or
// the call's); its text starts with ErrorPrefix. Truncated says Text or
// Parts were cut to fit an output cap. Every output is cleaned and capped
// the same way before the model gets it (Options.MaxOutputBytes).
type Output struct {
	Text      string
	Parts     []Part
	IsError   bool
	Truncated bool
}

// ErrorPrefix starts the text of every error output the model reads: a
// failed call, a denied call and a tool that reported an error alike.
const ErrorPrefix = "error: "

// ErrorOutput is the output the model reads for a call that failed with err.
func ErrorOutput(err error) Output {
	return Output{Text: ErrorPrefix + err.Error(), IsError: true}
}

// Executor runs function calls. Execute must honour ctx (it is cancelled
// when the run is cancelled or the call times out) and may be called
// concurrently. A returned error is not fatal: the model receives
// ErrorPrefix and the error's message as the call's output. In Run,
// Call.Arguments is empty or valid JSON: the loop answers text that is not
// JSON itself.
type Executor interface {
	Execute(ctx context.Context, call Call) (Output, error)
}

// Route names where a call goes, in the terms of the tool source that
// routed it: the server that runs the tool (for package bridge, the MCP
// server) and the tool's own name there, which may differ from the
// function name the model called, and what the source knows of the tool
// before it runs. The loop reads only Deferred.
type Route struct {
	Server string
	Tool   string
	// Deferred says the function is not offered until a client tool
	// search loads it: the Loop refuses a call to it ([ErrNotLoaded])
	// until a search of the run has loaded it.
	Deferred bool
	// ReadOnly and Idempotent say the tool only reads, or that running it
	// again is harmless, as the tool's server describes it (for package
	// bridge, the MCP readOnlyHint and idempotentHint annotations): hints,
	// which a server can get wrong, for a runner that decides whether a
	// call may be retried.
	ReadOnly, Idempotent bool
	// Icon is an icon of the tool, else of its server, for a program
	// that shows calls to a person: an https or data: URL as the source
	// offers it (for package bridge, the MCP icons picked by
	// convert.IconURL); "" when there is none. The loop does not read it.
	Icon string
}

// Router is implemented by an Executor that knows, before a call runs,
// where it goes. The loop asks it once per call, before the hooks, the
// approval, the [Observer] and Execute see the call, and keeps the answer
// in [Call.Route]; a stream asks before it yields [EventFunctionCall].
// Route must be cheap and must not block; it may be called concurrently.
type Router interface {
	Route(c Call) Route
}

// Preapprover is implemented by an Executor that knows some calls need no
// approval (a server's config auto-approves its read-only tools, say):
// Options.Approve is not asked for a call Preapproved reports true for.
type Preapprover interface {
	Preapproved(c Call) bool
}

// ExecutorFunc adapts a function to the Executor interface.
type ExecutorFunc func(ctx context.Context, call Call) (Output, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, call Call) (Output, error) { return f(ctx, call) }

// Toolbox is what one turn offers the model and how the calls the model
// makes in reply are run. Keeping both in one value means a call is always
// routed by the tool set it was made from, even when the tools change
// between turns.
type Toolbox struct {
	// Tools are sent after params.Tools in this turn's request.
	Tools []oai.ToolUnionParam
	// Exec runs the function calls of the response to this request.
	Exec Executor
}

// ToolSource gives the loop the Toolbox of each turn. Toolbox is called
// once before every request (and once before Resume re-runs interrupted
// calls); an error ends the run.
type ToolSource interface {
	Toolbox(ctx context.Context) (Toolbox, error)
}

// staticTools is a ToolSource that never changes.
type staticTools Toolbox

func (s staticTools) Toolbox(context.Context) (Toolbox, error) { return Toolbox(s), nil }

// Static returns a ToolSource offering tools (after params.Tools) on every
// turn and running every call with exec.
func Static(exec Executor, tools ...oai.ToolUnionParam) ToolSource {
	return staticTools{Tools: tools, Exec: exec}
}

// Observer follows a run step by step, for tracing. Each Start method
// returns the context the step runs in (a tracer starts a span there); the
// matching End method receives that context. StartTurn's context carries
// the turn's API request and its calls, StartCall's the executor, so spans
// nest run > turn > call. StartCall and EndCall are called from the
// goroutines that run the calls, concurrently: an Observer must be safe
// for concurrent use. NopObserver can be embedded to implement a subset.
type Observer interface {
	StartRun(ctx context.Context, params *oai.ResponseNewParams) context.Context
	EndRun(ctx context.Context, res *Result, err error)
	// turn counts from 1 within the run.
	StartTurn(ctx context.Context, turn int) context.Context
	// t is nil when the turn failed before a response was received.
	EndTurn(ctx context.Context, turn int, t *Turn, err error)
	StartCall(ctx context.Context, call Call) context.Context
	EndCall(ctx context.Context, rec CallRecord)
}

// NopObserver observes nothing; embed it to implement only some methods.
type NopObserver struct{}

// StartRun returns ctx.
func (NopObserver) StartRun(ctx context.Context, _ *oai.ResponseNewParams) context.Context {
	return ctx
}

// EndRun does nothing.
func (NopObserver) EndRun(context.Context, *Result, error) {}

// StartTurn returns ctx.
func (NopObserver) StartTurn(ctx context.Context, _ int) context.Context { return ctx }

// EndTurn does nothing.
func (NopObserver) EndTurn(context.Context, int, *Turn, error) {}

// StartCall returns ctx.
func (NopObserver) StartCall(ctx context.Context, _ Call) context.Context { return ctx }

// EndCall does nothing.
func (NopObserver) EndCall(context.Context, CallRecord) {}

// Defaults used when an Options field is zero.
const (
	DefaultMaxIterations  = 10
	DefaultMaxConcurrency = 8
)

// Options tune a run. The zero value is usable.
type Options struct {
	// MaxIterations bounds the responses created in one run
	// (DefaultMaxIterations when 0). When the last allowed response still
	// calls functions, the calls are run, their outputs kept in
	// Result.Pending, and the run returns an error matching
	// ErrMaxIterations.
	MaxIterations int
	// MaxConcurrency bounds the calls of one turn that run at once
	// (DefaultMaxConcurrency when 0; 1 runs them one after the other, in
	// order).
	MaxConcurrency int
	// CallTimeout bounds each call (0 = no bound). A call still running at
	// the deadline is abandoned: the model receives a timeout error output
	// and the other calls are not affected.
	CallTimeout time.Duration
	// BeforeCall is called before each call is approved and run.
	//
	// The hooks (BeforeCall, AfterCall, Approve) are never called
	// concurrently within one run, even though the calls of a turn run in
	// parallel: a hook may write to a shared writer or prompt a person
	// without locking. A slow hook therefore delays the other calls' hooks.
	BeforeCall func(ctx context.Context, c Call)
	// AfterCall is called with each finished call, denied and failed ones
	// included.
	AfterCall func(ctx context.Context, r CallRecord)
	// Approve, when set, is asked before each call runs. A denied call is
	// not executed; the model is told it was denied and why. A panic in
	// Approve denies the call.
	Approve func(ctx context.Context, c Call) (ok bool, reason string)
	// Observer, when set, sees the run, each turn and each call with a
	// context it may replace (for tracing spans).
	Observer Observer
	// RequestOptions are passed to every API request (headers, retries,
	// timeouts).
	RequestOptions []option.RequestOption
	// MaxOutputBytes caps every output sent to the model, whatever made
	// it: a tool's text, an executor error, a timeout, a panic, a denial
	// (default DefaultMaxOutputBytes, 64 KiB; negative or larger than
	// APIMaxOutputBytes means APIMaxOutputBytes, the API's own limit).
	// Text is cut with a visible marker; the parts of an array output share
	// the cap. Every text is also cleaned of control characters (other than
	// newline, tab and carriage return) and bidirectional formatting
	// characters and made valid UTF-8.
	MaxOutputBytes int
	// ToolSearch answers the model's client-executed tool_search_call items
	// (see ToolSearcher); needed when the request has a tool_search tool
	// with execution "client".
	ToolSearch ToolSearcher
	// Logger receives debug logs (turns, response ids, call names,
	// durations; never arguments, outputs, headers or keys). nil discards.
	Logger *slog.Logger
}

// ResumePoint is where a run that stopped early can continue: the last
// response the API produced and the outputs computed for its calls but not
// delivered. Get it from Result.ResumePoint.
type ResumePoint struct {
	PreviousResponseID string
	// Pending outputs are sent first, in order, without running the tools
	// again. A pending call that was interrupted by the caller's context
	// (its Err is context.Canceled or context.DeadlineExceeded) is run again.
	Pending []CallRecord
	// History is the conversation so far for runs with store: false, which
	// cannot chain with previous_response_id; nil otherwise.
	History []oai.ResponseInputItemUnionParam
	// Loaded are the functions the run's client tool searches loaded (by
	// name, or namespace/name), which stay callable (see [Route].Deferred).
	// nil when unknown: a run resumed with History then reads them from its
	// tool_search_output items, and a chained run refuses no call for want
	// of a search, since its earlier searches are the API's.
	Loaded []string
}

// Result is what a run did. Run returns it even with an error.
type Result struct {
	// Response is the last response received (on a failed or incomplete
	// response, that response).
	Response *oai.Response
	// OutputText is the text output of the last completed response.
	OutputText string
	// Turns has one entry per completed response, with the calls it made.
	Turns []Turn
	// Usage is summed over every response received.
	Usage Usage
	// Iterations counts the completed responses of this run.
	Iterations int
	// LastResponseID is the id of the last completed response (the
	// previous_response_id the next request would chain to).
	LastResponseID string
	// Pending holds outputs computed but not delivered to the API, in call
	// order; empty after a successful run.
	Pending []CallRecord

	history []oai.ResponseInputItemUnionParam
	loaded  loadedSet // what client tool searches loaded (loaded.go)
}

// ResumePoint returns where Resume continues this run.
func (r *Result) ResumePoint() ResumePoint {
	if r == nil {
		return ResumePoint{}
	}
	return ResumePoint{
		PreviousResponseID: r.LastResponseID,
		Pending:            append([]CallRecord(nil), r.Pending...),
		History:            append([]oai.ResponseInputItemUnionParam(nil), r.history...),
		Loaded:             r.loaded.resumed(),
	}
}

// Turn is one completed response and the calls it made.
type Turn struct {
	ResponseID string
	Calls      []CallRecord
	Searches   []SearchRecord // client tool searches the response asked for, in order
	// Hosted are the calls the API ran itself in this response, on hosted
	// tools of the request, in response order (see [HostedCall]).
	Hosted []HostedCall
	Usage  Usage
}

// CallRecord is one executed (or denied, or failed) call. Output is exactly
// what the model receives: for a failed call, a text starting ErrorPrefix.
type CallRecord struct {
	Call     Call
	Output   Output
	Err      error // why the call failed: the executor's error, a timeout, a panic, ...
	Denied   bool  // Approve said no; the executor was not called
	Duration time.Duration
	// Search is set on a pending record that answers a client tool search
	// instead of a function call (Call holds only its CallID and ItemID).
	// Such records appear in Pending, in response order among the calls,
	// never in Turn.Calls.
	Search *SearchRecord
}

// Usage counts tokens.
type Usage struct {
	InputTokens, OutputTokens, TotalTokens, CachedTokens, ReasoningTokens int64
}

func (u *Usage) add(v Usage) {
	u.InputTokens += v.InputTokens
	u.OutputTokens += v.OutputTokens
	u.TotalTokens += v.TotalTokens
	u.CachedTokens += v.CachedTokens
	u.ReasoningTokens += v.ReasoningTokens
}

// Errors of a run. Match them with errors.Is.
var (
	// ErrMaxIterations: the iteration limit was reached while the model
	// was still calling functions.
	ErrMaxIterations = errors.New("responses: iteration limit reached")
	// ErrToolConflict: params.Tools and the ToolSource's tools would send
	// one function or namespace name twice, or two tool_search tools, which
	// the API refuses for the whole request; nothing was sent.
	ErrToolConflict = errors.New("responses: a tool is given twice")
	// ErrResponseFailed: the API answered with status "failed".
	ErrResponseFailed = errors.New("responses: response failed")
	// ErrResponseIncomplete: the API answered with status "incomplete".
	ErrResponseIncomplete = errors.New("responses: response incomplete")
	// ErrResponseStatus: the API answered with a status the loop cannot
	// continue from (cancelled, queued, in_progress: background mode).
	ErrResponseStatus = errors.New("responses: unexpected response status")
	// ErrMalformedResponse: a 200 response the loop cannot use: no id, an
	// output that is not a list of typed items, or a function_call whose
	// call_id is missing, not a string, longer than 64 characters or used
	// twice (an output could not be paired with it). No tool of that
	// response is run.
	ErrMalformedResponse = errors.New("responses: malformed response")
	// ErrCallTimeout: a call ran past Options.CallTimeout.
	ErrCallTimeout = errors.New("tool call timed out")
	// ErrCallPanic: the executor panicked.
	ErrCallPanic = errors.New("tool call panicked")
	// ErrInvalidArguments: the model's arguments are not valid JSON (the
	// loop), or not an object or not what the tool's schema asks for (an
	// Executor such as package bridge).
	ErrInvalidArguments = errors.New("invalid arguments")
	// ErrMalformedCall: a function_call item that can be answered (its
	// call_id is usable) but not run: no name, or arguments that are not a
	// JSON-encoded string. The tool is not run; the model gets an error
	// output saying what was wrong.
	ErrMalformedCall = errors.New("malformed function call")
	// ErrDenied: Approve denied the call, or a hosted call's approval
	// request was denied (see [Call].Hosted).
	ErrDenied = errors.New("call denied")
)

// APIError is an error reported by the API: an HTTP error (HTTPStatus,
// and Err is the openai-go *openai.Error), or an HTTP 200 response whose
// status is failed or incomplete (Status and ResponseID set, Err is
// ErrResponseFailed or ErrResponseIncomplete). Code and Message are the
// API's; for an incomplete response Code is the incomplete reason.
type APIError struct {
	ResponseID string
	Status     string
	Code       string
	Message    string
	HTTPStatus int
	Err        error
}

var keyLike = regexp.MustCompile(`(sk|key|sess)-[A-Za-z0-9_*.\-]{4,}`)

// Error describes the failure. API key look-alikes in the API's message
// (it quotes a masked key on authentication errors) are replaced by "***".
func (e *APIError) Error() string {
	msg := keyLike.ReplaceAllString(e.Message, "$1-***")
	s := "responses: API error"
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.Status != "" {
		s += ": response " + e.ResponseID + " " + e.Status
	}
	if e.Code != "" {
		s += ": " + e.Code
	}
	if msg != "" {
		s += ": " + msg
	}
	return s
}

// Unwrap returns the SDK error or the status sentinel.
func (e *APIError) Unwrap() error { return e.Err }
