package mcpclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// sessionUsers are the users of the tests: A brings a header, B a token
// source.
var sessionUsers = map[string]mcpclient.User{
	"A": {ID: "user-a", Headers: map[string]string{"authorization": "Bearer token-A-secret"}},
	"B": {ID: "user-b", Token: func(context.Context) (string, error) { return "token-B-secret", nil }},
}

var sessionAuth = map[string]string{"A": "Bearer token-A-secret", "B": "Bearer token-B-secret"}

// sessionProtocol is the protocol of the per-user session tests: HTTP
// sessions (Mcp-Session-Id, DELETE, expiry) exist only on the handshake
// versions, and their servers ask for sampling and elicitation with
// server-initiated requests, which 2026-07-28 replaced.
const sessionProtocol = mcp.LATEST_LEGACY_PROTOCOL_VERSION

func newSessions(t *testing.T, cfg mcpclient.Config, limits mcpclient.SessionLimits) *mcpclient.Sessions {
	t.Helper()
	p, err := mcpclient.NewSessions(cfg, limits)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestSessionsKeepUsersApart calls for users A and B at once, interleaved,
// and checks on the server that every call made for a user carried that
// user's token (replacing the server's own, whatever its case), that the
// server's other headers were kept, and that no session ever saw two
// tokens.
func TestSessionsKeepUsersApart(t *testing.T) {
	for _, max := range []int{0, 1} {
		t.Run(fmt.Sprintf("max_sessions_%d", max), func(t *testing.T) {
			rs := mcptest.NewRecorder(t, mcptest.NewServer())
			p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: rs.URL,
				Headers: map[string]string{"Authorization": "Bearer service-token", "X-Team": "blue"}}},
				mcpclient.SessionLimits{MaxSessions: max})
			const perUser = 12
			var wg sync.WaitGroup
			for i := range perUser {
				for _, u := range []string{"A", "B"} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						text := fmt.Sprintf("%s:%d", u, i)
						c, release, err := p.Get(mcpclient.WithUser(testCtx(t), sessionUsers[u]))
						if !assert.NoError(t, err, text) {
							return
						}
						defer release()
						res, err := c.CallTool(testCtx(t), "echo", json.RawMessage(fmt.Sprintf(`{"text":%q}`, text)))
						if assert.NoError(t, err, text) {
							assert.Equal(t, text, textOfNoT(res))
						}
					}()
				}
			}
			wg.Wait()
			require.NoError(t, p.Close())

			calls := 0
			seen := map[string]string{}
			for _, r := range rs.Requests() {
				if r.Method == "tools/call" {
					calls++
					user, _, _ := strings.Cut(r.Text, ":")
					assert.Equal(t, sessionAuth[user], r.Auth, "call %q went with another credential", r.Text)
					assert.Equal(t, "blue", r.Header.Get("X-Team"), "the server's other headers are kept")
				}
				if r.Session == "" {
					continue
				}
				if prev, ok := seen[r.Session]; ok {
					assert.Equal(t, prev, r.Auth, "one session saw two credentials")
				}
				seen[r.Session] = r.Auth
			}
			assert.Equal(t, 2*perUser, calls)
		})
	}
}

func TestSessionsNeedAUser(t *testing.T) {
	rs := mcptest.NewRecorder(t, mcptest.NewServer())
	p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: rs.URL}}, mcpclient.SessionLimits{})
	_, _, err := p.Get(testCtx(t))
	require.ErrorIs(t, err, mcpclient.ErrNoUser)
	_, _, err = p.Get(mcpclient.WithUser(testCtx(t), mcpclient.User{}))
	require.ErrorContains(t, err, "User.ID is empty")
	_, _, err = p.Get(mcpclient.WithUser(testCtx(t), mcpclient.User{ID: "u", Headers: map[string]string{"X": "a\r\nInjected: 1"}}))
	require.ErrorContains(t, err, "line break")
	assert.Zero(t, p.Len())
	assert.Empty(t, rs.Requests(), "nothing was sent")

	_, err = mcpclient.NewSessions(stdioConfig("local"), mcpclient.SessionLimits{})
	require.ErrorContains(t, err, "need an *HTTP transport")
}

// TestSessionsCloseWhenIdle checks that an idle session is closed (the
// server sees its DELETE) and that the next request opens a new one.
func TestSessionsCloseWhenIdle(t *testing.T) {
	rs := mcptest.NewRecorder(t, mcptest.NewServer())
	p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: rs.URL}}, mcpclient.SessionLimits{IdleTimeout: time.Millisecond})
	ctx := mcpclient.WithUser(testCtx(t), sessionUsers["B"])
	use := func(text string) {
		c, release, err := p.Get(ctx)
		require.NoError(t, err)
		defer release()
		assert.Equal(t, text, textOf(t, call(t, c, "echo", map[string]any{"text": text})))
	}
	use("B:1")
	require.Eventually(t, func() bool { return p.Len() == 0 }, 30*time.Second, 5*time.Millisecond)
	deleted := func() int {
		n := 0
		for _, r := range rs.Requests() {
			if r.Method == http.MethodDelete && r.Auth == sessionAuth["B"] {
				n++
			}
		}
		return n
	}
	// The pool forgets the session before its client sends the DELETE.
	require.Eventually(t, func() bool { return deleted() >= 1 }, 30*time.Second, 5*time.Millisecond, "the idle session was ended on the server")
	require.Equal(t, 1, deleted(), "one DELETE for one session")
	use("B:2")
}

// TestSessionsEvictTheLeastRecentlyUsed: with room for one session, a
// second user's request closes the first user's idle session.
func TestSessionsEvictTheLeastRecentlyUsed(t *testing.T) {
	rs := mcptest.NewRecorder(t, mcptest.NewServer())
	p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: rs.URL}}, mcpclient.SessionLimits{MaxSessions: 1})
	for _, u := range []string{"A", "B"} {
		c, release, err := p.Get(mcpclient.WithUser(testCtx(t), sessionUsers[u]))
		require.NoError(t, err)
		call(t, c, "echo", map[string]any{"text": u})
		release()
		assert.Equal(t, 1, p.Len())
	}
	require.Eventually(t, func() bool {
		for _, r := range rs.Requests() {
			if r.Method == http.MethodDelete && r.Auth == sessionAuth["A"] {
				return true
			}
		}
		return false
	}, 30*time.Second, 5*time.Millisecond, "A's session was ended to make room for B's")
}

// TestSessionsTellHooksTheUser: a sampling or elicitation request that
// comes on a user's session reaches the hook with that user in its
// context, so a program can answer (and budget) per user.
func TestSessionsTellHooksTheUser(t *testing.T) {
	srv := featureServer(t)
	srv.AddTool(mcp.NewTool("elicit"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := srv.RequestElicitation(ctx, mcp.ElicitationRequest{Params: mcp.ElicitationParams{
			Message: "who?", RequestedSchema: map[string]any{"type": "object"}}})
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(fmt.Sprint(res.Content)), nil
	})
	h := mcptest.NewHTTPServer(t, srv, mcptest.KindStreamable)
	whoAmI := func(ctx context.Context) string {
		u, ok := mcpclient.UserFrom(ctx)
		if !ok {
			return "nobody"
		}
		return u.ID
	}
	p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: h.URL},
		OnSampling: func(ctx context.Context, _ string, _ mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "m", SamplingMessage: mcp.SamplingMessage{Role: mcp.RoleAssistant, Content: mcp.NewTextContent(whoAmI(ctx))}}, nil
		},
		OnElicitation: func(ctx context.Context, _ string, _ mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
			return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: whoAmI(ctx)}}, nil
		},
	}, mcpclient.SessionLimits{})
	for _, u := range []string{"A", "B"} {
		c, release, err := p.Get(mcpclient.WithUser(testCtx(t), sessionUsers[u]))
		require.NoError(t, err)
		assert.Equal(t, "m: "+sessionUsers[u].ID, callText(t, c, "sample"))
		assert.Equal(t, sessionUsers[u].ID, callText(t, c, "elicit"))
		release()
	}
}

func TestSessionsClosed(t *testing.T) {
	rs := mcptest.NewRecorder(t, mcptest.NewServer())
	p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: rs.URL}}, mcpclient.SessionLimits{})
	require.NoError(t, p.Close())
	_, _, err := p.Get(mcpclient.WithUser(testCtx(t), sessionUsers["A"]))
	require.ErrorIs(t, err, mcpclient.ErrClosed)
}

func TestUserStringHidesValues(t *testing.T) {
	u := sessionUsers["A"]
	for _, s := range []string{u.String(), fmt.Sprintf("%v", u), fmt.Sprintf("%#v", u), fmt.Sprintf("%+v", u)} {
		assert.NotContains(t, s, "token-A-secret")
		assert.NotContains(t, s, "user-a")
	}
}

// TestUserTokenSourceFailure: a token source that fails fails the request
// with its reason, and nothing is sent.
func TestUserTokenSourceFailure(t *testing.T) {
	rs := mcptest.NewRecorder(t, mcptest.NewServer())
	p := newSessions(t, mcpclient.Config{Name: "remote", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: rs.URL}}, mcpclient.SessionLimits{})
	_, _, err := p.Get(mcpclient.WithUser(testCtx(t), mcpclient.User{ID: "u",
		Token: func(context.Context) (string, error) { return "", errors.New("the user logged out") }}))
	require.ErrorContains(t, err, "the user logged out")
	_, _, err = p.Get(mcpclient.WithUser(testCtx(t), mcpclient.User{ID: "v",
		Token: func(context.Context) (string, error) { return "a\r\nX-Injected: 1", nil }}))
	require.ErrorContains(t, err, "malformed token")
	assert.Empty(t, rs.Requests())
}
