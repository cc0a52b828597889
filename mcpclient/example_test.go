package mcpclient_test

import (
	"context"
	"fmt"
	"log"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Connect takes the server's name and its transport; here an mcp-go server
// in this program.
func ExampleConnect() {
	srv := server.NewMCPServer("greeter", "1.0.0")
	srv.AddTool(mcp.NewTool("hello"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("hello"), nil
	})
	ctx := context.Background()
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name:      "greeter",
		Transport: &mcpclient.InProcess{Server: srv},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.CallTool(ctx, "hello", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Transport(), res.Content[0].(mcp.TextContent).Text)
	// Output: inprocess hello
}

// A stdio server is a program this client starts; what only stdio needs
// (environment, restarts, stderr) is in Stdio.
func ExampleStdio() {
	c, err := mcpclient.Connect(context.Background(), mcpclient.Config{
		Name: "github",
		Transport: &mcpclient.Stdio{
			Command:     "github-mcp-server",
			Args:        []string{"stdio"},
			Env:         map[string]string{"GITHUB_PERSONAL_ACCESS_TOKEN": "…"},
			MaxRestarts: -1, // fail calls instead of restarting a crashed server
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// A remote server is reached over streamable HTTP, or over the older
// HTTP+SSE transport with SSE set; headers go with every request.
func ExampleHTTP() {
	c, err := mcpclient.Connect(context.Background(), mcpclient.Config{
		Name: "wiki",
		Transport: &mcpclient.HTTP{
			URL:     "https://wiki.example/mcp",
			Headers: map[string]string{"Authorization": "Bearer …"},
		},
		MaxMessageBytes: 8 << 20,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
