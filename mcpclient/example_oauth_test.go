package mcpclient_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// A command-line program connects to a server behind OAuth: tokens are kept
// in a file between runs, and the user is sent to the browser only when
// there is no usable token.
func ExampleOAuthConfig() {
	ctx := context.Background()
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name: "remote",
		Transport: &mcpclient.HTTP{
			URL: "https://mcp.example.com/mcp",
			OAuth: &mcpclient.OAuthConfig{
				RedirectURL: "http://127.0.0.1:8976/callback",
				TokenStore:  mcpclient.NewFileTokenStore("/home/me/.config/myapp/tokens.json"),
				Authorizer: mcpclient.AuthorizerFunc(func(ctx context.Context, server, authURL string) (mcpclient.AuthorizationResponse, error) {
					fmt.Printf("Open %s to let this program use %s\n", authURL, server)
					// Serve RedirectURL, wait for the browser to arrive there and
					// return mcpclient.ParseAuthorizationResponse(request.URL).
					return mcpclient.AuthorizationResponse{}, errors.New("not in this example")
				}),
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// A server application cannot open a browser: without an Authorizer,
// Connect returns the authorization URL to send its user to, and the
// application completes the authorization when the user comes back.
func ExampleAuthorizationRequiredError() {
	ctx := context.Background()
	store := &mcpclient.MemoryTokenStore{} // shared between attempts
	cfg := mcpclient.Config{
		Name: "remote",
		Transport: &mcpclient.HTTP{
			URL:   "https://mcp.example.com/mcp",
			OAuth: &mcpclient.OAuthConfig{RedirectURL: "https://app.example.com/oauth/callback", TokenStore: store},
		},
	}
	_, err := mcpclient.Connect(ctx, cfg)
	var need *mcpclient.AuthorizationRequiredError
	if errors.As(err, &need) {
		fmt.Println("redirect the user to", need.URL)
		// Later, in the callback handler:
		//   resp, _ := mcpclient.ParseAuthorizationResponse(r.URL)
		//   err = need.Complete(r.Context(), resp)
		//   c, err := mcpclient.Connect(ctx, cfg) // uses the stored token
	}
}
