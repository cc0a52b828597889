package bridgeotel

import (
	"context"

	oai "github.com/openai/openai-go/v3/responses"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpbridge/mcpbridge/responses"
)

// Observer returns a responses.Observer that traces runs, turns and calls
// with OpenTelemetry spans (see the package documentation for their names
// and attributes). It is safe for concurrent use and may serve many runs:
//
//	res, err := b.Run(ctx, &client.Responses, params,
//		bridge.WithObserver(bridgeotel.Observer()))
func Observer(opts ...Option) responses.Observer {
	c := newConfig(opts)
	return &observer{tracer: c.tracer()}
}

type observer struct {
	tracer trace.Tracer
}

// runKey carries the run's model to its turn spans, whose hooks only get
// the turn number.
type runKey struct{}

func (o *observer) StartRun(ctx context.Context, params *oai.ResponseNewParams) context.Context {
	model := ""
	if params != nil {
		model = string(params.Model)
	}
	attrs := []attribute.KeyValue{semconv.GenAIOperationNameInvokeAgent, semconv.GenAIProviderNameOpenAI}
	if model != "" {
		attrs = append(attrs, semconv.GenAIRequestModel(model))
	}
	ctx, _ = o.tracer.Start(ctx, spanName("invoke_agent", model),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, runKey{}, model)
}

func (o *observer) EndRun(ctx context.Context, res *responses.Result, err error) {
	span := trace.SpanFromContext(ctx)
	if res != nil {
		span.SetAttributes(AttrIterations.Int(res.Iterations))
		if res.LastResponseID != "" {
			span.SetAttributes(semconv.GenAIResponseID(res.LastResponseID))
		}
		span.SetAttributes(usageAttrs(res.Usage)...)
	}
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String(runErrorType(err)))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

func (o *observer) StartTurn(ctx context.Context, turn int) context.Context {
	model, _ := ctx.Value(runKey{}).(string)
	attrs := []attribute.KeyValue{semconv.GenAIOperationNameChat, semconv.GenAIProviderNameOpenAI, AttrTurn.Int(turn)}
	if model != "" {
		attrs = append(attrs, semconv.GenAIRequestModel(model))
	}
	ctx, _ = o.tracer.Start(ctx, spanName("chat", model),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

func (o *observer) EndTurn(ctx context.Context, _ int, t *responses.Turn, err error) {
	span := trace.SpanFromContext(ctx)
	if t != nil {
		if t.ResponseID != "" {
			span.SetAttributes(semconv.GenAIResponseID(t.ResponseID))
		}
		span.SetAttributes(AttrCalls.Int(len(t.Calls)))
		span.SetAttributes(usageAttrs(t.Usage)...)
		o.hostedSpans(ctx, t.Hosted)
	}
	if err != nil {
		span.SetAttributes(apiErrorAttrs(err)...)
		span.SetAttributes(semconv.ErrorTypeKey.String(runErrorType(err)))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// hostedSpans records the calls the API ran itself during a turn, as
// child spans of the turn: the API reports them with the response, so
// they carry what it said (server, tool, size of the output, failure),
// not their timing.
func (o *observer) hostedSpans(ctx context.Context, hosted []responses.HostedCall) {
	for _, h := range hosted {
		attrs := []attribute.KeyValue{semconv.GenAIToolTypeKey.String("extension"), AttrHosted.Bool(true), AttrServer.String(h.Server)}
		op, name, method := "execute_tool", h.Name, semconv.McpMethodNameToolsCall
		if h.Type == "mcp_list_tools" {
			op, name, method = "list_tools", h.Server, semconv.McpMethodNameToolsList
		} else {
			attrs = append(attrs, semconv.GenAIOperationNameExecuteTool, semconv.GenAIToolName(h.Name), AttrTool.String(h.Name),
				AttrOutputBytes.Int(len(h.Output)))
			if h.ItemID != "" {
				attrs = append(attrs, semconv.GenAIToolCallID(h.ItemID))
			}
		}
		attrs = append(attrs, method)
		_, span := o.tracer.Start(ctx, spanName(op, name), trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		if h.Error != "" {
			// Only the class: the API's error text may quote arguments.
			span.SetAttributes(semconv.ErrorTypeKey.String("tool_error"))
			span.SetStatus(codes.Error, "tool_error")
		}
		span.End()
	}
}

func (o *observer) StartCall(ctx context.Context, c responses.Call) context.Context {
	if c.Hosted != "" {
		// The approval of a call the API runs: no tools/call of ours.
		attrs := []attribute.KeyValue{semconv.GenAIOperationNameExecuteTool, semconv.GenAIToolName(c.Name),
			semconv.GenAIToolTypeKey.String("extension"), semconv.GenAIToolCallID(c.CallID), AttrHosted.Bool(true), AttrServer.String(c.Hosted)}
		if c.Route.Tool != "" {
			attrs = append(attrs, AttrTool.String(c.Route.Tool))
		}
		ctx, _ = o.tracer.Start(ctx, spanName("approve_tool", c.Name),
			trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		return ctx
	}
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameExecuteTool,
		semconv.GenAIToolName(c.Name),
		semconv.GenAIToolTypeKey.String("function"),
	}
	if c.CallID != "" {
		attrs = append(attrs, semconv.GenAIToolCallID(c.CallID))
	}
	if c.Namespace != "" {
		attrs = append(attrs, AttrNamespace.String(c.Namespace))
	}
	if r := c.Route; r.Server != "" {
		// Where the turn's tools sent the call, decided once by the tool
		// source: never guessed again from the function name.
		attrs = append(attrs, AttrServer.String(r.Server), AttrTool.String(r.Tool), semconv.McpMethodNameToolsCall)
	}
	ctx, _ = o.tracer.Start(ctx, spanName("execute_tool", c.Name),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx
}

func (o *observer) EndCall(ctx context.Context, rec responses.CallRecord) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(
		AttrOutputBytes.Int(outputBytes(rec.Output)),
		AttrOutputTruncated.Bool(rec.Output.Truncated),
		AttrDenied.Bool(rec.Denied),
	)
	if kind := callErrorType(rec); kind != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		span.SetStatus(codes.Error, kind)
	}
	span.End()
}

func spanName(op, what string) string {
	if what == "" {
		return op
	}
	return op + " " + what
}

func usageAttrs(u responses.Usage) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.GenAIUsageInputTokens(int(u.InputTokens)),
		semconv.GenAIUsageOutputTokens(int(u.OutputTokens)),
		semconv.GenAIUsageCacheReadInputTokens(int(u.CachedTokens)),
		AttrReasoningTokens.Int64(u.ReasoningTokens),
	}
}

// outputBytes is the size of what the model receives for a call.
func outputBytes(o responses.Output) int {
	if len(o.Parts) == 0 {
		return len(o.Text)
	}
	n := 0
	for _, p := range o.Parts {
		n += len(p.Text) + len(p.ImageURL) + len(p.FileData) + len(p.Filename)
	}
	return n
}
