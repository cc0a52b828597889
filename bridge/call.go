package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// Call routes a function call to its server by the exact reverse name map
// of the current tool set (flat names, whatever WithNamespaces and
// WithToolSearch send) and returns the tool's output, with the run
// options given to New. A tool that reports an error (isError) is not a Go
// error: its output is marked IsError. Errors are *CallError values that
// name the function, the server and the tool.
func (b *Bridge) Call(ctx context.Context, functionName, arguments string) (Output, error) {
	if len(arguments) > 0 && !json.Valid([]byte(arguments)) {
		// Bridge.Run's loop answers this itself; here nobody did yet.
		return Output{}, &CallError{Function: functionName, Err: fmt.Errorf("%w: not valid JSON", ErrInvalidArguments)}
	}
	return b.call(ctx, b.current.Load(), functionName, arguments, &b.cfg.run)
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
	if o := e.ts.find(call); o != nil {
		return responses.Route{Server: o.tool.Server, Tool: o.tool.Tool}
	}
	return responses.Route{}
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
	o, key, err := e.b.resolve(e.ts, call, e.run.loaded)
	if err != nil {
		return Output{}, err
	}
	return e.b.callTool(ctx, e.ts, o.tool, key, call.Arguments, e.run)
}

func (b *Bridge) call(ctx context.Context, ts *toolSet, functionName, arguments string, run *runConfig) (Output, error) {
	if b.closed.Load() {
		return Output{}, ErrClosed
	}
	ft, ok := ts.byName[functionName]
	if !ok {
		ce := &CallError{Function: functionName, Err: ErrUnknownFunction}
		for _, m := range b.missing {
			ce.missing = append(ce.missing, m.Server)
		}
		return Output{}, ce
	}
	return b.callTool(ctx, ts, ft, functionName, arguments, run)
}

// callTool runs a call routed to ft; functionName is what the model called.
func (b *Bridge) callTool(ctx context.Context, ts *toolSet, ft *offeredTool, functionName, arguments string, run *runConfig) (Output, error) {
	c := b.conns[ft.Server]
	fail := func(err error) (Output, error) {
		return Output{}, &CallError{Function: functionName, Server: ft.Server, Tool: ft.Tool, Err: err}
	}
	args, err := objectArguments(arguments)
	if err != nil {
		return fail(err)
	}
	// In strict form the model sends null for arguments it leaves out;
	// the server gets the call as its own schema describes it.
	args = ft.StripAddedNulls(args)
	client, release, err := c.session(ctx)
	if err != nil {
		return fail(err)
	}
	defer release()
	if out, ok, err := b.callExtra(ctx, client, ts, ft.FunctionTool, args, run); ok {
		if err != nil {
			return fail(err)
		}
		return out, nil
	}
	if run.validateArgs {
		if err := b.validateArguments(ft.schema, args); err != nil {
			return fail(fmt.Errorf("%w: %w", ErrInvalidArguments, err))
		}
	}

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	defer func() { <-c.sem }()

	var callOpts []mcpclient.CallOption
	if run.progress != nil || run.streaming {
		progress, server, tool := run.progress, ft.Server, ft.Tool
		var relay *progressRelay // Bridge.Stream: EventCallProgress (stream.go)
		if run.streaming {
			relay = startProgressRelay(ctx)
			defer relay.stop()
		}
		callOpts = append(callOpts, mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) {
			if progress != nil {
				progress(server, tool, p)
			}
			relay.post(p)
		}))
	}
	start := time.Now()
	res, err := c.callTool(ctx, client, ft.Tool, args, callOpts)
	b.log.Debug("tool call", "server", ft.Server, "tool", ft.Tool, "duration", time.Since(start), "ok", err == nil)
	if err != nil {
		return fail(err)
	}
	return convert.Result(res, convert.ResultOptions{
		ArrayOutputs:   run.arrayOutputs,
		MaxBytes:       run.maxOutputBytes,
		StructuredJSON: ft.OutputSchema != nil, // the output_schema sent promises that JSON
	}), nil
}

// validateArguments checks args against the tool's input schema, compiled
// once per tool set. A missing schema or one that does not compile (a remote
// $ref, a schema the metaschema rejects) checks nothing: the server decides.
func (b *Bridge) validateArguments(schema json.RawMessage, args json.RawMessage) error {
	if len(bytes.TrimSpace(schema)) == 0 {
		return nil
	}
	s, err := b.compiled.Get(schema)
	if err != nil {
		return nil
	}
	return s.ValidateJSON(args)
}

// objectArguments checks, without parsing again, that JSON arguments are
// an object; an empty string counts as {}.
func objectArguments(arguments string) (json.RawMessage, error) {
	if len(arguments) == 0 {
		return json.RawMessage("{}"), nil
	}
	raw := json.RawMessage(arguments)
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidArguments)
	}
	return raw, nil
}
