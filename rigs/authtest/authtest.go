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
// rotate and a replayed or revoked one is invalid_grant.
package authtest

import (
	"encoding/json"
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
}

// Server is the authorization server plus the protected MCP server.
type Server struct {
	URL    string // the MCP endpoint: Base + "/mcp"
	Base   string // http://127.0.0.1:port, also the issuer
	opts   Options
	ts     *httptest.Server
	stream *server.StreamableHTTPServer

	mu       sync.Mutex
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
}

type client struct {
	secret       string
	redirectURIs []string
}

// grant is what a code or token stands for.
type grant struct {
	clientID, scope, resource      string
	challenge, redirectURI         string // codes
	expired, revoked, used, access bool
}

// New starts a Server serving mcp and stops it when tb ends.
func New(tb testing.TB, mcp *server.MCPServer, opts Options) *Server {
	tb.Helper()
	s := &Server{opts: opts, clients: map[string]*client{}, codes: map[string]*grant{},
		access: map[string]*grant{}, refresh: map[string]*grant{}}
	if s.opts.TokenTTL == 0 {
		s.opts.TokenTTL = 3600
	}
	for id, secret := range opts.Clients {
		s.clients[id] = &client{secret: secret}
	}
	s.stream = server.NewStreamableHTTPServer(mcp, server.WithStateLess(true))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-protected-resource/mcp", s.resourceMetadata)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.serverMetadata)
	mux.HandleFunc("POST /register", s.register)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.Handle("/mcp", s.protect(s.stream))
	s.ts = httptest.NewServer(mux)
	s.Base = s.ts.URL
	s.URL = s.Base + "/mcp"
	tb.Cleanup(s.Close)
	return s
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

func (s *Server) remember(secrets ...string) {
	for _, v := range secrets {
		if v != "" {
			s.secrets = append(s.secrets, v)
		}
	}
}

func (s *Server) resourceMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"resource": s.URL, "authorization_servers": []string{s.Base}, "scopes_supported": s.opts.Scopes,
	})
}

func (s *Server) serverMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.Base,
		"authorization_endpoint":                s.Base + "/authorize",
		"token_endpoint":                        s.Base + "/token",
		"registration_endpoint":                 s.Base + "/register",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      append(slices.Clone(s.opts.Scopes), "offline_access"),
	})
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
