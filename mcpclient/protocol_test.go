package mcpclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// TestProtocolVersions: by default Connect speaks the stateless protocol
// (server/discover, per-request _meta) of 2026-07-28 with a server that
// offers it (mcp-go v1.6.0 over streamable HTTP and in process); asked for
// a handshake version, it runs the initialize handshake at that version.
// Tools list and run either way.
func TestProtocolVersions(t *testing.T) {
	for _, version := range []string{"", mcp.LATEST_LEGACY_PROTOCOL_VERSION} {
		want := version
		if want == "" {
			want = mcp.LATEST_PROTOCOL_VERSION
		}
		for _, kind := range []string{mcptest.KindStreamable, "inprocess"} {
			t.Run(kind+"/"+want, func(t *testing.T) {
				var tr mcpclient.Transport = &mcpclient.InProcess{Server: mcptest.NewServer()}
				if kind == mcptest.KindStreamable {
					h := mcptest.NewHTTPServer(t, mcptest.NewServer(), kind)
					tr = &mcpclient.HTTP{URL: h.URL}
				}
				c := connect(t, mcpclient.Config{Name: "versions", Transport: tr, ProtocolVersion: version})
				assert.Equal(t, want, c.ProtocolVersion())
				tools, err := c.ListTools(testCtx(t))
				require.NoError(t, err)
				assert.NotEmpty(t, tools)
				assert.Equal(t, "hi", textOf(t, call(t, c, "echo", map[string]any{"text": "hi"})))
			})
		}
	}
}

// TestProtocolNegotiatedDown: asked for 2026-07-28, a server that offers
// only the handshake versions gets the handshake at 2025-11-25 (mcp-go's
// server/discover probe is refused, and the client falls back).
func TestProtocolNegotiatedDown(t *testing.T) {
	h := server.NewStreamableHTTPServer(mcptest.NewServer(),
		server.WithStreamableHTTPProtocolVersions(mcp.LegacyProtocolVersions()...))
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c := connect(t, mcpclient.Config{Name: "legacy", Transport: &mcpclient.HTTP{URL: ts.URL},
		ProtocolVersion: mcp.ProtocolVersion20260728})
	assert.Equal(t, mcp.ProtocolVersion20251125, c.ProtocolVersion())
	assert.Equal(t, "hi", textOf(t, call(t, c, "echo", map[string]any{"text": "hi"})))
}

// TestModernHTTPHeaders: on a 2026-07-28 streamable HTTP connection every
// POST names its method and target (Mcp-Method, Mcp-Name), and an argument
// whose schema carries x-mcp-header is mirrored in its Mcp-Param header.
func TestModernHTTPHeaders(t *testing.T) {
	srv := server.NewMCPServer("headers", "1.0.0", server.WithToolCapabilities(false))
	tool := mcp.NewTool("route", mcp.WithString("region"), mcp.WithString("query"))
	tool.InputSchema.Properties["region"].(map[string]any)["x-mcp-header"] = "Region"
	srv.AddTool(tool, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	var mu sync.Mutex
	var seen []http.Header
	h := server.NewStreamableHTTPServer(srv)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c := connect(t, mcpclient.Config{Name: "headers", Transport: &mcpclient.HTTP{URL: ts.URL},
		ProtocolVersion: mcp.ProtocolVersion20260728})
	_, err := c.ListTools(testCtx(t))
	require.NoError(t, err)
	assert.Equal(t, "ok", textOf(t, call(t, c, "route", map[string]any{"region": "eu-west", "query": "q"})))
	mu.Lock()
	defer mu.Unlock()
	var call http.Header
	for _, hd := range seen {
		if hd.Get("Mcp-Method") == "tools/call" {
			call = hd
		}
	}
	require.NotNil(t, call, "a tools/call POST with Mcp-Method")
	assert.Equal(t, "route", call.Get("Mcp-Name"))
	assert.Equal(t, "eu-west", call.Get("Mcp-Param-Region"))
	assert.Empty(t, call.Get("Mcp-Param-Query"))
	assert.Equal(t, mcp.ProtocolVersion20260728, call.Get("Mcp-Protocol-Version"))
}

// TestModernInvalidHeaderToolsSkipped: on a 2026-07-28 HTTP connection a
// tool whose x-mcp-header annotation is invalid is left out of ListTools
// (and reported as skipped); the valid ones stay. On the handshake
// versions annotations mean nothing and every tool is listed.
func TestModernInvalidHeaderToolsSkipped(t *testing.T) {
	srv := server.NewMCPServer("headers", "1.0.0", server.WithToolCapabilities(false))
	ok := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}
	good := mcp.NewTool("good", mcp.WithString("region"))
	good.InputSchema.Properties["region"].(map[string]any)["x-mcp-header"] = "Region"
	bad := mcp.NewTool("bad", mcp.WithObject("data"))
	srv.AddTool(good, ok)
	srv.AddTool(bad, ok)
	// mcp-go's server refuses such a tool, so it is spoilt once added (the
	// server keeps the same schema map): other servers are not so careful.
	bad.InputSchema.Properties["data"].(map[string]any)["x-mcp-header"] = "Data"
	ts := httptest.NewServer(server.NewStreamableHTTPServer(srv))
	t.Cleanup(ts.Close)
	for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			c := connect(t, mcpclient.Config{Name: "headers", Transport: &mcpclient.HTTP{URL: ts.URL}, ProtocolVersion: version})
			var skipped []mcpclient.SkippedTool
			tools, err := c.ListTools(testCtx(t), mcpclient.ReportSkipped(func(s mcpclient.SkippedTool) { skipped = append(skipped, s) }))
			require.NoError(t, err)
			var names []string
			for _, tl := range tools {
				names = append(names, tl.Name)
			}
			if version == mcp.ProtocolVersion20260728 {
				assert.Equal(t, []string{"good"}, names)
				require.Len(t, skipped, 1)
				assert.Equal(t, "bad", skipped[0].Name)
				assert.Contains(t, skipped[0].Reason, "x-mcp-header")
			} else {
				assert.ElementsMatch(t, []string{"good", "bad"}, names)
				assert.Empty(t, skipped)
			}
		})
	}
}
