package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
)

// EnvContext is the environment variable in which the suite passes a
// scenario's client context (pre-registered credentials, keys, identity
// tokens) as JSON.
const EnvContext = "MCP_CONFORMANCE_CONTEXT"

// ClientMetadataURL is the client ID metadata document URL the suite
// expects a client to use as its client_id (auth/basic-cimd).
const ClientMetadataURL = "https://conformance-test.local/client-metadata.json"

// redirectURL is where the suite's authorization servers send the code. No
// browser follows it: headlessAuthorizer reads it from the redirect.
const redirectURL = "http://127.0.0.1:3000/callback"

// authScenarios are the suite's auth client scenarios Run implements, in
// the suite's order.
var authScenarios = []string{
	"auth/metadata-default", "auth/metadata-var1", "auth/metadata-var2", "auth/metadata-var3",
	"auth/basic-cimd", "auth/scope-from-www-authenticate", "auth/scope-from-scopes-supported",
	"auth/scope-omitted-when-undefined", "auth/scope-step-up", "auth/scope-retry-limit",
	"auth/token-endpoint-auth-basic", "auth/token-endpoint-auth-post", "auth/token-endpoint-auth-none",
	"auth/pre-registration", "auth/2025-03-26-oauth-metadata-backcompat", "auth/2025-03-26-oauth-endpoint-fallback",
	"auth/resource-mismatch", "auth/offline-access-scope", "auth/offline-access-not-supported",
	"auth/authorization-server-migration", "auth/iss-supported", "auth/iss-not-advertised",
	"auth/iss-supported-missing", "auth/iss-wrong-issuer", "auth/iss-unexpected", "auth/iss-normalized",
	"auth/metadata-issuer-mismatch",
	"auth/client-credentials-jwt", "auth/client-credentials-basic", ScenarioCrossApp,
	ScenarioEnterprise, ScenarioDPoP, ScenarioDPoPNonce, ScenarioWIF,
}

// The authorization extensions' scenarios: enterprise-managed
// authorization (cross-app access renamed), workload identity federation
// and DPoP.
const (
	ScenarioEnterprise = "auth/enterprise-managed-authorization"
	ScenarioWIF        = "auth/wif-jwt-bearer"
	ScenarioDPoP       = "auth/dpop"
	ScenarioDPoPNonce  = "auth/dpop-nonce"
)

// ScenarioCrossApp is the suite's cross-app access scenario (token exchange
// and JWT bearer grant).
const ScenarioCrossApp = "auth/cross-app-access-complete-flow"

// AuthScenarios returns the auth client scenarios Run implements.
func AuthScenarios() []string { return slices.Clone(authScenarios) }

// scenarioContext is the suite's MCP_CONFORMANCE_CONTEXT.
type scenarioContext struct {
	ToolCalls        []toolCall `json:"toolCalls"`
	ClientID         string     `json:"client_id"`
	ClientSecret     string     `json:"client_secret"`
	PrivateKeyPEM    string     `json:"private_key_pem"`
	IDPClientID      string     `json:"idp_client_id"`
	IDPIDToken       string     `json:"idp_id_token"`
	IDPTokenEndpoint string     `json:"idp_token_endpoint"`
	// ValidJWT is the workload's identity token of auth/wif-jwt-bearer.
	ValidJWT string `json:"valid_jwt"`
}

// toolCall is a call the scenario asks the client to make.
type toolCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// oauthFor builds the OAuth configuration a scenario needs from its
// context.
func oauthFor(scenario string, sc scenarioContext) (*oauth.Config, error) {
	o := &oauth.Config{
		ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		ClientMetadataURL: ClientMetadataURL, RedirectURL: redirectURL,
		Authorizer: headlessAuthorizer{},
	}
	switch {
	case scenario == ScenarioCrossApp || scenario == ScenarioEnterprise:
		o.Grant = oauth.GrantEnterprise
		o.IDPClientID, o.IDPTokenEndpoint = sc.IDPClientID, sc.IDPTokenEndpoint
		idToken := sc.IDPIDToken // the user's sign-in at the identity provider
		o.IdentityToken = func(context.Context) (string, error) { return idToken, nil }
	case scenario == ScenarioWIF:
		o.Grant = oauth.GrantJWTBearer
		jwt := sc.ValidJWT // what the workload's platform would have issued it
		o.Assertion = func(context.Context) (string, error) { return jwt, nil }
	case strings.HasPrefix(scenario, "auth/client-credentials-"):
		o.Grant = oauth.GrantClientCredentials
		if sc.PrivateKeyPEM != "" {
			key, err := oauth.ParsePrivateKeyPEM([]byte(sc.PrivateKeyPEM))
			if err != nil {
				return nil, err
			}
			o.PrivateKey = key
		}
	}
	return o, nil
}

// headlessAuthorizer plays the user: it opens the authorization URL
// without a browser and reads the code from the redirect the suite's
// authorization server answers with (it approves every request).
type headlessAuthorizer struct{}

// Authorize implements oauth.Authorizer.
func (headlessAuthorizer) Authorize(ctx context.Context, _, authURL string) (oauth.AuthorizationResponse, error) {
	loc, err := authtest.FollowAuthorization(ctx, authURL)
	if err != nil {
		return oauth.AuthorizationResponse{}, err
	}
	if !strings.HasPrefix(loc.String(), redirectURL) {
		return oauth.AuthorizationResponse{}, errors.New("authorization endpoint redirected elsewhere than the redirect URL")
	}
	return oauth.ParseAuthorizationResponse(loc)
}
