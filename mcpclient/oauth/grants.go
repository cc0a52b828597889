package oauth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Token endpoint client authentication methods.
const (
	authNone          = "none"
	authSecretBasic   = "client_secret_basic"
	authSecretPost    = "client_secret_post"
	authPrivateKeyJWT = "private_key_jwt"
)

// clientCreds is how the client authenticates at a token endpoint.
type clientCreds struct {
	id, secret string
	method     string
	key        crypto.Signer
	audience   string // the authorization server's issuer, for private_key_jwt
}

// chooseAuthMethod picks the token endpoint authentication the server
// supports for a client with (or without) a secret or key.
func chooseAuthMethod(supported []string, hasSecret, hasKey bool) string {
	switch {
	case hasKey:
		return authPrivateKeyJWT
	case !hasSecret:
		return authNone
	}
	for _, m := range []string{authSecretBasic, authSecretPost} {
		for _, s := range supported {
			if s == m {
				return m
			}
		}
	}
	return authSecretBasic // the RFC 8414 default
}

// authStyle is how x/oauth2 sends the client's credentials for c, with the
// parameters c adds itself (a client assertion).
func (c clientCreds) authStyle(params url.Values) (oauth2.AuthStyle, string, error) {
	switch c.method {
	case authSecretBasic:
		return oauth2.AuthStyleInHeader, c.secret, nil
	case authSecretPost:
		return oauth2.AuthStyleInParams, c.secret, nil
	case authPrivateKeyJWT:
		assertion, err := clientAssertion(c.key, c.id, c.audience)
		if err != nil {
			return 0, "", fmt.Errorf("client assertion: %w", err)
		}
		params.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		params.Set("client_assertion", assertion)
	}
	// With no secret, x/oauth2 sends only client_id in the form.
	return oauth2.AuthStyleInParams, "", nil
}

// tokenRequest sends one token request of any grant (params carries
// grant_type) through x/oauth2, whose client credentials configuration
// lets the grant type be set, with a DPoP proof when dpop. Nothing of the
// request (codes, secrets, assertions, proofs) goes into its errors.
func (o *flow) tokenRequest(ctx context.Context, endpoint string, params url.Values, creds clientCreds, dpop bool) (*oauth2.Token, error) {
	style, secret, err := creds.authStyle(params)
	if err != nil {
		return nil, err
	}
	hctx, err := o.tokenContext(ctx, endpoint, dpop)
	if err != nil {
		return nil, err
	}
	cc := clientcredentials.Config{ClientID: creds.id, ClientSecret: secret, TokenURL: endpoint, EndpointParams: params, AuthStyle: style}
	tok, err := cc.Token(hctx)
	if err != nil {
		return nil, o.tokenError(endpoint, err, sentSecrets(params, creds))
	}
	return tok, nil
}

// tokenContext makes x/oauth2 send a token request to endpoint with the
// flow's client, adding DPoP proofs when dpop.
func (o *flow) tokenContext(ctx context.Context, endpoint string, dpop bool) (context.Context, error) {
	if !dpop {
		return o.httpContext(ctx), nil
	}
	if o.dpop == nil {
		return nil, errors.New("oauth: DPoP is required but this connection has no DPoP key")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("oauth: token endpoint %s is not a URL", endpointName(endpoint))
	}
	c := &http.Client{Transport: &dpopTokenTransport{base: o.base, key: o.dpop, origin: origin(u)}, CheckRedirect: checkRedirect}
	return context.WithValue(ctx, oauth2.HTTPClient, c), nil
}

// wantDPoP reports whether a token request, refreshing old when it is not
// nil, carries a proof.
func (o *flow) wantDPoP(old *Token) bool {
	switch o.cfg.DPoP {
	case DPoPOff:
		return false
	case DPoPRequired:
		return true
	}
	return o.disc != nil && o.disc.dpop || old != nil && strings.EqualFold(old.TokenType, tokenTypeDPoP)
}

// sentSecrets are the values of a token request that must not come back
// in an error, however the authorization server quotes them.
func sentSecrets(params url.Values, creds clientCreds) []string {
	out := []string{creds.secret, url.QueryEscape(creds.secret)}
	for _, k := range []string{"code", "code_verifier", "refresh_token", "client_assertion", "assertion", "subject_token", "client_secret"} {
		if v := params.Get(k); v != "" {
			out = append(out, v, url.QueryEscape(v))
		}
	}
	return out
}

// httpContext makes x/oauth2 send its requests with the flow's client.
func (o *flow) httpContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, o.http)
}

// tokenError turns an x/oauth2 error into one that names the endpoint and
// quotes nothing of the request (secrets, scrubbed also from what the
// server wrote) or of the answer's body.
func (o *flow) tokenError(endpoint string, err error, secrets []string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Endpoint: "token", Code: scrub(re.ErrorCode, secrets), Description: scrub(re.ErrorDescription, secrets)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		return e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the URL
	}
	return fmt.Errorf("token endpoint %s: %s", endpointName(endpoint), scrub(err.Error(), secrets))
}

// toToken turns a token answer into a stored Token. A DPoP-bound token
// is one the request's proof asked for (bound), and is presented with
// this connection's key; a bearer token is one where DPoP is not
// required. Any other type would be refused by the server, or worse,
// accepted without what binds it.
func (o *flow) toToken(t *oauth2.Token, requestedScope string, bound bool) (*Token, error) {
	out := &Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	switch {
	case strings.EqualFold(t.TokenType, tokenTypeDPoP):
		if !bound {
			return nil, errors.New("oauth: the authorization server issued a DPoP token to a request without a DPoP proof")
		}
		out.TokenType, out.DPoPKeyThumbprint = tokenTypeDPoP, o.dpop.jkt
	case t.TokenType == "" || strings.EqualFold(t.TokenType, tokenTypeBearer):
		if o.cfg.DPoP == DPoPRequired {
			return nil, errNotBound
		}
	default:
		return nil, fmt.Errorf("oauth: the authorization server issued a token of type %q; only Bearer and DPoP tokens can be used", truncate(t.TokenType, 40))
	}
	if s, ok := t.Extra("scope").(string); ok {
		out.Scope = s
	}
	if out.Scope == "" {
		out.Scope = requestedScope
	}
	return out, nil
}

// refreshLocked uses the refresh token of o.cur.
func (o *flow) refreshLocked(ctx context.Context) error {
	old := o.cur
	if old.TokenEndpoint == "" {
		return errors.New("no token endpoint recorded for the refresh token")
	}
	params := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}}
	if o.disc != nil {
		params.Set("resource", o.disc.resource)
	}
	audience := old.Issuer
	if audience == "" {
		audience = o.issuer()
	}
	creds := clientCreds{id: old.ClientID, secret: old.ClientSecret, method: old.AuthMethod, key: o.cfg.PrivateKey, audience: audience}
	if o.cfg.ClientID != "" && old.ClientID == o.cfg.ClientID {
		creds.secret = o.cfg.ClientSecret // never stored with the token
	}
	// A DPoP-bound token is refreshed with a proof of the same key, so
	// the new token stays bound to it.
	bound := o.wantDPoP(old)
	tr, err := o.tokenRequest(ctx, old.TokenEndpoint, params, creds, bound)
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			// Revoked or expired: forget it so the next attempt starts afresh.
			o.cur.RefreshToken = ""
		}
		return err
	}
	t, err := o.toToken(tr, old.Scope, bound)
	if err != nil {
		return err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	t.Issuer, t.TokenEndpoint, t.ClientID, t.ClientSecret, t.AuthMethod = old.Issuer, old.TokenEndpoint, old.ClientID, old.ClientSecret, old.AuthMethod
	o.log.Info("oauth: token refreshed", "server", o.server)
	return o.saveLocked(ctx, t)
}

// finish records where the token came from, for refreshing it later: the
// issuer, its token endpoint and the client. The secret of a configured
// client is not kept (the configuration has it); a registered client's
// is, as the registration is the store's to keep.
func (o *flow) finish(tr *oauth2.Token, scope string, creds clientCreds, bound bool) (*Token, error) {
	t, err := o.toToken(tr, scope, bound)
	if err != nil {
		return nil, err
	}
	t.Issuer, t.TokenEndpoint = o.disc.as.Issuer, o.disc.as.TokenEndpoint
	t.ClientID, t.ClientSecret, t.AuthMethod = creds.id, creds.secret, creds.method
	if o.cfg.ClientID != "" && creds.id == o.cfg.ClientID {
		t.ClientSecret = ""
	}
	return t, nil
}

// configuredCreds are the credentials of a pre-registered client.
func (o *flow) configuredCreds() clientCreds {
	as := o.disc.as
	return clientCreds{
		id: o.cfg.ClientID, secret: o.cfg.ClientSecret, key: o.cfg.PrivateKey, audience: as.Issuer,
		method: chooseAuthMethod(as.TokenEndpointAuthMethodsSupported, o.cfg.ClientSecret != "", o.cfg.PrivateKey != nil),
	}
}

// withScope adds scope to token request parameters when there is one.
func withScope(params url.Values, scope string) url.Values {
	if scope != "" {
		params.Set("scope", scope)
	}
	return params
}

// clientCredentials runs the client credentials grant.
func (o *flow) clientCredentials(ctx context.Context, scope string) (*Token, error) {
	creds := o.configuredCreds()
	params := withScope(url.Values{"grant_type": {"client_credentials"}, "resource": {o.disc.resource}}, scope)
	bound := o.wantDPoP(nil)
	tr, err := o.tokenRequest(ctx, o.disc.as.TokenEndpoint, params, creds, bound)
	if err != nil {
		return nil, fmt.Errorf("oauth client_credentials: %w", err)
	}
	return o.finish(tr, scope, creds, bound)
}

// jwtBearer runs the JWT bearer grant (RFC 7523) with the workload's
// identity token as the assertion: workload identity federation. A
// refused grant is returned as it is: the same assertion would be refused
// again, and no other grant is tried in its place.
func (o *flow) jwtBearer(ctx context.Context, scope string) (*Token, error) {
	assertion, err := o.cfg.Assertion(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: the workload's identity token: %w", err)
	}
	if assertion == "" {
		return nil, errors.New("oauth jwt-bearer: the workload's identity token is empty")
	}
	return o.assertionGrant(ctx, "oauth jwt-bearer", assertion, scope)
}

// assertionGrant exchanges an assertion (a workload's identity token, an
// ID-JAG) at the authorization server with the JWT bearer grant.
func (o *flow) assertionGrant(ctx context.Context, what, assertion, scope string) (*Token, error) {
	creds := o.configuredCreds()
	params := withScope(url.Values{
		"grant_type": {string(GrantJWTBearer)},
		"assertion":  {assertion},
		"resource":   {o.disc.resource},
	}, scope)
	bound := o.wantDPoP(nil)
	tr, err := o.tokenRequest(ctx, o.disc.as.TokenEndpoint, params, creds, bound)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return o.finish(tr, scope, creds, bound)
}

// Token types of the token exchange (RFC 8693) of enterprise-managed
// authorization.
const (
	tokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"
	tokenTypeIDJAG   = "urn:ietf:params:oauth:token-type:id-jag"
)

// enterprise runs enterprise-managed authorization: the identity token is
// exchanged at the identity provider for an identity assertion
// authorization grant (RFC 8693) for this authorization server and
// resource, which the authorization server turns into an access token
// (RFC 7523).
func (o *flow) enterprise(ctx context.Context, scope string) (*Token, error) {
	idToken, err := o.cfg.IdentityToken(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth enterprise-managed authorization: identity token: %w", err)
	}
	params := withScope(url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"requested_token_type": {tokenTypeIDJAG},
		"subject_token":        {idToken},
		"subject_token_type":   {tokenTypeIDToken},
		"audience":             {o.disc.as.Issuer},
		"resource":             {o.disc.resource},
	}, scope)
	endpoint, err := o.idpTokenEndpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth enterprise-managed authorization: %w", err)
	}
	idp := clientCreds{id: o.cfg.IDPClientID, secret: o.cfg.IDPClientSecret, method: chooseAuthMethod(nil, o.cfg.IDPClientSecret != "", false)}
	grant, err := o.tokenRequest(ctx, endpoint, params, idp, false)
	if err != nil {
		return nil, fmt.Errorf("oauth enterprise-managed authorization: token exchange at the identity provider: %w", err)
	}
	// RFC 8693 section 2.2.1: the answer says what it issued; anything
	// but an ID-JAG would be sent to the authorization server for nothing
	// (an access token of the identity provider, for one, goes nowhere).
	if issued, _ := grant.Extra("issued_token_type").(string); issued != tokenTypeIDJAG {
		return nil, fmt.Errorf("oauth enterprise-managed authorization: the identity provider issued %q, not an identity assertion grant (%s)", truncate(issued, 80), tokenTypeIDJAG)
	}
	return o.assertionGrant(ctx, "oauth enterprise-managed authorization", grant.AccessToken, scope)
}

// idpTokenEndpoint is the identity provider's token endpoint: the
// configured one, else the one its issuer's metadata names (found once).
func (o *flow) idpTokenEndpoint(ctx context.Context) (string, error) {
	if o.cfg.IDPTokenEndpoint != "" {
		return o.cfg.IDPTokenEndpoint, nil
	}
	if o.idpToken != "" {
		return o.idpToken, nil
	}
	as, err := o.authServerMetadata(ctx, o.cfg.IDPIssuer, true)
	if err != nil {
		return "", fmt.Errorf("identity provider: %w", err)
	}
	if as == nil {
		return "", fmt.Errorf("identity provider %s publishes no metadata; set IDPTokenEndpoint", endpointName(o.cfg.IDPIssuer))
	}
	if err := checkSecureURL("the identity provider's token endpoint", as.TokenEndpoint); err != nil {
		return "", err
	}
	o.idpToken = as.TokenEndpoint
	return o.idpToken, nil
}

// FileAssertion returns a [Config.Assertion] that reads the workload's
// identity token from path at every token request (platforms rotate the
// file: a Kubernetes projected service account token, a CI job's OIDC
// token). Surrounding whitespace is trimmed; errors name the path, never
// the content.
func FileAssertion(path string) func(ctx context.Context) (string, error) {
	return func(context.Context) (string, error) {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("read the identity token: %w", err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxAssertionBytes+1))
		if err != nil {
			return "", fmt.Errorf("read the identity token %s: %w", path, err)
		}
		if len(data) > maxAssertionBytes {
			return "", fmt.Errorf("the identity token %s is over %d bytes", path, maxAssertionBytes)
		}
		tok := strings.TrimSpace(string(data))
		if tok == "" {
			return "", fmt.Errorf("the identity token %s is empty", path)
		}
		return tok, nil
	}
}

// maxAssertionBytes bounds an identity token read from a file.
const maxAssertionBytes = 64 << 10

// scopeList splits a space-separated scope for x/oauth2.
func scopeList(scope string) []string { return strings.Fields(scope) }
