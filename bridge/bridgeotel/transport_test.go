package bridgeotel_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgeotel"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// headerLog records the traceparent of every JSON-RPC request an MCP HTTP
// server receives, by method.
type headerLog struct {
	mu   sync.Mutex
	seen map[string][]string // JSON-RPC method -> traceparent of each request
}

func (l *headerLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err == nil {
				r.Body = io.NopCloser(bytes.NewReader(body))
				for _, m := range []string{"initialize", "tools/list", "tools/call"} {
					if strings.Contains(string(body), `"method":"`+m+`"`) {
						l.mu.Lock()
						l.seen[m] = append(l.seen[m], r.Header.Get("traceparent"))
						l.mu.Unlock()
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (l *headerLog) get(method string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen[method]...)
}

// serveMCP serves the mcptest server over kind on a loopback listener,
// recording headers; it returns the URL to connect to.
func serveMCP(t *testing.T, kind string, log *headerLog) string {
	s := mcptest.NewServer()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	if kind == mcptest.KindSSE {
		sse := server.NewSSEServer(s, server.WithBaseURL(srv.URL))
		h = log.wrap(sse)
		t.Cleanup(sse.CloseSessions) // before srv.Close: ends the open streams
		return srv.URL + "/sse"
	}
	stream := server.NewStreamableHTTPServer(s)
	h = log.wrap(stream)
	t.Cleanup(func() { _ = stream.Shutdown(context.Background()) })
	return srv.URL + "/mcp"
}

// TestTraceparentReachesHTTPServer: with Transport as the servers' HTTP
// transport, the tools/call request of a call carries a traceparent whose
// parent is that call's span, over streamable HTTP and SSE; requests made
// outside any span (initialize, in New) carry none.
func TestTraceparentReachesHTTPServer(t *testing.T) {
	for _, kind := range []string{mcptest.KindStreamable, mcptest.KindSSE} {
		t.Run(kind, func(t *testing.T) {
			ctx := testCtx(t)
			tp, rec := newRecorder(t)
			log := &headerLog{seen: map[string][]string{}}
			url := serveMCP(t, kind, log)

			var opts []bridgeotel.Option
			if kind == mcptest.KindSSE { // the global propagator, as most programs set it
				prev := otel.GetTextMapPropagator()
				otel.SetTextMapPropagator(propagation.TraceContext{})
				t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
			} else {
				opts = append(opts, bridgeotel.WithPropagator(propagation.TraceContext{}))
			}
			base := &http.Transport{}
			b, err := bridge.New(ctx, []bridge.Server{{Config: mcpclient.Config{
				Name: "h", Transport: &mcpclient.HTTP{URL: url, SSE: kind == mcptest.KindSSE,
					HTTPClient: &http.Client{Transport: bridgeotel.Transport(base, opts...)}},
			}}})
			require.NoError(t, err)
			defer b.Close()

			fake := responsestest.New(responsestest.Script(
				responsestest.Calls(responsestest.FunctionCall{Name: "h__echo", Arguments: `{"text":"hi"}`}),
				responsestest.Text("done"),
			))
			defer fake.Close()
			client := fake.Client()
			obs := bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))
			_, err = b.Run(ctx, &client.Responses, params(), bridge.WithObserver(obs))
			require.NoError(t, err)

			call := split(t, rec.Ended()).calls["h__echo"]
			require.NotNil(t, call)
			assert.Equal(t, "h", attrs(call)["mcp.server.name"])
			got := log.get("tools/call")
			require.Len(t, got, 1)
			sc := call.SpanContext()
			assert.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", got[0],
				"the MCP request's parent is the call span")
			for _, tp := range log.get("initialize") {
				assert.Empty(t, tp, "no span, no traceparent")
			}
		})
	}
}

type recordingRT struct {
	got    *http.Request
	closed bool
}

func (r *recordingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: req}, nil
}

func (r *recordingRT) CloseIdleConnections() { r.closed = true }

// TestTransportLeavesRequestAlone: the caller's request is never changed;
// without a span it goes through as is; CloseIdleConnections reaches the
// base transport.
func TestTransportLeavesRequestAlone(t *testing.T) {
	base := &recordingRT{}
	rt := bridgeotel.Transport(base, bridgeotel.WithPropagator(propagation.TraceContext{}))

	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/mcp", http.NoBody)
	require.NoError(t, err)
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Same(t, req, base.got, "no span: the request goes through unchanged")

	tp, _ := newRecorder(t)
	ctx, span := tp.Tracer("test").Start(context.Background(), "parent")
	defer span.End()
	req = req.WithContext(ctx)
	resp, err = rt.RoundTrip(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Empty(t, req.Header.Get("traceparent"), "the caller's request is not modified")
	sc := trace.SpanContextFromContext(ctx)
	assert.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", base.got.Header.Get("traceparent"))

	rt.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	assert.True(t, base.closed)
}
