package bridge

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsServer has a resource, a template, a prompt and a tool of its own
// named read_resource, the name of a built-in tool.
func docsServer() *server.MCPServer {
	srv := server.NewMCPServer("docs", "1.0.0", server.WithToolCapabilities(false),
		server.WithResourceCapabilities(false, false), server.WithPromptCapabilities(false))
	srv.AddResource(mcp.NewResource("docs://readme", "readme", mcp.WithMIMEType("text/markdown")),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/markdown", Text: "# Readme"}}, nil
		})
	srv.AddResourceTemplate(mcp.NewResourceTemplate("docs://page/{id}", "page"),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "page " + req.Params.URI}}, nil
		})
	srv.AddPrompt(mcp.NewPrompt("summarize", mcp.WithArgument("topic", mcp.RequiredArgument())),
		func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return mcp.NewGetPromptResult("", []mcp.PromptMessage{
				mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("Summarize "+req.Params.Arguments["topic"])),
			}), nil
		})
	srv.AddTool(mcp.NewTool("read_resource"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("the server's own read_resource"), nil
	})
	return srv
}

func TestBuiltinResourceAndPromptTools(t *testing.T) {
	docs := InProcess("docs", docsServer())
	docs.Resources, docs.Prompts = true, true
	b := newBridge(t, []Server{docs, InProcess("plain", docsServer())}, WithStrict())
	names := toolNames(b)
	assert.ElementsMatch(t, []string{"docs__read_resource", "docs__list_resources", "docs__list_prompts", "docs__get_prompt", "plain__read_resource"}, names,
		"built-ins only for the server that opted in; its own read_resource wins")
	var shadowed bool
	for _, d := range b.Diagnostics() {
		shadowed = shadowed || d.Server == "docs" && d.Tool == toolReadResource && d.Dropped
	}
	assert.True(t, shadowed, "the left-out built-in is reported: %v", b.Diagnostics())

	ctx := ctxT(t)
	out, err := b.Call(ctx, "docs__read_resource", "{}")
	require.NoError(t, err)
	assert.Equal(t, "the server's own read_resource", out.Text)
	out, err = b.Call(ctx, "docs__list_resources", "{}")
	require.NoError(t, err)
	assert.Contains(t, out.Text, "<docs://readme> readme (text/markdown)")
	assert.Contains(t, out.Text, "<docs://page/{id}> page")
	out, err = b.Call(ctx, "docs__list_prompts", "{}")
	require.NoError(t, err)
	assert.Equal(t, "- summarize [arguments: topic (required)]", out.Text)
	// Strict mode sends null for an omitted optional argument.
	out, err = b.Call(ctx, "docs__get_prompt", `{"name":"summarize","arguments":{"topic":"MCP"}}`)
	require.NoError(t, err)
	assert.Equal(t, "[user]\nSummarize MCP", out.Text)
	_, err = b.Call(ctx, "docs__get_prompt", `{"name":""}`)
	assert.ErrorIs(t, err, ErrInvalidArguments)
	_, err = b.Call(ctx, "docs__get_prompt", `{"name":"nosuch"}`)
	var ce *callError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "docs", ce.server)
	assert.Equal(t, toolGetPrompt, ce.tool)

	// The Go methods reach the same server without the model.
	var contents []mcp.ResourceContents
	require.NoError(t, b.Client(ctx, "docs", func(c *Client) (err error) {
		contents, err = c.ReadResource(ctx, "docs://page/7")
		return err
	}))
	assert.Equal(t, "page docs://page/7", contents[0].(mcp.TextResourceContents).Text)
	var p *mcp.GetPromptResult
	require.NoError(t, b.Client(ctx, "plain", func(c *Client) (err error) {
		p, err = c.GetPrompt(ctx, "summarize", map[string]string{"topic": "x"})
		return err
	}))
	assert.Len(t, p.Messages, 1)
}

// TestReadResourceBuiltin reads through the built-in tool when no server
// tool shadows it.
func TestReadResourceBuiltin(t *testing.T) {
	srv := server.NewMCPServer("r", "1.0.0", server.WithResourceCapabilities(false, false))
	srv.AddResource(mcp.NewResource("mem://x", "x"), func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "x body"}}, nil
	})
	s := InProcess("r", srv)
	s.Resources = true
	s.Prompts = true // the server has no prompts: no prompt tools
	b := newBridge(t, []Server{s})
	assert.ElementsMatch(t, []string{"r__list_resources", "r__read_resource"}, toolNames(b))
	out, err := b.Call(ctxT(t), "r__read_resource", `{"uri":"mem://x"}`)
	require.NoError(t, err)
	assert.Equal(t, "[resource: <mem://x>]\nx body", out.Text)
}
