package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/oauth2"
)

// authorizationCode runs the authorization code grant with PKCE: it builds
// the authorization URL, has the Authorizer send the user there (or
// returns an *AuthorizationRequiredError) and exchanges the code.
func (o *flow) authorizationCode(ctx context.Context, scope string) (*Token, error) {
	as := o.disc.as
	if len(as.CodeChallengeMethodsSupported) > 0 && !slices.Contains(as.CodeChallengeMethodsSupported, "S256") {
		return nil, errors.New("oauth: the authorization server does not support PKCE with S256")
	}
	if as.AuthorizationEndpoint == "" {
		return nil, errors.New("oauth: the authorization server has no authorization_endpoint")
	}
	creds, err := o.codeClient(ctx)
	if err != nil {
		return nil, err
	}
	// A client assertion is made at exchange time, fresh; a secret goes
	// as the method says.
	style, secret := oauth2.AuthStyleInParams, ""
	switch creds.method {
	case authSecretBasic:
		style, secret = oauth2.AuthStyleInHeader, creds.secret
	case authSecretPost:
		secret = creds.secret
	}
	conf := &oauth2.Config{
		ClientID: creds.id, ClientSecret: secret, RedirectURL: o.cfg.RedirectURL, Scopes: scopeList(scope),
		Endpoint: oauth2.Endpoint{AuthURL: as.AuthorizationEndpoint, TokenURL: as.TokenEndpoint, AuthStyle: style},
	}
	verifier := oauth2.GenerateVerifier()
	state := randomString(16)
	resource := o.disc.resource
	issuer, issRequired := as.Issuer, as.IssParameterSupported
	authOpts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", resource)}
	bound := o.wantDPoP(nil)
	if bound && o.dpop != nil {
		// RFC 9449 section 10: the code is bound to the key, so only this
		// connection can redeem it.
		authOpts = append(authOpts, oauth2.SetAuthURLParam("dpop_jkt", o.dpop.jkt))
	}
	authURL := conf.AuthCodeURL(state, authOpts...)

	exchange := func(ctx context.Context, resp AuthorizationResponse) (*Token, error) {
		if subtle.ConstantTimeCompare([]byte(resp.State), []byte(state)) != 1 {
			return nil, errors.New("oauth: the authorization response's state does not match the request")
		}
		if resp.Code == "" {
			return nil, errors.New("oauth: the authorization response has no code")
		}
		// RFC 9207: the response names the server that sent it, compared
		// as a plain string; one from another server (a mix-up) never
		// gets our code and verifier.
		switch {
		case resp.Issuer != "" && resp.Issuer != issuer:
			return nil, fmt.Errorf("oauth: the authorization response's iss %q is not the authorization server %q", truncate(resp.Issuer, 200), issuer)
		case resp.Issuer == "" && issRequired:
			return nil, fmt.Errorf("oauth: the authorization response has no iss, which authorization server %q promised", issuer)
		}
		opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", resource)}
		if creds.method == authPrivateKeyJWT {
			assertion, err := clientAssertion(creds.key, creds.id, creds.audience)
			if err != nil {
				return nil, fmt.Errorf("oauth authorization code exchange: client assertion: %w", err)
			}
			opts = append(opts,
				oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
				oauth2.SetAuthURLParam("client_assertion", assertion))
		}
		hctx, err := o.tokenContext(ctx, conf.Endpoint.TokenURL, bound)
		if err != nil {
			return nil, err
		}
		tr, err := conf.Exchange(hctx, resp.Code, opts...)
		if err != nil {
			secrets := []string{resp.Code, verifier, creds.secret}
			return nil, fmt.Errorf("oauth authorization code exchange: %w", o.tokenError(conf.Endpoint.TokenURL, err, secrets))
		}
		t, err := o.toToken(tr, scope, bound)
		if err != nil {
			return nil, err
		}
		t.Issuer, t.TokenEndpoint = issuer, conf.Endpoint.TokenURL
		t.ClientID, t.ClientSecret, t.AuthMethod = creds.id, creds.secret, creds.method
		if o.cfg.ClientID != "" && creds.id == o.cfg.ClientID {
			t.ClientSecret = "" // the configuration has it
		}
		return t, nil
	}

	if o.cfg.Authorizer == nil {
		return nil, &AuthorizationRequiredError{Server: o.server, URL: authURL,
			complete: func(ctx context.Context, resp AuthorizationResponse) error {
				t, err := exchange(ctx, resp)
				if err != nil {
					return err
				}
				if err := o.acquire(ctx); err != nil {
					return err
				}
				defer o.release()
				return o.saveLocked(ctx, t)
			}}
	}
	resp, err := o.cfg.Authorizer.Authorize(ctx, o.server, authURL)
	if err != nil {
		return nil, fmt.Errorf("oauth authorization: %w", err)
	}
	return exchange(ctx, resp)
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather)
	return base64.RawURLEncoding.EncodeToString(b)
}
