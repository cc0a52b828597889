package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// Authorizer performs the interactive step of the authorization code
// grant: it sends the user to authURL (a browser, a link in a chat) and
// returns what the authorization server sent to the redirect URL. The
// client checks the state.
type Authorizer interface {
	Authorize(ctx context.Context, server, authURL string) (AuthorizationResponse, error)
}

// AuthorizerFunc adapts a function to [Authorizer].
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
	// Issuer is the iss parameter (RFC 9207): the authorization server
	// that answered, when it says so. The client compares it, exactly,
	// with the issuer it sent the user to.
	Issuer string
}

// ParseAuthorizationResponse reads the code and state from the redirect
// URL the user's browser was sent to, or the authorization server's error.
func ParseAuthorizationResponse(redirected *url.URL) (AuthorizationResponse, error) {
	q := redirected.Query()
	if e := q.Get("error"); e != "" {
		return AuthorizationResponse{}, &Error{Code: e, Description: q.Get("error_description"), Endpoint: "authorization"}
	}
	if q.Get("code") == "" {
		return AuthorizationResponse{}, errors.New("authorization response has no code")
	}
	return AuthorizationResponse{Code: q.Get("code"), State: q.Get("state"), Issuer: q.Get("iss")}, nil
}

// ErrAuthorizationRequired is wrapped by *[AuthorizationRequiredError].
var ErrAuthorizationRequired = errors.New("authorization required")

// AuthorizationRequiredError is returned when a server needs the user's
// authorization and [Config.Authorizer] is nil. A server application sends
// the user to URL; once the user is back with the code,
// [AuthorizationRequiredError.Complete] exchanges it and stores the token,
// and the request is retried.
type AuthorizationRequiredError struct {
	Server string
	URL    string // the authorization URL (no secrets: PKCE sends only the challenge)

	complete func(ctx context.Context, resp AuthorizationResponse) error
}

// Error names the server; the URL is in the field, not the message.
func (e *AuthorizationRequiredError) Error() string {
	return fmt.Sprintf("mcp server %q: %s: send the user to the authorization URL", e.Server, ErrAuthorizationRequired)
}

// Unwrap returns [ErrAuthorizationRequired].
func (e *AuthorizationRequiredError) Unwrap() error { return ErrAuthorizationRequired }

// Complete exchanges the code the user came back with for a token and
// saves it in the [TokenStore] of the client that returned e. It works
// once, and only for the state of this authorization request.
func (e *AuthorizationRequiredError) Complete(ctx context.Context, resp AuthorizationResponse) error {
	if e.complete == nil {
		return errors.New("oauth: authorization request already completed")
	}
	err := e.complete(ctx, resp)
	if err == nil {
		e.complete = nil
	}
	return err
}

// Error is an error answer of an authorization server endpoint. Its
// fields come from the server's JSON error (never from our request).
type Error struct {
	Endpoint    string // "token", "registration", "authorization", ...
	Status      int    // HTTP status, 0 when not from HTTP
	Code        string // the OAuth error code, e.g. invalid_grant
	Description string
}

// Error describes the failure.
func (e *Error) Error() string {
	s := fmt.Sprintf("oauth %s endpoint", e.Endpoint)
	if e.Status != 0 {
		s += fmt.Sprintf(" answered HTTP %d", e.Status)
	}
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += " (" + truncate(e.Description, 200) + ")"
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
