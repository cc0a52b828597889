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
// admin-scoped tool, and nothing secret in what goes to the model.
func TestBridgeRunWithOAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{
		Scopes: []string{"mcp:read", "mcp:admin"}, RequiredScope: "mcp:read",
		ToolScopes: map[string]string{"add": "mcp:admin"},
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

	sent, err := json.Marshal(api.Requests())
	require.NoError(t, err)
	for _, s := range srv.Secrets() {
		assert.NotContains(t, string(sent), s, "a secret reached the model")
		assert.NotContains(t, res.OutputText, s)
	}
}
