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

// route is one function of a tool set, the one shape a tool has in the
// bridge from the conversion to the call: where the call goes (the server's
// connection and its MCP tool), the function as converted and as the model
// sees it, and how to run it: the server's tools/call, or a built-in over
// the server's resources or prompts (resources.go). Every route is called
// the same way (call): arguments checked, a session of the server taken,
// then run. Outputs are not capped here: the loop caps every output once
// (responses.Deliverable), and Bridge.Call applies the same function.
type route struct {
	conn     *conn
	fn       *convert.FunctionTool // the converted tool: server, MCP tool, flat name, strict nulls
	sent     *convert.FunctionTool // as the model sees it: fn, or its copy inside space
	space    *convert.Namespace    // the namespace it is sent in; nil when flat
	key      string                // how the model calls it: functionKey(namespace, name)
	deferred bool                  // not in the request until a tool search loads it
	src      convert.Tool          // the tool as listed: input schema (validation) and search text
	run      runFunc
	hints    toolHints // the server's annotations (describe.go)
}

// runFunc runs one call over a session of the route's server; args is a
// JSON object with strict mode's added nulls removed.
type runFunc func(ctx context.Context, b *Bridge, r *route, client *mcpclient.Client, args json.RawMessage, run *runConfig) (Output, error)

// route is where the loop says a call goes (responses.Call.Route) in a
// tool set of mode; the loop refuses a deferred function of a client
// search until a search of the run loaded it. Its icon is the tool's,
// else its server's.
func (r *route) route(mode ToolSearchMode) responses.Route {
	icon := r.hints.icon
	if icon == "" {
		icon = r.conn.icon
	}
	return responses.Route{Server: r.fn.Server, Tool: r.fn.Tool, ReadOnly: r.hints.readOnly, Idempotent: r.hints.idempotent,
		Deferred: r.deferred && mode == ToolSearchClient, Icon: icon}
}

// call runs a call to r; function is the name the model called it by.
// Errors are *callError values naming the function, server and tool.
func (r *route) call(ctx context.Context, b *Bridge, function, arguments string, run *runConfig) (Output, error) {
	fail := func(err error) (Output, error) {
		return Output{}, &callError{function: function, server: r.fn.Server, tool: r.fn.Tool, err: err}
	}
	args, err := objectArguments(arguments)
	if err != nil {
		return fail(err)
	}
	// In strict form the model sends null for arguments it leaves out;
	// the server gets the call as its own schema describes it.
	args = r.fn.StripAddedNulls(args)
	if run.validateArgs {
		if err := b.validateArguments(r.src.InputSchema, args); err != nil {
			return fail(fmt.Errorf("%w: %w", ErrInvalidArguments, err))
		}
	}
	client, release, err := r.conn.session(ctx)
	if err != nil {
		return fail(err)
	}
	defer release()
	defer r.conn.enterRun(ctx, run)()
	select {
	case r.conn.sem <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	defer func() { <-r.conn.sem }()
	start := time.Now()
	out, err := r.run(ctx, b, r, client, args, run)
	b.log.Debug("tool call", "server", r.fn.Server, "tool", r.fn.Tool, "duration", time.Since(start), "ok", err == nil)
	if err != nil {
		return fail(err)
	}
	return out, nil
}

// resultOptions renders MCP content for the model. The output is not
// capped here (MaxBytes -1): the loop caps it, once.
func resultOptions(run *runConfig) convert.ResultOptions {
	return convert.ResultOptions{ArrayOutputs: run.arrayOutputs, MaxBytes: -1}
}

// runTool is the runFunc of a server's own tool: tools/call.
func runTool(ctx context.Context, b *Bridge, r *route, client *mcpclient.Client, args json.RawMessage, run *runConfig) (Output, error) {
	var callOpts []mcpclient.CallOption
	if r.hints.task {
		callOpts = append(callOpts, mcpclient.AsTask())
	}
	if run.progress != nil || run.streaming {
		progress, server, tool := run.progress, r.fn.Server, r.fn.Tool
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
	res, err := r.conn.callTool(ctx, client, r.fn.Tool, args, callOpts)
	if err != nil {
		return Output{}, err
	}
	o := resultOptions(run)
	o.StructuredJSON = r.fn.OutputSchema != nil // the output_schema sent promises that JSON
	return convert.Result(res, o), nil
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
