package bridge_test

import (
	"context"
	"fmt"
	"log"
	"maps"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// haikuServer asks its client's model for a haiku (MCP sampling).
func haikuServer() *server.MCPServer {
	s := server.NewMCPServer("poet", "1.0.0")
	s.AddTool(mcp.NewTool("haiku", mcp.WithDescription("Writes a haiku.")),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			req := mcp.CreateMessageRequest{}
			req.Messages = []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("A haiku about Go")}}
			req.MaxTokens = 60
			//lint:ignore SA1019 sampling is part of the protocol versions servers negotiate today.
			res, err := s.RequestSampling(ctx, req)
			if err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			return mcp.NewToolResultText(res.Content.(mcp.TextContent).Text), nil
		})
	return s
}

// WithSampling lets servers ask the program's model for completions, with
// an approval hook and per-server limits.
func ExampleWithSampling() {
	fake := responsestest.New(func(*responsestest.Request) responsestest.Reply { return responsestest.Text("Gophers compile fast") })
	defer fake.Close()
	client := fake.Client() // real programs: openai.NewClient()

	b, err := bridge.New(context.Background(), []bridge.Server{bridge.InProcess("poet", haikuServer())},
		bridge.WithSampling(bridge.SamplingConfig{
			API:   &client.Responses,
			Model: "gpt-5-mini",
			Approve: func(_ context.Context, server string, _ mcp.CreateMessageRequest) (bool, string) {
				return server == "poet", "only the poet may sample"
			},
			Rate: 5, // per minute and server
		}))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	out, err := b.Call(context.Background(), "poet__haiku", "{}")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Text)
	// Output: Gophers compile fast
}

// Server.Resources and Server.Prompts give the model tools to read a
// server's resources and get its prompts; Bridge.Client does the same for
// the program.
func ExampleServer_resources() {
	docs := server.NewMCPServer("docs", "1.0.0", server.WithResourceCapabilities(false, false))
	docs.AddResource(mcp.NewResource("docs://readme", "readme", mcp.WithMIMEType("text/plain")),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "Read me first."}}, nil
		})
	s := bridge.InProcess("docs", docs)
	s.Resources = true

	b, err := bridge.New(context.Background(), []bridge.Server{s})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	routes := b.Routes()
	for _, name := range slices.Sorted(maps.Keys(routes)) {
		fmt.Println(name, "->", routes[name].Server, routes[name].Tool)
	}
	out, err := b.Call(context.Background(), "docs__read_resource", `{"uri":"docs://readme"}`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Text)

	ctx := context.Background()
	err = b.Client(ctx, "docs", func(c *bridge.Client) error {
		res, err := c.ListResources(ctx)
		for _, r := range res {
			fmt.Println("program sees:", r.URI)
		}
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// docs__list_resources -> docs list_resources
	// docs__read_resource -> docs read_resource
	// [resource: <docs://readme>]
	// Read me first.
	// program sees: docs://readme
}
