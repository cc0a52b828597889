package oauth_test

// Attacks of the "OAuth under attack" issue: a lying or careless
// authorization server, a protected resource that moves, a hostile
// endpoint event, two clients sharing a token store. Each test failed on
// the code before its fix.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
)

// recorder notes every request that leaves the client, below everything
// of ours: the wire.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.sent = append(r.sent, req.Clone(context.Background()))
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// requests returns every request sent.
func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.sent...)
}

// publicEnv is a server named by a public (non-loopback) URL, reached
// through the rig's dialer, with what the client sends recorded.
func publicEnv(t *testing.T, opts authtest.Options) (*oauthEnv, *recorder) {
	e := newOAuthEnv(t, opts)
	return e, &recorder{base: e.srv.Client().Transport}
}

func (e *oauthEnv) publicConfig(rec *recorder, o *oauth.Config) mcpclient.Config {
	cfg := e.config(o)
	cfg.Transport.(*mcpclient.HTTP).HTTPClient = &http.Client{Transport: rec}
	return cfg
}

// --- 1. Metadata issuer (RFC 8414 section 3.3) ---

func TestMetadataIssuerMismatchRefused(t *testing.T) {
	for name, o := range map[string]*oauth.Config{
		"authorization code": {RedirectURL: testRedirect, Authorizer: browser(t)},
		"client credentials": {Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newOAuthEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"},
				Metadata: map[string]any{"issuer": "https://attacker.example.com"}})
			_, err := mcpclient.Connect(testCtx(t), e.config(o))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "issuer")
			assert.Zero(t, e.srv.Registrations(), "no registration with poisoned metadata")
			assert.Zero(t, e.srv.Authorizations(), "no user sent to it")
			assert.Zero(t, e.srv.TokenRequests(), "no secret, code or assertion sent to it")
		})
	}
}

// --- 2. Mix-up (RFC 9207) and authorization server changes ---

func TestAuthorizationResponseIssuer(t *testing.T) {
	advertised := map[string]any{"authorization_response_iss_parameter_supported": true}
	for _, c := range []struct {
		name     string
		meta     map[string]any
		iss      func(base string) string
		accepted bool
	}{
		{"advertised and right", advertised, func(string) string { return authtest.IssCorrect }, true},
		{"not advertised, absent", nil, func(string) string { return "" }, true},
		{"not advertised, right", nil, func(string) string { return authtest.IssCorrect }, true},
		{"advertised, absent", advertised, func(string) string { return "" }, false},
		{"advertised, wrong", advertised, func(string) string { return "https://evil.example.com" }, false},
		{"not advertised, wrong", nil, func(string) string { return "https://evil.example.com" }, false},
		{"advertised, trailing slash", advertised, func(base string) string { return base + "/" }, false},
		{"advertised, other case", advertised, func(base string) string { return strings.ToUpper(base[:4]) + base[4:] }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newOAuthEnv(t, authtest.Options{Metadata: c.meta})
			e.srv.SetIss(c.iss(e.srv.Base)) // the issuer is known once the server listens
			cl, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
			if c.accepted {
				require.NoError(t, err)
				require.NoError(t, cl.Close())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "iss")
			assert.Equal(t, 1, e.srv.Authorizations())
			assert.Zero(t, e.srv.TokenRequests(), "the code and verifier never reach the token endpoint")
		})
	}
}

func TestParseAuthorizationResponseIssuer(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1/callback?code=c&state=s&iss=https%3A%2F%2Fas.example.com")
	resp, err := oauth.ParseAuthorizationResponse(u)
	require.NoError(t, err)
	assert.Equal(t, "https://as.example.com", resp.Issuer)
}

func TestAuthorizationServerMigration(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	store := &oauth.MemoryTokenStore{}
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t), TokenStore: store}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")

	e.srv.Migrate()
	callEcho(t, c, "echo")
	assert.Equal(t, 1, e.srv.RegistrationsAt(e.srv.Base+"/as2"), "a new registration at the new authorization server")
	assert.Zero(t, e.srv.ForeignClients(), "the old registration is never presented to the new server")
	assert.Equal(t, 2, e.srv.Authorizations())

	tok, err := store.Load(testCtx(t), e.srv.URL)
	require.NoError(t, err)
	assert.Equal(t, e.srv.Base+"/as2", tok.Issuer, "tokens are kept with their issuer")
	e.assertNoSecrets(t)
}

// --- 3. HTTPS only, loopback excepted ---

func TestHTTPSOnlyForAuthorizationServers(t *testing.T) {
	t.Run("https works", func(t *testing.T) {
		e, rec := publicEnv(t, authtest.Options{TLS: true, PublicBase: "https://mcp.example.com", Clients: map[string]string{"svc": "svc-secret-value"}})
		c, err := mcpclient.Connect(testCtx(t), e.publicConfig(rec, &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
		require.NoError(t, err)
		defer c.Close()
		callEcho(t, c, "echo")
	})
	for name, meta := range map[string]map[string]any{
		"token endpoint":        {"token_endpoint": "http://mcp.example.com/token"},
		"authorization servers": {"issuer": "http://mcp.example.com", "token_endpoint": "http://mcp.example.com/token"},
	} {
		t.Run(name+" over http", func(t *testing.T) {
			opts := authtest.Options{TLS: true, PublicBase: "https://mcp.example.com", Clients: map[string]string{"svc": "svc-secret-value"}, Metadata: meta}
			e, rec := publicEnv(t, opts)
			_, err := mcpclient.Connect(testCtx(t), e.publicConfig(rec, &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "https")
			for _, r := range rec.requests() {
				assert.Equal(t, "https", r.URL.Scheme, "%s %s sent in clear", r.Method, r.URL)
			}
			assert.Zero(t, e.srv.TokenRequests())
		})
	}
	t.Run("resource metadata over http", func(t *testing.T) {
		e, rec := publicEnv(t, authtest.Options{PublicBase: "http://mcp.example.com", Clients: map[string]string{"svc": "svc-secret-value"}})
		_, err := mcpclient.Connect(testCtx(t), e.publicConfig(rec, &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "https")
		for _, r := range rec.requests() {
			assert.NotContains(t, r.URL.Path, "/.well-known/", "metadata fetched in clear: %s", r.URL)
		}
		assert.Zero(t, e.srv.TokenRequests())
	})
}

func TestAuthorizerGetsOnlyHTTPSURLs(t *testing.T) {
	for _, endpoint := range []string{"file:///etc/passwd", "javascript:alert(1)", "ms-settings:display", "http://as.example.com/authorize"} {
		t.Run(endpoint, func(t *testing.T) {
			e := newOAuthEnv(t, authtest.Options{Metadata: map[string]any{"authorization_endpoint": endpoint}})
			called := false
			_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect,
				Authorizer: oauth.AuthorizerFunc(func(context.Context, string, string) (oauth.AuthorizationResponse, error) {
					called = true
					return oauth.AuthorizationResponse{}, errors.New("refused")
				})}))
			require.Error(t, err)
			assert.False(t, called, "the Authorizer was handed %s", endpoint)
			assert.Contains(t, err.Error(), "https")

			// Nor does a program without an Authorizer get it.
			_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect}))
			var need *oauth.AuthorizationRequiredError
			assert.False(t, errors.As(err, &need), "AuthorizationRequiredError.URL = %s", endpoint)
		})
	}
}

func TestRedirectURLMustBeHTTPSOrLoopback(t *testing.T) {
	for redirect, ok := range map[string]bool{
		"https://app.example.com/callback": true,
		"http://127.0.0.1:8976/callback":   true,
		"http://localhost:8976/callback":   true,
		"http://[::1]:8976/callback":       true,
		"http://app.example.com/callback":  false,
		"com.example.app:/callback":        false,
		"file:///tmp/callback":             false,
	} {
		err := (&oauth.Config{RedirectURL: redirect}).Validate("s")
		if ok {
			assert.NoError(t, err, redirect)
		} else {
			assert.Error(t, err, redirect)
		}
	}
	assert.Error(t, (&oauth.Config{Grant: oauth.GrantEnterprise, ClientID: "c", IDPTokenEndpoint: "http://idp.example.com/token",
		IdentityToken: func(context.Context) (string, error) { return "", nil }}).Validate("s"), "identity provider over http")
}

// --- 4. The bearer token goes only to the server's origin ---

func TestBearerTokenOnlyToServerOrigin(t *testing.T) {
	store := &oauth.MemoryTokenStore{}
	const server = "https://mcp.example.com/sse"
	require.NoError(t, store.Save(testCtx(t), server, &oauth.Token{AccessToken: "at-secret-value", TokenType: "Bearer"}))
	var got []string
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.String()+" "+r.Header.Get("Authorization"))
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
	tr := oauth.NewTransport("sse", server, &oauth.Config{RedirectURL: testRedirect, TokenStore: store}, nil, base)
	for _, u := range []string{
		"https://mcp.example.com/message?sessionId=1", // the server's origin
		"http://mcp.example.com/message?sessionId=1",  // an endpoint event downgrading to http
		"https://mcp.example.com:8443/message",        // another port
		"https://evil.example.com/message",            // another host
	} {
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, u, strings.NewReader("{}"))
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	assert.Equal(t, []string{
		"https://mcp.example.com/message?sessionId=1 Bearer at-secret-value",
		"http://mcp.example.com/message?sessionId=1 ",
		"https://mcp.example.com:8443/message ",
		"https://evil.example.com/message ",
	}, got)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// --- 5. Refresh under concurrency ---

func TestRefreshSharedTokenFile(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		name := map[bool]string{false: "one after the other", true: "at once"}[concurrent]
		t.Run(name, func(t *testing.T) {
			e := newOAuthEnv(t, authtest.Options{})
			path := filepath.Join(t.TempDir(), "tokens.json")
			// Two clients, each with its own store on the same file: two
			// processes as far as the stores can tell.
			connectOne := func() *mcpclient.Client {
				c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t),
					TokenStore: oauth.NewFileTokenStore(path)}))
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				return c
			}
			a := connectOne()
			b := connectOne()
			require.Equal(t, 1, e.srv.Authorizations())

			e.srv.Expire()
			if concurrent {
				var wg sync.WaitGroup
				for _, c := range []*mcpclient.Client{a, b} {
					wg.Go(func() { callEcho(t, c, "echo") })
				}
				wg.Wait()
			} else {
				callEcho(t, a, "echo")
				callEcho(t, b, "echo")
			}
			assert.Equal(t, 1, e.srv.Refreshes(), "one refresh for both")
			assert.Equal(t, 1, e.srv.Authorizations(), "no one is sent to log in again")
			// Both go on working with the rotated tokens.
			callEcho(t, a, "echo")
			callEcho(t, b, "echo")
			e.assertNoSecrets(t)
		})
	}
}

func TestRefreshSharedMemoryStore(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	store := &oauth.MemoryTokenStore{}
	var clients []*mcpclient.Client
	for range 2 {
		c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t), TokenStore: store}))
		require.NoError(t, err)
		defer c.Close()
		clients = append(clients, c)
	}
	e.srv.Expire()
	for _, c := range clients {
		callEcho(t, c, "echo")
	}
	assert.Equal(t, 1, e.srv.Refreshes())
	assert.Equal(t, 1, e.srv.Authorizations())
}

// --- 6. Secrets the authorization server quotes back ---

func TestEchoedSecretsScrubbed(t *testing.T) {
	t.Run("client secret", func(t *testing.T) {
		e := newOAuthEnv(t, authtest.Options{EchoSecrets: true, Clients: map[string]string{"svc": "svc-secret-value"}})
		_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "wrong-secret-value"}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid_client")
		assert.NotContains(t, err.Error()+e.logs.String(), "wrong-secret-value")
	})
	t.Run("refresh token, code and verifier", func(t *testing.T) {
		e := newOAuthEnv(t, authtest.Options{EchoSecrets: true})
		c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t)}))
		require.NoError(t, err)
		defer c.Close()
		e.srv.Revoke() // the refresh fails, quoting the refresh token
		out := callEcho(t, c, "echo")
		e.assertNoSecrets(t, out)
	})
	t.Run("code exchange", func(t *testing.T) {
		e := newOAuthEnv(t, authtest.Options{EchoSecrets: true})
		// A code the server does not know: the exchange fails, quoting
		// code and verifier.
		_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect,
			Authorizer: oauth.AuthorizerFunc(func(ctx context.Context, server, authURL string) (oauth.AuthorizationResponse, error) {
				resp, err := visit(ctx, authURL)
				resp.Code = "forged-code-value"
				return resp, err
			})}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "invalid_grant")
		e.assertNoSecrets(t, err.Error())
		assert.NotContains(t, err.Error()+e.logs.String(), "forged-code-value")
	})
}

// --- 7. token_type ---

func TestOnlyBearerTokensSentAsBearer(t *testing.T) {
	// A DPoP token issued to a request that carried no proof (the server
	// does not offer DPoP, so none was sent) is bound to nothing of ours.
	e := newOAuthEnv(t, authtest.Options{TokenType: "DPoP", Clients: map[string]string{"svc": "svc-secret-value"}})
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DPoP token to a request without a DPoP proof")
	assert.Equal(t, 1, e.srv.Unauthorized(), "the DPoP token was never sent as a bearer token")

	e = newOAuthEnv(t, authtest.Options{TokenType: "N_A", Clients: map[string]string{"svc": "svc-secret-value"}})
	_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"N_A"`)
	assert.Equal(t, 1, e.srv.Unauthorized(), "a token of another type is never sent")

	// Nor is a program's token source's.
	dpop := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at-dpop-value", TokenType: "DPoP"})
	_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{TokenSource: dpop}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"DPoP"`)
	assert.Equal(t, 1, e.srv.Unauthorized(), "the DPoP token of the source was never sent either")

	e = newOAuthEnv(t, authtest.Options{TokenType: "bearer", Clients: map[string]string{"svc": "svc-secret-value"}})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.NoError(t, err, "bearer in any case")
	defer c.Close()
}

// --- 8. The token file ---

func TestFileTokenStoreDoesNotFollowLockSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	victim := filepath.Join(dir, "victim")
	require.NoError(t, os.Symlink(victim, path+".lock"))
	s := oauth.NewFileTokenStore(path)
	err := s.Save(testCtx(t), "k", &oauth.Token{AccessToken: "at"})
	require.Error(t, err)
	_, statErr := os.Lstat(victim)
	assert.ErrorIs(t, statErr, os.ErrNotExist, "the symlink's target was created")
}

func TestTokenFileHoldsNoConfiguredClientSecret(t *testing.T) {
	for name, o := range map[string]*oauth.Config{
		"client credentials": {Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"},
		"authorization code": {ClientID: "svc", ClientSecret: "svc-secret-value", RedirectURL: testRedirect, Authorizer: browser(t)},
	} {
		t.Run(name, func(t *testing.T) {
			e := newOAuthEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"}})
			path := filepath.Join(t.TempDir(), "tokens.json")
			o.TokenStore = oauth.NewFileTokenStore(path)
			c, err := mcpclient.Connect(testCtx(t), e.config(o))
			require.NoError(t, err)
			callEcho(t, c, "echo")
			require.NoError(t, c.Close())
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.NotContains(t, string(data), "svc-secret-value")

			// A later run still refreshes with the configured secret.
			if o.Grant == "" {
				e.srv.Expire()
				o.TokenStore = oauth.NewFileTokenStore(path)
				c, err = mcpclient.Connect(testCtx(t), e.config(o))
				require.NoError(t, err)
				defer c.Close()
				callEcho(t, c, "echo")
				assert.Equal(t, 1, e.srv.Refreshes())
				assert.Equal(t, 1, e.srv.Authorizations())
			}
		})
	}
}

// --- 9. Pinned authorization server and token endpoint ---

func TestPinnedTokenURLHonoured(t *testing.T) {
	// The metadata sends the token request to the other authorization
	// server; the pin keeps the secret at the configured one.
	e := newOAuthEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"}})
	e.srv.SetMetadata(map[string]any{"token_endpoint": e.srv.Base + "/as2/token"})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value",
		TokenURL: e.srv.Base + "/token"}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	assert.Zero(t, e.srv.ForeignClients(), "the secret went to the metadata's token endpoint")
}

func TestPinnedAuthorizationServerHonoured(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"}})
	e.srv.Migrate() // the resource now names the second server
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value",
		AuthorizationServer: e.srv.Base}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pinned")
	assert.Zero(t, e.srv.ForeignClients(), "the secret went to an authorization server it was not configured for")
}

func TestPreRegisteredSecretStaysWithItsAuthorizationServer(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"}})
	store := &oauth.MemoryTokenStore{}
	o := &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value", TokenStore: store}
	c, err := mcpclient.Connect(testCtx(t), e.config(o))
	require.NoError(t, err)
	callEcho(t, c, "echo")
	require.NoError(t, c.Close())

	// The resource now names another authorization server: a later run
	// does not hand it the secret registered with the first.
	e.srv.Migrate()
	_, err = mcpclient.Connect(testCtx(t), e.config(o))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "authorization server changed")
	assert.Zero(t, e.srv.ForeignClients())
}

// TestRefreshSharedTokenFileTwoProcesses: this test binary, run again as a
// second process, shares the token file. Both hold the same token when it
// expires; this process refreshes it, then the second uses it, and must
// take the new token from the file rather than send the refresh token
// that was rotated (which the server treats as theft, revoking the grant).
func TestRefreshSharedTokenFileTwoProcesses(t *testing.T) {
	e := newOAuthEnv(t, authtest.Options{})
	path := filepath.Join(t.TempDir(), "tokens.json")
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{RedirectURL: testRedirect, Authorizer: browser(t), TokenStore: oauth.NewFileTokenStore(path)}))
	require.NoError(t, err)
	defer c.Close()

	child := exec.CommandContext(testCtx(t), os.Args[0], "-test.run=^TestSecondProcessCallsEcho$", "-test.count=1", "-test.v")
	child.Env = append(os.Environ(), "OAUTH_SECOND_PROCESS_URL="+e.srv.URL, "OAUTH_SECOND_PROCESS_TOKENS="+path)
	toChild, err := child.StdinPipe()
	require.NoError(t, err)
	fromChild, err := child.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	child.Stderr = &stderr
	require.NoError(t, child.Start())
	lines := bufio.NewScanner(fromChild)
	var seen strings.Builder
	for lines.Scan() && lines.Text() != "second process ready" {
		seen.WriteString(lines.Text() + "\n")
	}

	e.srv.Expire()
	callEcho(t, c, "echo") // refreshes, rotating the refresh token
	_, err = toChild.Write([]byte("go\n"))
	require.NoError(t, err)
	for lines.Scan() {
		seen.WriteString(lines.Text() + "\n")
	}
	require.NoError(t, child.Wait(), "second process:\n%s%s", seen.String(), stderr.String())
	assert.Equal(t, 1, e.srv.Refreshes(), "one refresh for both processes")
	assert.Equal(t, 1, e.srv.Authorizations(), "no one is sent to log in again")
}

// TestSecondProcessCallsEcho is the second process of
// TestRefreshSharedTokenFileTwoProcesses (skipped otherwise): it connects
// with the token in the file, says so, waits for the word and calls again.
// It has no Authorizer: it must make do with the shared file.
func TestSecondProcessCallsEcho(t *testing.T) {
	url, path := os.Getenv("OAUTH_SECOND_PROCESS_URL"), os.Getenv("OAUTH_SECOND_PROCESS_TOKENS")
	if url == "" {
		t.Skip("run by TestRefreshSharedTokenFileTwoProcesses")
	}
	c, err := mcpclient.Connect(testCtx(t), mcpclient.Config{Name: "protected", Transport: &mcpclient.HTTP{URL: url,
		OAuth: &oauth.Config{RedirectURL: testRedirect, TokenStore: oauth.NewFileTokenStore(path)}}})
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	fmt.Println("second process ready")
	_, err = bufio.NewReader(os.Stdin).ReadString('\n')
	require.NoError(t, err)
	callEcho(t, c, "echo")
}
