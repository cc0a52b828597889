package oauth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
)

// The authtest server with DPoP set checks every proof as RFC 9449 says
// (one proof, typ, public jwk, signature, htm, htu, iat, a jti never seen,
// ath, the bound key) and refuses a bound token presented as a bearer
// token; these tests pass only when the client does all of it.

// proofsAt returns the accepted proofs sent to endpoint ("token" or
// "resource").
func proofsAt(srv *authtest.Server, endpoint string) []authtest.Proof {
	var out []authtest.Proof
	for _, p := range srv.Proofs() {
		if p.Endpoint == endpoint {
			out = append(out, p)
		}
	}
	return out
}

func TestDPoPBoundTokens(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{DPoP: true, Scopes: []string{"mcp:read"}, RequiredScope: "mcp:read"})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()
	out := callEcho(t, c, "echo")
	callEcho(t, c, "echo")

	tokenProofs, resourceProofs := proofsAt(e.srv, "token"), proofsAt(e.srv, "resource")
	require.Len(t, tokenProofs, 1, "the code exchange carries a proof")
	require.GreaterOrEqual(t, len(resourceProofs), 3, "initialize, tools/call twice: each with a proof")
	jkt := tokenProofs[0].JKT
	assert.Equal(t, "POST", tokenProofs[0].HTM)
	assert.Equal(t, e.srv.Base+"/token", tokenProofs[0].HTU)
	assert.False(t, tokenProofs[0].ATH, "no access token to hash at the token endpoint")
	for _, p := range resourceProofs {
		assert.Equal(t, jkt, p.JKT, "one key per connection")
		assert.Equal(t, e.srv.URL, p.HTU)
		assert.True(t, p.ATH, "resource proofs bind the access token")
	}
	assert.Equal(t, 1, e.srv.Unauthorized(), "only the first request goes without a token")
	e.assertNoSecrets(t, out)
}

func TestDPoPRefreshKeepsBinding(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{DPoP: true})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()
	e.srv.Expire()
	callEcho(t, c, "echo")
	// The server binds refresh tokens to the key (a public client's), so
	// the refresh works only with a proof of the same key, and the new
	// token is bound to it too (the next call proves it).
	assert.Equal(t, 1, e.srv.Refreshes())
	assert.Equal(t, 1, e.srv.Authorizations(), "no new authorization")
	callEcho(t, c, "echo")
	tokenProofs := proofsAt(e.srv, "token")
	require.Len(t, tokenProofs, 2)
	assert.Equal(t, tokenProofs[0].JKT, tokenProofs[1].JKT)
}

func TestDPoPNonces(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{DPoP: true, DPoPNonce: "nonce-from-server", Clients: map[string]string{"svc": "svc-secret-value"}})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	// One use_dpop_nonce, from the token endpoint: nonces are kept per
	// origin, and this resource shares the authorization server's, so
	// its proofs carry the nonce from the start.
	assert.Equal(t, 1, e.srv.NonceChallenges())
	assert.Equal(t, 1, e.srv.ClientCredentials())
	proofs := e.srv.Proofs()
	require.NotEmpty(t, proofs)
	assert.Empty(t, proofs[0].Nonce, "the first proof, before the server named its nonce")
	for _, p := range proofs[1:] {
		assert.Equal(t, "nonce-from-server", p.Nonce)
	}
}

func TestDPoPResourceNonce(t *testing.T) {
	// The resource alone asks for a nonce (a new one for each request),
	// so every request is answered use_dpop_nonce once and sent again
	// with it: one retry per request, never more.
	e := newOAuthEnv(t, authtest.Options{DPoP: true, DPoPNonceLoop: "resource", Clients: map[string]string{"svc": "svc-secret-value"}})
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.Error(t, err, "a server that never accepts its own nonce is never satisfied")
	assert.Contains(t, err.Error(), "401")
	assert.Equal(t, 2, e.srv.NonceChallenges(), "the first proof with a token, and its one retry")
	assert.Equal(t, 1, e.srv.ClientCredentials(), "a nonce challenge is no reason to get another token")
}

func TestDPoPGrants(t *testing.T) {
	// Every grant's token request carries the proof: here client
	// credentials, without a nonce.
	e := newOAuthEnv(t, authtest.Options{DPoP: true, Clients: map[string]string{"svc": "svc-secret-value"}})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Len(t, proofsAt(e.srv, "token"), 1)
	assert.Equal(t, 0, e.srv.NonceChallenges())
}

func TestDPoPOffSendsBearer(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{DPoP: true})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t), DPoP: oauth.DPoPOff}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Empty(t, e.srv.Proofs(), "DPoP off: no proof anywhere")
}

func TestDPoPAutoWithoutServerSupport(t *testing.T) {
	e, rec := publicEnv(t, authtest.Options{})
	c, err := mcpclient.Connect(testCtx(t), e.publicConfig(rec, &oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	for _, r := range rec.requests() {
		assert.Empty(t, r.Header.Get("DPoP"), "%s %s: no proof to a server that does not offer DPoP", r.Method, r.URL)
	}
}

func TestDPoPRequiredRefusesBearer(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"}})
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value", DPoP: oauth.DPoPRequired}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Bearer token where DPoP is required")
	assert.Equal(t, 1, e.srv.Unauthorized(), "the bearer token was never sent")
}

func TestDPoPConfigValidation(t *testing.T) {
	cfg := &oauth.Config{RedirectURL: testRedirect, DPoP: "sometimes"}
	err := cfg.Validate("s")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"sometimes"`)
}
