package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

const testRedirect = "http://127.0.0.1:1/callback"

// browser plays the user: it opens the authorization URL and reads the
// code from the redirect, without following it.
func browser(t *testing.T) oauth.AuthorizerFunc {
	return func(ctx context.Context, server, authURL string) (oauth.AuthorizationResponse, error) {
		return visit(ctx, authURL)
	}
}

func visit(ctx context.Context, authURL string) (oauth.AuthorizationResponse, error) {
	loc, err := authtest.FollowAuthorization(ctx, authURL)
	if err != nil {
		return oauth.AuthorizationResponse{}, err
	}
	return oauth.ParseAuthorizationResponse(loc)
}

// oauthEnv is one protected server and what the client logged.
type oauthEnv struct {
	srv  *authtest.Server
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newOAuthEnv(t *testing.T, opts authtest.Options) *oauthEnv {
	return &oauthEnv{srv: authtest.New(t, mcptest.NewServer(), opts), logs: &syncBuffer{}}
}

func (e *oauthEnv) config(o *oauth.Config) mcpclient.Config {
	return mcpclient.Config{
		Name: "protected", Transport: &mcpclient.HTTP{URL: e.srv.URL, OAuth: o},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// assertNoSecrets checks that nothing the server issued or received as a
// secret appears in the logs or in any of texts.
func (e *oauthEnv) assertNoSecrets(t *testing.T, texts ...string) {
	t.Helper()
	secrets := e.srv.Secrets()
	require.NotEmpty(t, secrets)
	all := e.logs.String() + strings.Join(texts, "\n")
	for _, s := range secrets {
		assert.NotContains(t, all, s, "a secret leaked into logs, errors or results")
	}
}

func callEcho(t *testing.T, c *mcpclient.Client, tool string) string {
	t.Helper()
	res, err := c.CallTool(testCtx(t), tool, json.RawMessage(`{"text":"hi"}`))
	require.NoError(t, err)
	out, _ := json.Marshal(res)
	return string(out)
}

func TestOAuthAuthorizationCode(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{Scopes: []string{"mcp:read"}, RequiredScope: "mcp:read"})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()
	tools, err := c.ListTools(testCtx(t))
	require.NoError(t, err)
	require.NotEmpty(t, tools)
	out := callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.Registrations(), "dynamic registration")
	assert.Equal(t, 1, e.srv.Authorizations())
	assert.Equal(t, 1, e.srv.Unauthorized(), "only the first request goes without a token")
	e.assertNoSecrets(t, out)
}

func TestOAuthRefreshOnExpiryAndRevocation(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()

	e.srv.Expire()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.Refreshes(), "an expired token is refreshed on 401")
	assert.Equal(t, 1, e.srv.Authorizations(), "without asking the user again")

	e.srv.Revoke()
	callEcho(t, c, "echo")
	assert.Equal(t, 2, e.srv.Authorizations(), "a revoked refresh token means asking the user again")
	e.assertNoSecrets(t)
}

func TestOAuthRefreshBeforeExpiry(t *testing.T) {
	// Tokens live 10 s, inside the client's 30 s margin: each use refreshes
	// first, so the server never answers 401 after the first request.
	e := newOAuthEnv(t, authtest.Options{TokenTTL: 10})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.Unauthorized())
	assert.GreaterOrEqual(t, e.srv.Refreshes(), 1)
}

func TestOAuthStepUp(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{
		Scopes: []string{"mcp:read", "mcp:admin"}, RequiredScope: "mcp:read",
		ToolScopes: map[string]string{"add": "mcp:admin", "fail": "mcp:never"},
	})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
	require.NoError(t, err)
	defer c.Close()
	res, err := c.CallTool(testCtx(t), "add", json.RawMessage(`{"a":1,"b":2}`))
	require.NoError(t, err)
	assert.False(t, res.IsError)
	assert.Equal(t, 2, e.srv.Authorizations(), "one step-up")
	assert.Equal(t, 1, e.srv.Forbidden())

	// A scope the authorization server never grants: bounded retries.
	_, err = c.CallTool(testCtx(t), "fail", json.RawMessage(`{}`))
	require.Error(t, err)
	assert.Equal(t, 1+oauth.DefaultMaxStepUps, e.srv.Forbidden()-1, "403 answers for the impossible scope")
	e.assertNoSecrets(t, err.Error())
}

func TestOAuthAuthorizationRequiredError(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	cfg := e.config(&oauth.Config{RedirectURL: testRedirect})
	_, err := mcpclient.Connect(testCtx(t), cfg)
	var need *oauth.AuthorizationRequiredError
	require.ErrorAs(t, err, &need)
	assert.ErrorIs(t, err, oauth.ErrAuthorizationRequired)
	assert.Equal(t, "protected", need.Server)
	assert.True(t, strings.HasPrefix(need.URL, e.srv.Base+"/authorize?"), need.URL)

	// The user comes back with the code; a wrong state is refused.
	resp, verr := visit(testCtx(t), need.URL)
	require.NoError(t, verr)
	bad := resp
	bad.State = "forged"
	require.Error(t, need.Complete(testCtx(t), bad))
	require.NoError(t, need.Complete(testCtx(t), resp))
	e.assertNoSecrets(t, err.Error())
}

func TestOAuthAuthorizationRequiredThenRetry(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	store := &oauth.MemoryTokenStore{}
	cfg := e.config(&oauth.Config{RedirectURL: testRedirect, TokenStore: store})
	_, err := mcpclient.Connect(testCtx(t), cfg)
	var need *oauth.AuthorizationRequiredError
	require.ErrorAs(t, err, &need)
	resp, err := visit(testCtx(t), need.URL)
	require.NoError(t, err)
	require.NoError(t, need.Complete(testCtx(t), resp))
	require.Error(t, need.Complete(testCtx(t), resp), "completes once")

	c, err := mcpclient.Connect(testCtx(t), cfg)
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.Authorizations())
	e.assertNoSecrets(t)
}

func TestOAuthClientCredentials(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{Scopes: []string{"mcp:read"}, Clients: map[string]string{"svc": "svc-secret-value"}})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value",
	}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.ClientCredentials())
	assert.Equal(t, 0, e.srv.Authorizations())
	e.assertNoSecrets(t)

	_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "wrong-secret-value",
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_client")
	assert.NotContains(t, err.Error(), "wrong-secret-value")
}

func TestOAuthFileTokenStore(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	path := filepath.Join(t.TempDir(), "tokens.json")
	cfg := e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t), TokenStore: oauth.NewFileTokenStore(path)})
	c, err := mcpclient.Connect(testCtx(t), cfg)
	require.NoError(t, err)
	callEcho(t, c, "echo")
	require.NoError(t, c.Close())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A later run (a new store on the same file) uses the saved token.
	cfg.Transport.(*mcpclient.HTTP).OAuth.TokenStore = oauth.NewFileTokenStore(path)
	c, err = mcpclient.Connect(testCtx(t), cfg)
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.Authorizations())
	assert.Equal(t, 1, e.srv.Registrations())
}

func TestFileTokenStoreConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			s := oauth.NewFileTokenStore(path) // separate stores: the file lock serializes them
			key := fmt.Sprintf("https://s%d.example/mcp", i)
			assert.NoError(t, s.Save(ctx, key, &oauth.Token{AccessToken: fmt.Sprintf("tok-%d", i)}))
		})
	}
	wg.Wait()
	s := oauth.NewFileTokenStore(path)
	for i := range 16 {
		tok, err := s.Load(ctx, fmt.Sprintf("https://s%d.example/mcp", i))
		require.NoError(t, err)
		require.NotNil(t, tok, "token %d lost", i)
		assert.Equal(t, fmt.Sprintf("tok-%d", i), tok.AccessToken)
	}
	require.NoError(t, s.Delete(ctx, "https://s0.example/mcp"))
	tok, err := s.Load(ctx, "https://s0.example/mcp")
	require.NoError(t, err)
	assert.Nil(t, tok)

	require.NoError(t, os.WriteFile(path, []byte(`{"x": "secret-garbage"`), 0o600))
	_, err = s.Load(ctx, "k")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-garbage")
}

func TestTokenStringHidesSecrets(t *testing.T) {
	tok := oauth.Token{AccessToken: "at-secret", RefreshToken: "rt-secret", ClientSecret: "cs-secret"}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v", tok, tok, tok), fmt.Sprint(&tok)} {
		assert.NotContains(t, s, "secret")
	}
}

func TestOAuthConfigValidation(t *testing.T) {
	for name, o := range map[string]*oauth.Config{
		"no redirect":            {},
		"cc without secret":      {Grant: oauth.GrantClientCredentials, ClientID: "x"},
		"jwt without assertion":  {Grant: oauth.GrantJWTBearer, ClientID: "x"},
		"enterprise without idp": {Grant: oauth.GrantEnterprise, ClientID: "x"},
		"unknown grant":          {Grant: "password"},
		"http metadata URL":      {RedirectURL: testRedirect, ClientMetadataURL: "http://x.example/c.json"},
		"metadata URL no path":   {RedirectURL: testRedirect, ClientMetadataURL: "https://x.example"},
	} {
		_, err := mcpclient.Connect(testCtx(t), mcpclient.Config{Name: "s", Transport: &mcpclient.HTTP{URL: "http://127.0.0.1:1/mcp", OAuth: o}})
		assert.Error(t, err, name)
		var e *mcpclient.Error
		assert.False(t, errors.As(err, &e), "%s: rejected before connecting", name)
	}
}

func TestOAuthProgramTokenSource(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{Scopes: []string{"mcp:read"}, Clients: map[string]string{"svc": "svc-secret-value"}})
	// The program's own token source: x/oauth2's client credentials,
	// against the same authorization server.
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: "svc-secret-value", TokenURL: e.srv.Base + "/token",
		EndpointParams: url.Values{"resource": {e.srv.URL}}}
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{TokenSource: cc.TokenSource(testCtx(t))}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.ClientCredentials(), "the source's token is reused")
	assert.Equal(t, 0, e.srv.Unauthorized(), "every request carries the token")
	assert.Equal(t, 0, e.srv.Registrations())
	e.assertNoSecrets(t)

	// A failing source fails the request, naming it, quoting nothing.
	_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{TokenSource: failingSource{}}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "token source")
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) { return nil, errors.New("no token today") }
