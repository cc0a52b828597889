package mcpclient_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// TestSamplingToolsCapability: sampling.tools is declared only with
// Config.SamplingTools, on both eras, and declaring it keeps the other
// capabilities (elicitation form and url, the tasks extension on
// 2026-07-28) in the same set.
func TestSamplingToolsCapability(t *testing.T) {
	srv := server.NewMCPServer("caps", "1.0.0", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("caps"), func(_ context.Context, call mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		caps := call.Params.Meta.ClientCapabilities()
		if caps == nil {
			return mcp.NewToolResultError("no capabilities in _meta"), nil
		}
		b, _ := json.Marshal(caps)
		return mcp.NewToolResultText(string(b)), nil
	})
	h := mcptest.NewHTTPServer(t, srv, mcptest.KindStreamable)
	sample := func(context.Context, string, mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
		return nil, nil
	}
	elicit := func(context.Context, string, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) { return nil, nil }
	for _, allow := range []bool{false, true} {
		c := connect(t, mcpclient.Config{Name: "caps", Transport: &mcpclient.HTTP{URL: h.URL},
			OnSampling: sample, OnElicitation: elicit, SamplingTools: allow})
		var caps mcp.ClientCapabilities
		if !assert.NoError(t, json.Unmarshal([]byte(textOf(t, call(t, c, "caps", map[string]any{}))), &caps)) {
			continue
		}
		if assert.NotNil(t, caps.Sampling) {
			assert.Equal(t, allow, caps.Sampling.Tools != nil, "sampling.tools with SamplingTools=%v", allow)
		}
		if assert.NotNil(t, caps.Elicitation) {
			assert.NotNil(t, caps.Elicitation.URL, "url elicitation stays declared")
		}
		assert.Contains(t, caps.Extensions, "io.modelcontextprotocol/tasks")
	}
}
