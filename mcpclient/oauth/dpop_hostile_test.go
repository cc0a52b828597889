package oauth_test

// Attacks on DPoP and the assertion grants: servers that never stop asking
// for nonces, redirects that would carry proofs and tokens elsewhere,
// token endpoints that answer without end, stored tokens bound to another
// key.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
)

func TestDPoPTokenEndpointNonceLoopBounded(t *testing.T) {
	// Every proof is answered use_dpop_nonce with yet another nonce.
	e := newOAuthEnv(t, authtest.Options{DPoP: true, DPoPNonceLoop: "token", EchoSecrets: true, Clients: map[string]string{"svc": "svc-secret-value"}})
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use_dpop_nonce")
	assert.Equal(t, 2, e.srv.TokenRequests(), "one request and one retry with the new nonce, then the error")
	e.assertNoSecrets(t, err.Error())
}

// collector is another origin that records what reaches it.
type collector struct {
	*httptest.Server
	mu  sync.Mutex
	got []http.Header
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.got = append(c.got, r.Header.Clone())
		c.mu.Unlock()
		http.Error(w, "nothing here", http.StatusTeapot)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) headers() []http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]http.Header(nil), c.got...)
}

func TestDPoPResourceRedirectGetsNoCredentials(t *testing.T) {
	// Authorized requests are redirected (307, method and body kept) to
	// another origin. mcpclient follows no redirect off the server's
	// origin; a program of its own using NewTransport under a client that
	// does follow it still sends neither the token nor a proof there.
	other := newCollector(t)
	e := newOAuthEnv(t, authtest.Options{DPoP: true, RedirectTo: other.URL + "/mcp", Clients: map[string]string{"svc": "svc-secret-value"}})
	cfg := &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}
	_, err := mcpclient.Connect(testCtx(t), e.config(cfg))
	require.Error(t, err)
	assert.Empty(t, other.headers(), "mcpclient does not follow the redirect")

	hc := &http.Client{Transport: oauth.NewTransport("s", e.srv.URL, cfg, nil, http.DefaultTransport)}
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, e.srv.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusTeapot, resp.StatusCode, "the redirect was followed to the other origin")
	require.Len(t, other.headers(), 1)
	h := other.headers()[0]
	assert.Empty(t, h.Get("Authorization"), "no token at another origin")
	assert.Empty(t, h.Get("DPoP"), "no proof at another origin")
	require.NotEmpty(t, proofsAt(e.srv, "resource"), "the server's own origin got them")
}

func TestTokenEndpointRedirectElsewhereRefused(t *testing.T) {
	// The token endpoint redirects its POST (307 keeps the body: the
	// client secret, code, assertion) to another origin. It is not
	// followed.
	other := newCollector(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	e := newOAuthEnv(t, authtest.Options{DPoP: true, Clients: map[string]string{"svc": "svc-secret-value"}})
	_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
		Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value", TokenURL: redirector.URL + "/token",
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another origin")
	assert.Empty(t, other.headers(), "nothing reached the other origin")
	assert.NotContains(t, err.Error(), "svc-secret-value")
}

// endless answers forever: a body without end.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestHostileTokenEndpointBodiesBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
	}{
		{"success without end", http.StatusOK, nil},
		{"use_dpop_nonce without end", http.StatusBadRequest, map[string]string{"DPoP-Nonce": "n-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var served atomic.Int64
			hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, `{"error":"use_dpop_nonce",`)
				n, _ := io.Copy(w, io.LimitReader(endless{}, 256<<20)) // stops when the client hangs up
				served.Add(n)
			}))
			t.Cleanup(hostile.Close)
			e := newOAuthEnv(t, authtest.Options{DPoP: true, Clients: map[string]string{"svc": "svc-secret-value"}})
			_, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{
				Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value", TokenURL: hostile.URL + "/token",
			}))
			require.Error(t, err)
			hostile.CloseClientConnections()
			hostile.Close()
			// The client read a bounded prefix and hung up: far less than
			// the 256 MiB on offer went out (socket buffers included).
			assert.Less(t, served.Load(), int64(64<<20))
		})
	}
}

func TestDPoPTokenOfAnotherKeyNotPresented(t *testing.T) {
	// The store holds a DPoP-bound token of another connection (another
	// key). It is never presented: the client gets its own.
	e, rec := publicEnv(t, authtest.Options{DPoP: true, Clients: map[string]string{"svc": "svc-secret-value"}})
	store := &oauth.MemoryTokenStore{}
	stolen := &oauth.Token{AccessToken: "at-of-another-key", TokenType: "DPoP", DPoPKeyThumbprint: "another-key-thumbprint", Expiry: time.Now().Add(time.Hour)}
	require.NoError(t, store.Save(context.Background(), e.srv.URL, stolen))
	c, err := mcpclient.Connect(testCtx(t), e.publicConfig(rec, &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value", TokenStore: store}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	for _, r := range rec.requests() {
		assert.NotContains(t, r.Header.Get("Authorization"), "at-of-another-key")
	}
	assert.Equal(t, 1, e.srv.ClientCredentials(), "its own token instead")
}

func TestDPoPSecretsNeverEchoed(t *testing.T) {
	// A careless authorization server quotes everything back in its
	// errors; tokens, secrets, assertions and proofs stay out of errors
	// and logs.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	e := newOAuthEnv(t, authtest.Options{DPoP: true, EchoSecrets: true, AssertionKey: &key.PublicKey, Clients: map[string]string{"svc": "svc-secret-value"}})
	c, err := mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.NoError(t, err)
	out := callEcho(t, c, "echo")
	require.NoError(t, c.Close())
	e.srv.SetClientSecret("svc", "rotated-secret")
	e.srv.Expire()
	_, err = mcpclient.Connect(testCtx(t), e.config(&oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value"}))
	require.Error(t, err)
	e.assertNoSecrets(t, out, err.Error())
	require.NotEmpty(t, e.srv.Proofs())
	assert.False(t, strings.Contains(e.logs.String()+err.Error(), "eyJ"), "no JWT (proof, assertion) in logs or errors")
}

func TestStoredDPoPTokenWithDPoPOff(t *testing.T) {
	// DPoP is off for this connection, so it holds no key; a DPoP token
	// in the store (another connection's) is neither presented nor a
	// reason to fail, even when the server's 401s talk DPoP nonces.
	e, rec := publicEnv(t, authtest.Options{Clients: map[string]string{"svc": "svc-secret-value"}})
	inner := rec.base
	rec.base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := inner.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusUnauthorized {
			resp.Header.Set("DPoP-Nonce", "nonce-for-nobody")
			resp.Header.Add("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
		}
		return resp, err
	})
	store := &oauth.MemoryTokenStore{}
	other := &oauth.Token{AccessToken: "at-of-another-key", TokenType: "DPoP", DPoPKeyThumbprint: "another-key-thumbprint", Expiry: time.Now().Add(time.Hour)}
	require.NoError(t, store.Save(context.Background(), e.srv.URL, other))
	c, err := mcpclient.Connect(testCtx(t), e.publicConfig(rec, &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: "svc-secret-value", TokenStore: store, DPoP: oauth.DPoPOff}))
	require.NoError(t, err)
	defer c.Close()
	callEcho(t, c, "echo")
	for _, r := range rec.requests() {
		assert.NotContains(t, r.Header.Get("Authorization"), "at-of-another-key")
		assert.Empty(t, r.Header.Get("DPoP"))
	}
}
