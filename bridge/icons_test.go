package bridge

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Icons reach the program: a tool's own icon, else its server's, in the
// routes and in every call's Route; unusable icon sources are left out.
func TestIconsInRoutes(t *testing.T) {
	srv := server.NewMCPServer("pics", "1.0", server.WithIcons(mcp.Icon{Src: "https://pics.example/server.png"}))
	handler := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}
	srv.AddTool(mcp.NewTool("draw", mcp.WithToolIcons(mcp.Icon{Src: "javascript:alert(1)"}, mcp.Icon{Src: "https://pics.example/draw.png", MIMEType: "image/png"})), handler)
	srv.AddTool(mcp.NewTool("plain"), handler)
	b := newBridge(t, []Server{InProcess("pics", srv)})
	routes := b.Routes()
	assert.Equal(t, "https://pics.example/draw.png", routes["pics__draw"].Icon)
	assert.Equal(t, "https://pics.example/server.png", routes["pics__plain"].Icon, "the server's icon stands in")
	box, err := b.Toolbox(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, "https://pics.example/draw.png", box.Exec.(*turnExec).Route(Call{Name: "pics__draw"}).Icon)
}

// Resource links reach the API as the fake (the API's schema) accepts
// them: JSON text naming each link, then the image and the PDF the API
// fetches by URL.
func TestResourceLinksReachTheAPI(t *testing.T) {
	srv := server.NewMCPServer("files", "1.0")
	srv.AddTool(mcp.NewTool("links"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{
			mcp.NewResourceLink("https://cdn.example.com/chart.png", "chart", "", "image/png"),
			mcp.NewResourceLink("https://docs.example.com/report.pdf", "report.pdf", "", "application/pdf"),
			mcp.NewResourceLink("file:///srv/notes.txt", "notes", "Team notes", "text/plain"),
		}}, nil
	})
	api, client := fakeAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "files__links", CallID: "c1"}),
		responsestest.Text("seen"),
	))
	b := newBridge(t, []Server{InProcess("files", srv)})
	_, err := b.Run(ctxT(t), &client.Responses, params("x"), WithArrayOutputs())
	require.NoError(t, err)
	req := api.Requests()[1]
	require.NoError(t, req.ValidationErr)
	parts := req.Outputs()[0].Raw["output"].([]any)
	var types []string
	for _, p := range parts {
		types = append(types, p.(map[string]any)["type"].(string))
	}
	assert.Equal(t, []string{"input_text", "input_image", "input_text", "input_file", "input_text"}, types)
	assert.Equal(t, "https://cdn.example.com/chart.png", parts[1].(map[string]any)["image_url"])
	assert.Equal(t, "https://docs.example.com/report.pdf", parts[3].(map[string]any)["file_url"])
	assert.Contains(t, parts[4].(map[string]any)["text"], `"uri":"file:///srv/notes.txt"`)
}
