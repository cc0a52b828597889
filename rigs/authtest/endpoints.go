package authtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

func randomToken(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// register is dynamic client registration (RFC 7591): a confidential
// client unless it asks for token_endpoint_auth_method "none".
func (s *Server) register(w http.ResponseWriter, r *http.Request, issuer string) {
	var req struct {
		RedirectURIs []string `json:"redirect_uris"`
		AuthMethod   string   `json:"token_endpoint_auth_method"`
		GrantTypes   []string `json:"grant_types"`
		AppType      string   `json:"application_type"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || len(req.RedirectURIs) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "redirect_uris required")
		return
	}
	if req.AppType != "native" && req.AppType != "web" {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "application_type must be native or web")
		return
	}
	s.regs.Add(1)
	id := randomToken("client-")
	c := &client{issuer: issuer, redirectURIs: req.RedirectURIs}
	method := "none"
	if req.AuthMethod != "none" {
		c.secret, method = randomToken("secret-"), "client_secret_basic"
	}
	s.mu.Lock()
	s.clients[id] = c
	s.regsAt[issuer]++
	s.remember(c.secret)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"client_id": id, "client_secret": c.secret, "redirect_uris": req.RedirectURIs,
		"token_endpoint_auth_method": method, "grant_types": req.GrantTypes,
	})
}

// clientAt returns the client id registered at issuer, counting the
// presentation of a client registered elsewhere. Callers hold s.mu.
func (s *Server) clientAt(issuer, id string) *client {
	c := s.clients[id]
	if c != nil && c.issuer != issuer {
		s.foreign.Add(1)
		return nil
	}
	return c
}

// authorize approves every valid request at once and redirects with a code.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, issuer string) {
	q := r.URL.Query()
	s.mu.Lock()
	c := s.clientAt(issuer, q.Get("client_id"))
	s.mu.Unlock()
	redirect := q.Get("redirect_uri")
	switch {
	case c == nil:
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client")
		return
	case len(c.redirectURIs) > 0 && !slices.Contains(c.redirectURIs, redirect):
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri not registered")
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "response_type code with PKCE S256 required")
		return
	case q.Get("resource") != s.URL:
		oauthError(w, http.StatusBadRequest, "invalid_target", "unknown resource")
		return
	}
	// Scopes it does not know are left out of the grant (a narrower
	// grant than asked for, as RFC 6749 allows).
	var scopes []string
	for _, sc := range strings.Fields(q.Get("scope")) {
		if sc == "offline_access" || slices.Contains(s.opts.Scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	code := randomToken("code-")
	s.mu.Lock()
	s.codes[code] = &grant{issuer: issuer, clientID: q.Get("client_id"), scope: strings.Join(scopes, " "), resource: q.Get("resource"),
		challenge: q.Get("code_challenge"), redirectURI: redirect}
	if s.opts.DPoP {
		s.codes[code].jkt = q.Get("dpop_jkt") // RFC 9449 section 10: the code is the key's
	}
	s.remember(code)
	s.mu.Unlock()
	s.authz.Add(1)
	u, err := url.Parse(redirect)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad redirect_uri")
		return
	}
	uq := u.Query()
	uq.Set("code", code)
	uq.Set("state", q.Get("state"))
	s.mu.Lock()
	iss := s.opts.Iss
	s.mu.Unlock()
	switch iss {
	case "":
	case IssCorrect:
		uq.Set("iss", issuer)
	default:
		uq.Set("iss", iss)
	}
	u.RawQuery = uq.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// clientAuth authenticates the client of a token request
// (client_secret_basic, client_secret_post or none for public clients).
func (s *Server) clientAuth(r *http.Request, issuer string) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(secret, r.PostForm.Get("client_assertion"))
	c := s.clientAt(issuer, id)
	if c == nil {
		return id, false
	}
	return id, subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) == 1
}

// echo is what an error answer quotes back of the request when
// Options.EchoSecrets is set.
func (s *Server) echo(r *http.Request) string {
	if !s.opts.EchoSecrets {
		return ""
	}
	_, secret, _ := r.BasicAuth()
	f := r.PostForm
	return fmt.Sprintf(" (received secret %q, code %q, verifier %q, refresh token %q, assertion %q)",
		secret+f.Get("client_secret"), f.Get("code"), f.Get("code_verifier"), f.Get("refresh_token"), f.Get("client_assertion")+f.Get("assertion"))
}

// jwtBearerGrant is the grant_type of the JWT bearer grant (RFC 7523).
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

func (s *Server) token(w http.ResponseWriter, r *http.Request, issuer string) {
	s.tokenReq.Add(1)
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	id, ok := s.clientAuth(r, issuer)
	if !ok && f.Get("grant_type") == jwtBearerGrant && !hasClientSecret(r) {
		// RFC 7523 section 3.1: the assertion authenticates; client
		// authentication is optional.
		ok = true
	}
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed"+s.echo(r))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(f.Get("code"), f.Get("code_verifier"), f.Get("refresh_token"), f.Get("assertion"))
	jkt := ""
	if s.opts.DPoP && len(r.Header.Values("DPoP")) > 0 {
		var nonce string
		var err error
		if jkt, nonce, err = s.checkProof(r, "token", issuer+"/token", ""); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_dpop_proof", err.Error())
			return
		}
		if want := s.nonceWanted("token"); want != "" && nonce != want {
			s.nonceCh.Add(1)
			w.Header().Set("DPoP-Nonce", want)
			oauthError(w, http.StatusBadRequest, "use_dpop_nonce", "a nonce is required")
			return
		}
	}
	var g *grant
	switch f.Get("grant_type") {
	case "authorization_code":
		code := s.codes[f.Get("code")]
		if code == nil || code.used || code.issuer != issuer || code.clientID != id || code.redirectURI != f.Get("redirect_uri") ||
			f.Get("resource") != code.resource || pkceChallenge(f.Get("code_verifier")) != code.challenge ||
			code.jkt != "" && code.jkt != jkt {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "bad code"+s.echo(r))
			return
		}
		code.used = true
		g = &grant{issuer: issuer, clientID: id, scope: code.scope, resource: code.resource}
	case "refresh_token":
		old := s.refresh[f.Get("refresh_token")]
		if old == nil || old.used || old.revoked || old.issuer != issuer || old.clientID != id || old.jkt != jkt {
			if old != nil && old.used {
				// Reuse of a rotated refresh token: the grant is
				// compromised, so every token of it is revoked (as real
				// servers do).
				s.revokeClient(id)
			}
			oauthError(w, http.StatusBadRequest, "invalid_grant", "bad refresh token"+s.echo(r))
			return
		}
		old.used = true // rotation: each refresh token works once
		s.refreshs.Add(1)
		g = &grant{issuer: issuer, clientID: id, scope: old.scope, resource: old.resource}
	case "client_credentials":
		s.ccs.Add(1)
		g = &grant{issuer: issuer, clientID: id, scope: f.Get("scope"), resource: f.Get("resource")}
	case jwtBearerGrant:
		sub, err := s.checkAssertion(f.Get("assertion"), issuer)
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error()+s.echo(r))
			return
		}
		s.jwtbs.Add(1)
		if id == "" {
			id = sub
		}
		g = &grant{issuer: issuer, clientID: id, scope: f.Get("scope"), resource: f.Get("resource")}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", ""+s.echo(r))
		return
	}
	if g.resource != s.URL {
		oauthError(w, http.StatusBadRequest, "invalid_target", "unknown resource"+s.echo(r))
		return
	}
	g.jkt = jkt
	access := randomToken("at-")
	ag := *g
	ag.access = true
	s.access[access] = &ag
	typ := s.opts.TokenType
	if jkt != "" {
		typ = "DPoP"
	}
	resp := map[string]any{"access_token": access, "token_type": typ, "expires_in": s.opts.TokenTTL, "scope": g.scope}
	s.remember(access)
	if gt := f.Get("grant_type"); !s.opts.NoRefreshTokens && gt != "client_credentials" && gt != jwtBearerGrant {
		rt := randomToken("rt-")
		rg := *g
		s.refresh[rt] = &rg
		resp["refresh_token"] = rt
		s.remember(rt)
	}
	writeJSON(w, http.StatusOK, resp)
}

// hasClientSecret reports whether a token request presents a client
// secret (basic or in the form).
func hasClientSecret(r *http.Request) bool {
	_, _, basic := r.BasicAuth()
	return basic || r.PostForm.Get("client_secret") != ""
}

// checkAssertion verifies a JWT bearer grant's assertion with
// Options.AssertionKey and returns its subject. Callers hold s.mu.
func (s *Server) checkAssertion(assertion, issuer string) (string, error) {
	if s.opts.AssertionKey == nil {
		return "", errors.New("the JWT bearer grant is not supported")
	}
	tok, err := jwt.ParseSigned(assertion, proofAlgs)
	if err != nil {
		return "", errors.New("the assertion is not a signed JWT")
	}
	var c jwt.Claims
	if err := tok.Claims(s.opts.AssertionKey, &c); err != nil {
		return "", errors.New("the assertion's signature does not verify")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{issuer}, Time: time.Now()}, 0); err != nil {
		return "", fmt.Errorf("the assertion is not valid here: %v", err)
	}
	if c.Expiry == nil {
		return "", errors.New("the assertion has no exp")
	}
	return c.Subject, nil
}

// revokeClient revokes every token issued to client id. Callers hold s.mu.
func (s *Server) revokeClient(id string) {
	for _, m := range []map[string]*grant{s.access, s.refresh} {
		for _, g := range m {
			if g.clientID == id {
				g.revoked = true
			}
		}
	}
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// protect checks the bearer token of every MCP request: 401 with a
// challenge naming the resource metadata (and the required scope) when it
// is missing, unknown, expired or revoked; 403 insufficient_scope when a
// tools/call needs a scope the token lacks.
func (s *Server) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prm := s.Base + "/.well-known/oauth-protected-resource/mcp"
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		s.mu.Lock()
		g := s.access[tok]
		var usable bool
		var scope, nonceWant string
		if g != nil {
			// Expire and Revoke change grants under s.mu: read them under it too.
			usable = !g.expired && !g.revoked && g.resource == s.URL && g.issuer == s.active
			scope = g.scope
			switch {
			case g.jkt == "":
				// A bearer token is a bearer token, whatever else comes with it.
				usable = usable && strings.EqualFold(scheme, "Bearer")
			case !strings.EqualFold(scheme, "DPoP"):
				usable = false // a bound token presented as a bearer token
			default:
				jkt, nonce, err := s.checkProof(r, "resource", targetURI(s.URL), tok)
				usable = usable && err == nil && jkt == g.jkt
				if want := s.nonceWanted("resource"); usable && want != "" && nonce != want {
					nonceWant = want
				}
			}
		}
		s.mu.Unlock()
		if nonceWant != "" {
			s.nonceCh.Add(1)
			w.Header().Set("DPoP-Nonce", nonceWant)
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", algs="ES256"`)
			oauthError(w, http.StatusUnauthorized, "use_dpop_nonce", "a nonce is required")
			return
		}
		if !usable {
			s.unauth.Add(1)
			ch := fmt.Sprintf(`Bearer resource_metadata=%q`, prm)
			if s.opts.RequiredScope != "" {
				ch += fmt.Sprintf(`, scope=%q`, s.opts.RequiredScope)
			}
			if g != nil {
				ch += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", ch)
			if s.opts.DPoP {
				w.Header().Add("WWW-Authenticate", fmt.Sprintf(`DPoP algs="ES256", resource_metadata=%q`, prm))
			}
			oauthError(w, http.StatusUnauthorized, "invalid_token", "authorization required")
			return
		}
		if s.opts.RedirectTo != "" {
			http.Redirect(w, r, s.opts.RedirectTo, http.StatusTemporaryRedirect)
			return
		}
		need := s.opts.RequiredScope
		if r.Method == http.MethodPost && len(s.opts.ToolScopes) > 0 {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			var msg struct {
				Method string `json:"method"`
				Params struct {
					Name string `json:"name"`
				} `json:"params"`
			}
			if json.Unmarshal(body, &msg) == nil && msg.Method == "tools/call" {
				if sc := s.opts.ToolScopes[msg.Params.Name]; sc != "" {
					need = sc
				}
			}
		}
		if !hasScope(scope, need) || !hasScope(scope, s.opts.RequiredScope) {
			s.forbid.Add(1)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, resource_metadata=%q`, need, prm))
			oauthError(w, http.StatusForbidden, "insufficient_scope", "more scope needed")
			return
		}
		next.ServeHTTP(w, r)
	})
}
