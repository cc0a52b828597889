// Package oauth is the OAuth 2.1 authorization of an MCP client (see the
// MCP authorization specification): given a [Config], [NewTransport] wraps
// an HTTP transport so that every request carries a bearer token, obtained
// and refreshed as the server asks.
//
// Tokens, token requests, PKCE and refresh are those of
// [golang.org/x/oauth2]; client assertions (private_key_jwt) and DPoP
// proofs are signed with go-jose. This package adds what they leave to the
// application: MCP discovery (the server's Bearer or DPoP challenge,
// protected resource metadata, RFC 8414 and OpenID Connect discovery, with
// the issuer checked), client registration (dynamic, or a client ID
// metadata document), scope step-up after 403 insufficient_scope, tokens
// bound to a key of the connection with DPoP (RFC 9449, see [DPoPMode]),
// workload identity federation ([GrantJWTBearer]), enterprise-managed
// authorization ([GrantEnterprise]), and token stores shared between
// clients and processes.
//
// A program that already holds an [oauth2.TokenSource] sets
// [Config.TokenSource] and none of the rest runs.
//
// mcpclient uses this package for HTTP.OAuth; programs rarely call
// [NewTransport] themselves.
package oauth
