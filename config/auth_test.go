package config

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

var authEnv = lookupFrom(map[string]string{"TOKEN": "tok-s3cr3t", "PASS": "pw-s3cr3t", "CID": "client-1", "CSECRET": "cs-s3cr3t"})

func parseOne(t *testing.T, entry string) (bridge.Server, []Warning, error) {
	t.Helper()
	servers, warns, err := Options{LookupEnv: authEnv}.Parse([]byte(`{"mcpServers": {"x": ` + entry + `}}`))
	if err != nil {
		return bridge.Server{}, warns, err
	}
	require.Len(t, servers, 1)
	return servers[0], warns, nil
}

func TestAuthBlocks(t *testing.T) {
	cases := []struct {
		name, entry string
		headers     map[string]string
		oauth       *oauth.Config
		warnings    []string
	}{
		{"bearer", `{"url": "https://a/mcp", "auth": {"type": "bearer", "token": "${TOKEN}"}}`,
			map[string]string{"Authorization": "Bearer tok-s3cr3t"}, nil, nil},
		{"api_key with header", `{"url": "https://a/mcp", "auth": {"type": "api_key", "header": "X-Api-Key", "value": "${TOKEN}"}}`,
			map[string]string{"X-Api-Key": "tok-s3cr3t"}, nil, nil},
		{"api_key default header", `{"url": "https://a/mcp", "auth": {"type": "api_key", "value": "k"}}`,
			map[string]string{"X-API-Key": "k"}, nil, nil},
		{"basic is encoded", `{"url": "https://a/mcp", "auth": {"type": "basic", "username": "aladdin", "password": "opensesame"}}`,
			map[string]string{"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, nil, nil}, // RFC 7617's example
		{"authorization is raw", `{"url": "https://a/mcp", "auth": {"type": "authorization", "value": "Token ${TOKEN}"}}`,
			map[string]string{"Authorization": "Token tok-s3cr3t"}, nil, nil},
		{"none", `{"url": "https://a/mcp", "auth": {"type": "none"}, "headers": {"X-Team": "a"}}`,
			map[string]string{"X-Team": "a"}, nil, nil},
		{"auth next to other headers", `{"url": "https://a/mcp", "headers": {"X-Team": "a"}, "auth": {"type": "bearer", "token": "t"}}`,
			map[string]string{"X-Team": "a", "Authorization": "Bearer t"}, nil, nil},
		{"oauth", `{"url": "https://a/mcp", "auth": {"type": "oauth", "client_id": "${CID}", "client_secret": "${CSECRET}", "scopes": ["read", "write"],
			"redirect_url": "http://localhost:8976/callback", "token_file": "/var/lib/app/tokens.json", "grant": "authorization_code", "resource": "https://a/mcp"}}`,
			nil, &oauth.Config{Grant: oauth.GrantAuthorizationCode, ClientID: "client-1", ClientSecret: "cs-s3cr3t", Scopes: []string{"read", "write"},
				RedirectURL: "http://localhost:8976/callback", TokenStore: oauth.NewFileTokenStore("/var/lib/app/tokens.json")},
			[]string{"x:auth.resource"}},
		{"oauth client credentials, scope string", `{"url": "https://a/mcp", "auth": {"type": "oauth", "grant": "client_credentials", "client_id": "c", "client_secret": "s", "scope": "a b", "token_url": "https://idp/token"}}`,
			nil, &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "c", ClientSecret: "s", Scopes: []string{"a", "b"}, TokenURL: "https://idp/token"},
			nil},
		{"oauth pinned authorization server", `{"url": "https://a/mcp", "oauth": {"clientId": "c", "redirectUri": "http://localhost:1/cb", "authorizationServer": "https://idp", "authorizationUrl": "https://idp/authorize", "tokenUrl": "https://idp/token", "registrationUrl": "https://idp/register"}}`,
			nil, &oauth.Config{ClientID: "c", RedirectURL: "http://localhost:1/cb", AuthorizationServer: "https://idp", AuthorizationURL: "https://idp/authorize", TokenURL: "https://idp/token"},
			[]string{"x:oauth.registrationUrl"}},
		{"Cursor static oauth", `{"url": "https://a/mcp", "auth": {"CLIENT_ID": "${CID}", "CLIENT_SECRET": "${CSECRET}", "scopes": ["read"]}}`,
			nil, &oauth.Config{ClientID: "client-1", ClientSecret: "cs-s3cr3t", Scopes: []string{"read"}}, nil},
		{"Claude Code callback port", `{"url": "https://a/mcp", "oauth": {"clientId": "c", "callbackPort": 8080}}`,
			nil, &oauth.Config{ClientID: "c", RedirectURL: "http://localhost:8080/callback"}, nil},
		{"Gemini oauth disabled", `{"url": "https://a/mcp", "oauth": {"enabled": false, "clientId": "x"}}`, nil, nil, nil},
		{"LiteLLM none", `{"url": "https://a/mcp", "auth_type": "none"}`, nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, warns, err := parseOne(t, tc.entry)
			require.NoError(t, err)
			assert.Equal(t, tc.warnings, warningKeys(warns))
			h := s.Transport.(*mcpclient.HTTP)
			assert.Equal(t, tc.headers, h.Headers)
			assert.Equal(t, tc.oauth, h.OAuth)
		})
	}
}

func TestAuthErrors(t *testing.T) {
	cases := map[string]struct{ entry, want string }{
		"no type":            {`{"url": "https://a", "auth": {"token": "s3cr3t"}}`, `server "x": auth.type: missing`},
		"unknown type":       {`{"url": "https://a", "auth": {"type": "kerberos"}}`, `server "x": auth.type: unknown auth type "kerberos"`},
		"auth not object":    {`{"url": "https://a", "auth": "Bearer s3cr3t"}`, `server "x": auth: want an object, got a string`},
		"token missing":      {`{"url": "https://a", "auth": {"type": "bearer"}}`, `server "x": auth.token: missing`},
		"token not string":   {`{"url": "https://a", "auth": {"type": "bearer", "token": 123}}`, `server "x": auth.token: want a string, got a number`},
		"token empty":        {`{"url": "https://a", "auth": {"type": "bearer", "token": "${EMPTY_TOKEN:-}"}}`, `server "x": auth.token: is empty`},
		"token unset":        {`{"url": "https://a", "auth": {"type": "bearer", "token": "${MISSING_TOKEN}"}}`, `server "x": auth.token: environment variable MISSING_TOKEN is not set`},
		"password unset":     {`{"url": "https://a", "auth": {"type": "basic", "username": "u", "password": "${NOPE}"}}`, `server "x": auth.password: environment variable NOPE is not set`},
		"basic no pass":      {`{"url": "https://a", "auth": {"type": "basic", "username": "u"}}`, `server "x": auth.password: missing`},
		"colon in user":      {`{"url": "https://a", "auth": {"type": "basic", "username": "a:b", "password": "s3cr3t"}}`, `server "x": auth.username: must not contain ":"`},
		"line break":         {`{"url": "https://a", "auth": {"type": "bearer", "token": "s3cr3t\r\nX-Evil: 1"}}`, `server "x": auth: the credential contains a line break`},
		"header twice":       {`{"url": "https://a", "headers": {"authorization": "Bearer s3cr3t"}, "auth": {"type": "bearer", "token": "${TOKEN}"}}`, `server "x": auth: sets the Authorization header, which "headers" sets too`},
		"two sources":        {`{"url": "https://a", "auth": {"type": "bearer", "token": "t"}, "auth_type": "bearer_token", "auth_value": "v"}`, `server "x": auth: give credentials once`},
		"litellm unknown":    {`{"url": "https://a", "auth_type": "oauth2", "auth_value": "s3cr3t"}`, `server "x": auth_type: unknown auth type "oauth2"`},
		"litellm no value":   {`{"url": "https://a", "auth_type": "bearer_token"}`, `server "x": auth_value: missing (auth_type "bearer_token" needs it)`},
		"litellm no type":    {`{"url": "https://a", "auth_value": "s3cr3t"}`, `server "x": auth_value: needs "auth_type"`},
		"litellm basic":      {`{"url": "https://a", "auth_type": "basic", "auth_value": "s3cr3t"}`, `server "x": auth_value: auth_type "basic" wants username:password`},
		"oauth grant":        {`{"url": "https://a", "auth": {"type": "oauth", "grant": "password"}}`, `server "x": auth.grant: unknown grant "password"`},
		"oauth cc secret":    {`{"url": "https://a", "auth": {"type": "oauth", "grant": "client_credentials", "client_id": "c"}}`, `server "x": auth: grant "client_credentials" needs a client id and a client secret`},
		"oauth scopes":       {`{"url": "https://a", "oauth": {"scopes": [1]}}`, `server "x": oauth.scopes[0]: want a string, got a number`},
		"oauth port":         {`{"url": "https://a", "oauth": {"clientId": "c", "callbackPort": "s3cr3t"}}`, `server "x": oauth.callbackPort: want a port number`},
		"oauth secret unset": {`{"url": "https://a", "oauth": {"clientId": "c", "clientSecret": "${NOPE}"}}`, `server "x": oauth.clientSecret: environment variable NOPE is not set`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := parseOne(t, tc.entry)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
			for _, secret := range []string{"s3cr3t", "tok-", "pw-", "cs-"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestAuthWarnings(t *testing.T) {
	_, warns, err := parseOne(t, `{"url": "https://a", "auth": {"type": "bearer", "token": "${TOKEN}", "header": "X"},
		"oauth_extra": 1}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"x:auth.header", "x:oauth_extra"}, warningKeys(warns))

	_, warns, err = parseOne(t, `{"url": "https://a", "oauth": {"clientId": "c", "tokenParamName": "t"}}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"x:oauth.tokenParamName"}, warningKeys(warns))

	// Credentials on a stdio server do nothing: said, not dropped.
	_, warns, err = parseOne(t, `{"command": "srv", "auth": {"type": "bearer", "token": "${TOKEN}"}}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"x:auth"}, warningKeys(warns))
}

func TestOAuthConfigHidesSecret(t *testing.T) {
	o := oauth.Config{ClientID: "c", ClientSecret: "cs-s3cr3t", IDPClientSecret: "idp-s3cr3t", Scopes: []string{"read"}}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, o)
		assert.NotContains(t, out, "s3cr3t", format)
		assert.Contains(t, out, "<redacted>", format)
		assert.NotContains(t, fmt.Sprintf(format, &o), "s3cr3t", format)
	}
}

// A pinned token endpoint or authorization server is passed on to the
// OAuth configuration, never dropped with a warning: a client secret goes
// only where the file says (issue 23 item 9). A pin that is not an http(s)
// URL is an error before anything starts.
func TestOAuthPins(t *testing.T) {
	s, warns, err := parseOne(t, `{"url": "https://a.example/mcp", "oauth": {"clientId": "${CID}", "clientSecret": "${CSECRET}",
		"tokenUrl": "https://as.example/oauth/token", "authorizationUrl": "https://as.example/oauth/authorize", "authorizationServer": "https://as.example"}}`)
	require.NoError(t, err)
	assert.Empty(t, warns)
	o := s.Transport.(*mcpclient.HTTP).OAuth
	require.NotNil(t, o)
	assert.Equal(t, "https://as.example/oauth/token", o.TokenURL)
	assert.Equal(t, "https://as.example/oauth/authorize", o.AuthorizationURL)
	assert.Equal(t, "https://as.example", o.AuthorizationServer)

	s, _, err = parseOne(t, `{"url": "https://a.example/mcp", "auth": {"type": "oauth", "CLIENT_ID": "c", "token_url": "https://as.example/token", "issuer": "https://as.example"}}`)
	require.NoError(t, err)
	o = s.Transport.(*mcpclient.HTTP).OAuth
	assert.Equal(t, "https://as.example/token", o.TokenURL)
	assert.Equal(t, "https://as.example", o.AuthorizationServer)

	_, _, err = parseOne(t, `{"url": "https://a.example/mcp", "oauth": {"clientId": "c", "tokenUrl": "as.example/token?k=s3cr3t"}}`)
	assert.ErrorContains(t, err, `server "x": oauth.tokenUrl: want an absolute http:// or https:// URL, got one with no scheme`)
	assert.NotContains(t, err.Error(), "s3cr3t")
}

func TestOAuthAssertionGrantsAndDPoP(t *testing.T) {
	dir := t.TempDir()
	tokenFile := dir + "/workload-token"
	require.NoError(t, os.WriteFile(tokenFile, []byte("workload-jwt-value\n"), 0o600))

	s, warns, err := parseOne(t, `{"url": "https://a/mcp", "oauth": {"grant": "jwt_bearer", "assertion_file": "`+tokenFile+`", "dpop": "required"}}`)
	require.NoError(t, err)
	assert.Empty(t, warns)
	o := s.Transport.(*mcpclient.HTTP).OAuth
	require.NotNil(t, o)
	assert.Equal(t, oauth.GrantJWTBearer, o.Grant)
	assert.Equal(t, oauth.DPoPRequired, o.DPoP)
	require.NotNil(t, o.Assertion)
	got, err := o.Assertion(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "workload-jwt-value", got, "read from the file, at each token request")
	require.NoError(t, o.Validate("x"))

	s, _, err = parseOne(t, `{"url": "https://a/mcp", "oauth": {"grant": "enterprise", "client_id": "${CID}", "client_secret": "${CSECRET}",
		"id_token_file": "`+tokenFile+`", "idp_token_url": "https://idp.example/token", "idp_issuer": "https://idp.example", "idp_client_id": "idp-c", "idp_client_secret": "${CSECRET}", "dpop": false}}`)
	require.NoError(t, err)
	o = s.Transport.(*mcpclient.HTTP).OAuth
	assert.Equal(t, oauth.GrantEnterprise, o.Grant)
	assert.Equal(t, "https://idp.example/token", o.IDPTokenEndpoint)
	assert.Equal(t, "https://idp.example", o.IDPIssuer)
	assert.Equal(t, "idp-c", o.IDPClientID)
	assert.Equal(t, "cs-s3cr3t", o.IDPClientSecret)
	assert.Equal(t, oauth.DPoPOff, o.DPoP)
	require.NotNil(t, o.IdentityToken)
	require.NoError(t, o.Validate("x"))

	for entry, want := range map[string]string{
		`{"url": "https://a", "oauth": {"grant": "jwt_bearer"}}`:                             `oauth: grant "jwt_bearer" needs "assertion_file"`,
		`{"url": "https://a", "oauth": {"grant": "enterprise", "client_id": "c"}}`:           `oauth: grant "enterprise" needs "client_id", "id_token_file" and "idp_token_url" or "idp_issuer"`,
		`{"url": "https://a", "oauth": {"clientId": "c", "dpop": "sometimes"}}`:              `oauth.dpop: unknown DPoP mode "sometimes"`,
		`{"url": "https://a", "oauth": {"grant": "enterprise", "idp_token_url": "ftp://x"}}`: `oauth.idp_token_url`,
	} {
		_, _, err := parseOne(t, entry)
		require.Error(t, err, entry)
		assert.Contains(t, err.Error(), want)
	}
}
