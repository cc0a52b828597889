// Package bridgeotel traces mcpbridge runs with OpenTelemetry.
//
// Observer returns a responses.Observer (pass it to bridge.WithObserver or
// responses.Options.Observer) that makes one span per run, one per model
// request (turn) and one per tool call, nested run > turn > call. Transport
// wraps the http.RoundTripper of HTTP and SSE MCP servers so that each
// request carries the W3C trace context (traceparent, tracestate) of the
// tool call it belongs to, and the server's own spans join the trace.
//
// The core packages (bridge, responses, mcpclient, convert) do not import
// OpenTelemetry; only programs that import this package do.
//
// Spans carry names, ids, counts, sizes and token usage, never the
// arguments or outputs of calls, the prompt or the answer: those may hold
// secrets or personal data.
//
// # Attributes
//
// Names come from the OpenTelemetry semantic conventions v1.40.0 where one
// fits: the GenAI conventions (gen_ai.operation.name, gen_ai.provider.name,
// gen_ai.request.model, gen_ai.response.id, gen_ai.usage.*,
// gen_ai.tool.name, gen_ai.tool.call.id, gen_ai.tool.type), the MCP
// conventions (mcp.method.name) and error.type. The others are this
// package's own, named like them: mcp.server.name and mcp.tool.name (the
// server and MCP tool a call was routed to, from the call's
// [responses.Call.Route]) and the
// mcpbridge.* keys (AttrTurn, AttrIterations, AttrDenied, ...).
//
//   - run span "invoke_agent [model]" (internal): gen_ai.operation.name
//     invoke_agent, gen_ai.provider.name openai, gen_ai.request.model; at the
//     end mcpbridge.iterations, gen_ai.response.id (the last response) and
//     the usage summed over the run.
//   - turn span "chat [model]" (client; the API request runs in it):
//     gen_ai.operation.name chat, mcpbridge.turn, gen_ai.response.id,
//     usage, mcpbridge.calls (how many function calls the response made);
//     on an API error mcpbridge.response.status and
//     http.response.status_code.
//   - call span "execute_tool [function]" (internal; the MCP request runs
//     in it): gen_ai.operation.name execute_tool, gen_ai.tool.name (the
//     function name the model called), gen_ai.tool.call.id,
//     gen_ai.tool.type function, mcpbridge.function.namespace; for a
//     routed call mcp.server.name, mcp.tool.name and mcp.method.name
//     tools/call; at the end mcpbridge.output.bytes,
//     mcpbridge.output.truncated and mcpbridge.call.denied.
//   - for a hosted tool (the API's mcp tool, which the API runs itself):
//     the approval of a call the API asks for is a call span
//     "approve_tool [tool]" with mcpbridge.hosted, gen_ai.tool.type
//     extension and mcp.server.name (the server_label); each call or
//     listing the API reports in a response is a span of the turn,
//     "execute_tool [tool]" (mcp.method.name tools/call, mcp.tool.name,
//     mcpbridge.output.bytes) or "list_tools [server]" (tools/list), with
//     mcpbridge.hosted and mcp.server.name; it marks what the API said,
//     not when.
//
// A failed step ends with status Error and error.type. Run and turn spans
// take the error's message as the status description (API errors are
// already stripped of key look-alikes); call spans only take the error
// class (error.type: timeout, denied, tool_error, invalid_arguments, ...),
// because a call's error may quote the arguments it was given.
package bridgeotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer the Observer uses.
const ScopeName = "github.com/mcpbridge/mcpbridge/bridge/bridgeotel"

// Option configures Observer and Transport.
type Option func(*config)

type config struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
}

// WithTracerProvider makes spans with tp instead of the global
// TracerProvider (otel.GetTracerProvider at the time Observer is called).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithPropagator makes Transport inject headers with p instead of the
// global TextMapPropagator (otel.GetTextMapPropagator at each request).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

func (c *config) tracer() trace.Tracer {
	tp := c.provider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
}
