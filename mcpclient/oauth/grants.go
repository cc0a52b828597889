package oauth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/url"
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
// lets the grant type be set. Nothing of the request (codes, secrets,
// assertions) goes into its errors.
func (o *flow) tokenRequest(ctx context.Context, endpoint string, params url.Values, creds clientCreds) (*oauth2.Token, error) {
	style, secret, err := creds.authStyle(params)
	if err != nil {
		return nil, err
	}
	cc := clientcredentials.Config{ClientID: creds.id, ClientSecret: secret, TokenURL: endpoint, EndpointParams: params, AuthStyle: style}
	tok, err := cc.Token(o.httpContext(ctx))
	if err != nil {
		return nil, o.tokenError(endpoint, err, sentSecrets(params, creds))
	}
	return tok, nil
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

// toToken turns a token answer into a stored Token. Only bearer tokens
// are sent as bearer tokens: a DPoP-bound or other token would be
// refused, or worse, accepted without its proof.
func toToken(t *oauth2.Token, requestedScope string) (*Token, error) {
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return nil, fmt.Errorf("oauth: the authorization server issued a token of type %q; only Bearer tokens can be used", truncate(t.TokenType, 40))
	}
	out := &Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
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
	tr, err := o.tokenRequest(ctx, old.TokenEndpoint, params, creds)
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			// Revoked or expired: forget it so the next attempt starts afresh.
			o.cur.RefreshToken = ""
		}
		return err
	}
	t, err := toToken(tr, old.Scope)
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
func (o *flow) finish(tr *oauth2.Token, scope string, creds clientCreds) (*Token, error) {
	t, err := toToken(tr, scope)
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
	tr, err := o.tokenRequest(ctx, o.disc.as.TokenEndpoint, params, creds)
	if err != nil {
		return nil, fmt.Errorf("oauth client_credentials: %w", err)
	}
	return o.finish(tr, scope, creds)
}

// jwtBearer runs cross-app access: the identity token is exchanged at the
// identity provider for an identity assertion grant (RFC 8693), which the
// authorization server exchanges for an access token (RFC 7523).
func (o *flow) jwtBearer(ctx context.Context, scope string) (*Token, error) {
	idToken, err := o.cfg.IdentityToken(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: identity token: %w", err)
	}
	params := withScope(url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:id-jag"},
		"subject_token":        {idToken},
		"subject_token_type":   {"urn:ietf:params:oauth:token-type:id_token"},
		"audience":             {o.disc.as.Issuer},
		"resource":             {o.disc.resource},
	}, scope)
	idp := clientCreds{id: o.cfg.IDPClientID, secret: o.cfg.IDPClientSecret, method: chooseAuthMethod(nil, o.cfg.IDPClientSecret != "", false)}
	grant, err := o.tokenRequest(ctx, o.cfg.IDPTokenEndpoint, params, idp)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: token exchange at the identity provider: %w", err)
	}
	creds := o.configuredCreds()
	params = withScope(url.Values{
		"grant_type": {string(GrantJWTBearer)},
		"assertion":  {grant.AccessToken},
		"resource":   {o.disc.resource},
	}, scope)
	tr, err := o.tokenRequest(ctx, o.disc.as.TokenEndpoint, params, creds)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: %w", err)
	}
	return o.finish(tr, scope, creds)
}

// scopeList splits a space-separated scope for x/oauth2.
func scopeList(scope string) []string { return strings.Fields(scope) }
