package hostile_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/hostile"
)

// TestRequestFloodIsBounded: a stdio server that floods the client with
// pings and stops reading its stdin costs a bounded number of goroutines.
func TestRequestFloodIsBounded(t *testing.T) {
	c := connect(t, hostile.StdioConfig("flood", hostile.ModePingFlood, nil))
	base := runtime.NumGoroutine()
	var peak int
	grew := heapGrowth(func() {
		res, err := c.CallTool(testCtx(t, 60*time.Second), "attack", nil)
		require.NoError(t, err)
		require.NotEmpty(t, res.Content)
		peak = runtime.NumGoroutine()
	})
	assert.Less(t, peak-base, 200, "goroutines after %d pings", hostile.PingFloodCount)
	assert.Less(t, grew, uint64(256<<20), "heap allocated during the flood")
}

// TestDroppedReplyFailsItsCall: a reply the client cannot take (too long
// or too deeply nested) fails the call waiting for it at once.
func TestDroppedReplyFailsItsCall(t *testing.T) {
	for _, tc := range []struct {
		mode hostile.StdioMode
		want error
		text string
	}{
		{hostile.ModeOversizedReplyIDFirst, mcpclient.ErrMessageTooLarge, "bytes"},
		{hostile.ModeOversizedReplyIDLast, mcpclient.ErrMessageTooLarge, "bytes"},
		{hostile.ModeDeepReply, mcpclient.ErrMalformedMessage, "decode"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			cfg := hostile.StdioConfig("dropper", tc.mode, nil)
			cfg.MaxMessageBytes = messageLimit
			c := connect(t, cfg)
			// No deadline of the call's own: only the reply's fate ends it
			// (the test's context is a guard against a hang).
			_, err := c.CallTool(testCtx(t, 45*time.Second), "attack", nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.text)
			assert.Contains(t, err.Error(), `"dropper"`)
		})
	}
}

// TestMalformedLinesDoNotFailTheCall: lines of malformed JSON within the
// limits, even ones that carry the call's id, are logged and ignored; the
// real reply that follows answers the call (docs/failures.md
// promises it). Only a reply the reader had to drop fails its call
// (TestDroppedReplyFailsItsCall).
func TestMalformedLinesDoNotFailTheCall(t *testing.T) {
	cfg := hostile.StdioConfig("garbler", hostile.ModePartialThenReply, nil)
	cfg.MaxMessageBytes = messageLimit
	c := connect(t, cfg)
	for range 3 {
		res, err := c.CallTool(testCtx(t, 45*time.Second), "attack", nil)
		require.NoError(t, err)
		require.Len(t, res.Content, 1)
		assert.Equal(t, "done", res.Content[0].(mcp.TextContent).Text)
	}
}

// TestEndlessListingsAreBounded: a server whose listings never end (small
// pages, a new cursor each time) cannot make the client hold more than
// MaxMessageBytes of one listing: the listing fails with
// ErrMessageTooLarge instead of growing until the caller's context ends.
func TestEndlessListingsAreBounded(t *testing.T) {
	cfg := hostile.StdioConfig("pager", hostile.ModeEndlessPages, nil)
	cfg.MaxMessageBytes = messageLimit
	c := connect(t, cfg)
	lists := map[string]func(ctx context.Context) error{
		"tools/list":               func(ctx context.Context) error { _, err := c.ListTools(ctx); return err },
		"resources/list":           func(ctx context.Context) error { _, err := c.ListResources(ctx); return err },
		"resources/templates/list": func(ctx context.Context) error { _, err := c.ListResourceTemplates(ctx); return err },
		"prompts/list":             func(ctx context.Context) error { _, err := c.ListPrompts(ctx); return err },
	}
	for name, list := range lists {
		t.Run(name, func(t *testing.T) {
			err := list(testCtx(t, 30*time.Second))
			require.Error(t, err)
			assert.ErrorIs(t, err, mcpclient.ErrMessageTooLarge)
			assert.Contains(t, err.Error(), name)
			assert.Contains(t, err.Error(), `"pager"`)
		})
	}
}

// TestSetsidGrandchildEndsWithClose: a helper that left the server's
// process group with setsid is ended by Close too.
func TestSetsidGrandchildEndsWithClose(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	pidfile := filepath.Join(t.TempDir(), "pid")
	c, err := mcpclient.Connect(testCtx(t, 30*time.Second), hostile.StdioConfig("daemoniser", hostile.ModeSetsidChild, map[string]string{hostile.EnvPidfile: pidfile}))
	require.NoError(t, err)
	pid := waitPid(t, pidfile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	require.True(t, running(pid))
	require.NoError(t, c.Close())
	assert.False(t, running(pid), "the setsid grandchild %d outlived Close", pid)
}

func waitPid(t *testing.T, path string) int {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		raw, err := os.ReadFile(path)
		if err == nil && len(raw) > 0 {
			pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			require.NoError(t, err)
			return pid
		}
	}
	t.Fatalf("no pid in %s", path)
	return 0
}

// running reports whether pid is a live process (not a zombie).
func running(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z' && s[i+2] != 'X'
}
