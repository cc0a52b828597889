package bridge

import (
	"context"
	"errors"

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
	if b.closed.Load() {
		return nil, ErrClosed
	}
	o := buildOptions(b.opts, opts)
	ex := &runExecutor{b: b, o: &o}
	return responses.Run(ctx, api, params, ex, b.loopOptions(ex))
}

// Resume continues a run that stopped on an API error from the point the
// result recorded: the pending outputs are sent first, without running their
// tools again.
func (b *Bridge) Resume(ctx context.Context, api responses.API, params oai.ResponseNewParams, from responses.ResumePoint, opts ...Option) (*responses.Result, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	o := buildOptions(b.opts, opts)
	ex := &runExecutor{b: b, o: &o}
	return responses.Resume(ctx, api, params, from, ex, b.loopOptions(ex))
}

func (b *Bridge) loopOptions(ex *runExecutor) responses.Options {
	o := *ex.o
	lo := responses.Options{
		MaxIterations:  o.maxIterations,
		MaxConcurrency: o.maxConcurrency,
		CallTimeout:    o.callTimeout,
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
