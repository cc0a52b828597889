package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// newRecordingServer serves the test server of mcptest and records every
// request (credentials, session, method, call text).
func newRecordingServer(t *testing.T) *mcptest.Recorder {
	return mcptest.NewRecorder(t, mcptest.NewServer())
}

// echoPrompt is a model that calls remote__echo with its prompt, then
// answers with the tool's output.
func echoPrompt(req *responsestest.Request) responsestest.Reply {
	if outs := req.Outputs(); len(outs) > 0 {
		return responsestest.Text("done: " + outs[0].Output)
	}
	args, _ := json.Marshal(map[string]string{"text": req.Prompt()})
	return responsestest.Calls(responsestest.FunctionCall{Name: "remote__echo", Arguments: string(args)})
}

// users are the credentials of the test: A brings a header, B a token
// source.
var testUsers = map[string]Credentials{
	"A": {ID: "user-a", Headers: map[string]string{"Authorization": "Bearer token-A-secret"}},
	"B": {ID: "user-b", Token: func(context.Context) (string, error) { return "token-B-secret", nil }},
}

var wantAuth = map[string]string{"A": "Bearer token-A-secret", "B": "Bearer token-B-secret"}

// TestPerUserCredentialsNeverCross runs many conversations for users A and
// B at once, interleaved, through one Bridge, and checks on the server that
// every call made for a user carried that user's token, that no session
// ever saw two tokens, and that no token reached the model, the results or
// the logs.
func TestPerUserCredentialsNeverCross(t *testing.T) {
	for _, max := range []int{0, 1} {
		t.Run(fmt.Sprintf("max_sessions_%d", max), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rs := newRecordingServer(t)
			api := responsestest.New(echoPrompt)
			t.Cleanup(api.Close)
			client := api.Client()
			var logs syncBuffer
			remote := HTTP("remote", rs.URL)
			remote.Transport.(*mcpclient.HTTP).Headers = map[string]string{"Authorization": "Bearer service-token"}
			remote.PerUser = &UserSessions{MaxSessions: max}
			b, err := New(ctx, []Server{remote}, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			require.NoError(t, err)

			const perUser = 12
			var wg sync.WaitGroup
			var mu sync.Mutex
			var results []string
			for i := range perUser {
				for _, u := range []string{"A", "B"} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						prompt := fmt.Sprintf("%s:%d", u, i)
						res, err := b.Run(WithCredentials(ctx, testUsers[u]), &client.Responses, oai.ResponseNewParams{
							Model: "m",
							Input: oai.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
						})
						if !assert.NoError(t, err, prompt) {
							return
						}
						assert.Equal(t, "done: "+prompt, res.OutputText)
						out, _ := json.Marshal(res)
						mu.Lock()
						results = append(results, string(out))
						mu.Unlock()
					}()
				}
			}
			wg.Wait()
			require.NoError(t, b.Close())

			calls := 0
			sessionAuth := map[string]string{}
			for _, r := range rs.Requests() {
				if r.Method == "tools/call" {
					calls++
					user, _, _ := strings.Cut(r.Text, ":")
					assert.Equal(t, wantAuth[user], r.Auth, "call %q went with another credential", r.Text)
				}
				if r.Session == "" {
					continue
				}
				if prev, ok := sessionAuth[r.Session]; ok {
					assert.Equal(t, prev, r.Auth, "one session saw two credentials")
				}
				sessionAuth[r.Session] = r.Auth
			}
			assert.Equal(t, 2*perUser, calls)
			for _, secret := range []string{"token-A-secret", "token-B-secret", "user-a", "user-b"} {
				assert.NotContains(t, logs.String(), secret)
				for _, r := range results {
					assert.NotContains(t, r, secret)
				}
				for _, req := range api.Requests() {
					assert.NotContains(t, string(req.Raw), secret)
				}
			}
		})
	}
}

func TestPerUserNeedsCredentials(t *testing.T) {
	ctx := context.Background()
	rs := newRecordingServer(t)
	remote := HTTP("remote", rs.URL)
	remote.PerUser = &UserSessions{}
	b, err := New(ctx, []Server{remote})
	require.NoError(t, err)
	defer b.Close()
	_, err = b.Call(ctx, "remote__echo", `{"text":"x"}`)
	require.ErrorIs(t, err, ErrNoCredentials)
	assert.Contains(t, err.Error(), `"remote"`)
	_, err = b.Call(WithCredentials(ctx, Credentials{}), "remote__echo", `{"text":"x"}`)
	require.ErrorContains(t, err, "ID is empty")
	out, err := b.Call(WithCredentials(ctx, testUsers["A"]), "remote__echo", `{"text":"x"}`)
	require.NoError(t, err)
	assert.Equal(t, "x", out.Text)
}

// TestPerUserResourcesAndPrompts: the Bridge's resource and prompt
// methods on a per-user server go over the caller's session, with the
// caller's credentials, and refuse a context without credentials, as
// tool calls do (they went over the shared connection, with the service
// token, for anyone).
func TestPerUserResourcesAndPrompts(t *testing.T) {
	ctx := ctxT(t)
	srv := server.NewMCPServer("docs", "1.0.0", server.WithResourceCapabilities(true, true), server.WithPromptCapabilities(true))
	srv.AddResource(mcp.NewResource("mem://notes", "notes"), func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "the notes"}}, nil
	})
	srv.AddResourceTemplate(mcp.NewResourceTemplate("mem://doc/{id}", "doc"), func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "a doc"}}, nil
	})
	srv.AddPrompt(mcp.NewPrompt("greet"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return mcp.NewGetPromptResult("greeting", []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("hello"))}), nil
	})
	rs := mcptest.NewRecorder(t, srv)
	remote := HTTP("remote", rs.URL)
	remote.Transport.(*mcpclient.HTTP).Headers = map[string]string{"Authorization": "Bearer service-token"}
	remote.PerUser = &UserSessions{}
	b, err := New(ctx, []Server{remote})
	require.NoError(t, err)
	defer b.Close()

	on := func(use func(ctx context.Context, c *Client) error) func(context.Context) error {
		return func(ctx context.Context) error {
			return b.Client(ctx, "remote", func(c *Client) error { return use(ctx, c) })
		}
	}
	uses := map[string]func(context.Context) error{
		"resources/list": on(func(ctx context.Context, c *Client) error { _, err := c.ListResources(ctx); return err }),
		"resources/templates/list": on(func(ctx context.Context, c *Client) error {
			_, err := c.ListResourceTemplates(ctx)
			return err
		}),
		"resources/read": on(func(ctx context.Context, c *Client) error {
			_, err := c.ReadResource(ctx, "mem://notes")
			return err
		}),
		"resources/subscribe":   on(func(ctx context.Context, c *Client) error { return c.Subscribe(ctx, "mem://notes") }),
		"resources/unsubscribe": on(func(ctx context.Context, c *Client) error { return c.Unsubscribe(ctx, "mem://notes") }),
		"prompts/list":          on(func(ctx context.Context, c *Client) error { _, err := c.ListPrompts(ctx); return err }),
		"prompts/get": on(func(ctx context.Context, c *Client) error {
			_, err := c.GetPrompt(ctx, "greet", nil)
			return err
		}),
	}
	for method, use := range uses {
		before := len(rs.Requests())
		require.ErrorIs(t, use(ctx), ErrNoCredentials, method)
		assert.Len(t, rs.Requests(), before, "%s without credentials sends nothing", method)
		require.NoError(t, use(WithCredentials(ctx, testUsers["A"])), method)
	}
	for _, r := range rs.Requests() {
		if _, ok := uses[r.Method]; ok {
			assert.Equal(t, wantAuth["A"], r.Auth, "%s went with the caller's credentials", r.Method)
		}
	}
}

// TestPerUserIgnoredByStdio checks that a stdio server with PerUser keeps
// its one shared connection and needs no credentials.
func TestPerUserIgnoredByStdio(t *testing.T) {
	ctx := context.Background()
	s := Stdio("local", mcptest.BuildServer(t))
	s.PerUser = &UserSessions{}
	b, err := New(ctx, []Server{s})
	require.NoError(t, err)
	defer b.Close()
	assert.Nil(t, b.conns["local"].users)
	out, err := b.Call(ctx, "local__echo", `{"text":"plain"}`)
	require.NoError(t, err)
	assert.Equal(t, "plain", out.Text)
}

func TestCredentialsStringHidesValues(t *testing.T) {
	c := testUsers["A"]
	for _, s := range []string{c.String(), fmt.Sprintf("%v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", c)} {
		assert.NotContains(t, s, "token-A-secret")
		assert.NotContains(t, s, "user-a")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestPerUserSampling: a sampling request that comes on a user's session
// reaches the hooks with that user's credentials (it came with none), and
// with LimitPerUser each user has a rate of their own.
func TestPerUserSampling(t *testing.T) {
	ctx := ctxT(t)
	rs := mcptest.NewRecorder(t, samplingServer())
	_, client := fakeAPI(t, samplingModel)
	remote := HTTP("remote", rs.URL)
	remote.PerUser = &UserSessions{}
	// samplingServer asks with a server-initiated request, which only the
	// handshake versions have.
	remote.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	var mu sync.Mutex
	var approvedFor []string
	b := newBridge(t, []Server{remote}, WithSampling(SamplingConfig{
		API: &client.Responses, Model: "m", Rate: 1, LimitPerUser: true,
		Approve: func(ctx context.Context, _ string, _ mcp.CreateMessageRequest) (bool, string) {
			c, _ := CredentialsFrom(ctx)
			mu.Lock()
			approvedFor = append(approvedFor, c.ID)
			mu.Unlock()
			return true, ""
		},
	}))
	for i, u := range []string{"A", "B", "A"} {
		out, err := b.Call(WithCredentials(ctx, testUsers[u]), "remote__ask", "{}")
		require.NoError(t, err)
		if i < 2 {
			assert.Contains(t, out.Text, "completion", "user %s has a rate of their own", u)
		} else {
			assert.Contains(t, out.Text, "sampling limit reached", "user A's one request a day is spent")
		}
	}
	assert.Equal(t, []string{"user-a", "user-b"}, approvedFor)
}
