package oauth

import (
	"context"
	"crypto"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"
)

// Grant selects how a client obtains access tokens for a server that
// requires OAuth 2.1 authorization.
type Grant string

// The grants a client supports.
const (
	// GrantAuthorizationCode is the interactive authorization code grant
	// with PKCE: a user approves the client in a browser (through
	// [Config.Authorizer]). The default.
	GrantAuthorizationCode Grant = "authorization_code"
	// GrantClientCredentials authenticates the client itself, with a
	// client secret or a private key (private_key_jwt); no user takes part.
	GrantClientCredentials Grant = "client_credentials"
	// GrantJWTBearer is the JWT bearer grant (RFC 7523 section 2.1) with an
	// assertion the program supplies through [Config.Assertion]: workload
	// identity federation, where a workload presents the identity token its
	// platform issued it (a Kubernetes service account token, a cloud
	// instance's identity token) and no user takes part.
	GrantJWTBearer Grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantEnterprise is enterprise-managed authorization (cross-app
	// access): the user's identity token from the enterprise identity
	// provider is exchanged there (RFC 8693) for an identity assertion
	// authorization grant (ID-JAG), which the server's authorization
	// server turns into an access token with the JWT bearer grant.
	GrantEnterprise Grant = "urn:ietf:params:oauth:token-type:id-jag"
)

// DefaultMaxStepUps bounds how many times in a row one request is
// re-authorized with more scopes after 403 insufficient_scope answers.
const DefaultMaxStepUps = 2

// Config is the OAuth 2.1 authorization of one HTTP or SSE server. The
// client discovers everything else: it reads the server's 401 challenge
// (resource_metadata, scope), the protected resource metadata, then the
// authorization server's metadata, registers itself when it has no client
// id, obtains a token with the configured grant, sends it as a bearer
// token, refreshes it before it expires and on 401, and asks for more
// scopes on 403 insufficient_scope.
//
// Tokens, authorization codes, PKCE verifiers, client secrets and keys
// never appear in logs or errors.
type Config struct {
	// TokenSource, when set, supplies the bearer token of every request
	// and nothing else here is used: no discovery, no grant, no store. A
	// 401 answer is returned to the caller as it is.
	TokenSource oauth2.TokenSource

	// Grant is how tokens are obtained. Default [GrantAuthorizationCode].
	Grant Grant

	// ClientID and ClientSecret identify a pre-registered client. With
	// no ClientID the client uses ClientMetadataURL where the
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
	// *ecdsa.PrivateKey (ES256/ES384/ES512 by curve), an *rsa.PrivateKey
	// (RS256) or an ed25519.PrivateKey (EdDSA). [ParsePrivateKeyPEM]
	// reads one.
	PrivateKey crypto.Signer

	// AuthorizationServer pins the authorization server: its issuer
	// identifier (an https URL). The client then uses this one whatever
	// the server's protected resource metadata names, and refuses a
	// resource that names others; a client secret or key goes nowhere else.
	AuthorizationServer string
	// TokenURL pins the token endpoint: every token request goes there,
	// whatever the authorization server metadata says. AuthorizationURL
	// pins the authorization endpoint likewise.
	TokenURL         string
	AuthorizationURL string

	// Scopes requested, overriding the discovered ones (the challenge's
	// scope, else the resource's scopes_supported).
	Scopes []string
	// RedirectURL is where the authorization server sends the user back
	// with the code ([GrantAuthorizationCode]; required there).
	RedirectURL string
	// Authorizer performs the interactive step of [GrantAuthorizationCode].
	// When nil, requests fail with an *[AuthorizationRequiredError]
	// carrying the URL to send the user to.
	Authorizer Authorizer

	// TokenStore keeps tokens, per server URL. Default: in memory, for
	// the life of the client. [FileTokenStore] keeps them across runs.
	TokenStore TokenStore

	// Assertion returns the workload's identity token (a JWT whose
	// audience is the authorization server) for [GrantJWTBearer]. It is
	// called for every token request, so a token its platform rotates is
	// read afresh; [FileAssertion] reads one from a file.
	Assertion func(ctx context.Context) (string, error)

	// IdentityToken returns the user's identity token (an OpenID Connect
	// ID token) for [GrantEnterprise].
	IdentityToken func(ctx context.Context) (string, error)
	// IDPTokenEndpoint is the identity provider's token endpoint where
	// the identity token is exchanged ([GrantEnterprise]), with
	// IDPClientID and IDPClientSecret as this client's credentials there.
	// IDPIssuer instead names the identity provider by its issuer, whose
	// metadata (RFC 8414 or OpenID Connect discovery, the issuer checked
	// exactly) gives the token endpoint.
	IDPTokenEndpoint string
	IDPIssuer        string
	IDPClientID      string
	IDPClientSecret  string

	// DPoP says when tokens are bound to a key of this connection
	// (RFC 9449). Default [DPoPAuto]. The key is made for each
	// connection and never leaves the process, so a DPoP-bound token
	// kept in a shared or file [TokenStore] serves only the connection
	// that obtained it; others refresh or authorize for their own.
	DPoP DPoPMode

	// MaxStepUps bounds the re-authorizations of one request after 403
	// insufficient_scope answers. Default [DefaultMaxStepUps]; negative
	// disables step-up.
	MaxStepUps int
}

// String describes the configuration without its secrets (client secret,
// identity-provider secret, private key; the assertion and identity token
// are functions and never called here), so it can be printed or logged.
func (c Config) String() string {
	hidden := func(set bool) string {
		if set {
			return "<redacted>"
		}
		return ""
	}
	return fmt.Sprintf("oauth{grant=%q client_id=%q client_secret=%s private_key=%s scopes=%q redirect_url=%q authorization_server=%q token_url=%q idp_client_secret=%s dpop=%q token_source=%t}",
		c.Grant, c.ClientID, hidden(c.ClientSecret != ""), hidden(c.PrivateKey != nil), c.Scopes, c.RedirectURL, c.AuthorizationServer, c.TokenURL, hidden(c.IDPClientSecret != ""), c.DPoP, c.TokenSource != nil)
}

// GoString is String, so %#v hides the secrets too.
func (c Config) GoString() string { return c.String() }

// Validate checks the configuration of server (its name, for the error).
func (c *Config) Validate(server string) error {
	if c.TokenSource != nil {
		return nil
	}
	switch c.Grant {
	case "", GrantAuthorizationCode:
		if c.RedirectURL == "" {
			return fmt.Errorf("mcpclient: server %q: OAuth.RedirectURL is required for the authorization code grant", server)
		}
		if err := checkSecureURL("OAuth.RedirectURL", c.RedirectURL); err != nil {
			return fmt.Errorf("mcpclient: server %q: %w", server, err)
		}
	case GrantClientCredentials:
		if c.ClientID == "" || (c.ClientSecret == "" && c.PrivateKey == nil) {
			return fmt.Errorf("mcpclient: server %q: OAuth client_credentials needs ClientID and ClientSecret or PrivateKey", server)
		}
	case GrantJWTBearer:
		if c.Assertion == nil {
			return fmt.Errorf("mcpclient: server %q: OAuth jwt-bearer needs Assertion (the workload's identity token)", server)
		}
	case GrantEnterprise:
		if c.ClientID == "" || c.IdentityToken == nil || c.IDPTokenEndpoint == "" && c.IDPIssuer == "" {
			return fmt.Errorf("mcpclient: server %q: OAuth enterprise-managed authorization needs ClientID, IdentityToken and IDPTokenEndpoint or IDPIssuer", server)
		}
	default:
		return fmt.Errorf("mcpclient: server %q: OAuth.Grant %q is not supported", server, c.Grant)
	}
	switch c.DPoP {
	case "", DPoPAuto, DPoPOff, DPoPRequired:
	default:
		return fmt.Errorf("mcpclient: server %q: OAuth.DPoP %q is not a mode (want %q, %q or %q)", server, c.DPoP, DPoPAuto, DPoPOff, DPoPRequired)
	}
	for _, u := range [][2]string{{"OAuth.IDPTokenEndpoint", c.IDPTokenEndpoint}, {"OAuth.IDPIssuer", c.IDPIssuer}, {"OAuth.AuthorizationServer", c.AuthorizationServer}, {"OAuth.TokenURL", c.TokenURL}, {"OAuth.AuthorizationURL", c.AuthorizationURL}} {
		if u[1] == "" {
			continue
		}
		if err := checkSecureURL(u[0], u[1]); err != nil {
			return fmt.Errorf("mcpclient: server %q: %w", server, err)
		}
	}
	if c.ClientMetadataURL != "" {
		u, err := url.Parse(c.ClientMetadataURL)
		if err != nil || u.Scheme != "https" || u.Path == "" || u.Path == "/" {
			return fmt.Errorf("mcpclient: server %q: OAuth.ClientMetadataURL must be an https URL with a path", server)
		}
	}
	return nil
}
