package authtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// TestPerUserOAuth checks that each user of a per-user OAuth server is
// authorized once, on their own, with tokens kept apart in one store.
func TestPerUserOAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{Scopes: []string{"mcp:read"}, RequiredScope: "mcp:read"})
	store := &oauth.MemoryTokenStore{}
	var asked []string
	remote := bridge.HTTP("remote", srv.URL)
	remote.PerUser = &bridge.UserSessions{}
	remote.Transport.(*mcpclient.HTTP).OAuth = &oauth.Config{RedirectURL: "http://127.0.0.1:1/callback", TokenStore: store,
		Authorizer: oauth.AuthorizerFunc(func(ctx context.Context, server, authURL string) (oauth.AuthorizationResponse, error) {
			c, _ := bridge.CredentialsFrom(ctx)
			asked = append(asked, c.ID) // calls here are sequential
			return approve(ctx, server, authURL)
		})}
	b, err := bridge.New(ctx, []bridge.Server{remote})
	require.NoError(t, err)
	defer b.Close()
	for _, user := range []string{"alice", "bob", "alice", "bob"} {
		out, err := b.Call(bridge.WithCredentials(ctx, bridge.Credentials{ID: user}), "remote__echo", `{"text":"hi"}`)
		require.NoError(t, err)
		assert.Equal(t, "hi", out.Text)
	}
	assert.Equal(t, []string{"", "alice", "bob"}, asked, "the bridge's connection, then each user once")
	assert.Equal(t, 3, srv.Authorizations())
	for _, key := range []string{srv.URL, "user:alice " + srv.URL, "user:bob " + srv.URL} {
		tok, err := store.Load(ctx, key)
		require.NoError(t, err)
		assert.NotNil(t, tok, key)
	}
}
