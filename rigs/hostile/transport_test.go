package hostile_test

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/hostile"
)

// Bounds of the size attacks: the client accepts 1 MiB messages, every
// attack offers 128 MiB. What crosses the wire beyond the limit is what the
// socket buffers hold.
const (
	messageLimit = 1 << 20
	attackBytes  = 128 << 20
	wireSlack    = 32 << 20
	heapBound    = 64 << 20
)

// TestReplySizeIsBounded: whatever an HTTP or SSE server sends, the client
// reads at most about MaxMessageBytes of one message, fails the call naming
// the server, and its heap stays bounded. A message over the bound fails with
// ErrMessageTooLarge; an error status fails as that status whatever its body
// (mcp-go reads 64 KiB of an error body since v1.6.0).
func TestReplySizeIsBounded(t *testing.T) {
	type target struct {
		cfg     mcpclient.Config
		written func() int64
		status  int // the HTTP status the call fails with, when it is an error status
	}
	scenarios := []struct {
		name  string
		serve func(t *testing.T) target
	}{
		{"http 500 with an endless body", func(t *testing.T) target {
			s := hostile.NewHTTP(t, hostile.EndlessBody(http.StatusInternalServerError, "text/plain", attackBytes))
			return target{mcpclient.Config{Transport: &mcpclient.HTTP{URL: s.URL}}, s.Written, http.StatusInternalServerError}
		}},
		{"http 200 json body without end", func(t *testing.T) target {
			s := hostile.NewHTTP(t, hostile.EndlessBody(http.StatusOK, "application/json", attackBytes))
			return target{mcpclient.Config{Transport: &mcpclient.HTTP{URL: s.URL}}, s.Written, 0}
		}},
		{"http 500 event stream without end", func(t *testing.T) target {
			s := hostile.NewHTTP(t, hostile.EndlessBody(http.StatusInternalServerError, "text/event-stream", attackBytes))
			return target{mcpclient.Config{Transport: &mcpclient.HTTP{URL: s.URL}}, s.Written, http.StatusInternalServerError}
		}},
		{"http event stream with one endless event", func(t *testing.T) target {
			s := hostile.NewHTTP(t, hostile.EndlessSSEData(attackBytes))
			return target{mcpclient.Config{Transport: &mcpclient.HTTP{URL: s.URL}}, s.Written, 0}
		}},
		{"sse stream with one endless event", func(t *testing.T) target {
			s := hostile.NewSSE(t, attackBytes)
			return target{mcpclient.Config{Transport: &mcpclient.HTTP{URL: s.URL, SSE: true}}, s.Written, 0}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			tg := sc.serve(t)
			cfg := tg.cfg
			cfg.Name = "greedy"
			cfg.MaxMessageBytes = messageLimit
			c := connect(t, cfg)
			var err error
			grew := heapGrowth(func() {
				_, err = c.CallTool(testCtx(t, 60*time.Second), "attack", nil)
			})
			require.Error(t, err)
			if tg.status != 0 {
				var e *mcpclient.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tg.status, e.HTTPStatus)
			} else {
				assert.ErrorIs(t, err, mcpclient.ErrMessageTooLarge)
			}
			assert.Contains(t, err.Error(), `"greedy"`)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, tg.written(), int64(wireSlack), "bytes the server got to write")
			assert.Less(t, grew, uint64(heapBound), "heap allocated during the call")
		})
	}
}

// TestStreamStopsWithItsCall: a server that keeps a call's event stream
// going with small, valid events is read only while the call lasts.
func TestStreamStopsWithItsCall(t *testing.T) {
	s := hostile.NewHTTP(t, hostile.EndlessSSENotifications(1<<40))
	c := connect(t, mcpclient.Config{Name: "chatty", Transport: &mcpclient.HTTP{URL: s.URL}})
	ctx, cancel := context.WithCancel(testCtx(t, 60*time.Second))
	done := make(chan error, 1)
	go func() {
		_, err := c.CallTool(ctx, "attack", nil)
		done <- err
	}()
	for s.Written() < 4<<20 { // the stream is flowing
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	// The server notices the client went away without Close.
	require.Eventually(t, func() bool { return s.Attacking() == 0 }, 30*time.Second, 10*time.Millisecond)
}

// TestInProcessToolPanicIsTheCallsError: a tool handler that panics behind
// an in-process server fails that call only.
func TestInProcessToolPanicIsTheCallsError(t *testing.T) {
	srv := server.NewMCPServer("panicky", "1")
	srv.AddTool(mcp.NewTool("boom"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		panic("kaboom")
	})
	srv.AddTool(mcp.NewTool("fine"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	c := connect(t, mcpclient.Config{Name: "panicky", Transport: &mcpclient.InProcess{Server: srv}})
	_, err := c.CallTool(testCtx(t, 30*time.Second), "boom", nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, mcpclient.ErrServerPanic)
	assert.Contains(t, err.Error(), "kaboom")
	assert.Contains(t, err.Error(), `"panicky"`)
	res, err := c.CallTool(testCtx(t, 30*time.Second), "fine", json.RawMessage(`{}`))
	require.NoError(t, err)
	require.Len(t, res.Content, 1)
}

// TestCredentialsStayWithTheirOrigin: a server that redirects to another
// origin never gets the configured headers there.
func TestCredentialsStayWithTheirOrigin(t *testing.T) {
	elsewhere := hostile.NewHTTP(t, nil)
	redirector := hostile.NewRedirect(t, elsewhere.URL)
	cfg := mcpclient.Config{Name: "moved", Transport: &mcpclient.HTTP{URL: redirector.URL, Headers: map[string]string{
		"Authorization": "Bearer SECRET-A",
		"X-Api-Key":     "SECRET-B",
		"Cookie":        "session=SECRET-C",
	}}}
	c, err := mcpclient.Connect(testCtx(t, 30*time.Second), cfg)
	if err == nil {
		_, _ = c.CallTool(testCtx(t, 30*time.Second), "attack", nil)
		_ = c.Close()
	}
	require.NotEmpty(t, redirector.Headers(), "the configured origin was asked")
	assert.Equal(t, "Bearer SECRET-A", redirector.Headers()[0].Get("Authorization"))
	for _, h := range elsewhere.Headers() {
		for k, vs := range h {
			for _, v := range vs {
				assert.NotContains(t, v, "SECRET", "header %s sent to another origin", k)
			}
		}
	}
	require.Error(t, err, "a redirect to another origin is not followed")
	assert.Contains(t, err.Error(), "redirect")
}
