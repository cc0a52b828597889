package bridge_test

import (
	"context"
	"time"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// A server program calls an MCP server as each of its users: the bridge's
// own connection lists the tools, and every run reaches the server over a
// session opened with its user's token.
func ExampleWithCredentials() {
	ctx := context.Background()
	srv := bridge.Server{Config: mcpclient.Config{Name: "crm", Transport: &mcpclient.HTTP{
		URL:     "https://crm.example/mcp",
		Headers: map[string]string{"Authorization": "Bearer service-token"}, // the bridge's own connection
	}}}
	srv.PerUser = &bridge.UserSessions{MaxSessions: 100, IdleTimeout: 10 * time.Minute}
	b, err := bridge.New(ctx, []bridge.Server{srv})
	if err != nil {
		return
	}
	defer b.Close()

	client := openai.NewClient()
	userToken := func(context.Context) (string, error) { return "the user's access token", nil }
	userCtx := bridge.WithCredentials(ctx, bridge.Credentials{ID: "user-42", Token: userToken})
	_, _ = b.Run(userCtx, &client.Responses, oai.ResponseNewParams{
		Model: "gpt-5-mini",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("what are my open deals?")},
	})
}
