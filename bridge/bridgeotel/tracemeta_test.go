package bridgeotel_test

import (
	"context"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgeotel"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// TestTraceMetaReachesServer: with Server.TraceMeta from TraceMeta, the
// tools/call of a traced run carries the call span's W3C trace context in
// its _meta (whatever the transport; here in process, with no headers);
// a call without a span sends none.
func TestTraceMetaReachesServer(t *testing.T) {
	ctx := testCtx(t)
	tp, rec := newRecorder(t)
	var mu sync.Mutex
	var seen []map[string]any
	srv := server.NewMCPServer("meta", "1.0.0", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("echo", mcp.WithString("text")), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if req.Params.Meta != nil {
			seen = append(seen, req.Params.Meta.AdditionalFields)
		} else {
			seen = append(seen, nil)
		}
		return mcp.NewToolResultText("ok"), nil
	})
	s := bridge.InProcess("h", srv)
	s.TraceMeta = bridgeotel.TraceMeta(bridgeotel.WithPropagator(propagation.TraceContext{}))
	b, err := bridge.New(ctx, []bridge.Server{s})
	require.NoError(t, err)
	defer b.Close()

	fake := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "h__echo", Arguments: `{"text":"hi"}`}),
		responsestest.Text("done"),
	))
	defer fake.Close()
	client := fake.Client()
	_, err = b.Run(ctx, &client.Responses, params(), bridge.WithObserver(bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))))
	require.NoError(t, err)

	call := split(t, rec.Ended()).calls["h__echo"]
	require.NotNil(t, call)
	sc := call.SpanContext()
	require.Len(t, seen, 1)
	assert.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", seen[0]["traceparent"],
		"the MCP request's parent is the call span")

	// Without a span nothing is added.
	_, err = b.Call(ctx, "h__echo", `{"text":"x"}`)
	require.NoError(t, err)
	require.Len(t, seen, 2)
	assert.NotContains(t, seen[1], "traceparent")
}
