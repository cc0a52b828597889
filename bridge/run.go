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
// are sent with the bridge's tools on every turn.
//
// On error, the returned Result still holds everything done so far (turns,
// outputs computed but not delivered, the last response id) so the caller
// can inspect it or continue with Resume.
func (b *Bridge) Run(ctx context.Context, api responses.API, params oai.ResponseNewParams, opts ...Option) (*responses.Result, error) {
	ctx, done, err := b.track(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	o := buildOptions(b.opts, opts)
	ex := &runExecutor{b: b, o: &o}
	res, err := responses.Run(ctx, api, params, ex, b.loopOptions(ex))
	return res, closedError(ctx, err)
}

// Resume continues a run that stopped on an API error from the point the
// result recorded: the pending outputs are sent first, without running their
// tools again.
func (b *Bridge) Resume(ctx context.Context, api responses.API, params oai.ResponseNewParams, from responses.ResumePoint, opts ...Option) (*responses.Result, error) {
	ctx, done, err := b.track(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	o := buildOptions(b.opts, opts)
	ex := &runExecutor{b: b, o: &o}
	res, err := responses.Resume(ctx, api, params, from, ex, b.loopOptions(ex))
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

func (b *Bridge) loopOptions(ex *runExecutor) responses.Options {
	o := *ex.o
	lo := responses.Options{
		MaxIterations:  o.maxIterations,
		MaxConcurrency: o.maxConcurrency,
		CallTimeout:    o.callTimeout,
		MaxOutputBytes: o.maxOutputBytes,
		BeforeCall:     o.beforeCall,
		AfterCall:      o.afterCall,
		Approve:        o.approve,
		RequestOptions: o.requestOptions,
		Logger:         b.log,
		ToolsFunc: func(ctx context.Context) ([]oai.ToolUnionParam, error) {
			if o.refreshOnChange {
				// A failed relist keeps the previous tools: the model can
				// still use them, and the error is logged, not fatal.
				if err := b.refreshStale(ctx); err != nil && !errors.Is(err, ErrClosed) {
					b.log.Warn("tool refresh failed", "error", err)
				}
			}
			ts := b.current.Load()
			ex.offered.Store(ts)
			return ts.params, nil
		},
	}
	if o.logger != nil {
		lo.Logger = o.logger
	}
	return lo
}

// Run connects to servers, runs the loop once with their tools and closes
// everything before it returns. It is New, Bridge.Run and Bridge.Close in one
// call, for programs that need the servers for a single conversation.
func Run(ctx context.Context, api responses.API, params oai.ResponseNewParams, servers []Server, opts ...Option) (*responses.Result, error) {
	b, err := New(ctx, servers, opts...)
	if err != nil {
		return nil, err
	}
	res, err := b.Run(ctx, api, params)
	if cerr := b.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return res, err
}
