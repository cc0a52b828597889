package bridge

import (
	"context"
	"errors"
	"fmt"

	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/responses"
)

// Run drives the Responses loop with the bridge's tools: it sends params with
// the tool set added, runs every function call the model makes against its
// server, sends the outputs back and repeats until the model stops calling
// tools or the iteration limit is reached. Tools already in params stay, and
// are sent with the bridge's tools on every turn. opts override, for this
// run, the RunOptions given to New.
//
// On error, the returned Result still holds everything done so far (turns,
// outputs computed but not delivered, the last response id) so the caller
// can inspect it or continue with Resume.
func (b *Bridge) Run(ctx context.Context, api responses.API, params oai.ResponseNewParams, opts ...RunOption) (*Result, error) {
	ctx, done, err := b.track(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	run := withRun(b.cfg.run, opts)
	res, err := responses.Run(ctx, api, params, &source{b: b, run: &run}, b.loopOptions(&run))
	return res, closedError(ctx, err)
}

// Resume continues a run that stopped on an API error from the point the
// result recorded (res.ResumePoint()): the pending outputs are sent first,
// without running their tools again.
func (b *Bridge) Resume(ctx context.Context, api responses.API, params oai.ResponseNewParams, from responses.ResumePoint, opts ...RunOption) (*Result, error) {
	ctx, done, err := b.track(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	run := withRun(b.cfg.run, opts)
	res, err := responses.Resume(ctx, api, params, from, &source{b: b, run: &run}, b.loopOptions(&run))
	return res, closedError(ctx, err)
}

// track gives a run a context that Close cancels with ErrClosed; done
// forgets the run. It fails with ErrClosed on a closed Bridge.
func (b *Bridge) track(ctx context.Context) (context.Context, func(), error) {
	b.runsMu.Lock()
	defer b.runsMu.Unlock()
	if b.closed.Load() {
		return nil, nil, ErrClosed
	}
	ctx, cancel := context.WithCancelCause(ctx)
	if b.runs == nil {
		b.runs = make(map[int64]context.CancelCauseFunc)
	}
	b.runSeq++
	id := b.runSeq
	b.runs[id] = cancel
	return ctx, func() {
		b.runsMu.Lock()
		delete(b.runs, id)
		b.runsMu.Unlock()
		cancel(nil)
	}, nil
}

// closedError makes the error of a run that Close stopped match ErrClosed.
func closedError(ctx context.Context, err error) error {
	if err != nil && !errors.Is(err, ErrClosed) && errors.Is(context.Cause(ctx), ErrClosed) {
		return fmt.Errorf("%w during the run: %w", ErrClosed, err)
	}
	return err
}

func (b *Bridge) loopOptions(run *runConfig) responses.Options {
	lo := run.loop
	if lo.Logger == nil {
		lo.Logger = b.log
	}
	b.wireSearch(&lo)
	return lo
}

// Toolbox makes a Bridge a [responses.ToolSource], for programs that call
// responses.Run themselves: each turn gets the current tool set (relisted
// first when a server announced a change) and an Executor that routes
// through exactly that set (and names each call's Route), with the
// RunOptions given to New. With client tool search, pass the Bridge as
// Options.ToolSearch too ([Bridge.Search]): the loop keeps what the run's
// searches loaded and refuses a call to a deferred function none loaded
// (responses.Route.Deferred), as in Bridge.Run.
func (b *Bridge) Toolbox(ctx context.Context) (responses.Toolbox, error) {
	return (&source{b: b, run: &b.cfg.run}).Toolbox(ctx)
}

// source is the ToolSource of one run.
type source struct {
	b   *Bridge
	run *runConfig
}

func (s *source) Toolbox(ctx context.Context) (responses.Toolbox, error) {
	b := s.b
	if b.closed.Load() {
		return responses.Toolbox{}, ErrClosed
	}
	if b.cfg.refreshOnChange {
		// A failed relist keeps the previous tools: the model can still
		// use them, and the error is logged, not fatal.
		if err := b.refreshStale(ctx); err != nil && !errors.Is(err, ErrClosed) {
			b.log.Warn("tool refresh failed", "error", err)
		}
	}
	ts := b.current.Load()
	tools := ts.params
	if hosted := b.hostedTools(ts.mode); len(hosted) > 0 {
		tools = append(append(make([]oai.ToolUnionParam, 0, len(tools)+len(hosted)), tools...), hosted...)
	}
	return responses.Toolbox{Tools: tools, Exec: &turnExec{b: b, ts: ts, run: s.run}}, nil
}

// Run connects to servers, runs the loop once with their tools and closes
// everything before it returns. It is New, Bridge.Run and Bridge.Close in one
// call, for programs that need the servers for a single conversation; it
// takes the Options of New and the RunOptions of the run alike.
func Run(ctx context.Context, api responses.API, params oai.ResponseNewParams, servers []Server, opts ...Option) (*Result, error) {
	b, err := New(ctx, servers, append(opts, samplingAPIDefault(api))...)
	if err != nil {
		return nil, err
	}
	res, err := b.Run(ctx, api, params)
	if cerr := b.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return res, err
}
