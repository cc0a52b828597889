package mcpclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// featureServer is an in-process server using every client feature:
// tools that report the client's capabilities, ask for a sampling
// completion, list the roots and send a log line; a resource; a prompt.
func featureServer(t *testing.T) *server.MCPServer {
	t.Helper()
	srv := server.NewMCPServer("features", "1.0.0", server.WithLogging(),
		server.WithResourceCapabilities(true, true), server.WithPromptCapabilities(true), server.WithToolCapabilities(false))
	text := func(s string) *mcp.CallToolResult { return mcp.NewToolResultText(s) }
	srv.AddTool(mcp.NewTool("caps"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		sess, _ := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
		b, _ := json.Marshal(sess.GetClientCapabilities())
		return text(string(b)), nil
	})
	srv.AddTool(mcp.NewTool("sample"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		req := mcp.CreateMessageRequest{}
		req.Messages = []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("hello")}}
		req.MaxTokens = 20
		//lint:ignore SA1019 the legacy protocol the servers negotiate still has sampling; testing it is the point.
		res, err := srv.RequestSampling(ctx, req)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return text(res.Model + ": " + res.Content.(mcp.TextContent).Text), nil
	})
	srv.AddTool(mcp.NewTool("roots"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := srv.RequestRoots(ctx, mcp.ListRootsRequest{})
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		b, _ := json.Marshal(res.Roots)
		return text(string(b)), nil
	})
	srv.AddTool(mcp.NewTool("log"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		for _, l := range []mcp.LoggingLevel{mcp.LoggingLevelDebug, mcp.LoggingLevelWarning, mcp.LoggingLevelCritical} {
			_ = srv.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(l, "db", map[string]any{"level": string(l)}))
		}
		return text("logged"), nil
	})
	srv.AddResource(mcp.NewResource("mem://notes", "notes", mcp.WithMIMEType("text/plain")),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/plain", Text: "the notes"}}, nil
		})
	srv.AddPrompt(mcp.NewPrompt("greet", mcp.WithArgument("who", mcp.RequiredArgument())),
		func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return mcp.NewGetPromptResult("greeting", []mcp.PromptMessage{
				mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("hello "+req.Params.Arguments["who"])),
			}), nil
		})
	return srv
}

func callText(t *testing.T, c *mcpclient.Client, tool string) string {
	t.Helper()
	res, err := c.CallTool(t.Context(), tool, nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Content)
	return res.Content[0].(mcp.TextContent).Text
}

// TestCapabilitiesDeclaredExactly: a client with no handlers declares no
// sampling, roots or elicitation; each handler declares exactly its own.
func TestCapabilitiesDeclaredExactly(t *testing.T) {
	connect := func(cfg mcpclient.Config) map[string]any {
		cfg.Name, cfg.Transport = "features", &mcpclient.InProcess{Server: featureServer(t)}
		c, err := mcpclient.Connect(t.Context(), cfg)
		require.NoError(t, err)
		defer c.Close()
		var caps map[string]any
		require.NoError(t, json.Unmarshal([]byte(callText(t, c, "caps")), &caps))
		// The tasks extension is declared on every 2026-07-28 connection
		// (tasks.go); this test is about the handlers' capabilities.
		delete(caps, "extensions")
		return caps
	}
	assert.Empty(t, connect(mcpclient.Config{}))
	caps := connect(mcpclient.Config{
		OnSampling: func(context.Context, string, mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return nil, nil
		},
	})
	assert.Contains(t, caps, "sampling")
	assert.NotContains(t, caps, "roots")
	assert.NotContains(t, caps, "elicitation")
	caps = connect(mcpclient.Config{Roots: []mcp.Root{}})
	assert.Equal(t, map[string]any{"roots": map[string]any{"listChanged": true}}, caps)
}

func TestSamplingRootsResourcesPrompts(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	c, err := mcpclient.Connect(t.Context(), mcpclient.Config{
		Name: "features", Transport: &mcpclient.InProcess{Server: featureServer(t)},
		OnSampling: func(_ context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			mu.Lock()
			seen = append(seen, server+": "+req.Messages[0].Content.(mcp.TextContent).Text)
			mu.Unlock()
			return &mcp.CreateMessageResult{Model: "m1", StopReason: "endTurn",
				SamplingMessage: mcp.SamplingMessage{Role: mcp.RoleAssistant, Content: mcp.NewTextContent("hi there")}}, nil
		},
		Roots: []mcp.Root{{URI: "file:///one", Name: "one"}},
	})
	require.NoError(t, err)
	defer c.Close()

	assert.Equal(t, "m1: hi there", callText(t, c, "sample"))
	assert.Equal(t, []string{"features: hello"}, seen)

	assert.JSONEq(t, `[{"uri":"file:///one","name":"one"}]`, callText(t, c, "roots"))
	require.NoError(t, c.SetRoots(t.Context(), []mcp.Root{{URI: "file:///two"}}))
	assert.JSONEq(t, `[{"uri":"file:///two"}]`, callText(t, c, "roots"))

	res, err := c.ListResources(t.Context())
	require.NoError(t, err)
	require.Len(t, res, 1)
	contents, err := c.ReadResource(t.Context(), res[0].URI)
	require.NoError(t, err)
	assert.Equal(t, "the notes", contents[0].(mcp.TextResourceContents).Text)
	require.NoError(t, c.Subscribe(t.Context(), "mem://notes"))
	require.NoError(t, c.Unsubscribe(t.Context(), "mem://notes"))

	prompts, err := c.ListPrompts(t.Context())
	require.NoError(t, err)
	require.Len(t, prompts, 1)
	p, err := c.GetPrompt(t.Context(), "greet", map[string]string{"who": "Ada"})
	require.NoError(t, err)
	assert.Equal(t, "hello Ada", p.Messages[0].Content.(mcp.TextContent).Text)
}

func TestSetRootsWithoutDeclaringThem(t *testing.T) {
	c, err := mcpclient.Connect(t.Context(), mcpclient.Config{Name: "features", Transport: &mcpclient.InProcess{Server: featureServer(t)}})
	require.NoError(t, err)
	defer c.Close()
	err = c.SetRoots(t.Context(), []mcp.Root{{URI: "file:///x"}})
	require.ErrorIs(t, err, mcpclient.ErrRootsNotDeclared)
	var e *mcpclient.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "features", e.Server)
	// Without a sampling handler the server's request is refused.
	assert.Contains(t, callText(t, c, "sample"), "sampling")
}

func TestNotSupportedCapability(t *testing.T) {
	srv := server.NewMCPServer("bare", "1.0.0", server.WithToolCapabilities(false))
	c, err := mcpclient.Connect(t.Context(), mcpclient.Config{Name: "bare", Transport: &mcpclient.InProcess{Server: srv}})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ListResources(t.Context())
	require.ErrorIs(t, err, mcpclient.ErrNotSupported)
	_, err = c.GetPrompt(t.Context(), "x", nil)
	require.ErrorIs(t, err, mcpclient.ErrNotSupported)
}

// TestServerLogsReachSlog: log notifications arrive in Config.Logger with
// the server's name, the MCP level mapped to slog, the logger name and
// the data; LogLevel is sent at connect and SetLogLevel changes it.
func TestServerLogsReachSlog(t *testing.T) {
	h := &logRecorder{}
	c, err := mcpclient.Connect(t.Context(), mcpclient.Config{
		Name: "features", Transport: &mcpclient.InProcess{Server: featureServer(t)}, Logger: slog.New(h), LogLevel: mcp.LoggingLevelDebug,
	})
	require.NoError(t, err)
	defer c.Close()
	callText(t, c, "log")
	assert.Equal(t, []string{
		"DEBUG features debug db {\"level\":\"debug\"}",
		"WARN features warning db {\"level\":\"warning\"}",
		"ERROR+1 features critical db {\"level\":\"critical\"}",
	}, h.take())

	require.NoError(t, c.SetLogLevel(t.Context(), mcp.LoggingLevelError))
	callText(t, c, "log")
	assert.Equal(t, []string{"ERROR+1 features critical db {\"level\":\"critical\"}"}, h.take())
}

// logRecorder keeps the "mcp server log" records as one line each.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "mcp server log" {
		return nil
	}
	parts := []string{r.Level.String()}
	r.Attrs(func(a slog.Attr) bool {
		parts = append(parts, a.Value.String())
		return true
	})
	h.mu.Lock()
	h.lines = append(h.lines, strings.Join(parts, " "))
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.lines
	h.lines = nil
	return out
}

// TestSamplingInputRequest: a 2026-07-28 server asks for a completion with
// a multi round-trip result; Config.OnSampling gets the message content
// decoded as it is for a sampling/createMessage request, and the answer
// reaches the server with the retried call.
func TestSamplingInputRequest(t *testing.T) {
	srv := server.NewMCPServer("mrtr", "1.0.0", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("ask"), func(_ context.Context, call mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if res := server.SamplingResponse(call.Params.InputResponses, "s"); res != nil {
			return mcp.NewToolResultText("model " + res.Model), nil
		}
		var p mcp.CreateMessageParams
		p.Messages = []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("sample me")}}
		p.MaxTokens = 10
		return server.NewInputRequestBuilder("ask").Sample("s", p).ToolResult(), nil
	})
	h := mcptest.NewHTTPServer(t, srv, mcptest.KindStreamable)
	var got any
	c := connect(t, mcpclient.Config{Name: "mrtr", Transport: &mcpclient.HTTP{URL: h.URL},
		OnSampling: func(_ context.Context, _ string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			got = req.Messages[0].Content
			res := &mcp.CreateMessageResult{Model: "m"}
			res.Role = mcp.RoleAssistant
			res.Content = mcp.NewTextContent("done")
			return res, nil
		}})
	require.Equal(t, mcp.LATEST_PROTOCOL_VERSION, c.ProtocolVersion())
	assert.Equal(t, "model m", textOf(t, call(t, c, "ask", map[string]any{})))
	assert.Equal(t, mcp.NewTextContent("sample me"), got)
}
