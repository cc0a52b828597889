package mcpclient

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
)

// authorizationCode runs the authorization code grant with PKCE: it builds
// the authorization URL, has the Authorizer send the user there (or
// returns an *AuthorizationRequiredError) and exchanges the code.
func (o *oauthFlow) authorizationCode(ctx context.Context, scope string) (*Token, error) {
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
	verifier, challenge := pkcePair()
	state := randomString(16)
	authURL, err := url.Parse(as.AuthorizationEndpoint)
	if err != nil {
		return nil, fmt.Errorf("oauth: authorization_endpoint: %w", err)
	}
	q := authURL.Query()
	q.Set("response_type", "code")
	q.Set("client_id", creds.id)
	q.Set("redirect_uri", o.cfg.RedirectURL)
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	q.Set("state", state)
	q.Set("resource", o.disc.resource)
	if scope != "" {
		q.Set("scope", scope)
	}
	authURL.RawQuery = q.Encode()

	tokenEndpoint := as.TokenEndpoint
	resource := o.disc.resource
	exchange := func(ctx context.Context, resp AuthorizationResponse) (*Token, error) {
		if subtle.ConstantTimeCompare([]byte(resp.State), []byte(state)) != 1 {
			return nil, errors.New("oauth: the authorization response's state does not match the request")
		}
		if resp.Code == "" {
			return nil, errors.New("oauth: the authorization response has no code")
		}
		form := url.Values{
			"grant_type":    {"authorization_code"},
			"code":          {resp.Code},
			"redirect_uri":  {o.cfg.RedirectURL},
			"code_verifier": {verifier},
			"resource":      {resource},
		}
		tr, err := o.postToken(ctx, tokenEndpoint, form, creds)
		if err != nil {
			return nil, fmt.Errorf("oauth authorization code exchange: %w", err)
		}
		t := toToken(tr, scope, o.now())
		t.TokenEndpoint = tokenEndpoint
		t.ClientID, t.ClientSecret, t.AuthMethod = creds.id, creds.secret, creds.method
		return t, nil
	}

	if o.cfg.Authorizer == nil {
		return nil, &AuthorizationRequiredError{Server: o.server, URL: authURL.String(),
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
	resp, err := o.cfg.Authorizer.Authorize(ctx, o.server, authURL.String())
	if err != nil {
		return nil, fmt.Errorf("oauth authorization: %w", err)
	}
	return exchange(ctx, resp)
}
