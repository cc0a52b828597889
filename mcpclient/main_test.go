package mcpclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// serverBin is the mcptestserver binary, built once in TestMain.
var serverBin string

func TestMain(m *testing.M) {
	path, err := mcptest.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = path
	mcptest.VerifyTestMain(m)
}

// testCtx bounds a test's blocking calls so a bug fails instead of hanging.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func stdioConfig(name string, args ...string) mcpclient.Config {
	return mcpclient.Config{Name: name, Transport: &mcpclient.Stdio{Command: serverBin, Args: args}}
}

// stdioOf is the stdio transport of a config made by stdioConfig.
func stdioOf(cfg mcpclient.Config) *mcpclient.Stdio { return cfg.Transport.(*mcpclient.Stdio) }

func connect(t *testing.T, cfg mcpclient.Config) *mcpclient.Client {
	t.Helper()
	c, err := mcpclient.Connect(testCtx(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// transportCase connects one kind of transport to a fresh mcptest server.
type transportCase struct {
	name    string
	connect func(t *testing.T, cfg mcpclient.Config, opts ...mcptest.Option) *mcpclient.Client
}

var transports = []transportCase{
	{"inprocess", func(t *testing.T, cfg mcpclient.Config, opts ...mcptest.Option) *mcpclient.Client {
		cfg.Transport = &mcpclient.InProcess{Server: mcptest.NewServer(opts...)}
		return connect(t, cfg)
	}},
	{"stdio", func(t *testing.T, cfg mcpclient.Config, opts ...mcptest.Option) *mcpclient.Client {
		cfg.Transport = &mcpclient.Stdio{Command: serverBin, Args: optionFlags(opts)}
		return connect(t, cfg)
	}},
	{"sse", func(t *testing.T, cfg mcpclient.Config, opts ...mcptest.Option) *mcpclient.Client {
		h := mcptest.NewHTTPServer(t, mcptest.NewServer(opts...), mcptest.KindSSE)
		cfg.Transport = &mcpclient.HTTP{URL: h.URL, SSE: true}
		return connect(t, cfg)
	}},
	{"http", func(t *testing.T, cfg mcpclient.Config, opts ...mcptest.Option) *mcpclient.Client {
		h := mcptest.NewHTTPServer(t, mcptest.NewServer(opts...), mcptest.KindStreamable)
		cfg.Transport = &mcpclient.HTTP{URL: h.URL}
		return connect(t, cfg)
	}},
}

// manyTools and pageSize are the options the transport tests pass; the
// stdio server gets them as flags.
const (
	manyTools = 40
	pageSize  = 7
)

func optionFlags(opts []mcptest.Option) []string {
	if len(opts) == 0 {
		return nil
	}
	return []string{"-tools", strconv.Itoa(manyTools), "-page-size", strconv.Itoa(pageSize)}
}

func textOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	require.NotEmpty(t, res.Content)
	tc, ok := mcp.AsTextContent(res.Content[0])
	require.True(t, ok, "first content block is %T", res.Content[0])
	return tc.Text
}

func call(t *testing.T, c *mcpclient.Client, tool string, args any, opts ...mcpclient.CallOption) *mcp.CallToolResult {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	res, err := c.CallTool(testCtx(t), tool, raw, opts...)
	require.NoError(t, err)
	return res
}

func requireMCPError(t *testing.T, err error, op mcpclient.Op) *mcpclient.Error {
	t.Helper()
	require.Error(t, err)
	var e *mcpclient.Error
	require.True(t, errors.As(err, &e), "error %v (%T) is not an *mcpclient.Error", err, err)
	require.Equal(t, op, e.Op, "error: %v", err)
	return e
}

// readPid waits for a pidfile written by the test server.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		raw, err := os.ReadFile(path)
		if err == nil && len(raw) > 0 {
			pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
			require.NoError(t, err)
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tempPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}
