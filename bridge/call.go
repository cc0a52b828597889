package bridge

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mcpbridge/mcpbridge/responses"
)

// Call routes a function call to its server by the exact reverse name map
// of the current tool set (flat names, whatever WithNamespaces and
// WithToolSearch send) and returns the tool's output, with the run
// options given to New, cleaned and capped as a run would send it. A tool
// that reports an error (isError) is not a Go error: its output is marked
// IsError. Errors are *callError values that name the function, the server
// and the tool.
func (b *Bridge) Call(ctx context.Context, functionName, arguments string) (Output, error) {
	if len(arguments) > 0 && !json.Valid([]byte(arguments)) {
		// Bridge.Run's loop answers this itself; here nobody did yet.
		return Output{}, &callError{function: functionName, err: fmt.Errorf("%w: not valid JSON", ErrInvalidArguments)}
	}
	if b.closed.Load() {
		return Output{}, ErrClosed
	}
	r := b.current.Load().byName[functionName]
	if r == nil {
		return Output{}, b.unknown(functionName)
	}
	out, err := r.call(ctx, b, functionName, arguments, &b.cfg.run)
	if err != nil {
		return Output{}, err
	}
	return responses.Deliverable(out, b.cfg.run.loop.MaxOutputBytes), nil
}

// unknown is the error for a function the tool set does not have; it names
// the servers New left out, which the model may have expected it from.
func (b *Bridge) unknown(function string) *callError {
	ce := &callError{function: function, err: ErrUnknownFunction}
	for _, m := range b.missing {
		ce.missing = append(ce.missing, m.Server)
	}
	return ce
}

// turnExec runs the calls of one turn: it routes each call through the tool
// set offered in that turn's request, so the model can call only what it
// was given and a relist mid-turn cannot reroute a name.
type turnExec struct {
	b   *Bridge
	ts  *toolSet
	run *runConfig
}

// Route names the server and MCP tool a call of this turn goes to (see
// responses.Router): the route the loop carries with the call.
func (e *turnExec) Route(call Call) responses.Route {
	if call.Hosted != "" {
		if h := e.b.hostedRoute(call); h != nil {
			return hostedRouteOf(h, call)
		}
		return responses.Route{}
	}
	if r := e.ts.find(call); r != nil {
		return r.route(e.ts.mode)
	}
	return responses.Route{}
}

// Preapproved reports whether the server's config auto-approves the tool
// a call is routed to in this turn, so the run's approval hook is skipped.
func (e *turnExec) Preapproved(call Call) bool {
	if call.Hosted != "" {
		h := e.b.hostedRoute(call)
		return h != nil && autoApproved(h.srv.AutoApprove, call.Name)
	}
	r := e.ts.find(call)
	return r != nil && autoApproved(r.conn.srv.AutoApprove, r.fn.Tool)
}

// Execute runs one call. The loop has already answered arguments that are
// not JSON, so they are not checked again.
func (e *turnExec) Execute(ctx context.Context, call Call) (Output, error) {
	if err := ctx.Err(); err != nil {
		return Output{}, err // the run ended (or Close cancelled it): not run, rerun on Resume
	}
	if e.b.closed.Load() {
		return Output{}, ErrClosed
	}
	if call.Hosted != "" {
		return Output{}, &callError{function: call.Name, server: call.Hosted, tool: call.Name, err: errHostedExecuted}
	}
	r, err := e.b.resolve(e.ts, call)
	if err != nil {
		return Output{}, err
	}
	return r.call(ctx, e.b, r.key, call.Arguments, e.run)
}
