package bridgeotel

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Transport wraps base (http.DefaultTransport when nil) so that every
// request carries the trace context of its own context, as headers of the
// propagator (the global TextMapPropagator unless WithPropagator is
// given; set it to propagation.TraceContext{} for W3C traceparent and
// tracestate). Give it to HTTP and SSE MCP servers:
//
//	bridge.Server{Config: mcpclient.Config{Name: "docs", Transport: &mcpclient.HTTP{URL: url,
//		HTTPClient: &http.Client{Transport: bridgeotel.Transport(nil)}}}}
//
// The MCP request of a tool call runs in the call's context, so the
// server sees the call span as its parent. Requests without a span go out
// unchanged. Only WithPropagator applies; other options are ignored.
func Transport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, propagator: newConfig(opts).propagator}
}

type transport struct {
	base       http.RoundTripper
	propagator propagation.TextMapPropagator
}

// RoundTrip sends a copy of req with the trace headers added: a
// RoundTripper must not change the request it is given.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.propagator
	if p == nil {
		p = otel.GetTextMapPropagator()
	}
	carrier := propagation.HeaderCarrier(http.Header{})
	p.Inject(req.Context(), carrier)
	if len(carrier) == 0 {
		return t.base.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	for k, v := range carrier {
		out.Header[k] = v
	}
	return t.base.RoundTrip(out)
}

// CloseIdleConnections closes the idle connections of the base transport,
// so that http.Client.CloseIdleConnections keeps working through the
// wrapper.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// TraceMeta returns a function for mcpclient.Config.TraceMeta (a field of
// every bridge.Server): each tools/call, resources/read and prompts/get
// then carries the trace context of its context in its _meta, under the
// propagator's keys (traceparent and tracestate for W3C trace context), as
// MCP asks for transports without headers (stdio) and servers that read it
// from _meta:
//
//	srv := bridge.Stdio("files", "files-server")
//	srv.TraceMeta = bridgeotel.TraceMeta()
//
// Only WithPropagator applies; other options are ignored.
func TraceMeta(opts ...Option) func(ctx context.Context) map[string]string {
	p := newConfig(opts).propagator
	return func(ctx context.Context) map[string]string {
		prop := p
		if prop == nil {
			prop = otel.GetTextMapPropagator()
		}
		carrier := propagation.MapCarrier{}
		prop.Inject(ctx, carrier)
		return carrier
	}
}
