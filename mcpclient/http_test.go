package mcpclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestHTTPSessionExpiryReinitializes(t *testing.T) {
	h := mcptest.NewHTTPServer(t, mcptest.NewServer(), mcptest.KindStreamable)
	c := connect(t, mcpclient.Config{Name: "expiring", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: h.URL}})
	assert.Equal(t, "one", textOf(t, call(t, c, "echo", map[string]any{"text": "one"})))
	require.Equal(t, 1, h.Initializes())

	h.ExpireSessions()
	// The server now answers 404 for the session: the client starts a new
	// session and retries, invisibly to the caller.
	assert.Equal(t, "two", textOf(t, call(t, c, "echo", map[string]any{"text": "two"})))
	assert.Equal(t, 2, h.Initializes())
	tools, err := c.ListTools(testCtx(t))
	require.NoError(t, err)
	assert.NotEmpty(t, tools)

	h.ExpireSessions()
	tools, err = c.ListTools(testCtx(t))
	require.NoError(t, err, "listing retries after expiry too")
	assert.NotEmpty(t, tools)
	assert.Equal(t, 3, h.Initializes())
}

func TestHTTPServerDownAndBack(t *testing.T) {
	for _, kind := range []string{mcptest.KindStreamable, mcptest.KindSSE} {
		t.Run(kind, func(t *testing.T) {
			h := mcptest.NewHTTPServer(t, mcptest.NewServer(), kind)
			cfg := mcpclient.Config{Name: "flaky-" + kind, Transport: &mcpclient.HTTP{URL: h.URL, SSE: kind == mcptest.KindSSE}}
			c := connect(t, cfg)
			assert.Equal(t, "before", textOf(t, call(t, c, "echo", map[string]any{"text": "before"})))

			h.Stop()
			_, err := c.CallTool(testCtx(t), "echo", json.RawMessage(`{"text":"down"}`))
			e := requireMCPError(t, err, mcpclient.OpCall)
			assert.Equal(t, "flaky-"+kind, e.Server)

			require.NoError(t, h.Start())
			// The restarted server knows no sessions; the client notices
			// and reconnects.
			assert.Equal(t, "after", textOf(t, call(t, c, "echo", map[string]any{"text": "after"})))
			assert.Equal(t, "again", textOf(t, call(t, c, "echo", map[string]any{"text": "again"})))
		})
	}
}

func TestSSEStreamDropped(t *testing.T) {
	h := mcptest.NewHTTPServer(t, mcptest.NewServer(), mcptest.KindSSE)
	c := connect(t, mcpclient.Config{Name: "sse", Transport: &mcpclient.HTTP{URL: h.URL, SSE: true}})
	assert.Equal(t, "a", textOf(t, call(t, c, "echo", map[string]any{"text": "a"})))
	h.ExpireSessions() // ends every SSE stream
	// Whether the client saw the stream end before this call or learns it
	// from the server's "Invalid session ID", it reconnects and retries.
	assert.Equal(t, "b", textOf(t, call(t, c, "echo", map[string]any{"text": "b"})))
}

func TestHTTPHeadersAreSent(t *testing.T) {
	for _, kind := range []string{mcptest.KindStreamable, mcptest.KindSSE} {
		t.Run(kind, func(t *testing.T) {
			var missing atomic.Int64
			var stream http.Handler
			base := ""
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer token-123" || r.Header.Get("X-Team") != "blue" {
					missing.Add(1)
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
				stream.ServeHTTP(w, r)
			}))
			base = srv.URL
			mcpSrv := mcptest.NewServer()
			var sse *server.SSEServer
			var url string
			if kind == mcptest.KindSSE {
				sse = server.NewSSEServer(mcpSrv, server.WithBaseURL(base))
				stream = sse
				url = base + "/sse"
			} else {
				stream = server.NewStreamableHTTPServer(mcpSrv)
				url = base + "/mcp"
			}
			t.Cleanup(func() {
				if sse != nil {
					sse.CloseSessions()
				}
				srv.CloseClientConnections()
				srv.Close()
			})
			remote := &mcpclient.HTTP{URL: url, SSE: kind == mcptest.KindSSE, Headers: map[string]string{"Authorization": "Bearer token-123", "X-Team": "blue"}}
			cfg := mcpclient.Config{Name: "auth", Transport: remote}
			c := connect(t, cfg)
			assert.Equal(t, "x", textOf(t, call(t, c, "echo", map[string]any{"text": "x"})))
			require.NoError(t, c.Close())
			assert.Zero(t, missing.Load(), "a request went out without the configured headers")

			// Without the headers the server refuses, and the error says where.
			remote.Headers = nil
			_, err := mcpclient.Connect(testCtx(t), cfg)
			op := mcpclient.OpSpawn // SSE fails opening its stream
			if kind == mcptest.KindStreamable {
				op = mcpclient.OpHandshake // the first POST is initialize
			}
			e := requireMCPError(t, err, op)
			assert.Equal(t, "auth", e.Server)
			assert.NotContains(t, err.Error(), "token-123")
		})
	}
}

// TestHTTPSessionExpiryWithCallsInFlight: calls sent at once on a session
// the server has forgotten each get a 404 (so none ran); every one is
// re-sent once on the new session and runs exactly once. Closing the old
// session when the first 404 came back used to cancel the others, which
// failed with "context canceled".
func TestHTTPSessionExpiryWithCallsInFlight(t *testing.T) {
	const calls = 5
	for _, perUser := range []bool{false, true} {
		t.Run(map[bool]string{false: "shared", true: "per_user"}[perUser], func(t *testing.T) {
			var ran atomic.Int64
			srv := server.NewMCPServer("counting", "1.0.0")
			srv.AddTool(mcp.NewTool("count", mcp.WithString("text")), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				ran.Add(1)
				return mcp.NewToolResultText(req.GetString("text", "")), nil
			})
			h := mcptest.NewHTTPServer(t, srv, mcptest.KindStreamable)
			cfg := mcpclient.Config{Name: "expiring", ProtocolVersion: sessionProtocol, Transport: &mcpclient.HTTP{URL: h.URL}}
			ctx := testCtx(t)
			var c *mcpclient.Client
			if perUser {
				p, err := mcpclient.NewSessions(cfg, mcpclient.SessionLimits{})
				require.NoError(t, err)
				defer p.Close()
				ctx = mcpclient.WithUser(ctx, mcpclient.User{ID: "u"})
				var release func()
				c, release, err = p.Get(ctx)
				require.NoError(t, err)
				defer release()
			} else {
				c = connect(t, cfg)
			}
			for round := range 3 {
				ran.Store(0)
				h.ExpireSessions()
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range calls {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						text := fmt.Sprintf("%d-%d", round, i)
						res, err := c.CallTool(ctx, "count", json.RawMessage(fmt.Sprintf(`{"text":%q}`, text)))
						if assert.NoError(t, err, text) {
							assert.Equal(t, text, textOfNoT(res))
						}
					}()
				}
				close(start)
				wg.Wait()
				assert.Equal(t, int64(calls), ran.Load(), "every call ran once")
			}
		})
	}
}

// TestHTTPMessagesUpToMaxMessageBytes: MaxMessageBytes is the one bound on
// what an HTTP server may send. mcp-go's transports carry their own, lower
// default (32 MiB since v1.6.0), which must not cut in below ours.
func TestHTTPMessagesUpToMaxMessageBytes(t *testing.T) {
	const size = 33 << 20 // over mcp-go's default, under ours
	for _, kind := range []string{mcptest.KindStreamable, mcptest.KindSSE} {
		t.Run(kind, func(t *testing.T) {
			h := mcptest.NewHTTPServer(t, mcptest.NewServer(), kind)
			c := connect(t, mcpclient.Config{Name: "large-" + kind, Transport: &mcpclient.HTTP{URL: h.URL, SSE: kind == mcptest.KindSSE}})
			res := call(t, c, "big", map[string]any{"bytes": size})
			require.Len(t, textOf(t, res), size)
		})
	}
}
