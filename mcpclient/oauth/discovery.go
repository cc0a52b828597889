package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxMetadataBytes bounds every document read from an authorization or
// resource server.
const maxMetadataBytes = 1 << 20

// challenge is the Bearer or DPoP challenge of a 401 or 403 answer
// (RFC 6750, RFC 9728, RFC 9449 section 7.1).
type challenge struct {
	resourceMetadata string
	scope            string
	errCode          string // e.g. insufficient_scope
	dpopOnly         bool   // the server offered the DPoP scheme and not Bearer
}

// parseChallenge reads the Bearer or DPoP challenge among the
// WWW-Authenticate headers (the Bearer one when there are both); the zero
// challenge when there is none.
func parseChallenge(h http.Header) challenge {
	var ch challenge
	found, bearer := false, false
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		isBearer := strings.EqualFold(scheme, "Bearer")
		if !isBearer && !strings.EqualFold(scheme, "DPoP") {
			continue
		}
		if !found || isBearer && !bearer {
			params := parseAuthParams(rest)
			ch = challenge{resourceMetadata: params["resource_metadata"], scope: params["scope"], errCode: params["error"]}
			found = true
		}
		bearer = bearer || isBearer
	}
	ch.dpopOnly = found && !bearer
	return ch
}

// parseAuthParams parses `k=v, k="quoted \" v"` lists.
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " \t,")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, `"`) {
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			s = s[min(i+1, len(s)):]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val.WriteString(strings.TrimSpace(s[:end]))
			s = s[end:]
		}
		if _, dup := out[key]; !dup {
			out[key] = val.String()
		}
	}
	return out
}

// protectedResource is RFC 9728 protected resource metadata.
type protectedResource struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
	// DPoPBoundTokensRequired: the resource takes DPoP-bound tokens only
	// (RFC 9728).
	DPoPBoundTokensRequired bool `json:"dpop_bound_access_tokens_required"`
}

// authServer is RFC 8414 authorization server metadata (or OpenID
// provider metadata), as far as the client uses it.
type authServer struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RegistrationEndpoint              string   `json:"registration_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClientIDMetadataDocumentSupported bool     `json:"client_id_metadata_document_supported"`
	// IssParameterSupported: the authorization response carries iss
	// (RFC 9207), so one without it is refused.
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
	// DPoPSigningAlgValuesSupported: the server binds tokens to the keys
	// of DPoP proofs signed with these algorithms (RFC 9449 section 5.1).
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported"`
}

// discovery is what the client learnt about a server's authorization.
type discovery struct {
	resource string   // the resource indicator sent to the authorization server
	scopes   []string // the resource's scopes_supported
	as       *authServer
	dpop     bool // token requests carry DPoP proofs
}

// discover finds the protected resource metadata (from the challenge,
// else at the path-based then the root well-known location), checks it
// names this server, and fetches its authorization server's metadata. A
// server without resource metadata (the 2025-03-26 protocol) has its
// authorization server at its own origin, with default endpoints when it
// publishes no metadata either.
func (o *flow) discover(ctx context.Context, ch challenge) (*discovery, error) {
	server, err := url.Parse(o.serverURL)
	if err != nil {
		return nil, err
	}
	var candidates []string
	if ch.resourceMetadata != "" {
		candidates = append(candidates, ch.resourceMetadata)
	}
	origin := server.Scheme + "://" + server.Host
	if p := strings.TrimSuffix(server.Path, "/"); p != "" {
		candidates = append(candidates, origin+"/.well-known/oauth-protected-resource"+p)
	}
	candidates = append(candidates, origin+"/.well-known/oauth-protected-resource")

	var prm *protectedResource
	for _, c := range candidates {
		if err := checkSecureURL("protected resource metadata URL", c); err != nil {
			return nil, err
		}
		var m protectedResource
		found, err := o.getJSON(ctx, c, &m)
		if err != nil {
			return nil, fmt.Errorf("protected resource metadata: %w", err)
		}
		if found {
			prm = &m
			break
		}
	}
	d := &discovery{resource: canonicalResource(server)}
	issuer := origin
	if prm != nil {
		if prm.Resource != "" {
			if !resourceCovers(prm.Resource, server) {
				return nil, fmt.Errorf("protected resource metadata names resource %q, not this server", prm.Resource)
			}
			d.resource = prm.Resource
		}
		if len(prm.AuthorizationServers) == 0 {
			return nil, errors.New("protected resource metadata lists no authorization server")
		}
		issuer = prm.AuthorizationServers[0]
		if pin := o.cfg.AuthorizationServer; pin != "" {
			if !slices.Contains(prm.AuthorizationServers, pin) {
				return nil, fmt.Errorf("the server names authorization servers %q, not the pinned %s", prm.AuthorizationServers, pin)
			}
			issuer = pin
		}
		d.scopes = prm.ScopesSupported
	} else if pin := o.cfg.AuthorizationServer; pin != "" {
		issuer = pin
	}
	if err := checkSecureURL("authorization server", issuer); err != nil {
		return nil, err
	}
	// Without resource metadata (2025-03-26) the metadata location comes
	// from the server's own URL, not from an issuer identifier, and that
	// protocol did not bind the two.
	as, err := o.authServerMetadata(ctx, issuer, prm != nil || o.cfg.AuthorizationServer != "")
	if err != nil {
		return nil, err
	}
	if as == nil {
		// No metadata anywhere: the 2025-03-26 default endpoints.
		base := strings.TrimSuffix(issuer, "/")
		as = &authServer{Issuer: base, AuthorizationEndpoint: base + "/authorize", TokenEndpoint: base + "/token", RegistrationEndpoint: base + "/register"}
		o.log.Info("oauth: no authorization server metadata; using default endpoints", "server", o.server)
	}
	if pin := o.cfg.TokenURL; pin != "" {
		as.TokenEndpoint = pin
	}
	if pin := o.cfg.AuthorizationURL; pin != "" {
		as.AuthorizationEndpoint = pin
	}
	for _, e := range [][2]string{{"token endpoint", as.TokenEndpoint}, {"authorization endpoint", as.AuthorizationEndpoint}, {"registration endpoint", as.RegistrationEndpoint}} {
		if e[1] == "" {
			continue
		}
		if err := checkSecureURL(e[0], e[1]); err != nil {
			return nil, err
		}
	}
	d.as = as
	if d.dpop, err = o.chooseDPoP(ch, prm, as); err != nil {
		return nil, err
	}
	return d, nil
}

// chooseDPoP decides whether token requests carry proofs (see [DPoPMode]).
func (o *flow) chooseDPoP(ch challenge, prm *protectedResource, as *authServer) (bool, error) {
	offered := slices.Contains(as.DPoPSigningAlgValuesSupported, string(dpopAlg))
	switch o.cfg.DPoP {
	case DPoPOff:
		return false, nil
	case DPoPRequired:
		if len(as.DPoPSigningAlgValuesSupported) > 0 && !offered {
			return false, fmt.Errorf("DPoP is required but the authorization server signs no ES256 proofs (it lists %q)", as.DPoPSigningAlgValuesSupported)
		}
		return true, nil
	}
	if len(as.DPoPSigningAlgValuesSupported) > 0 && !offered {
		return false, nil // it wants proofs we cannot sign; bearer then
	}
	return offered || ch.dpopOnly || prm != nil && prm.DPoPBoundTokensRequired, nil
}

// authServerMetadata tries the RFC 8414 and OpenID Connect locations for
// issuer, path-aware; nil when none answers.
func (o *flow) authServerMetadata(ctx context.Context, issuer string, exactIssuer bool) (*authServer, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("authorization server %q is not a URL", issuer)
	}
	origin := u.Scheme + "://" + u.Host
	p := strings.TrimSuffix(u.Path, "/")
	var urls []string
	if p == "" {
		urls = []string{origin + "/.well-known/oauth-authorization-server", origin + "/.well-known/openid-configuration"}
	} else {
		urls = []string{
			origin + "/.well-known/oauth-authorization-server" + p,
			origin + "/.well-known/openid-configuration" + p,
			origin + p + "/.well-known/openid-configuration",
		}
	}
	for _, mu := range urls {
		var m authServer
		found, err := o.getJSON(ctx, mu, &m)
		if err != nil {
			return nil, fmt.Errorf("authorization server metadata: %w", err)
		}
		if !found {
			continue
		}
		// RFC 8414 section 3.3: the metadata is for the issuer it was
		// fetched for, exactly, or a lying server could have us sign
		// assertions and send codes for another.
		if exactIssuer && m.Issuer != issuer {
			return nil, fmt.Errorf("authorization server metadata at %s names issuer %q, not %q", endpointName(mu), truncate(m.Issuer, 200), issuer)
		}
		if m.TokenEndpoint == "" {
			return nil, fmt.Errorf("authorization server metadata at %s has no token_endpoint", endpointName(mu))
		}
		if m.Issuer == "" {
			m.Issuer = issuer
		}
		return &m, nil
	}
	return nil, nil
}

// getJSON fetches a metadata document into v; found is false for 4xx
// answers (the document is not there).
func (o *flow) getJSON(ctx context.Context, rawURL string, v any) (found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("GET %s: %w", endpointName(rawURL), err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET %s: HTTP %d", endpointName(rawURL), resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes)).Decode(v); err != nil {
		return false, fmt.Errorf("GET %s: %w", endpointName(rawURL), err)
	}
	return true, nil
}

func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxMetadataBytes))
	_ = body.Close()
}

// canonicalResource is the server URL as a resource indicator: no
// fragment, no query, lower-case scheme and host.
func canonicalResource(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment, c.RawQuery, c.User = "", "", "", nil
	c.Scheme = strings.ToLower(c.Scheme)
	c.Host = strings.ToLower(c.Host)
	return c.String()
}

// resourceCovers reports whether the metadata's resource identifies the
// server: same origin, and a path that is the server's path or one of its
// parents.
func resourceCovers(resource string, server *url.URL) bool {
	r, err := url.Parse(resource)
	if err != nil {
		return false
	}
	if !strings.EqualFold(r.Scheme, server.Scheme) || !strings.EqualFold(r.Host, server.Host) {
		return false
	}
	rp := strings.TrimSuffix(r.Path, "/")
	sp := strings.TrimSuffix(server.Path, "/")
	return rp == "" || rp == sp || strings.HasPrefix(sp, rp+"/")
}

// endpointName is an endpoint URL as errors may show it: without user
// information, query or fragment, where credentials could hide.
func endpointName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// scrubURLError drops the *url.Error wrapper, whose message repeats the
// URL; the callers name the endpoint themselves.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
