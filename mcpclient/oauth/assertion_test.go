package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
)

// signJWT signs claims (plus extra) with key, as a workload's platform or
// an identity provider would; typ is the JOSE header's typ.
func signJWT(t *testing.T, key *ecdsa.PrivateKey, typ string, claims jwt.Claims, extra map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	require.NoError(t, err)
	b := jwt.Signed(signer).Claims(claims)
	if extra != nil {
		b = b.Claims(extra)
	}
	s, err := b.Serialize()
	require.NoError(t, err)
	return s
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// workloadToken is a workload identity token for audience.
func workloadToken(t *testing.T, key *ecdsa.PrivateKey, audience string, ttl time.Duration) string {
	now := time.Now()
	return signJWT(t, key, "JWT", jwt.Claims{
		Issuer: "https://idp.workloads.example", Subject: "workload-7", Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)), ID: "jti-" + now.Format(time.RFC3339Nano),
	}, nil)
}

func TestJWTBearerWorkloadIdentity(t *testing.T) {
	key := newKey(t)
	e := newOAuthEnv(t, authtest.Options{AssertionKey: &key.PublicKey})
	var calls atomic.Int32
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant: oauth.GrantJWTBearer,
		Assertion: func(context.Context) (string, error) {
			calls.Add(1)
			return workloadToken(t, key, e.srv.Base, time.Minute), nil
		},
	}))
	require.NoError(t, err)
	defer c.Close()
	out := callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.JWTBearerGrants())
	assert.Equal(t, int32(1), calls.Load())
	e.assertNoSecrets(t, out)
}

func TestJWTBearerRefusedIsNotRetried(t *testing.T) {
	key := newKey(t)
	e := newOAuthEnv(t, authtest.Options{AssertionKey: &key.PublicKey, EchoSecrets: true})
	wrong := workloadToken(t, key, "https://wrong.example", time.Minute)
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant:     oauth.GrantJWTBearer,
		Assertion: func(context.Context) (string, error) { return wrong, nil },
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_grant")
	assert.NotContains(t, err.Error()+e.logs.String(), wrong, "the assertion is never echoed")
	assert.Equal(t, 1, e.srv.TokenRequests(), "one refused grant: no retry, no other grant tried")

	expired := workloadToken(t, key, e.srv.Base, -time.Minute)
	_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant:     oauth.GrantJWTBearer,
		Assertion: func(context.Context) (string, error) { return expired, nil },
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_grant")
}

func TestFileAssertionReadsRotatedToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	read := oauth.FileAssertion(path)
	_, err := read(t.Context())
	require.Error(t, err, "no file yet")

	require.NoError(t, os.WriteFile(path, []byte("first-token-value\n"), 0o600))
	got, err := read(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "first-token-value", got)

	require.NoError(t, os.WriteFile(path, []byte("second-token-value"), 0o600))
	got, err = read(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "second-token-value", got, "read afresh each time: platforms rotate the file")

	require.NoError(t, os.WriteFile(path, []byte("  \n"), 0o600))
	_, err = read(t.Context())
	require.Error(t, err)

	require.NoError(t, os.WriteFile(path, make([]byte, 1<<20), 0o600))
	_, err = read(t.Context())
	require.Error(t, err, "bounded")
	assert.Contains(t, err.Error(), "over")
}

// enterpriseIdP is an identity provider's token endpoint that exchanges
// the user's ID token for an ID-JAG signed with key (RFC 8693), checking
// the request as the enterprise-managed authorization extension says.
func enterpriseIdP(t *testing.T, key *ecdsa.PrivateKey, idToken string, issuedType string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/.well-known/openid-configuration" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "token_endpoint": srv.URL + "/token"})
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/token" {
			http.NotFound(w, r)
			return
		}
		n.Add(1)
		require.NoError(t, r.ParseForm())
		f := r.PostForm
		fail := func(desc string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": desc})
		}
		switch {
		case f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
			fail("grant_type")
		case f.Get("subject_token") != idToken || f.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:id_token":
			fail("subject_token")
		case f.Get("requested_token_type") != "urn:ietf:params:oauth:token-type:id-jag":
			fail("requested_token_type")
		case f.Get("audience") == "" || f.Get("resource") == "":
			fail("audience and resource")
		case f.Get("client_id") != "idp-client":
			fail("client_id")
		default:
			now := time.Now()
			jag := signJWT(t, key, "oauth-id-jag+jwt", jwt.Claims{
				Issuer: "https://idp.example", Subject: "user-1", Audience: jwt.Audience{f.Get("audience")},
				IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: "jag-1",
			}, map[string]any{"resource": f.Get("resource"), "client_id": "mcp-client"})
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": jag, "issued_token_type": issuedType, "token_type": "N_A"})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestEnterpriseManagedAuthorization(t *testing.T) {
	key := newKey(t)
	const idToken = "user-id-token-value"
	idp, exchanges := enterpriseIdP(t, key, idToken, "urn:ietf:params:oauth:token-type:id-jag")
	e := newOAuthEnv(t, authtest.Options{AssertionKey: &key.PublicKey, Clients: map[string]string{"mcp-client": "mcp-client-secret"}})
	cfg := &oauth.Config{
		Grant: oauth.GrantEnterprise, ClientID: "mcp-client", ClientSecret: "mcp-client-secret",
		IdentityToken:    func(context.Context) (string, error) { return idToken, nil },
		IDPTokenEndpoint: idp.URL + "/token", IDPClientID: "idp-client",
	}
	require.NoError(t, cfg.Validate("s"))
	c, err := mcpclient.Connect(testCtx(t), e.config(cfg))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, int32(1), exchanges.Load())
	assert.Equal(t, 1, e.srv.JWTBearerGrants(), "the ID-JAG went to the authorization server")
	assert.NotContains(t, e.logs.String(), idToken)
}

func TestEnterpriseDiscoversTheIdPTokenEndpoint(t *testing.T) {
	key := newKey(t)
	idp, exchanges := enterpriseIdP(t, key, "id-token-value", "urn:ietf:params:oauth:token-type:id-jag")
	e := newOAuthEnv(t, authtest.Options{AssertionKey: &key.PublicKey, Clients: map[string]string{"mcp-client": "mcp-client-secret"}})
	cfg := func(issuer string) *oauth.Config {
		return &oauth.Config{
			Grant: oauth.GrantEnterprise, ClientID: "mcp-client", ClientSecret: "mcp-client-secret",
			IdentityToken: func(context.Context) (string, error) { return "id-token-value", nil },
			IDPIssuer:     issuer, IDPClientID: "idp-client",
		}
	}
	require.NoError(t, cfg(idp.URL).Validate("s"))
	c, err := mcpclient.Connect(testCtx(t), e.config(cfg(idp.URL)))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, int32(1), exchanges.Load())

	// Metadata for another issuer than the one configured (here the same
	// URL with a slash) is refused: the identity token goes nowhere.
	_, err = mcpclient.Connect(testCtx(t), e.config(cfg(idp.URL+"/")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "names issuer")
	assert.Equal(t, int32(1), exchanges.Load(), "no exchange at a provider whose metadata lies")
}

func TestEnterpriseRefusesOtherIssuedTokens(t *testing.T) {
	key := newKey(t)
	// An identity provider that answers with its own access token instead
	// of an ID-JAG: nothing goes on to the authorization server.
	idp, _ := enterpriseIdP(t, key, "id-token-value", "urn:ietf:params:oauth:token-type:access_token")
	e := newOAuthEnv(t, authtest.Options{AssertionKey: &key.PublicKey, Clients: map[string]string{"mcp-client": "mcp-client-secret"}})
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant: oauth.GrantEnterprise, ClientID: "mcp-client", ClientSecret: "mcp-client-secret",
		IdentityToken:    func(context.Context) (string, error) { return "id-token-value", nil },
		IDPTokenEndpoint: idp.URL + "/token", IDPClientID: "idp-client",
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not an identity assertion grant")
	assert.Equal(t, 0, e.srv.TokenRequests())
}

func TestAssertionGrantsValidation(t *testing.T) {
	assert.Error(t, (&oauth.Config{Grant: oauth.GrantJWTBearer}).Validate("s"), "jwt-bearer needs an assertion")
	assert.NoError(t, (&oauth.Config{Grant: oauth.GrantJWTBearer, Assertion: oauth.FileAssertion("/x")}).Validate("s"), "client id optional (RFC 7523 section 3.1)")
	assert.Error(t, (&oauth.Config{Grant: oauth.GrantEnterprise, ClientID: "c"}).Validate("s"))
}
