package responses

import (
	"context"
	"errors"
	"iter"
	"sync"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	oai "github.com/openai/openai-go/v3/responses"
)

// StreamAPI creates one model response as a stream of server-sent events.
// *oai.ResponseService satisfies it (as it satisfies API): pass
// &client.Responses of an openai-go client.
type StreamAPI interface {
	NewStreaming(ctx context.Context, body oai.ResponseNewParams, opts ...option.RequestOption) *ssestream.Stream[oai.ResponseStreamEventUnion]
}

// EventKind says what an Event reports.
type EventKind string

// The kinds of events a stream yields, in the order they happen.
const (
	// EventTextDelta: a piece of the model's answer text (Delta).
	EventTextDelta EventKind = "text_delta"
	// EventRefusalDelta: a piece of a refusal the model writes instead of
	// an answer (Delta).
	EventRefusalDelta EventKind = "refusal_delta"
	// EventReasoningDelta: a piece of a reasoning summary (Delta), sent by
	// reasoning models when the request asks for summaries.
	EventReasoningDelta EventKind = "reasoning_delta"
	// EventFunctionCall: the model finished writing a function call (Call);
	// the call starts right after, before the response is complete.
	EventFunctionCall EventKind = "function_call"
	// EventHostedCall: the API finished a call (or a listing) of a hosted
	// tool it runs itself (Hosted), while writing the response.
	EventHostedCall EventKind = "hosted_call"
	// EventCallProgress: a running call reported progress (Call,
	// Progress); see ReportProgress.
	EventCallProgress EventKind = "call_progress"
	// EventCallDone: a call finished, failed or was denied (Record, whose
	// Output is what the model receives).
	EventCallDone EventKind = "call_done"
	// EventTurnDone: the model's response is complete (ResponseID,
	// Usage). Calls it made may still be running: their EventCallDone
	// follow.
	EventTurnDone EventKind = "turn_done"
	// EventRunDone: the run is over; always the last event, with the same
	// Result (and error) Run would return.
	EventRunDone EventKind = "run_done"
)

// Event is one thing that happened during a streamed run. Kind says which
// fields are set.
type Event struct {
	Kind EventKind
	// Turn is the 1-based number of the response the event belongs to
	// (0 for calls rerun by ResumeStream before the first response).
	Turn int
	// Delta is the new text of a text, refusal or reasoning delta.
	Delta string
	// ItemID and OutputIndex locate a delta's output item in its
	// response.
	ItemID      string
	OutputIndex int
	// Call is the call of EventFunctionCall, EventCallProgress and
	// EventCallDone.
	Call Call
	// Hosted is the call of EventHostedCall.
	Hosted *HostedCall
	// Progress is set for EventCallProgress.
	Progress Progress
	// Record is the finished call of EventCallDone: output, duration,
	// error, denial.
	Record CallRecord
	// ResponseID and Usage are set for EventTurnDone.
	ResponseID string
	Usage      Usage
	// Result is set for EventRunDone: the same Result Run returns, never
	// nil.
	Result *Result
}

// Progress is how far a running call has come, as its executor reports it
// with ReportProgress. Total is 0 when unknown.
type Progress struct {
	Progress float64
	Total    float64
	Message  string
}

type progressKey struct{}

// ReportProgress reports the progress of the call whose ctx is given, as an
// EventCallProgress of the stream that runs it. Executors call it with the
// ctx Execute received; it reports whether anyone listens (false under Run,
// or with any other ctx). It blocks until the stream's consumer takes the
// event, or returns at once when the consumer has stopped.
func ReportProgress(ctx context.Context, p Progress) bool {
	f, ok := ctx.Value(progressKey{}).(func(Progress))
	if !ok {
		return false
	}
	f(p)
	return true
}

// Errors of a streamed response. Match them with errors.Is.
var (
	// ErrStreamError: the API sent an error event in the middle of a
	// response stream (the *APIError has its code and message).
	ErrStreamError = errors.New("responses: error event in the response stream")
	// ErrStreamInterrupted: the stream ended before the response was
	// complete (a dropped connection), without an error event.
	ErrStreamInterrupted = errors.New("responses: stream ended before the response was complete")
)

// Stream runs the same loop as Run, streaming: it yields the model's text
// as it is written, each function call as soon as the model has finished
// writing it, the calls' progress and results, the end of every response
// and, last, EventRunDone with the Result and error Run would return.
// Every other event comes with a nil error.
//
// Calls start eagerly: each function call starts as soon as its output item
// is complete (its response.output_item.done event), while the model is
// still writing the rest of the response; their outputs still go back in
// call order in the next request. Approval, hooks, Options.MaxConcurrency
// (calls queue in the order the model wrote them) and Options.CallTimeout
// behave as in Run. Calls are matched to the completed response by call id:
// a call of the completed response that was not streamed is started then;
// a streamed call missing from it is cancelled.
//
// When a response fails mid-stream (an error event, response.failed,
// response.incomplete, a dropped connection), the calls started for it are
// cancelled and their records discarded: the response cannot be chained
// to, so their outputs could never be delivered, and Run would not have
// started them. (A call that already had effects keeps them; use Approve
// for tools that must not run before the model is done.) The outputs of
// the previous turn, which that response was to receive, stay in
// Result.Pending, and ResumeStream or Resume delivers them exactly as
// after Run. Errors are those of Run, plus *APIError matching
// ErrStreamError for an error event and ErrStreamInterrupted for a stream
// that ends without a terminal event.
//
// Stopping early: breaking out of the range loop cancels the request in
// flight and the running calls, and waits for them to return (executors
// must honour ctx). Each range over the returned sequence runs the loop
// once, creating new responses.
//
// Runs with store: false stream too, resending the history as Run does.
func Stream(ctx context.Context, api StreamAPI, params oai.ResponseNewParams, tools ToolSource, opts Options) iter.Seq2[Event, error] {
	return stream(ctx, api, params, nil, tools, opts)
}

// ResumeStream is Resume, streamed: it continues a run (streamed or not)
// from from, usually result.ResumePoint(), and yields events as Stream
// does.
func ResumeStream(ctx context.Context, api StreamAPI, params oai.ResponseNewParams, from ResumePoint, tools ToolSource, opts Options) iter.Seq2[Event, error] {
	return stream(ctx, api, params, &from, tools, opts)
}

func stream(ctx context.Context, api StreamAPI, params oai.ResponseNewParams, from *ResumePoint, tools ToolSource, opts Options) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s := &streamer{api: api, events: make(chan Event), stopped: make(chan struct{})}
		// Closing stopped unblocks emitters once nobody reads: on a break,
		// and for late emitters (executors abandoned at a timeout).
		var stopOnce sync.Once
		stop := func() { stopOnce.Do(func() { close(s.stopped) }) }
		defer stop()

		var runAPI API // nil stays nil, so run reports it
		if api != nil {
			runAPI = s
		}
		if tools != nil {
			tools = progressSource{src: tools, s: s}
		}
		after := opts.AfterCall
		opts.AfterCall = func(ctx context.Context, rec CallRecord) {
			if after != nil {
				after(ctx, rec)
			}
			s.emit(Event{Kind: EventCallDone, Call: rec.Call, Record: rec})
		}

		var res *Result
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			rctx := ctx
			if opts.Observer != nil { // the run span, as in Run (observed)
				rctx = opts.Observer.StartRun(ctx, &params)
			}
			res, err = run(rctx, runAPI, params, from, tools, opts, s.setup)
			s.closeTurn()
			if opts.Observer != nil {
				opts.Observer.EndRun(rctx, res, err)
			}
		}()
		for {
			select {
			case ev := <-s.events:
				if !yield(ev, nil) {
					stop()
					cancel()
					<-done // the stream and the calls honour ctx
					return
				}
			case <-done:
				yield(Event{Kind: EventRunDone, Turn: res.Iterations, Result: res}, err)
				return
			}
		}
	}
}

// progressSource gives each call's ctx a ReportProgress target, by
// wrapping every turn's executor.
type progressSource struct {
	src ToolSource
	s   *streamer
}

func (p progressSource) Toolbox(ctx context.Context) (Toolbox, error) {
	box, err := p.src.Toolbox(ctx)
	if err == nil && box.Exec != nil {
		box.Exec = progressExecutor{exec: box.Exec, s: p.s}
	}
	return box, err
}

// progressExecutor gives each call's ctx a ReportProgress target.
type progressExecutor struct {
	exec Executor
	s    *streamer
}

func (p progressExecutor) Execute(ctx context.Context, c Call) (Output, error) {
	// The turn the call belongs to, even when it reports after its turn
	// is over (an executor abandoned at a timeout).
	turn := int(p.s.turnNo.Load())
	report := func(pr Progress) { p.s.emit(Event{Kind: EventCallProgress, Turn: turn, Call: c, Progress: pr}) }
	return p.exec.Execute(context.WithValue(ctx, progressKey{}, report), c)
}

// Preapproved forwards to the wrapped executor, so wrapping keeps its say.
func (p progressExecutor) Preapproved(c Call) bool { return preapproved(p.exec, c) }

// Route forwards to the wrapped executor.
func (p progressExecutor) Route(c Call) Route { return routed(p.exec, c).Route }
