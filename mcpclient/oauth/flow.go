package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
)

// clientName is the default client_name of dynamic registration.
const clientName = "mcpbridge"

// flow obtains, keeps and refreshes the tokens of one server.
type flow struct {
	server    string // the server's name, for errors and logs
	serverURL string // its URL, also the token store key
	cfg       Config
	store     TokenStore
	http      *http.Client // for discovery and token requests; never sends the server's headers
	base      http.RoundTripper
	dpop      *dpopKey // this connection's DPoP key; nil when DPoP is off
	idpToken  string   // the identity provider's discovered token endpoint
	log       *slog.Logger
	now       func() time.Time

	// lock allows one token acquisition at a time; waiting for it honours
	// the context (an interactive authorization can take minutes).
	lock   chan struct{}
	cur    *Token
	loaded bool
	disc   *discovery
}

func newFlow(server, serverURL string, cfg *Config, log *slog.Logger, base http.RoundTripper) *flow {
	o := &flow{
		server: server, serverURL: serverURL, cfg: *cfg, store: cfg.TokenStore,
		http: &http.Client{Transport: base, CheckRedirect: checkRedirect},
		base: base, log: log, now: time.Now, lock: make(chan struct{}, 1),
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
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
	if o.cfg.DPoP == "" {
		o.cfg.DPoP = DPoPAuto
	}
	if o.cfg.DPoP != DPoPOff {
		// A key generation failure (crypto/rand broken) leaves DPoP off;
		// DPoPRequired then fails at the first token request.
		if k, err := newDPoPKey(); err == nil {
			o.dpop = k
		} else {
			o.log.Warn("oauth: no DPoP key", "server", server, "err", err)
		}
	}
	return o
}

// checkRedirect follows at most five redirects, and none that would carry
// a token request's body (codes, verifiers, assertions, secrets) to
// another origin.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	if first := via[0]; first.Method != http.MethodGet && first.Method != http.MethodHead && origin(req.URL) != origin(first.URL) {
		return fmt.Errorf("%s redirected to another origin; not followed", endpointName(first.URL.String()))
	}
	return nil
}

// adopt makes t, loaded from the store, the current token. A DPoP-bound
// token of another key (another connection's or process's) cannot be
// presented with ours: its access token is left out, and its refresh
// token kept, which serves a confidential client (whose refresh tokens are
// not bound) and fails harmlessly otherwise. It reports whether t was
// such a token.
func (o *flow) adopt(t *Token) (foreign bool) {
	if t != nil && strings.EqualFold(t.TokenType, tokenTypeDPoP) && (o.dpop == nil || t.DPoPKeyThumbprint != o.dpop.jkt) {
		c := *t
		c.AccessToken, c.Expiry = "", time.Time{}
		o.cur = &c
		return true
	}
	o.cur = t
	return false
}

// token returns the token to send, refreshing it first when it is about to
// expire; nil when there is none yet.
func (o *flow) token(ctx context.Context) (*Token, error) {
	if err := o.acquire(ctx); err != nil {
		return nil, err
	}
	defer o.release()
	if err := o.loadLocked(ctx); err != nil {
		return nil, err
	}
	if o.cur != nil && o.cur.expiresSoon(o.now()) && o.cur.RefreshToken != "" {
		if err := o.refreshShared(ctx); err != nil {
			o.log.Info("oauth: refreshing the token failed; will re-authorize when the server asks", "server", o.server, "err", err)
		}
	}
	return o.cur, nil
}

func (o *flow) acquire(ctx context.Context) error {
	select {
	case o.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *flow) release() { <-o.lock }

func (o *flow) loadLocked(ctx context.Context) error {
	if o.loaded {
		return nil
	}
	t, err := o.store.Load(ctx, o.serverURL)
	if err != nil {
		return fmt.Errorf("oauth: load token: %w", err)
	}
	o.adopt(t)
	o.loaded = true
	return nil
}

// authorize gets a new token after the server refused sent (401, or 403
// insufficient_scope when stepUp). A token another request, client or
// process got meanwhile is used instead; a refreshable token is refreshed
// before a full authorization, unless its authorization server is no
// longer the one the server names.
func (o *flow) authorize(ctx context.Context, ch challenge, sent *Token, stepUp bool) (*Token, error) {
	if err := o.acquire(ctx); err != nil {
		return nil, err
	}
	defer o.release()
	if err := o.loadLocked(ctx); err != nil {
		return nil, err
	}
	if err := o.reloadLocked(ctx); err != nil {
		return nil, err
	}
	if o.cur != nil && o.cur.AccessToken != "" && (sent == nil || o.cur.AccessToken != sent.AccessToken) {
		return o.cur, nil
	}
	// Discover afresh: the server may have moved to another
	// authorization server since the token was issued.
	d, err := o.discover(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("oauth discovery: %w", err)
	}
	o.disc = d
	if o.cur != nil && o.cur.Issuer != "" && o.cur.Issuer != d.as.Issuer {
		if o.cfg.ClientID != "" && o.cfg.AuthorizationServer == "" {
			// A pre-registered client's credentials stay with the
			// authorization server they were used with.
			return nil, fmt.Errorf("oauth: the authorization server changed from %s to %s; the configured client is not sent to the new one (pin OAuth.AuthorizationServer to the one it is registered with)", o.cur.Issuer, d.as.Issuer)
		}
		o.log.Info("oauth: the server names another authorization server; registering anew", "server", o.server, "from", o.cur.Issuer, "to", d.as.Issuer)
		o.cur = nil // neither its refresh token nor its registration goes to the new one
	}
	if !stepUp && o.cur != nil && o.cur.RefreshToken != "" {
		err := o.refreshShared(ctx)
		if err == nil {
			return o.cur, nil
		}
		o.log.Info("oauth: refreshing the token failed; authorizing again", "server", o.server, "err", err)
	}
	scope := o.chooseScope(ch, sent, stepUp)
	var t *Token
	switch o.cfg.Grant {
	case GrantClientCredentials:
		t, err = o.clientCredentials(ctx, scope)
	case GrantJWTBearer:
		t, err = o.jwtBearer(ctx, scope)
	case GrantEnterprise:
		t, err = o.enterprise(ctx, scope)
	default:
		t, err = o.authorizationCode(ctx, scope)
	}
	if err != nil {
		return nil, err
	}
	if err := o.saveLocked(ctx, t); err != nil {
		return nil, err
	}
	o.log.Info("oauth: authorized", "server", o.server, "grant", string(o.cfg.Grant), "scope", t.Scope, "token_type", t.TokenType)
	return t, nil
}

// reloadLocked reads the store again, where another client or process
// may have put a newer token.
func (o *flow) reloadLocked(ctx context.Context) error {
	t, err := o.store.Load(ctx, o.serverURL)
	if err != nil {
		return fmt.Errorf("oauth: load token: %w", err)
	}
	if t != nil {
		held := o.cur
		if o.adopt(t) && held != nil && held.AccessToken != "" {
			o.cur = held // ours, not the other key's
		}
	}
	return nil
}

// refreshShared refreshes o.cur under the store's lock (see [Locker]),
// after reading the store once more: when another client or process
// refreshed meanwhile, its token is used, and the refresh token it
// rotated is never sent again.
func (o *flow) refreshShared(ctx context.Context) error {
	unlock, err := lockStore(ctx, o.store, o.serverURL)
	if err != nil {
		return fmt.Errorf("oauth: lock token store: %w", err)
	}
	defer unlock()
	held := o.cur
	if err := o.reloadLocked(ctx); err != nil {
		return err
	}
	if o.cur.AccessToken != "" && o.cur.AccessToken != held.AccessToken && !o.cur.expiresSoon(o.now()) {
		return nil
	}
	if o.cur.RefreshToken == "" {
		return errors.New("no refresh token")
	}
	return o.refreshLocked(ctx)
}

func (o *flow) saveLocked(ctx context.Context, t *Token) error {
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
func (o *flow) chooseScope(ch challenge, sent *Token, stepUp bool) string {
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

func (o *flow) issuer() string {
	if o.disc == nil {
		return ""
	}
	return o.disc.as.Issuer
}
