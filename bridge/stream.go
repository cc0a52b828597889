package bridge

import (
	"context"
	"iter"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/responses"
)

// Stream runs the same loop as [Bridge.Run], streaming (responses.Stream
// with the bridge as the ToolSource): it yields the model's text as it is
// written ([EventTextDelta]), each function call as soon as the model has
// finished writing it ([EventFunctionCall]: the call starts then; its
// Call.Route names the server and MCP tool), the progress the MCP server
// reports while the call runs ([EventCallProgress]), each call's result
// ([EventCallDone], ev.Record), the end of every response and, last,
// [EventRunDone] with the Result (ev.Result) and error Run would return.
// Every other event comes with a nil error. The RunOptions, hooks,
// approval, timeouts and Close behave as for Run; [WithProgress] still
// receives every notification, while EventCallProgress keeps only the
// latest one when the consumer falls behind.
//
// Breaking out of the range loop cancels the request in flight and the
// running calls and waits for them to return. Each range over the sequence
// runs the loop once. ResumeStream (or Resume) continues a streamed run
// from Result.ResumePoint() as after Run.
func (b *Bridge) Stream(ctx context.Context, api responses.StreamAPI, params oai.ResponseNewParams, opts ...RunOption) iter.Seq2[Event, error] {
	return b.stream(ctx, api, params, nil, opts)
}

// ResumeStream is Resume, streamed: it continues a run (streamed or not)
// from from, usually res.ResumePoint(), and yields events as Stream does.
func (b *Bridge) ResumeStream(ctx context.Context, api responses.StreamAPI, params oai.ResponseNewParams, from responses.ResumePoint, opts ...RunOption) iter.Seq2[Event, error] {
	return b.stream(ctx, api, params, &from, opts)
}

func (b *Bridge) stream(ctx context.Context, api responses.StreamAPI, params oai.ResponseNewParams, from *responses.ResumePoint, opts []RunOption) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		ctx, done, err := b.track(ctx)
		if err != nil {
			yield(runDone(&Result{}), err)
			return
		}
		defer done()
		run := withRun(b.cfg.run, opts)
		run.streaming = true
		src := &source{b: b, run: &run}
		lo := b.loopOptions(&run)

		var seq iter.Seq2[responses.Event, error]
		if from == nil {
			seq = responses.Stream(ctx, api, params, src, lo)
		} else {
			seq = responses.ResumeStream(ctx, api, params, *from, src, lo)
		}
		for ev, err := range seq {
			if ev.Kind == EventRunDone {
				err = closedError(ctx, err)
			}
			if !yield(ev, err) {
				return // responses.Stream cancels and waits for the calls
			}
		}
	}
}

// runDone is the last event of a run.
func runDone(res *Result) Event {
	return Event{Kind: EventRunDone, Turn: res.Iterations, Result: res}
}

// Stream is the one-shot [Run], streamed: it connects to servers, streams
// the run as Bridge.Stream does and closes everything when the run ends or
// the range loop breaks (stdio server processes are stopped before the
// range statement returns). The last event carries the Result; an error of
// New or of Close comes with it. WithSampling without an API samples
// through api when it is also an API, as *oai.ResponseService is.
func Stream(ctx context.Context, api responses.StreamAPI, params oai.ResponseNewParams, servers []Server, opts ...Option) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		if a, ok := api.(responses.API); ok {
			opts = append(opts[:len(opts):len(opts)], samplingAPIDefault(a))
		}
		b, err := New(ctx, servers, opts...)
		if err != nil {
			yield(runDone(&Result{}), err)
			return
		}
		closed := false
		defer func() {
			if !closed {
				_ = b.Close()
			}
		}()
		for ev, err := range b.Stream(ctx, api, params) {
			if ev.Kind == EventRunDone {
				// Closed before the last event, so its error reports Close.
				closed = true
				if cerr := b.Close(); cerr != nil && err == nil {
					err = cerr
				}
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}

// progressRelay hands one call's MCP progress notifications to its stream
// from a goroutine of its own: the notification callback runs on the
// connection's reading goroutine and must not wait for the stream's
// consumer. When the consumer is behind, only the latest is kept.
type progressRelay struct {
	ctx    context.Context
	mu     sync.Mutex
	latest *responses.Progress
	wake   chan struct{} // capacity 1
	done   chan struct{}
	exited chan struct{}
}

func startProgressRelay(ctx context.Context) *progressRelay {
	r := &progressRelay{ctx: ctx, wake: make(chan struct{}, 1), done: make(chan struct{}), exited: make(chan struct{})}
	go r.loop()
	return r
}

// post queues p, replacing one not yet handed over; a nil relay does nothing.
func (r *progressRelay) post(p mcp.ProgressNotificationParams) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.latest = &responses.Progress{Progress: p.Progress, Total: p.Total, Message: p.Message}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *progressRelay) loop() {
	defer close(r.exited)
	for {
		select {
		case <-r.wake:
			r.mu.Lock()
			p := r.latest
			r.latest = nil
			r.mu.Unlock()
			if p != nil {
				responses.ReportProgress(r.ctx, *p)
			}
		case <-r.done:
			return
		}
	}
}

// stop ends the relay once the call has returned; a notification not yet
// handed over is dropped, as one arriving after the result would be.
func (r *progressRelay) stop() {
	close(r.done)
	<-r.exited
}
