package bridgeotel_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgeotel"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Hosted calls are traced: the approval as a call span, the API's listing
// and calls as spans of their turn; the hosted server's token appears in
// no span.
func TestHostedCallsAreTraced(t *testing.T) {
	const token = "tok-TRACE-SECRET-0123456789"
	ctx := testCtx(t)
	tp, rec := newRecorder(t)
	fake := responsestest.New((&responsestest.HostedModel{
		Servers: []responsestest.HostedServer{{Label: "docs", Tools: []responsestest.HostedTool{{Name: "publish"}}}},
		Calls:   []responsestest.MCPCall{{Server: "docs", Name: "publish", Arguments: `{"id":1}`}},
	}).Handler())
	defer fake.Close()
	client := fake.Client()
	docs := bridge.HTTP("docs", "https://docs.example/mcp")
	docs.Hosted = true
	docs.Transport.(*bridge.HTTPTransport).Headers = map[string]string{"Authorization": "Bearer " + token}
	b, err := bridge.New(ctx, []bridge.Server{docs})
	require.NoError(t, err)
	defer b.Close()
	_, err = b.Run(ctx, &client.Responses, params(), bridge.WithObserver(bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))),
		bridge.WithApproval(func(context.Context, bridge.Call) (bool, string) { return true, "" }))
	require.NoError(t, err)

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
		assert.NotContains(t, fmt.Sprint(s.Attributes(), s.Status(), s.Events()), token)
	}
	approve, list, call := byName["approve_tool publish"], byName["list_tools docs"], byName["execute_tool publish"]
	require.NotNil(t, approve)
	require.NotNil(t, list)
	require.NotNil(t, call)
	turns := []sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		if s.Name() == "chat gpt-5-mini" {
			turns = append(turns, s)
		}
	}
	require.Len(t, turns, 2)
	assert.Equal(t, turns[0].SpanContext().SpanID(), list.Parent().SpanID())
	assert.Equal(t, turns[0].SpanContext().SpanID(), approve.Parent().SpanID())
	assert.Equal(t, turns[1].SpanContext().SpanID(), call.Parent().SpanID(), "the API ran it in the second response")
	attrs := map[string]string{}
	for _, a := range call.Attributes() {
		attrs[string(a.Key)] = a.Value.String()
	}
	assert.Equal(t, "true", attrs["mcpbridge.hosted"])
	assert.Equal(t, "docs", attrs["mcp.server.name"])
	assert.Equal(t, "publish", attrs["mcp.tool.name"])
	assert.Equal(t, "tools/call", attrs["mcp.method.name"])
}
