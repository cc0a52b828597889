package bridgetemporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mcpbridge/mcpbridge/responses"
)

// errTypeRun is the type of the application error a failed run ends with.
const errTypeRun = "RunFailed"

// Changes of the workflow's commands, each guarded by workflow.GetVersion
// so that runs recorded before it replay as they ran (see the package
// documentation).
const (
	// changeLoadedSet: the loop refuses a call to a deferred function no
	// client tool search of the run loaded (before: it ran).
	changeLoadedSet = "loaded-set"
	// changeStream: model requests stream (their text is the activity's
	// heartbeat details) and start the calls that may be retried as the
	// model writes them (StreamOptions); before, every call was an
	// activity of its own.
	changeStream = "stream-model-requests"
)

// maxEvents bounds the events an execution keeps for QueryEvents.
const maxEvents = 10000

// maxEventText bounds an event's Text.
const maxEventText = 4096

// Workflow is a durable run: it drives a [responses.Loop] over the
// activities of this package. Start it with [Start]; NewWorker registers
// it as WorkflowName.
func Workflow(ctx workflow.Context, in RunInput) (*RunOutput, error) {
	var params oai.ResponseNewParams
	if err := json.Unmarshal(in.Params, &params); err != nil {
		return nil, runError(fmt.Errorf("bridgetemporal: the run's params are not a Responses request: %w", err))
	}
	o := in.Options.withDefaults()
	st := in.State
	if st == nil {
		st = &Carried{}
	}
	budget := o.MaxIterations - st.Iterations
	if budget <= 0 {
		return nil, runError(fmt.Errorf("%w (%d responses)", responses.ErrMaxIterations, o.MaxIterations))
	}
	lopts := responses.Options{MaxIterations: budget, MaxConcurrency: o.MaxConcurrency, MaxOutputBytes: o.MaxOutputBytes}
	if o.RequireApproval {
		lopts.Approve = askedByWorkflow
	}
	l := responses.NewLoop(params, st.resumePoint(), lopts)
	w := &wfRun{o: o, l: l, st: st, approvals: map[string]*approval{}}
	w.refuseUnloaded = workflow.GetVersion(ctx, changeLoadedSet, workflow.DefaultVersion, 1) >= 1
	if err := w.handlers(ctx); err != nil {
		return nil, err
	}
	w.streams = workflow.GetVersion(ctx, changeStream, workflow.DefaultVersion, 1) >= 1

	for turns := 0; ; turns++ {
		turn, err := l.Next()
		if err != nil {
			return nil, w.end(err)
		}
		if turns >= o.TurnsPerExecution {
			return nil, w.continueAsNew(ctx, in)
		}
		ref, err := w.list(ctx)
		if err != nil {
			return nil, w.end(l.Stop(err))
		}
		body, err := l.Request(nil) // the tool set goes by reference
		if err != nil {
			return nil, w.end(err)
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, w.end(l.Stop(fmt.Errorf("bridgetemporal: encoding the request: %w", err)))
		}
		if len(raw) > MaxPayloadBytes {
			why := fmt.Errorf("bridgetemporal: turn %d: the request of %d bytes is %w (%d bytes)", turn, len(raw), ErrHistoryTooLarge, MaxPayloadBytes)
			if params.Store.Valid() && !params.Store.Value {
				why = fmt.Errorf("%w; a store: false run resends its whole conversation every turn: run with store: true, which chains with previous_response_id", why)
			}
			return nil, w.end(l.Stop(why))
		}
		mi := ModelInput{Body: raw, ToolSet: ref.Hash, User: o.User, Turn: turn}
		if w.streams {
			mi.Stream = &StreamOptions{Turn: w.turn(turn), RequireApproval: o.RequireApproval, MaxConcurrency: o.MaxConcurrency,
				Eager: &CallInput{ToolSet: ref.Hash, User: o.User, MaxOutputBytes: o.MaxOutputBytes}}
		}
		mr, err := w.model(ctx, mi, &ref)
		if err != nil {
			return nil, w.end(l.Stop(err))
		}
		var resp oai.Response
		if err := json.Unmarshal(mr.Response, &resp); err != nil {
			return nil, w.end(l.Stop(fmt.Errorf("%w: turn %d: %w", responses.ErrMalformedResponse, turn, err)))
		}
		step, err := l.Response(&resp)
		if err != nil {
			return nil, w.end(err)
		}
		res := l.Result()
		if t := res.OutputText; t != "" {
			w.emit(Event{Kind: EventText, Turn: w.turn(turn), Text: cut(t, maxEventText), Cut: len(t) > maxEventText})
		}
		if step.Done {
			return w.output(), w.end(nil)
		}
		records := w.calls(ctx, step, ref.Hash, mr)
		searches := w.searches(ctx, step)
		l.EndTurn(records, searches)
	}
}

// askedByWorkflow stands for the approval policy of a run whose approvals
// are durable waits: the Loop asks whether a call needs approval, the
// workflow waits for UpdateDecide. It is never called.
func askedByWorkflow(context.Context, responses.Call) (bool, string) {
	return false, "approvals of durable runs are decided by UpdateDecide"
}

func (o RunOptions) withDefaults() RunOptions {
	if o.MaxIterations <= 0 {
		o.MaxIterations = responses.DefaultMaxIterations
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = responses.DefaultMaxConcurrency
	}
	if o.MaxOutputBytes < 0 || o.MaxOutputBytes > MaxPayloadBytes/2 {
		o.MaxOutputBytes = MaxPayloadBytes / 2 // a history payload must hold it
	}
	if o.TurnsPerExecution <= 0 {
		o.TurnsPerExecution = DefaultTurnsPerExecution
	}
	if o.ModelTimeout <= 0 {
		o.ModelTimeout = DefaultModelTimeout
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	return o
}

// wfRun is the state of one execution besides its Loop.
type wfRun struct {
	o  RunOptions
	l  *responses.Loop
	st *Carried

	events    []Event
	done      bool
	approvals map[string]*approval
	order     []string // call ids awaiting approval, in order
	nCalls    int
	// refuseUnloaded: the run was started with changeLoadedSet.
	refuseUnloaded bool
	streams        bool // the run was started with changeStream
}

// turn is the number of an execution's turn in the whole run.
func (w *wfRun) turn(t int) int { return w.st.Iterations + t }

type approval struct {
	view    CallView
	decided bool
	ok      bool
	reason  string
}

func (w *wfRun) handlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryEvents, func(from int) (EventsPage, error) {
		return w.page(from), nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryPending, func() ([]PendingCall, error) {
		out := make([]PendingCall, 0, len(w.order))
		for _, id := range w.order {
			out = append(out, w.approvals[id].view)
		}
		return out, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, func(ctx workflow.Context, d Decision) error {
		a := w.approvals[d.CallID]
		a.decided, a.ok, a.reason = true, d.Approve, d.Reason
		return nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d Decision) error {
		if a := w.approvals[d.CallID]; a == nil || a.decided {
			return fmt.Errorf("no call %q is waiting for approval in this run", d.CallID)
		}
		return nil
	}})
}

func (w *wfRun) emit(ev Event) {
	ev.Index = w.st.EventBase + len(w.events)
	if len(w.events) < maxEvents {
		w.events = append(w.events, ev)
	}
}

func (w *wfRun) page(from int) EventsPage {
	i := max(from-w.st.EventBase, 0)
	p := EventsPage{Next: w.st.EventBase + len(w.events), Done: w.done}
	if i < len(w.events) {
		end := min(len(w.events), i+256)
		p.Events = w.events[i:end]
		p.Next = w.st.EventBase + end
		p.Done = w.done && end == len(w.events)
	}
	return p
}

// end marks the run over and turns its error into the workflow's.
func (w *wfRun) end(err error) error {
	w.done = true
	if err == nil {
		return nil
	}
	return runError(err)
}

func runError(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errTypeRun, err)
}

func (w *wfRun) output() *RunOutput {
	res := w.l.Result()
	u := w.st.Usage
	u.InputTokens += res.Usage.InputTokens
	u.OutputTokens += res.Usage.OutputTokens
	u.TotalTokens += res.Usage.TotalTokens
	u.CachedTokens += res.Usage.CachedTokens
	u.ReasoningTokens += res.Usage.ReasoningTokens
	return &RunOutput{
		OutputText: res.OutputText, LastResponseID: res.LastResponseID,
		Iterations: w.st.Iterations + res.Iterations, Calls: w.st.Calls + w.nCalls, Usage: u,
	}
}

// list runs the tool listing, as a local activity: it needs no dispatch
// through the server (one round trip less per turn) and any worker can
// list, since every worker holds the servers.
func (w *wfRun) list(ctx workflow.Context) (ToolSetRef, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{errTypeBadRequest}},
	})
	var ref ToolSetRef
	err := workflow.ExecuteLocalActivity(lctx, activityList, ListInput{User: w.o.User}).Get(ctx, &ref)
	if err != nil {
		return ref, fmt.Errorf("bridgetemporal: listing tools: %w", unwrapActivity(err))
	}
	return ref, nil
}

// model runs one model request; when the worker's tool set changed since
// the listing, it lists again (a few times) and sends again.
func (w *wfRun) model(ctx workflow.Context, in ModelInput, ref *ToolSetRef) (ModelResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: w.o.ModelTimeout,
		HeartbeatTimeout:    w.o.HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 8,
			NonRetryableErrorTypes: []string{errTypeAPI, errTypeToolSet, errTypeTooLarge, errTypeBadRequest},
		},
	})
	for attempt := 1; ; attempt++ {
		var mr ModelResult
		err := workflow.ExecuteActivity(actx, activityModel, in).Get(ctx, &mr)
		if err == nil {
			return mr, nil
		}
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			switch appErr.Type() {
			case errTypeToolSet:
				if attempt < 3 {
					r, lerr := w.list(ctx)
					if lerr != nil {
						return mr, lerr
					}
					*ref, in.ToolSet = r, r.Hash
					if in.Stream != nil && in.Stream.Eager != nil {
						e := *in.Stream.Eager
						e.ToolSet = r.Hash
						s := *in.Stream
						s.Eager = &e
						in.Stream = &s
					}
					continue
				}
			case errTypeAPI:
				var v apiView
				if appErr.Details(&v) == nil && v.HTTPStatus != 0 {
					return mr, &responses.APIError{HTTPStatus: v.HTTPStatus, Code: v.Code, Message: v.Message}
				}
			}
		}
		return mr, fmt.Errorf("bridgetemporal: turn %d: model request: %w", in.Turn, unwrapActivity(err))
	}
}

// unwrapActivity leaves out the activity error's own wrapping, whose
// message repeats ids and types.
func unwrapActivity(err error) error {
	var ae *temporal.ActivityError
	if errors.As(err, &ae) && ae.Unwrap() != nil {
		return ae.Unwrap()
	}
	return err
}

// calls runs the calls of a step: refused ones answered by the Loop,
// approvals awaited, the others as activities, at most MaxConcurrency at
// a time; records in call order.
func (w *wfRun) calls(ctx workflow.Context, step responses.Step, hash string, mr ModelResult) []responses.CallRecord {
	byID := make(map[string]Route, len(mr.Routes))
	for _, r := range mr.Routes {
		byID[r.CallID] = r
	}
	ran := make(map[string]*CallResult, len(mr.Eager))
	for i := range mr.Eager {
		ran[mr.Eager[i].CallID] = &mr.Eager[i].CallResult
	}
	turn := w.turn(step.Turn)
	records := make([]responses.CallRecord, len(step.Calls))
	sem := workflow.NewSemaphore(ctx, int64(w.o.MaxConcurrency))
	wg := workflow.NewWaitGroup(ctx)
	for i, c := range step.Calls {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			records[i] = w.call(ctx, turn, c, byID[c.CallID], hash, sem, ran[c.CallID])
			w.nCalls++
			rec := records[i]
			w.emit(Event{Kind: EventCallDone, Turn: turn, Call: view(c, byID[c.CallID]),
				Output: &OutputView{Text: cut(outputText(rec.Output), 1024), IsError: rec.Output.IsError, Denied: rec.Denied}})
		})
	}
	wg.Wait(ctx)
	return records
}

func (w *wfRun) call(ctx workflow.Context, turn int, c responses.Call, r Route, hash string, sem workflow.Semaphore, ran *CallResult) responses.CallRecord {
	l := w.l
	if r.Known {
		// As a Router gives it in Run.
		c.Route = responses.Route{Server: r.Server, Tool: r.Tool, Deferred: r.Deferred && w.refuseUnloaded}
	}
	if rec, refused := l.Refused(c); refused {
		return rec
	}
	if ran != nil && r.Retry && !l.NeedsApproval(r.Preapproved) {
		// Run by the model request as the model wrote it (StreamOptions.Eager).
		w.emit(Event{Kind: EventCall, Turn: turn, Call: view(c, r)})
		return w.completed(c, *ran)
	}
	if l.NeedsApproval(r.Preapproved) {
		a := &approval{view: *view(c, r)}
		w.approvals[c.CallID] = a
		w.order = append(w.order, c.CallID)
		w.emit(Event{Kind: EventAwaitingApproval, Turn: turn, Call: view(c, r)})
		err := workflow.Await(ctx, func() bool { return a.decided })
		delete(w.approvals, c.CallID)
		for i, id := range w.order {
			if id == c.CallID {
				w.order = append(w.order[:i], w.order[i+1:]...)
				break
			}
		}
		if err != nil {
			return l.Interrupted(c, err)
		}
		if !a.ok {
			return l.Denied(c, a.reason)
		}
	}
	if c.Hosted != "" {
		return l.Completed(c, responses.Output{}, nil) // approved: the API runs it
	}
	if err := sem.Acquire(ctx, 1); err != nil {
		return l.Interrupted(c, err)
	}
	defer sem.Release(1)
	w.emit(Event{Kind: EventCall, Turn: turn, Call: view(c, r)})
	policy := &temporal.RetryPolicy{MaximumAttempts: 1}
	if r.Retry {
		policy = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5}
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: w.o.CallTimeout,
		HeartbeatTimeout:    w.o.HeartbeatTimeout,
		RetryPolicy:         policy,
	})
	var res CallResult
	err := workflow.ExecuteActivity(actx, activityCall, CallInput{ToolSet: hash, Call: c, User: w.o.User, MaxOutputBytes: w.o.MaxOutputBytes}).Get(ctx, &res)
	if err != nil {
		return l.Completed(c, responses.Output{}, w.callFailure(c, r, err))
	}
	return w.completed(c, res)
}

// completed is the record of a call a worker ran.
func (w *wfRun) completed(c responses.Call, res CallResult) responses.CallRecord {
	rec := w.l.Completed(c, res.Output, nil)
	if res.Err != "" {
		rec.Err = errors.New(res.Err)
	}
	return rec
}

// callFailure is what the model reads for a call whose activity failed.
func (w *wfRun) callFailure(c responses.Call, r Route, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return fmt.Errorf("%s: %s", c.Name, appErr.Error())
	}
	if !r.Retry {
		return fmt.Errorf("%s: %w", c.Name, ErrInterrupted)
	}
	return fmt.Errorf("%s: the call failed on every attempt (its workers stopped or it timed out): %w", c.Name, unwrapActivity(err))
}

// searches answers the client tool searches of a step, one after the
// other (they are quick and read-only).
func (w *wfRun) searches(ctx workflow.Context, step responses.Step) []responses.SearchRecord {
	if len(step.Searches) == 0 {
		return nil
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    w.o.HeartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{errTypeBadRequest}},
	})
	out := step.Searches
	for i := range out {
		var res SearchResult
		err := workflow.ExecuteActivity(actx, activitySearch, SearchInput{Call: out[i].Call, User: w.o.User}).Get(ctx, &res)
		switch {
		case err != nil:
			out[i].Err = fmt.Errorf("bridgetemporal: tool search: %w", unwrapActivity(err))
		case res.Err != "":
			out[i].Err = errors.New(res.Err)
		default:
			out[i].Tools = toolParams(res.Tools)
		}
		w.emit(Event{Kind: EventSearch, Turn: w.turn(step.Turn), Text: cut(out[i].Call.Query, 1024)})
	}
	return out
}

// continueAsNew carries the run to a new execution: the last response id,
// the outputs it is to receive, a store: false conversation, the counts.
func (w *wfRun) continueAsNew(ctx workflow.Context, in RunInput) error {
	_ = w.l.Stop(nil) // Result.Pending now holds the outputs to deliver
	res := w.l.Result()
	rp := res.ResumePoint()
	out := w.output()
	next := &Carried{
		PreviousResponseID: res.LastResponseID,
		Iterations:         out.Iterations,
		Usage:              out.Usage,
		Calls:              out.Calls,
		EventBase:          w.st.EventBase + len(w.events),
		OutputText:         res.OutputText,
		Loaded:             rp.Loaded,
	}
	for _, rec := range res.Pending {
		next.Pending = append(next.Pending, pendingOutput(rec))
	}
	for _, item := range rp.History {
		raw, err := json.Marshal(item)
		if err != nil {
			return w.end(fmt.Errorf("bridgetemporal: encoding the conversation: %w", err))
		}
		next.History = append(next.History, raw)
	}
	in.State = next
	return workflow.NewContinueAsNewError(ctx, WorkflowName, in)
}

// resumePoint is where a continued run goes on; nil for a new run.
func (c *Carried) resumePoint() *responses.ResumePoint {
	if c.PreviousResponseID == "" && len(c.Pending) == 0 {
		return nil
	}
	rp := &responses.ResumePoint{PreviousResponseID: c.PreviousResponseID, Loaded: c.Loaded}
	for _, p := range c.Pending {
		rp.Pending = append(rp.Pending, p.record())
	}
	for _, raw := range c.History {
		rp.History = append(rp.History, param.Override[oai.ResponseInputItemUnionParam](raw))
	}
	return rp
}

func pendingOutput(rec responses.CallRecord) PendingOutput {
	p := PendingOutput{Call: rec.Call, Output: rec.Output, Denied: rec.Denied}
	if rec.Err != nil {
		p.Err = rec.Err.Error()
	}
	if s := rec.Search; s != nil {
		so := &SearchOutput{Call: s.Call}
		if s.Err != nil {
			so.Err = s.Err.Error()
		}
		for _, t := range s.Tools {
			if raw, err := json.Marshal(t); err == nil {
				so.Tools = append(so.Tools, raw)
			}
		}
		p.Search = so
	}
	return p
}

func (p PendingOutput) record() responses.CallRecord {
	rec := responses.CallRecord{Call: p.Call, Output: p.Output, Denied: p.Denied}
	if p.Err != "" {
		rec.Err = errors.New(p.Err)
	}
	if p.Search != nil {
		s := &responses.SearchRecord{Call: p.Search.Call, Tools: toolParams(p.Search.Tools)}
		if p.Search.Err != "" {
			s.Err = errors.New(p.Search.Err)
		}
		rec.Search = s
	}
	return rec
}

func toolParams(raws []json.RawMessage) []oai.ToolUnionParam {
	out := make([]oai.ToolUnionParam, 0, len(raws))
	for _, raw := range raws {
		out = append(out, param.Override[oai.ToolUnionParam](raw))
	}
	return out
}

func view(c responses.Call, r Route) *CallView {
	fn := c.Name
	if c.Namespace != "" {
		fn = c.Namespace + "/" + c.Name
	}
	return &CallView{CallID: c.CallID, Function: fn, Server: r.Server, Tool: r.Tool, Arguments: cut(c.Arguments, 1024)}
}

func outputText(o responses.Output) string {
	if len(o.Parts) == 0 {
		return o.Text
	}
	s := ""
	for _, p := range o.Parts {
		if p.Type == responses.PartText {
			s += p.Text
		}
	}
	return s
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + cutMark
}

// cutMark ends a cut text.
const cutMark = "…"
