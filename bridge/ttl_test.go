package bridge

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ttlServer is a 2026-07-28 server whose tools/list results carry ttlMs
// ttl; lists counts its tools/list requests.
func ttlServer(ttl int64, lists *atomic.Int64) *server.MCPServer {
	hooks := &server.Hooks{}
	hooks.AddBeforeListTools(func(context.Context, any, *mcp.ListToolsRequest) { lists.Add(1) })
	srv := server.NewMCPServer("ttl", "1.0.0", server.WithToolCapabilities(true), server.WithHooks(hooks),
		server.WithMethodCacheHints(mcp.MethodToolsList, ttl, mcp.CacheScopePrivate))
	srv.AddTool(mcp.NewTool("echo"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	return srv
}

// TestToolsTTL: a listing is kept for the ttlMs the server gave it (no
// relisting before, whatever the number of turns), fetched again before the
// first turn after it, and kept at least a second however short the ttl.
func TestToolsTTL(t *testing.T) {
	t.Run("kept for the ttl", func(t *testing.T) {
		var lists atomic.Int64
		b := newBridge(t, []Server{InProcess("s", ttlServer(time.Hour.Milliseconds(), &lists))})
		require.Equal(t, mcp.LATEST_PROTOCOL_VERSION, b.conns["s"].client.ProtocolVersion())
		for range 3 {
			_, err := b.Toolbox(ctxT(t))
			require.NoError(t, err)
		}
		assert.Equal(t, int64(1), lists.Load(), "relisted before the ttl ran out")

		b.conns["s"].expires.Store(time.Now().Add(-time.Millisecond).UnixNano()) // the hour passed
		_, err := b.Toolbox(ctxT(t))
		require.NoError(t, err)
		assert.Equal(t, int64(2), lists.Load(), "not relisted after the ttl")
		_, err = b.Toolbox(ctxT(t))
		require.NoError(t, err)
		assert.Equal(t, int64(2), lists.Load(), "the new listing has a ttl of its own")
	})
	t.Run("bounded", func(t *testing.T) {
		for _, tc := range []struct {
			ttl      int64
			min, max time.Duration
		}{
			{0, minToolsTTL, minToolsTTL + time.Minute},
			{(365 * 24 * time.Hour).Milliseconds(), maxToolsTTL - time.Minute, maxToolsTTL},
		} {
			var lists atomic.Int64
			before := time.Now()
			b := newBridge(t, []Server{InProcess("s", ttlServer(tc.ttl, &lists))})
			after := time.Now()
			expires := time.Unix(0, b.conns["s"].expires.Load())
			assert.GreaterOrEqual(t, expires.Sub(before), tc.min, "ttl %d", tc.ttl)
			assert.LessOrEqual(t, expires.Sub(after), tc.max, "ttl %d", tc.ttl)
			_, err := b.Toolbox(ctxT(t))
			require.NoError(t, err)
			assert.Equal(t, int64(1), lists.Load(), "ttl %d: relisted at once", tc.ttl)
		}
	})
	t.Run("handshake versions have none", func(t *testing.T) {
		var lists atomic.Int64
		srv := InProcess("s", ttlServer(time.Hour.Milliseconds(), &lists))
		srv.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
		b := newBridge(t, []Server{srv})
		assert.Zero(t, b.conns["s"].expires.Load())
	})
}
