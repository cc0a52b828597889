package mcpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// oauthFlow obtains, keeps and refreshes the tokens of one server.
type oauthFlow struct {
	server    string // Config.Name
	serverURL string // HTTP.URL, also the token store key
	cfg       OAuthConfig
	store     TokenStore
	http      *http.Client // for discovery and token requests; never sends the server's headers
	log       *slog.Logger
	now       func() time.Time

	// lock allows one token acquisition at a time; waiting for it honours
	// the context (an interactive authorization can take minutes).
	lock   chan struct{}
	cur    *Token
	loaded bool
	disc   *discovery
}

func newOAuthFlow(server string, t *HTTP, log *slog.Logger, base http.RoundTripper) *oauthFlow {
	o := &oauthFlow{
		server: server, serverURL: t.URL, cfg: *t.OAuth, store: t.OAuth.TokenStore,
		http: &http.Client{Transport: base, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		}},
		log: log, now: time.Now, lock: make(chan struct{}, 1),
	}
	if o.store == nil {
		o.store = &MemoryTokenStore{}
	}
	if o.cfg.Grant == "" {
		o.cfg.Grant = GrantAuthorizationCode
	}
	if o.cfg.MaxStepUps == 0 {
		o.cfg.MaxStepUps = DefaultMaxStepUps
	}
	if o.cfg.ClientName == "" {
		o.cfg.ClientName = clientName
	}
	return o
}

// token returns the token to send, refreshing it first when it is about to
// expire; nil when there is none yet.
func (o *oauthFlow) token(ctx context.Context) (*Token, error) {
	if err := o.acquire(ctx); err != nil {
		return nil, err
	}
	defer o.release()
	if err := o.loadLocked(ctx); err != nil {
		return nil, err
	}
	if o.cur != nil && o.cur.expiresSoon(o.now()) && o.cur.RefreshToken != "" {
		if err := o.refreshLocked(ctx); err != nil {
			o.log.Info("oauth: refreshing the token failed; will re-authorize when the server asks", "server", o.server, "err", err)
		}
	}
	return o.cur, nil
}

func (o *oauthFlow) acquire(ctx context.Context) error {
	select {
	case o.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *oauthFlow) release() { <-o.lock }

func (o *oauthFlow) loadLocked(ctx context.Context) error {
	if o.loaded {
		return nil
	}
	t, err := o.store.Load(ctx, o.serverURL)
	if err != nil {
		return fmt.Errorf("oauth: load token: %w", err)
	}
	o.cur, o.loaded = t, true
	return nil
}

// authorize gets a new token after the server refused sent (401, or 403
// insufficient_scope when stepUp). A token another request got meanwhile
// is used instead; a refreshable token is refreshed before a full
// authorization.
func (o *oauthFlow) authorize(ctx context.Context, ch challenge, sent *Token, stepUp bool) (*Token, error) {
	if err := o.acquire(ctx); err != nil {
		return nil, err
	}
	defer o.release()
	if err := o.loadLocked(ctx); err != nil {
		return nil, err
	}
	if o.cur != nil && (sent == nil || o.cur.AccessToken != sent.AccessToken) {
		return o.cur, nil
	}
	if !stepUp && o.cur != nil && o.cur.RefreshToken != "" {
		err := o.refreshLocked(ctx)
		if err == nil {
			return o.cur, nil
		}
		o.log.Info("oauth: refreshing the token failed; authorizing again", "server", o.server, "err", err)
	}
	if o.disc == nil || (ch.resourceMetadata != "" && stepUp) {
		d, err := o.discover(ctx, ch)
		if err != nil {
			return nil, fmt.Errorf("oauth discovery: %w", err)
		}
		o.disc = d
	}
	scope := o.chooseScope(ch, sent, stepUp)
	var t *Token
	var err error
	switch o.cfg.Grant {
	case GrantClientCredentials:
		t, err = o.clientCredentials(ctx, scope)
	case GrantJWTBearer:
		t, err = o.jwtBearer(ctx, scope)
	default:
		t, err = o.authorizationCode(ctx, scope)
	}
	if err != nil {
		return nil, err
	}
	if err := o.saveLocked(ctx, t); err != nil {
		return nil, err
	}
	o.log.Info("oauth: authorized", "server", o.server, "grant", string(o.cfg.Grant), "scope", t.Scope)
	return t, nil
}

func (o *oauthFlow) saveLocked(ctx context.Context, t *Token) error {
	if err := o.store.Save(ctx, o.serverURL, t); err != nil {
		return fmt.Errorf("oauth: save token: %w", err)
	}
	o.cur, o.loaded = t, true
	return nil
}

// chooseScope: the configured scopes, else the challenge's, else the
// resource's scopes_supported; a step-up keeps what the token had. The
// authorization code grant adds offline_access when the authorization
// server offers it, to get a refresh token.
func (o *oauthFlow) chooseScope(ch challenge, sent *Token, stepUp bool) string {
	var scopes []string
	switch {
	case len(o.cfg.Scopes) > 0:
		scopes = slices.Clone(o.cfg.Scopes)
	case ch.scope != "":
		scopes = strings.Fields(ch.scope)
	default:
		scopes = slices.Clone(o.disc.scopes)
	}
	if stepUp && sent != nil {
		for _, s := range strings.Fields(sent.Scope) {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
		if ch.scope != "" && len(o.cfg.Scopes) > 0 {
			for _, s := range strings.Fields(ch.scope) {
				if !slices.Contains(scopes, s) {
					scopes = append(scopes, s)
				}
			}
		}
	}
	if o.cfg.Grant == GrantAuthorizationCode && len(scopes) > 0 &&
		slices.Contains(o.disc.as.ScopesSupported, "offline_access") && !slices.Contains(scopes, "offline_access") {
		scopes = append(scopes, "offline_access")
	}
	return strings.Join(scopes, " ")
}

// refreshLocked uses the refresh token of o.cur.
func (o *oauthFlow) refreshLocked(ctx context.Context) error {
	old := o.cur
	if old.TokenEndpoint == "" {
		return errors.New("no token endpoint recorded for the refresh token")
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}}
	if o.disc != nil {
		form.Set("resource", o.disc.resource)
	}
	creds := clientCreds{id: old.ClientID, secret: old.ClientSecret, method: old.AuthMethod, key: o.cfg.PrivateKey, audience: o.issuer()}
	tr, err := o.postToken(ctx, old.TokenEndpoint, form, creds)
	if err != nil {
		var oe *OAuthError
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			// Revoked or expired: forget it so the next attempt starts afresh.
			o.cur.RefreshToken = ""
		}
		return err
	}
	t := toToken(tr, old.Scope, o.now())
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	t.TokenEndpoint, t.ClientID, t.ClientSecret, t.AuthMethod = old.TokenEndpoint, old.ClientID, old.ClientSecret, old.AuthMethod
	o.log.Info("oauth: token refreshed", "server", o.server)
	return o.saveLocked(ctx, t)
}

func (o *oauthFlow) issuer() string {
	if o.disc == nil {
		return ""
	}
	return o.disc.as.Issuer
}

// finish records where the token came from, for refreshing it later.
func (o *oauthFlow) finish(tr *tokenResponse, scope string, creds clientCreds) *Token {
	t := toToken(tr, scope, o.now())
	t.TokenEndpoint = o.disc.as.TokenEndpoint
	t.ClientID, t.ClientSecret, t.AuthMethod = creds.id, creds.secret, creds.method
	return t
}

// configuredCreds are the credentials of a pre-registered client.
func (o *oauthFlow) configuredCreds() clientCreds {
	as := o.disc.as
	return clientCreds{
		id: o.cfg.ClientID, secret: o.cfg.ClientSecret, key: o.cfg.PrivateKey, audience: as.Issuer,
		method: chooseAuthMethod(as.TokenEndpointAuthMethodsSupported, o.cfg.ClientSecret != "", o.cfg.PrivateKey != nil),
	}
}

// clientCredentials runs the client credentials grant.
func (o *oauthFlow) clientCredentials(ctx context.Context, scope string) (*Token, error) {
	creds := o.configuredCreds()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {o.disc.resource}}
	if scope != "" {
		form.Set("scope", scope)
	}
	tr, err := o.postToken(ctx, o.disc.as.TokenEndpoint, form, creds)
	if err != nil {
		return nil, fmt.Errorf("oauth client_credentials: %w", err)
	}
	return o.finish(tr, scope, creds), nil
}

// jwtBearer runs cross-app access: the identity token is exchanged at the
// identity provider for an identity assertion grant (RFC 8693), which the
// authorization server exchanges for an access token (RFC 7523).
func (o *oauthFlow) jwtBearer(ctx context.Context, scope string) (*Token, error) {
	idToken, err := o.cfg.IdentityToken(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: identity token: %w", err)
	}
	form := url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:id-jag"},
		"subject_token":        {idToken},
		"subject_token_type":   {"urn:ietf:params:oauth:token-type:id_token"},
		"audience":             {o.disc.as.Issuer},
		"resource":             {o.disc.resource},
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	idp := clientCreds{id: o.cfg.IDPClientID, secret: o.cfg.IDPClientSecret, method: chooseAuthMethod(nil, o.cfg.IDPClientSecret != "", false)}
	grant, err := o.postToken(ctx, o.cfg.IDPTokenEndpoint, form, idp)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: token exchange at the identity provider: %w", err)
	}
	creds := o.configuredCreds()
	form = url.Values{
		"grant_type": {string(GrantJWTBearer)},
		"assertion":  {grant.AccessToken},
		"resource":   {o.disc.resource},
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	tr, err := o.postToken(ctx, o.disc.as.TokenEndpoint, form, creds)
	if err != nil {
		return nil, fmt.Errorf("oauth jwt-bearer: %w", err)
	}
	return o.finish(tr, scope, creds), nil
}

// registration is a dynamic client registration answer (RFC 7591).
type registration struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
}

// codeClient picks the client identity for the authorization code grant:
// the configured client, the one registered earlier for this server, the
// metadata document URL, or a new dynamic registration.
func (o *oauthFlow) codeClient(ctx context.Context) (clientCreds, error) {
	as := o.disc.as
	switch {
	case o.cfg.ClientID != "":
		return o.configuredCreds(), nil
	case o.cur != nil && o.cur.ClientID != "" && o.cur.TokenEndpoint == as.TokenEndpoint:
		return clientCreds{id: o.cur.ClientID, secret: o.cur.ClientSecret, method: o.cur.AuthMethod}, nil
	case as.ClientIDMetadataDocumentSupported && o.cfg.ClientMetadataURL != "":
		return clientCreds{id: o.cfg.ClientMetadataURL, method: authNone}, nil
	case as.RegistrationEndpoint != "":
		return o.register(ctx)
	}
	return clientCreds{}, errors.New("oauth: no client id configured and the authorization server offers neither dynamic registration nor client ID metadata documents")
}

// register performs dynamic client registration.
func (o *oauthFlow) register(ctx context.Context) (clientCreds, error) {
	as := o.disc.as
	method := authNone
	if len(as.TokenEndpointAuthMethodsSupported) > 0 && !slices.Contains(as.TokenEndpointAuthMethodsSupported, authNone) {
		method = chooseAuthMethod(as.TokenEndpointAuthMethodsSupported, true, false)
	}
	body, _ := json.Marshal(map[string]any{
		"client_name":                o.cfg.ClientName,
		"redirect_uris":              []string{o.cfg.RedirectURL},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": method,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, as.RegistrationEndpoint, bytes.NewReader(body))
	if err != nil {
		return clientCreds{}, fmt.Errorf("oauth registration: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return clientCreds{}, fmt.Errorf("oauth registration at %s: %w", redactURL(as.RegistrationEndpoint), scrubURLError(err))
	}
	defer drainClose(resp.Body)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes))
	if err != nil {
		return clientCreds{}, fmt.Errorf("oauth registration: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return clientCreds{}, oauthErrorFrom("registration", resp.StatusCode, data)
	}
	var reg registration
	if err := json.Unmarshal(data, &reg); err != nil || reg.ClientID == "" {
		return clientCreds{}, errors.New("oauth registration: answer has no client_id")
	}
	creds := clientCreds{id: reg.ClientID, secret: reg.ClientSecret, method: reg.TokenEndpointAuthMethod}
	if creds.method == "" {
		creds.method = chooseAuthMethod(as.TokenEndpointAuthMethodsSupported, reg.ClientSecret != "", false)
	}
	if creds.secret == "" {
		creds.method = authNone
	}
	o.log.Info("oauth: client registered", "server", o.server, "auth_method", creds.method)
	return creds, nil
}
