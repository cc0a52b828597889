// Package authtest is an OAuth 2.1 authorization server and an MCP server
// it protects, together on one 127.0.0.1 listener, for tests of mcpbridge's
// OAuth client: protected resource and authorization server metadata,
// dynamic client registration, the authorization code grant with PKCE
// (approved at once, as if by a user), client credentials, refresh with
// rotation, token expiry and revocation on demand, and per-tool scopes that
// make the resource answer 403 insufficient_scope (step-up).
//
// It is strict where a real server is: codes are single-use and bound to
// the client, redirect URI, PKCE challenge and resource; refresh tokens
// rotate and a replayed or revoked one is invalid_grant; clients are
// registered at one authorization server only.
//
// Options make it hostile or unusual where tests need that: metadata that
// lies (another issuer, endpoints elsewhere), the RFC 9207 iss parameter
// right, wrong or missing, error answers that quote the secrets the client
// sent, a token type other than Bearer, a public https name
// (PublicBase, TLS) reached through Client, and a move of the resource to
// a second authorization server (Migrate).
package authtest

import (
	"context"
	"crypto"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/server"
)

// Options configure a Server.
type Options struct {
	// Scopes is scopes_supported of the resource and of the authorization
	// server (which grants any subset of it plus offline_access).
	Scopes []string
	// RequiredScope is needed for every MCP request ("" for none).
	RequiredScope string
	// ToolScopes maps a tool name to the scope tools/call of it needs.
	ToolScopes map[string]string
	// Clients are pre-registered clients: id to secret.
	Clients map[string]string
	// TokenTTL is expires_in of access tokens, in seconds. Default 3600.
	TokenTTL int
	// NoRefreshTokens makes the server issue no refresh tokens.
	NoRefreshTokens bool

	// TLS serves https (httptest's certificate: 127.0.0.1, example.com and
	// *.example.com); Client trusts it.
	TLS bool
	// PublicBase, when set, is the base URL the server names itself by
	// (issuer, endpoints, resource) instead of its 127.0.0.1 address, such
	// as "https://mcp.example.com". Clients reach it through Client, which
	// dials the listener whatever the host, so nothing leaves the machine.
	PublicBase string
	// Metadata overrides fields of the authorization server metadata, as
	// a lying or odd server would: "issuer", "token_endpoint",
	// "authorization_response_iss_parameter_supported"...; a nil value
	// removes the field.
	Metadata map[string]any
	// Iss is the iss parameter of the authorization response (RFC 9207):
	// "" for none, IssCorrect for the issuer, any other value as it is.
	Iss string
	// EchoSecrets makes every error answer of the token endpoint quote what
	// the client sent (client secret, code, verifier, refresh token,
	// assertions), as careless servers do.
	EchoSecrets bool
	// TokenType is the token_type of issued tokens. Default "Bearer".
	TokenType string

	// DPoP makes the server a DPoP one (RFC 9449): its metadata lists
	// ES256 proofs, a token request with a valid proof gets a token (and
	// refresh token) bound to the proof's key, and a bound token is
	// accepted only with the DPoP scheme and a valid proof of that key.
	// Proofs are checked strictly (Proofs lists the accepted ones).
	DPoP bool
	// DPoPNonce, when set, is the nonce every proof must carry; the token
	// endpoint answers use_dpop_nonce (400) and the resource use_dpop_nonce
	// (401), with the nonce in DPoP-Nonce, to a proof without it.
	DPoPNonce string
	// DPoPNonceLoop, "token" or "resource", makes that endpoint demand a
	// new nonce from every proof, as a hostile server would, forever.
	DPoPNonceLoop string
	// AssertionKey verifies the assertions of the JWT bearer grant
	// (RFC 7523): signed by it, for the issuer's audience, not expired.
	// Without it the grant is unsupported.
	AssertionKey crypto.PublicKey
	// RedirectTo, when set, answers every authorized MCP request with a
	// 307 redirect there, as a compromised or misconfigured server would
	// to harvest credentials at another origin.
	RedirectTo string
}

// IssCorrect as Options.Iss sends the issuer as the iss parameter.
const IssCorrect = "correct"

// Server is the authorization server plus the protected MCP server.
type Server struct {
	URL    string // the MCP endpoint: Base + "/mcp"
	Base   string // http://127.0.0.1:port, also the issuer
	opts   Options
	ts     *httptest.Server
	stream *server.StreamableHTTPServer

	mu       sync.Mutex
	active   string // the issuer the resource metadata names
	clients  map[string]*client
	codes    map[string]*grant
	access   map[string]*grant
	refresh  map[string]*grant
	secrets  []string // everything secret the server issued or received
	unauth   atomic.Int64
	forbid   atomic.Int64
	authz    atomic.Int64
	regs     atomic.Int64
	refreshs atomic.Int64
	ccs      atomic.Int64
	tokenReq atomic.Int64
	foreign  atomic.Int64
	nonceCh  atomic.Int64
	regsAt   map[string]int
	jtis     map[string]bool // DPoP proof ids seen
	proofs   []Proof
	jwtbs    atomic.Int64
}

type client struct {
	issuer       string // where it is registered
	secret       string
	redirectURIs []string
}

// grant is what a code or token stands for.
type grant struct {
	issuer                         string
	clientID, scope, resource      string
	challenge, redirectURI         string // codes
	expired, revoked, used, access bool
	jkt                            string // the DPoP key it is bound to
}

// New starts a Server serving mcp and stops it when tb ends.
func New(tb testing.TB, mcp *server.MCPServer, opts Options) *Server {
	tb.Helper()
	s := &Server{opts: opts, clients: map[string]*client{}, codes: map[string]*grant{},
		access: map[string]*grant{}, refresh: map[string]*grant{}, regsAt: map[string]int{}, jtis: map[string]bool{}}
	if s.opts.TokenTTL == 0 {
		s.opts.TokenTTL = 3600
	}
	if s.opts.TokenType == "" {
		s.opts.TokenType = "Bearer"
	}
	streamOpts := []server.StreamableHTTPOption{server.WithStateLess(true)}
	if opts.PublicBase != "" {
		// The public name arrives over loopback here, as it would through
		// a reverse proxy; the rebinding guard is for browsers, not us.
		streamOpts = append(streamOpts, server.WithDisableLocalhostProtection(true))
	}
	s.stream = server.NewStreamableHTTPServer(mcp, streamOpts...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-protected-resource/mcp", s.resourceMetadata)
	// Two authorization servers: the first at the root, the second (after
	// Migrate) at the path-based issuer Base+"/as2".
	for _, prefix := range []string{"", "/as2"} {
		mux.HandleFunc("GET /.well-known/oauth-authorization-server"+prefix, func(w http.ResponseWriter, r *http.Request) { s.serverMetadata(w, s.Base+prefix) })
		mux.HandleFunc("POST "+prefix+"/register", func(w http.ResponseWriter, r *http.Request) { s.register(w, r, s.Base+prefix) })
		mux.HandleFunc("GET "+prefix+"/authorize", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, s.Base+prefix) })
		mux.HandleFunc("POST "+prefix+"/token", func(w http.ResponseWriter, r *http.Request) { s.token(w, r, s.Base+prefix) })
	}
	mux.Handle("/mcp", s.protect(s.stream))
	if opts.TLS {
		s.ts = httptest.NewTLSServer(mux)
	} else {
		s.ts = httptest.NewServer(mux)
	}
	s.Base = s.ts.URL
	if opts.PublicBase != "" {
		s.Base = strings.TrimSuffix(opts.PublicBase, "/")
	}
	s.URL = s.Base + "/mcp"
	s.active = s.Base
	for id, secret := range opts.Clients {
		s.clients[id] = &client{issuer: s.Base, secret: secret}
	}
	tb.Cleanup(s.Close)
	return s
}

// Client returns an HTTP client that reaches the server whatever the host
// of the URL (so PublicBase names work without leaving the machine) and
// trusts its TLS certificate.
func (s *Server) Client() *http.Client {
	tr := s.ts.Client().Transport.(*http.Transport).Clone()
	addr := s.ts.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// SetClientSecret changes the secret of a pre-registered client, so that
// the next grant with the old one fails.
func (s *Server) SetClientSecret(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[id]; c != nil {
		c.secret = secret
	}
}

// SetIss changes Options.Iss.
func (s *Server) SetIss(iss string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Iss = iss
}

// SetMetadata changes Options.Metadata (for values that name the server's
// own URL, known once it listens).
func (s *Server) SetMetadata(m map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Metadata = m
}

// Migrate moves the resource to the second authorization server: its
// metadata names Base+"/as2" from now on, and tokens of the first are
// refused. Clients registered at the first are unknown at the second.
func (s *Server) Migrate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active = s.Base + "/as2"
}

// Close stops the server.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Expire makes every access token issued so far expired (refresh tokens
// stay valid).
func (s *Server) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.access {
		g.expired = true
	}
}

// Revoke revokes every access and refresh token issued so far.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*grant{s.access, s.refresh} {
		for _, g := range m {
			g.revoked = true
		}
	}
}

// Secrets returns every token, code, PKCE verifier and client secret the
// server issued or received, for tests that check none leaks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.secrets)
}

// Unauthorized counts the resource's 401 answers.
func (s *Server) Unauthorized() int { return int(s.unauth.Load()) }

// Forbidden counts the resource's 403 answers.
func (s *Server) Forbidden() int { return int(s.forbid.Load()) }

// Authorizations counts the authorization requests approved.
func (s *Server) Authorizations() int { return int(s.authz.Load()) }

// Registrations counts the dynamic client registrations.
func (s *Server) Registrations() int { return int(s.regs.Load()) }

// Refreshes counts the refresh grants honoured.
func (s *Server) Refreshes() int { return int(s.refreshs.Load()) }

// ClientCredentials counts the client_credentials grants honoured.
func (s *Server) ClientCredentials() int { return int(s.ccs.Load()) }

// TokenRequests counts the requests to the token endpoints, whatever their
// outcome.
func (s *Server) TokenRequests() int { return int(s.tokenReq.Load()) }

// RegistrationsAt counts the dynamic client registrations at issuer.
func (s *Server) RegistrationsAt(issuer string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.regsAt[issuer]
}

// JWTBearerGrants counts the JWT bearer grants the token endpoint
// answered with a token.
func (s *Server) JWTBearerGrants() int { return int(s.jwtbs.Load()) }

// ForeignClients counts the requests that presented, at one authorization
// server, a client registered at the other.
func (s *Server) ForeignClients() int { return int(s.foreign.Load()) }

func (s *Server) remember(secrets ...string) {
	for _, v := range secrets {
		if v != "" {
			s.secrets = append(s.secrets, v)
		}
	}
}

func (s *Server) resourceMetadata(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	active := s.active
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"resource": s.URL, "authorization_servers": []string{active}, "scopes_supported": s.opts.Scopes,
	})
}

func (s *Server) serverMetadata(w http.ResponseWriter, issuer string) {
	m := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                issuer + "/authorize",
		"token_endpoint":                        issuer + "/token",
		"registration_endpoint":                 issuer + "/register",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      append(slices.Clone(s.opts.Scopes), "offline_access"),
	}
	if s.opts.DPoP {
		m["dpop_signing_alg_values_supported"] = []string{"ES256"}
	}
	if s.opts.AssertionKey != nil {
		m["grant_types_supported"] = append(m["grant_types_supported"].([]string), jwtBearerGrant)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.opts.Metadata {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	writeJSON(w, http.StatusOK, m)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func hasScope(granted, want string) bool {
	return want == "" || slices.Contains(strings.Fields(granted), want)
}
