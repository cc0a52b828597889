package bridge

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

const (
	hostedToken = "tok-HOSTED-SECRET-0123456789"
	hostedKey   = "key-HOSTED-SECRET-abcdefghij"
)

// hostedDocs is a public server the API reaches itself.
func hostedDocs() Server {
	s := HTTP("docs", "https://docs.example/mcp")
	s.Hosted = true
	s.Transport.(*HTTPTransport).Headers = map[string]string{"Authorization": "Bearer " + hostedToken, "X-Api-Key": hostedKey}
	s.AllowTools = []string{"search", "publish", "wipe"}
	s.DenyTools = []string{"wipe"}
	s.AutoApprove = []string{"search"}
	s.Description = "Public documentation"
	return s
}

func hostedDocsModel() *responsestest.HostedModel {
	return &responsestest.HostedModel{
		Servers: []responsestest.HostedServer{{Label: "docs", Tools: []responsestest.HostedTool{
			{Name: "search", ReadOnly: true, Run: func(string) (string, error) { return "3 pages", nil }},
			{Name: "publish", Run: func(string) (string, error) { return "published", nil }},
			{Name: "wipe", Run: func(string) (string, error) { return "wiped", nil }},
		}}},
		Calls:     []responsestest.MCPCall{{Server: "docs", Name: "search", Arguments: `{"q":"go"}`}, {Server: "docs", Name: "publish", Arguments: `{"id":7}`}},
		Functions: []responsestest.FunctionCall{{Name: "s__echo", Arguments: `{"text":"private"}`}},
	}
}

// One run mixes a private server (connected by the bridge) and a hosted
// one (sent as the API's mcp tool): the hosted approval request passes the
// same approval hook as the private call, the approved call runs on the
// API's side, and the secrets of the hosted server reach the API's request
// only.
func TestHostedAndPrivateServersInOneRun(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		name := "run"
		if streamed {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			api, client := fakeAPI(t, hostedDocsModel().Handler())
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			b := newBridge(t, []Server{InProcess("s", mcptest.NewServer()), hostedDocs()}, WithLogger(logger))

			var mu sync.Mutex
			var asked []Call
			var records []CallRecord
			opts := []RunOption{
				WithApproval(func(_ context.Context, c Call) (bool, string) {
					mu.Lock()
					defer mu.Unlock()
					asked = append(asked, c)
					return true, ""
				}),
				WithAfterCall(func(_ context.Context, r CallRecord) { records = append(records, r) }),
			}
			var res *Result
			var events []Event
			if streamed {
				for ev, err := range b.Stream(ctxT(t), &client.Responses, params("publish the docs"), opts...) {
					require.NoError(t, err)
					events = append(events, ev)
					if ev.Kind == EventRunDone {
						res = ev.Result
					}
				}
			} else {
				var err error
				res, err = b.Run(ctxT(t), &client.Responses, params("publish the docs"), opts...)
				require.NoError(t, err)
			}
			assert.Contains(t, res.OutputText, "docs/publish({\"id\":7}) -> published")
			assert.Contains(t, res.OutputText, "s__echo")

			// The tool sent: label, URL, the token as authorization, the
			// other headers, allow list less the deny list, approvals.
			reqs := api.Requests()
			require.Len(t, reqs, 2)
			var mcpTool map[string]any
			for _, tl := range reqs[0].Tools {
				if tl["type"] == "mcp" {
					mcpTool = tl
				}
			}
			require.NotNil(t, mcpTool)
			assert.Equal(t, "docs", mcpTool["server_label"])
			assert.Equal(t, "https://docs.example/mcp", mcpTool["server_url"])
			assert.Equal(t, hostedToken, mcpTool["authorization"])
			assert.Equal(t, map[string]any{"X-Api-Key": hostedKey}, mcpTool["headers"])
			assert.Equal(t, []any{"search", "publish"}, mcpTool["allowed_tools"])
			assert.Equal(t, map[string]any{"never": map[string]any{"tool_names": []any{"search"}}}, mcpTool["require_approval"])
			assert.Equal(t, "Public documentation", mcpTool["server_description"])

			// One approval hook for both kinds of call, routes named.
			require.Len(t, asked, 2)
			var hosted Call
			for _, c := range asked {
				if c.Hosted != "" {
					hosted = c
				}
			}
			assert.Equal(t, responses.Route{Server: "docs", Tool: "publish"}, hosted.Route)
			assert.Len(t, records, 2)
			var shown []string
			for _, turn := range res.Turns {
				for _, h := range turn.Hosted {
					shown = append(shown, h.Type+":"+h.Name)
				}
			}
			assert.Equal(t, []string{"mcp_list_tools:", "mcp_call:search", "mcp_call:publish"}, shown)
			if streamed {
				n := 0
				for _, ev := range events {
					if ev.Kind == responses.EventHostedCall {
						n++
					}
				}
				assert.Equal(t, 3, n)
			}

			// Secrets: only in the API request body.
			assert.NotEmpty(t, logs.String())
			for _, secret := range []string{hostedToken, hostedKey} {
				assert.NotContains(t, logs.String(), secret)
				for _, ev := range events {
					assert.NotContains(t, ev.Delta+ev.Record.Output.Text, secret)
					if ev.Hosted != nil {
						assert.NotContains(t, ev.Hosted.Output+ev.Hosted.Error, secret)
					}
				}
				for _, r := range records {
					assert.NotContains(t, r.Output.Text, secret)
				}
			}
		})
	}
}

// Hostile: approval requests for a tool the config denies or leaves out,
// or for a server that is not configured, are denied without asking; the
// approval hook sees only what it may approve.
func TestHostedApprovalOutsideTheConfigIsDenied(t *testing.T) {
	ask := func(label, tool string) map[string]any {
		return map[string]any{"type": "mcp_approval_request", "server_label": label, "name": tool, "arguments": "{}"}
	}
	api, client := fakeAPI(t, responsestest.Script(
		responsestest.Reply{Output: []map[string]any{ask("docs", "wipe"), ask("docs", "format"), ask("evil", "exfiltrate"), ask("docs", "publish")}},
		responsestest.Text("done"),
	))
	b := newBridge(t, []Server{hostedDocs()})
	var asked []string
	_, err := b.Run(ctxT(t), &client.Responses, params("x"), WithApproval(func(_ context.Context, c Call) (bool, string) {
		asked = append(asked, c.Hosted+"/"+c.Name)
		return false, "not today"
	}))
	require.NoError(t, err)
	assert.Equal(t, []string{"docs/publish"}, asked)
	answers := api.Requests()[1].Input
	require.Len(t, answers, 4)
	for i, a := range answers {
		assert.Equal(t, "mcp_approval_response", a["type"])
		assert.Equal(t, false, a["approve"], "answer %d", i)
	}
	assert.Contains(t, answers[2]["reason"], `hosted server "evil"`)
	assert.Contains(t, answers[3]["reason"], "not today")
}

// Only hosted servers: New connects to nothing and the run still works; a
// deny list without an allow list makes every call ask (the denial is the
// only way to keep the tool from running); no hook means the rest is
// approved by the policy.
func TestHostedOnlyAndDenyByAnswer(t *testing.T) {
	s := hostedDocs()
	s.AllowTools = nil
	s.AutoApprove = nil
	api, client := fakeAPI(t, (&responsestest.HostedModel{
		Servers: hostedDocsModel().Servers,
		Calls:   []responsestest.MCPCall{{Server: "docs", Name: "wipe"}, {Server: "docs", Name: "publish"}},
	}).Handler())
	b := newBridge(t, []Server{s})
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	assert.Equal(t, "always", api.Requests()[0].Tools[0]["require_approval"])
	assert.Contains(t, res.OutputText, "docs/wipe({}) denied")
	assert.Contains(t, res.OutputText, "docs/publish({}) -> published")
}

func TestHostedConfigErrors(t *testing.T) {
	bad := hostedDocs()
	bad.Resources = true
	bad.PerUser = &UserSessions{}
	_, err := New(ctxT(t), []Server{bad})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `hosted server "docs"`)
	assert.Contains(t, err.Error(), "PerUser")
	assert.NotContains(t, err.Error(), hostedToken)

	stdio := Stdio("local", "true")
	stdio.Hosted = true
	_, err = New(ctxT(t), []Server{stdio})
	require.ErrorContains(t, err, "HTTPTransport")
	_ = oai.ToolUnionParam{}
}

type failingTokens struct{}

func (failingTokens) Token() (*oauth2.Token, error) {
	return nil, errors.New("refresh failed for refresh_token rt-SECRET-abcdefghijklmnopqrstuvwxyz")
}

// A hosted server whose OAuth TokenSource fails is left out of the turn
// with a warning naming it; the token source's error text loses anything
// token-like, and the run goes on with the other tools.
func TestHostedTokenFailureIsLeftOutQuietly(t *testing.T) {
	s := hostedDocs()
	s.Transport.(*HTTPTransport).Headers = nil
	s.Transport.(*HTTPTransport).OAuth = &oauth.Config{TokenSource: failingTokens{}}
	api, client := fakeAPI(t, responsestest.Script(responsestest.Text("fine")))
	var logs bytes.Buffer
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer()), s}, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	assert.Equal(t, "fine", res.OutputText)
	for _, tl := range api.Requests()[0].Tools {
		assert.NotEqual(t, "mcp", tl["type"])
	}
	assert.Contains(t, logs.String(), "hosted mcp server left out")
	assert.Contains(t, logs.String(), "docs")
	assert.NotContains(t, logs.String(), "rt-SECRET-abcdefghijklmnopqrstuvwxyz")
}
