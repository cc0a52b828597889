package mcpclient

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// OAuthGrant selects how a Client obtains access tokens for an HTTP or SSE
// server that requires OAuth 2.1 authorization.
type OAuthGrant string

// The grants a Client supports.
const (
	// GrantAuthorizationCode is the interactive authorization code grant
	// with PKCE: a user approves the client in a browser (through
	// OAuthConfig.Authorizer). The default.
	GrantAuthorizationCode OAuthGrant = "authorization_code"
	// GrantClientCredentials authenticates the client itself, with a
	// client secret or a private key (private_key_jwt); no user takes part.
	GrantClientCredentials OAuthGrant = "client_credentials"
	// GrantJWTBearer is cross-app access (enterprise-managed
	// authorization): the user's identity token from an identity provider
	// is exchanged there (RFC 8693) for an identity assertion
	// authorization grant, which the server's authorization server turns
	// into an access token (RFC 7523 JWT bearer grant).
	GrantJWTBearer OAuthGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// DefaultMaxStepUps bounds how many times in a row one request is
// re-authorized with more scopes after 403 insufficient_scope answers.
const DefaultMaxStepUps = 2

// OAuthConfig is the OAuth 2.1 authorization of one HTTP or SSE server
// (HTTP.OAuth). The Client discovers everything else: it reads the
// server's 401 challenge (resource_metadata, scope), the protected
// resource metadata, then the authorization server's metadata, registers
// itself when it has no client id, obtains a token with the configured
// grant, sends it as a bearer token, refreshes it before it expires and on
// 401, and asks for more scopes on 403 insufficient_scope.
//
// Tokens, authorization codes, PKCE verifiers, client secrets and keys
// never appear in logs or errors.
type OAuthConfig struct {
	// Grant is how tokens are obtained. Default GrantAuthorizationCode.
	Grant OAuthGrant

	// ClientID and ClientSecret identify a pre-registered client. With
	// no ClientID the Client uses ClientMetadataURL where the
	// authorization server supports client ID metadata documents, and
	// dynamic client registration otherwise.
	ClientID     string
	ClientSecret string
	// ClientMetadataURL is the https URL of this client's metadata
	// document, used as its client_id by authorization servers that
	// advertise client_id_metadata_document_supported.
	ClientMetadataURL string
	// ClientName is sent in dynamic client registration. Default
	// "mcpbridge".
	ClientName string
	// PrivateKey, when set, authenticates the client at the token endpoint
	// with a signed JWT (private_key_jwt) instead of a secret: an
	// *ecdsa.PrivateKey (ES256/ES384/ES512 by curve) or an
	// *rsa.PrivateKey (RS256). ParsePrivateKeyPEM reads one.
	PrivateKey crypto.Signer

	// Scopes requested, overriding the discovered ones (the challenge's
	// scope, else the resource's scopes_supported).
	Scopes []string
	// RedirectURL is where the authorization server sends the user back
	// with the code (GrantAuthorizationCode; required there).
	RedirectURL string
	// Authorizer performs the interactive step of GrantAuthorizationCode.
	// When nil, Connect and calls fail with an *AuthorizationRequiredError
	// carrying the URL to send the user to.
	Authorizer Authorizer

	// TokenStore keeps tokens, per server URL. Default: in memory, for
	// the life of the Client. FileTokenStore keeps them across runs.
	TokenStore TokenStore

	// IdentityToken returns the user's identity token (an OpenID Connect
	// ID token) for GrantJWTBearer.
	IdentityToken func(ctx context.Context) (string, error)
	// IDPTokenEndpoint is the identity provider's token endpoint where
	// the identity token is exchanged (GrantJWTBearer), with
	// IDPClientID and IDPClientSecret as this client's credentials there.
	IDPTokenEndpoint string
	IDPClientID      string
	IDPClientSecret  string

	// MaxStepUps bounds the re-authorizations of one request after 403
	// insufficient_scope answers. Default DefaultMaxStepUps; negative
	// disables step-up.
	MaxStepUps int
}

// String describes the configuration without its secrets (client secret,
// identity-provider secret, private key), so it can be printed or logged.
func (c OAuthConfig) String() string {
	hidden := func(set bool) string {
		if set {
			return "<redacted>"
		}
		return ""
	}
	return fmt.Sprintf("oauth{grant=%q client_id=%q client_secret=%s private_key=%s scopes=%q redirect_url=%q idp_client_secret=%s}",
		c.Grant, c.ClientID, hidden(c.ClientSecret != ""), hidden(c.PrivateKey != nil), c.Scopes, c.RedirectURL, hidden(c.IDPClientSecret != ""))
}

// GoString is String, so %#v hides the secrets too.
func (c OAuthConfig) GoString() string { return c.String() }

// Authorizer performs the interactive step of the authorization code
// grant: it sends the user to authURL (a browser, a link in a chat) and
// returns the code and state the authorization server sent to the
// redirect URL. The Client checks the state.
type Authorizer interface {
	Authorize(ctx context.Context, server, authURL string) (AuthorizationResponse, error)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, server, authURL string) (AuthorizationResponse, error)

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, server, authURL string) (AuthorizationResponse, error) {
	return f(ctx, server, authURL)
}

// AuthorizationResponse is what the authorization server sent back to the
// redirect URL.
type AuthorizationResponse struct {
	Code  string
	State string
}

// ParseAuthorizationResponse reads the code and state from the redirect
// URL the user's browser was sent to, or the authorization server's error.
func ParseAuthorizationResponse(redirected *url.URL) (AuthorizationResponse, error) {
	q := redirected.Query()
	if e := q.Get("error"); e != "" {
		return AuthorizationResponse{}, &OAuthError{Code: e, Description: q.Get("error_description"), Endpoint: "authorization"}
	}
	if q.Get("code") == "" {
		return AuthorizationResponse{}, errors.New("authorization response has no code")
	}
	return AuthorizationResponse{Code: q.Get("code"), State: q.Get("state")}, nil
}

// ErrAuthorizationRequired is wrapped by *AuthorizationRequiredError.
var ErrAuthorizationRequired = errors.New("authorization required")

// AuthorizationRequiredError is returned (wrapped in *Error) when a server
// needs the user's authorization and OAuthConfig.Authorizer is nil. A
// server application sends the user to URL; once the user is back with
// the code, Complete exchanges it and stores the token, and Connect (or
// the call) is retried.
type AuthorizationRequiredError struct {
	Server string
	URL    string // the authorization URL (no secrets: PKCE sends only the challenge)

	complete func(ctx context.Context, resp AuthorizationResponse) error
}

// Error names the server; the URL is in the field, not the message.
func (e *AuthorizationRequiredError) Error() string {
	return fmt.Sprintf("mcp server %q: %s: send the user to the authorization URL", e.Server, ErrAuthorizationRequired)
}

// Unwrap returns ErrAuthorizationRequired.
func (e *AuthorizationRequiredError) Unwrap() error { return ErrAuthorizationRequired }

// Complete exchanges the code the user came back with for a token and
// saves it in the TokenStore of the Client that returned e. It works
// once, and only for the state of this authorization request.
func (e *AuthorizationRequiredError) Complete(ctx context.Context, resp AuthorizationResponse) error {
	if e.complete == nil {
		return errors.New("mcpclient: authorization request already completed")
	}
	err := e.complete(ctx, resp)
	if err == nil {
		e.complete = nil
	}
	return err
}

// OAuthError is an error answer of an authorization server endpoint. Its
// fields come from the server's JSON error (never from our request).
type OAuthError struct {
	Endpoint    string // "token", "registration", "authorization", ...
	Status      int    // HTTP status, 0 when not from HTTP
	Code        string // the OAuth error code, e.g. invalid_grant
	Description string
}

// Error describes the failure.
func (e *OAuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauth %s endpoint", e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, " answered HTTP %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, " (%s)", truncate(e.Description, 200))
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// validate checks the OAuth configuration of server.
func (o *OAuthConfig) validate(server string) error {
	switch o.Grant {
	case "", GrantAuthorizationCode:
		if o.RedirectURL == "" {
			return fmt.Errorf("mcpclient: server %q: OAuth.RedirectURL is required for the authorization code grant", server)
		}
		if _, err := url.Parse(o.RedirectURL); err != nil {
			return fmt.Errorf("mcpclient: server %q: OAuth.RedirectURL: %w", server, err)
		}
	case GrantClientCredentials:
		if o.ClientID == "" || (o.ClientSecret == "" && o.PrivateKey == nil) {
			return fmt.Errorf("mcpclient: server %q: OAuth client_credentials needs ClientID and ClientSecret or PrivateKey", server)
		}
	case GrantJWTBearer:
		if o.ClientID == "" || o.IdentityToken == nil || o.IDPTokenEndpoint == "" {
			return fmt.Errorf("mcpclient: server %q: OAuth jwt-bearer needs ClientID, IdentityToken and IDPTokenEndpoint", server)
		}
	default:
		return fmt.Errorf("mcpclient: server %q: OAuth.Grant %q is not supported", server, o.Grant)
	}
	if o.ClientMetadataURL != "" {
		u, err := url.Parse(o.ClientMetadataURL)
		if err != nil || u.Scheme != "https" || u.Path == "" || u.Path == "/" {
			return fmt.Errorf("mcpclient: server %q: OAuth.ClientMetadataURL must be an https URL with a path", server)
		}
	}
	return nil
}
