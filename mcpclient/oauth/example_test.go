package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// A command-line program connects to a server behind OAuth: tokens are kept
// in a file between runs, and the user is sent to the browser only when
// there is no usable token.
func ExampleConfig() {
	ctx := context.Background()
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name: "remote",
		Transport: &mcpclient.HTTP{
			URL: "https://mcp.example.com/mcp",
			OAuth: &oauth.Config{
				RedirectURL: "http://127.0.0.1:8976/callback",
				TokenStore:  oauth.NewFileTokenStore("/home/me/.config/myapp/tokens.json"),
				Authorizer: oauth.AuthorizerFunc(func(ctx context.Context, server, authURL string) (oauth.AuthorizationResponse, error) {
					fmt.Printf("Open %s to let this program use %s\n", authURL, server)
					// Serve RedirectURL, wait for the browser to arrive there and
					// return oauth.ParseAuthorizationResponse(request.URL).
					return oauth.AuthorizationResponse{}, errors.New("not in this example")
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
	store := &oauth.MemoryTokenStore{} // shared between attempts
	cfg := mcpclient.Config{
		Name: "remote",
		Transport: &mcpclient.HTTP{
			URL:   "https://mcp.example.com/mcp",
			OAuth: &oauth.Config{RedirectURL: "https://app.example.com/oauth/callback", TokenStore: store},
		},
	}
	_, err := mcpclient.Connect(ctx, cfg)
	var need *oauth.AuthorizationRequiredError
	if errors.As(err, &need) {
		fmt.Println("redirect the user to", need.URL)
		// Later, in the callback handler:
		//   resp, _ := oauth.ParseAuthorizationResponse(r.URL)
		//   err = need.Complete(r.Context(), resp)
		//   c, err := mcpclient.Connect(ctx, cfg) // uses the stored token
	}
}

// A program that already obtains its tokens (here with x/oauth2's client
// credentials) hands its token source over; the client sends its tokens
// and runs no discovery or grant of its own.
func ExampleConfig_tokenSource() {
	ctx := context.Background()
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: "from-the-vault", TokenURL: "https://auth.example.com/token"}
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name:      "remote",
		Transport: &mcpclient.HTTP{URL: "https://mcp.example.com/mcp", OAuth: &oauth.Config{TokenSource: cc.TokenSource(ctx)}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// A workload in Kubernetes authenticates with its projected service
// account token (audience: the MCP server's authorization server) through
// the JWT bearer grant; the file is read at each token request, as the
// kubelet rotates it. Where the authorization server offers DPoP, the
// tokens are bound to a key of this connection.
func ExampleFileAssertion() {
	ctx := context.Background()
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name: "remote",
		Transport: &mcpclient.HTTP{
			URL: "https://mcp.example.com/mcp",
			OAuth: &oauth.Config{
				Grant:     oauth.GrantJWTBearer,
				Assertion: oauth.FileAssertion("/var/run/secrets/tokens/mcp-token"),
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

// Enterprise-managed authorization: the user signed in to the company's
// identity provider; their ID token is exchanged there for an identity
// assertion grant to the MCP server, which its authorization server
// turns into an access token. No browser is involved.
func ExampleConfig_enterprise() {
	ctx := context.Background()
	userIDToken := func(ctx context.Context) (string, error) {
		return "", errors.New("the ID token from the program's own sign-in")
	}
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name: "wiki",
		Transport: &mcpclient.HTTP{
			URL: "https://wiki.example.com/mcp",
			OAuth: &oauth.Config{
				Grant:            oauth.GrantEnterprise,
				ClientID:         "wiki-agent",
				ClientSecret:     "from-the-vault",
				IdentityToken:    userIDToken,
				IDPTokenEndpoint: "https://idp.example.com/oauth2/token",
				IDPClientID:      "agent-at-idp",
				DPoP:             oauth.DPoPRequired,
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
