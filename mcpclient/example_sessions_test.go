package mcpclient_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// A program serving many users calls an HTTP server as each of them: the
// User in the context picks (or opens) that user's session, with their
// token, never another user's.
func ExampleSessions() {
	srv := server.NewMCPServer("crm", "1.0.0")
	srv.AddTool(mcp.NewTool("whoami"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("token " + req.Header.Get("Authorization")), nil
	})
	ts := httptest.NewServer(server.NewStreamableHTTPServer(srv))
	defer ts.Close()

	sessions, err := mcpclient.NewSessions(mcpclient.Config{Name: "crm", Transport: &mcpclient.HTTP{URL: ts.URL + "/mcp"}},
		mcpclient.SessionLimits{MaxSessions: 100})
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()

	for _, user := range []string{"alice", "bob"} {
		ctx := mcpclient.WithUser(context.Background(), mcpclient.User{
			ID:    user,
			Token: func(context.Context) (string, error) { return user + "-token", nil },
		})
		c, release, err := sessions.Get(ctx)
		if err != nil {
			log.Fatal(err)
		}
		res, err := c.CallTool(ctx, "whoami", nil)
		release()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(res.Content[0].(mcp.TextContent).Text)
	}
	fmt.Println(sessions.Len(), "sessions")
	// Output:
	// token Bearer alice-token
	// token Bearer bob-token
	// 2 sessions
}
