package responses

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
)

// Loop holds the decisions of one run and none of its input or output:
// what the next request sends, what a response asks for, which calls
// cannot run, what the model reads for each call, which outputs are still
// to be delivered and when the run ends. [Run] and [Stream] drive a Loop
// from a goroutine; a durable runner (package bridge/bridgetemporal) drives
// one from a Temporal workflow, doing the requests and calls as
// activities. Both make the same decisions because they are made here.
//
// A driver repeats: [Loop.Next] (the iteration limit), [Loop.Request]
// (the body to send), [Loop.Response] (what the response asks for), then
// runs the calls and searches of the [Step] and hands their records to
// [Loop.EndTurn], until a Step is Done or a method returns an error. The
// records of calls come from [Loop.Refused], [Loop.Denied],
// [Loop.Completed] and [Loop.Interrupted], so every output the model reads
// is built and capped the same way.
//
// A Loop is not safe for concurrent use; its methods do no I/O and read
// no clock, so a workflow replaying its history makes the same decisions.
type Loop struct {
	params oai.ResponseNewParams
	opts   Options
	mode   mode
	limit  int // output cap
	prevID string
	first  bool
	// pending are the outputs computed but not yet delivered.
	pending []CallRecord
	res     *Result
	// The turn between Response and EndTurn.
	cur      *Turn
	searches []SearchRecord
}

// Step is what one completed response asks of the driver: the function
// calls to run (and hosted calls to approve) and the client tool searches
// to answer, in response order.
// Done says the response called nothing: the run is over.
type Step struct {
	Turn       int
	ResponseID string
	Calls      []Call
	// Searches are filled in (Tools, Err, Duration) by the driver and
	// handed back to EndTurn.
	Searches []SearchRecord
	// Hosted are the calls the API ran itself in the response (reported,
	// never run: see [HostedCall]). A hosted call's approval request is
	// among Calls (see [Call].Hosted).
	Hosted []HostedCall
	Done   bool
}

// NewLoop starts the decisions of a run of params with opts (zero fields
// take their defaults). from, when not nil, continues a run as [Resume]
// does: its pending outputs are delivered first, as they are (a driver
// that reruns interrupted calls does so before), chained to
// from.PreviousResponseID.
func NewLoop(params oai.ResponseNewParams, from *ResumePoint, opts Options) *Loop {
	if opts.MaxIterations <= 0 {
		opts.MaxIterations = DefaultMaxIterations
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	l := &Loop{params: params, opts: opts, limit: outputLimit(opts.MaxOutputBytes), first: true, res: &Result{}}
	switch {
	case !param.IsOmitted(params.Conversation):
		l.mode = modeConversation
	case params.Store.Valid() && !params.Store.Value:
		l.mode = modeStateless
	}
	if params.PreviousResponseID.Valid() {
		l.prevID = params.PreviousResponseID.Value
	}
	if from != nil {
		if from.PreviousResponseID != "" {
			l.prevID = from.PreviousResponseID
		}
		l.res.LastResponseID = from.PreviousResponseID
		if len(from.Pending) > 0 {
			l.first = false
			l.res.history = append(l.res.history, from.History...)
			l.pending = make([]CallRecord, len(from.Pending))
			for i, rec := range from.Pending {
				// Kept outputs pass the same cleaning and cap as fresh ones.
				rec.Output = l.deliverable(rec.Output)
				l.pending[i] = rec
			}
		}
		for _, k := range from.Loaded {
			l.res.loaded.add(k)
		}
		// Unknown: read from the resent conversation, or open.
		l.res.loaded.open = from.Loaded == nil && from.History == nil && from.PreviousResponseID != ""
	}
	if l.mode == modeStateless && l.first {
		l.res.history = inputItems(params.Input)
	}
	if from == nil || from.Loaded == nil {
		l.res.loaded.addItems(l.res.history)
	}
	return l
}

// Next returns the number of the turn to request next (from 1), or an
// error matching [ErrMaxIterations] when the run's budget of responses is
// spent; the outputs not delivered stay in Result.Pending.
func (l *Loop) Next() (int, error) {
	if l.res.Iterations >= l.opts.MaxIterations {
		return 0, l.Stop(fmt.Errorf("%w (%d responses)", ErrMaxIterations, l.opts.MaxIterations))
	}
	return l.res.Iterations + 1, nil
}

// Request returns the body of the next request: params with tools after
// params.Tools, the pending outputs (or, on the first turn, params.Input)
// and previous_response_id as the run's mode needs. Tools given twice are
// [ErrToolConflict].
func (l *Loop) Request(tools []oai.ToolUnionParam) (oai.ResponseNewParams, error) {
	body := l.params
	var err error
	if body.Tools, err = withTools(l.params.Tools, tools); err != nil {
		return body, l.Stop(err)
	}
	outs := outputItems(l.pending)
	// The tools the searches among them found are loaded from now on
	// (also those of searches Resume ran again).
	for _, rec := range l.pending {
		if rec.Search != nil && rec.Search.Err == nil {
			l.res.loaded.addTools(rec.Search.Tools)
		}
	}
	switch {
	case l.mode == modeStateless:
		input := make([]oai.ResponseInputItemUnionParam, 0, len(l.res.history)+len(outs))
		input = append(append(input, l.res.history...), outs...)
		body.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: input}
		// Only a caller-given (stored) previous response can be chained to.
		body.PreviousResponseID = l.params.PreviousResponseID
	case l.first:
		if l.prevID != "" && l.mode == modeChain {
			body.PreviousResponseID = openai.String(l.prevID)
		}
	default:
		body.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: outs}
		body.PreviousResponseID = param.Opt[string]{}
		if l.mode == modeChain && l.prevID != "" {
			body.PreviousResponseID = openai.String(l.prevID)
		}
	}
	return body, nil
}

// Response takes the response to the last request. It returns the Step
// the response asks for, or the run's error: a response without an id, a
// status the loop cannot continue from ([APIError]), a malformed output
// ([ErrMalformedResponse]). A completed response has received the pending
// outputs.
func (l *Loop) Response(resp *oai.Response) (Step, error) {
	turnNo := l.res.Iterations + 1
	if resp == nil || resp.ID == "" {
		return Step{}, l.Stop(fmt.Errorf("%w: turn %d: response without an id", ErrMalformedResponse, turnNo))
	}
	res := l.res
	res.Response = resp
	u := usageOf(resp)
	res.Usage.add(u)
	if err := statusError(resp); err != nil {
		return Step{}, l.Stop(err)
	}

	// The pending outputs are delivered.
	if l.mode == modeStateless {
		res.history = append(res.history, outputItems(l.pending)...)
		res.history = append(res.history, outputAsInput(resp.Output)...)
	}
	l.pending = nil
	l.first = false
	res.Iterations++
	res.LastResponseID = resp.ID
	l.prevID = resp.ID
	res.OutputText = resp.OutputText()

	turn := Turn{ResponseID: resp.ID, Usage: u, Hosted: hostedCalls(resp)}
	calls, err := functionCalls(resp)
	if err != nil {
		res.Turns = append(res.Turns, turn)
		return Step{}, fmt.Errorf("%w: turn %d: response %s: %w", ErrMalformedResponse, turnNo, resp.ID, err)
	}
	searches := toolSearchCalls(resp) // client tool search: toolsearch.go
	step := Step{Turn: turnNo, ResponseID: resp.ID, Calls: calls, Searches: searches, Hosted: turn.Hosted}
	if len(calls) == 0 && len(searches) == 0 {
		res.Turns = append(res.Turns, turn)
		step.Done = true
		return step, nil
	}
	l.cur = &turn
	l.searches = searches
	return step, nil
}

// EndTurn takes the records of the calls of the last Step, in call order,
// and its searches as the driver filled them in, and returns the completed
// turn. Their outputs are delivered by the next request; until then they
// are Result.Pending. searches must be the Step's, in its order (nil when
// the driver could not answer them: then they are left out).
func (l *Loop) EndTurn(records []CallRecord, searches []SearchRecord) Turn {
	turn := Turn{}
	if l.cur != nil {
		turn = *l.cur
	}
	turn.Calls = records
	l.pending = records
	if len(searches) > 0 {
		turn.Searches = searches
		l.pending = mergeSearches(records, searches)
	}
	l.res.Turns = append(l.res.Turns, turn)
	l.cur, l.searches = nil, nil
	return turn
}

// Stop ends the run with err: the outputs not delivered are kept in
// Result.Pending. It returns err.
func (l *Loop) Stop(err error) error {
	l.res.Pending = l.pending
	return err
}

// Result is what the run did so far. The Loop keeps updating it.
func (l *Loop) Result() *Result { return l.res }

// Refused returns the record of a call that must not run, and true: a
// malformed function_call item (no name, arguments not a string),
// arguments that are not JSON, or a deferred function (c.Route.Deferred)
// that no client tool search of the run has loaded ([ErrNotLoaded]). The
// model reads why and how to call again.
// A hosted call's approval request (see [Call].Hosted) is refused, as a
// denial, when it is malformed, past the bound of one response's approval
// requests, or not routed by the turn's Executor (c.Route is zero).
func (l *Loop) Refused(c Call) (CallRecord, bool) {
	if c.Hosted != "" {
		return l.refusedHosted(c)
	}
	rec := CallRecord{Call: c}
	switch {
	case c.malformed != "":
		rec.Err = fmt.Errorf("%w: call %s: %s", ErrMalformedCall, c.CallID, c.malformed)
		rec.Output = Output{Text: "error: this function call was not run: " + c.malformed +
			"; call the function again with its name and a JSON-encoded arguments string", IsError: true}
	case c.Arguments != "" && !jsonValid(c.Arguments):
		rec.Err = fmt.Errorf("%w for %s", ErrInvalidArguments, c.Name)
		rec.Output = errorOutput(fmt.Errorf("the arguments of %s are not valid JSON; call it again with a JSON object", c.Name))
	case !l.res.loaded.allows(c):
		return l.notLoaded(c), true
	default:
		return CallRecord{}, false
	}
	rec.Output = l.deliverable(rec.Output)
	return rec, true
}

// NeedsApproval reports whether a call is to be approved before it runs:
// the run has an approval policy (Options.Approve) and the executor did
// not preapprove the call (see [Preapprover]). A driver with its own way
// of asking (a workflow's durable wait) sets Options.Approve to a function
// it never calls.
func (l *Loop) NeedsApproval(preapproved bool) bool {
	return l.opts.Approve != nil && !preapproved
}

// Denied returns the record of a call that was not approved; the model
// reads reason ("no reason given" when empty).
func (l *Loop) Denied(c Call, reason string) CallRecord {
	if reason == "" {
		reason = "no reason given"
	}
	return CallRecord{
		Call: c, Denied: true, Err: fmt.Errorf("%w: %s", ErrDenied, reason),
		Output: l.deliverable(errorOutput(fmt.Errorf("the call to %s was denied and not executed: %s", c.Name, reason))),
	}
}

// Completed returns the record of a call that ran: out, or when err is not
// nil an error output with err's message. For a hosted call's approval
// request (see [Call].Hosted), which is never run, Completed with a nil
// err is its approval (out is not sent: the API runs the call).
func (l *Loop) Completed(c Call, out Output, err error) CallRecord {
	if c.Hosted != "" && err == nil {
		return CallRecord{Call: c, Output: Output{Text: "approved"}}
	}
	if err != nil {
		out = errorOutput(err)
	}
	return CallRecord{Call: c, Output: l.deliverable(out), Err: err}
}

// Interrupted returns the record of a call stopped by err before it could
// finish (the run's context ended). [Resume] runs such a call again when
// err is a context error.
func (l *Loop) Interrupted(c Call, err error) CallRecord {
	return CallRecord{Call: c, Err: err, Output: l.deliverable(errorOutput(err))}
}

// errNoExecutor: a Toolbox came without an Executor.
var errNoExecutor = errors.New("no Executor in the Toolbox")

func jsonValid(s string) bool { return json.Valid([]byte(s)) }
