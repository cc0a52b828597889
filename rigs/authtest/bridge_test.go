package authtest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

// approve plays the user approving the client in a browser.
func approve(ctx context.Context, _, authURL string) (oauth.AuthorizationResponse, error) {
	loc, err := authtest.FollowAuthorization(ctx, authURL)
	if err != nil {
		return oauth.AuthorizationResponse{}, err
	}
	return oauth.ParseAuthorizationResponse(loc)
}

// TestBridgeRunWithOAuth runs a conversation through bridge.Run against a
// protected server: discovery, registration, PKCE, a step-up for the
// admin-scoped tool, and nothing secret in what goes to the model; once
// with bearer tokens, once with a server that binds them with DPoP.
func TestBridgeRunWithOAuth(t *testing.T) {
	t.Run("bearer", func(t *testing.T) { testBridgeRunWithOAuth(t, false) })
	t.Run("DPoP", func(t *testing.T) { testBridgeRunWithOAuth(t, true) })
}

func testBridgeRunWithOAuth(t *testing.T, dpop bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{
		Scopes: []string{"mcp:read", "mcp:admin"}, RequiredScope: "mcp:read",
		ToolScopes: map[string]string{"add": "mcp:admin"}, DPoP: dpop,
	})
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{
		{Name: "remote__echo", Arguments: `{"text":"through oauth"}`},
		{Name: "remote__add", Arguments: `{"a":40,"b":2}`},
	}}
	api := responsestest.New(model.Handler())
	api.SetValidation(true)
	t.Cleanup(api.Close)
	client := api.Client()

	remote := bridge.HTTP("remote", srv.URL)
	remote.Transport.(*mcpclient.HTTP).OAuth = &oauth.Config{RedirectURL: "http://127.0.0.1:1/callback", Authorizer: oauth.AuthorizerFunc(approve)}
	res, err := bridge.Run(ctx, &client.Responses, oai.ResponseNewParams{
		Model: "test-model",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("use the protected server")},
	}, []bridge.Server{remote})
	require.NoError(t, err)
	require.Len(t, res.Turns, 2)

	outs := api.Requests()[1].FunctionOutputs()
	var joined strings.Builder
	for _, o := range outs {
		joined.WriteString(o)
	}
	assert.Contains(t, joined.String(), "through oauth")
	assert.Contains(t, joined.String(), "42")
	assert.Equal(t, 2, srv.Authorizations(), "initial authorization and one step-up")
	assert.Equal(t, 1, srv.Forbidden())
	if dpop {
		var token int
		for _, p := range srv.Proofs() {
			if p.Endpoint == "token" {
				token++
			}
		}
		assert.Equal(t, 2, token, "both code exchanges (the step-up's too) carried a proof")
	} else {
		assert.Empty(t, srv.Proofs())
	}

	sent, err := json.Marshal(api.Requests())
	require.NoError(t, err)
	for _, s := range srv.Secrets() {
		assert.NotContains(t, string(sent), s, "a secret reached the model")
		assert.NotContains(t, res.OutputText, s)
	}
}

// TestEchoedClientSecretNeverReachesTheModel: an authorization server that
// quotes the client secret it refused in its error answer. The failing
// call's output, its CallRecord and every request to the model carry the
// error, never the secret (issue 23 item 6: the secret reached the model).
func TestEchoedClientSecretNeverReachesTheModel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const secret = "svc-secret-value-1234"
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{EchoSecrets: true, Clients: map[string]string{"svc": secret}})
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "remote__echo", Arguments: `{"text":"x"}`}}}
	api := responsestest.New(model.Handler())
	t.Cleanup(api.Close)
	client := api.Client()

	remote := bridge.HTTP("remote", srv.URL)
	remote.Transport.(*mcpclient.HTTP).OAuth = &oauth.Config{Grant: oauth.GrantClientCredentials, ClientID: "svc", ClientSecret: secret}
	b, err := bridge.New(ctx, []bridge.Server{remote})
	require.NoError(t, err)
	defer b.Close()

	// The secret is rotated at the server and the token revoked: the
	// next grant is refused, and the answer quotes the secret sent.
	srv.SetClientSecret("svc", "rotated-secret-value")
	srv.Revoke()
	res, err := b.Run(ctx, &client.Responses, oai.ResponseNewParams{
		Model: "test-model",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("use the protected server")},
	})
	require.NoError(t, err)
	require.NotEmpty(t, res.Turns)
	call := res.Turns[0].Calls[0]
	require.Error(t, call.Err)
	assert.Contains(t, call.Err.Error(), "invalid_client")
	assert.NotContains(t, call.Err.Error(), secret)
	out, _ := json.Marshal(call.Output)
	assert.NotContains(t, string(out), secret)
	sent, err := json.Marshal(api.Requests())
	require.NoError(t, err)
	assert.Contains(t, string(sent), "invalid_client", "the model is told why")
	assert.NotContains(t, string(sent), secret, "the client secret reached the model")
}
