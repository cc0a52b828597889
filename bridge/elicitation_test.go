package bridge

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// elicitRecorder answers form requests with fixed values and URL
// requests with accept, keeping what it was asked.
type elicitRecorder struct {
	mu   sync.Mutex
	seen []mcp.ElicitationParams
	who  []string
}

func (e *elicitRecorder) answer(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, req.Params)
	if c, ok := CredentialsFrom(ctx); ok {
		e.who = append(e.who, server+":"+c.ID)
	}
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionAccept
	if req.Params.Mode != mcp.ElicitationModeURL {
		res.Content = map[string]any{"name": "Ada", "color": "blue", "count": 3, "subscribe": true}
	}
	return res, nil
}

// A run whose tools ask the person (form and URL mode) gets the program's
// answers through WithElicitation, over every transport kind.
func TestElicitationThroughARun(t *testing.T) {
	httpSrv := mcptest.NewHTTPServer(t, mcptest.NewServer(mcptest.WithElicitTools()), mcptest.KindStreamable)
	for _, srv := range []Server{
		InProcess("s", mcptest.NewServer(mcptest.WithElicitTools())),
		stdioServer(t, "s", "-elicit-tools"),
		HTTP("s", httpSrv.URL),
	} {
		t.Run(string(srv.Transport.Kind()), func(t *testing.T) {
			rec := &elicitRecorder{}
			api, client := fakeAPI(t, responsestest.Script(
				responsestest.Calls(
					responsestest.FunctionCall{Name: "s__ask", Arguments: `{"why":"Who are you?"}`},
					responsestest.FunctionCall{Name: "s__ask_url", Arguments: `{}`},
				),
				responsestest.Text("done"),
			))
			b := newBridge(t, []Server{srv}, WithElicitation(rec.answer))
			res, err := b.Run(ctxT(t), &client.Responses, params("ask me"))
			require.NoError(t, err)
			assert.Equal(t, "done", res.OutputText)
			calls := res.Turns[0].Calls
			require.Len(t, calls, 2)
			assert.JSONEq(t, `{"name":"Ada","color":"blue","count":3,"subscribe":true}`, calls[0].Output.Text[len("accept "):])
			assert.Equal(t, "url accept", calls[1].Output.Text)

			require.Len(t, rec.seen, 2)
			// The two calls run at once: the form request may come second.
			if rec.seen[0].Mode == mcp.ElicitationModeURL {
				rec.seen[0], rec.seen[1] = rec.seen[1], rec.seen[0]
			}
			assert.Equal(t, "Who are you?", rec.seen[0].Message)
			schema, _ := json.Marshal(rec.seen[0].RequestedSchema)
			assert.JSONEq(t, mcptest.ElicitFormSchema, string(schema))
			assert.Equal(t, mcp.ElicitationModeURL, rec.seen[1].Mode)
			assert.Equal(t, mcptest.ElicitURL, rec.seen[1].URL)
			assert.Equal(t, "el-1", rec.seen[1].ElicitationID)
			for _, r := range api.Requests() {
				assert.NoError(t, r.ValidationErr)
			}
		})
	}
}

// Without WithElicitation no capability is declared, and the server's
// request fails: on 2026-07-28 the call fails naming the input request the
// client could not answer; on a handshake version the server's request
// fails inside the tool and the model reads the server's error.
func TestElicitationNotDeclaredWithoutHandler(t *testing.T) {
	for _, version := range []string{"", mcp.LATEST_LEGACY_PROTOCOL_VERSION} {
		srv := InProcess("s", mcptest.NewServer(mcptest.WithElicitTools()))
		srv.ProtocolVersion = version
		b := newBridge(t, []Server{srv})
		text, isErr := callOrError(t, b, "s__ask", `{}`)
		assert.True(t, isErr)
		assert.Contains(t, text, "elicitation")
	}
}

// callOrError calls function and returns the text the caller gets: the
// output, or the error of a call that failed, and whether it is an error.
func callOrError(t *testing.T, b *Bridge, function, args string) (string, bool) {
	t.Helper()
	out, err := b.Call(ctxT(t), function, args)
	if err != nil {
		return err.Error(), true
	}
	return out.Text, out.IsError
}

// Decline and cancel reach the server as given; a reply that is neither
// of the three actions, or none, is not sent as if it were an answer; a
// declined form carries no values even if the handler put some.
func TestElicitationReplies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply *mcp.ElicitationResult
		want  string
		isErr bool
	}{
		{"decline", elicitReply(mcp.ElicitationResponseActionDecline, map[string]any{"name": "leak"}), "decline", false},
		{"cancel", elicitReply(mcp.ElicitationResponseActionCancel, nil), "cancel", false},
		{"unknown action", elicitReply("maybe", nil), `action "maybe"`, true},
		{"no reply", nil, "no reply", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBridge(t, []Server{InProcess("s", mcptest.NewServer(mcptest.WithElicitTools()))},
				WithElicitation(func(context.Context, string, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
					return tc.reply, nil
				}))
			text, isErr := callOrError(t, b, "s__ask", `{}`)
			assert.Equal(t, tc.isErr, isErr, text)
			assert.Contains(t, text, tc.want)
			assert.NotContains(t, text, "leak")
		})
	}
}

func elicitReply(action mcp.ElicitationResponseAction, content any) *mcp.ElicitationResult {
	r := &mcp.ElicitationResult{}
	r.Action = action
	r.Content = content
	return r
}

// On a per-user server, the handler learns whose session asked.
func TestElicitationPerUser(t *testing.T) {
	httpSrv := mcptest.NewHTTPServer(t, mcptest.NewServer(mcptest.WithElicitTools()), mcptest.KindStreamable)
	remote := HTTP("remote", httpSrv.URL)
	remote.PerUser = &UserSessions{}
	rec := &elicitRecorder{}
	b := newBridge(t, []Server{remote}, WithElicitation(rec.answer))
	for _, user := range []string{"alice", "bob"} {
		out, err := b.Call(WithCredentials(ctxT(t), Credentials{ID: user}), "remote__ask_url", `{}`)
		require.NoError(t, err)
		assert.Equal(t, "url accept", out.Text)
	}
	assert.Equal(t, []string{"remote:alice", "remote:bob"}, rec.who)
}
