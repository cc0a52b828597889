package hostile_test

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/rigs/hostile"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// withSecrets puts a password and an API key into a server URL, as users
// do with servers that take their key in the query.
func withSecrets(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.User = url.UserPassword("alice", "PASSWORD-1")
	u.RawQuery = "api_key=SECRET-2&mode=x"
	return u.String()
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestURLSecretsStayOut: credentials in a server URL appear in no error,
// diagnostic, log line or model output, whichever way the server fails.
func TestURLSecretsStayOut(t *testing.T) {
	hangup := hostile.NewHTTP(t, hostile.HangUp())
	var logs logBuffer
	servers := []bridge.Server{
		bridge.InProcess("good", mcptest.NewServer()),
		bridge.HTTP("unreachable", withSecrets(t, "http://"+closedPort(t)+"/mcp")),
		bridge.SSE("unreachable-sse", withSecrets(t, "http://"+closedPort(t)+"/sse")),
		bridge.HTTP("hangup", withSecrets(t, hangup.URL)),
	}
	// Without skipping, New fails: its error names both servers, not their secrets.
	_, startErr := bridge.New(testCtx(t, 60*time.Second), servers, bridge.WithLogger(logs.logger()))
	require.Error(t, startErr)
	b, err := bridge.New(testCtx(t, 60*time.Second), servers, bridge.WithLogger(logs.logger()), bridge.WithSkipFailedServers(true))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })

	seen := []string{startErr.Error()}
	require.Len(t, b.MissingServers(), 2)
	for _, m := range b.MissingServers() {
		seen = append(seen, m.Error())
	}
	for _, d := range b.Diagnostics() {
		seen = append(seen, d.String())
	}
	fn := ""
	for _, ft := range b.FunctionTools() {
		if ft.Server == "hangup" {
			fn = ft.Name
		}
	}
	require.NotEmpty(t, fn)
	_, err = b.Call(testCtx(t, 60*time.Second), fn, `{}`)
	require.Error(t, err)
	seen = append(seen, err.Error(), logs.String())
	all := strings.Join(seen, "\n")
	assert.Contains(t, all, "127.0.0.1", "errors still say where")
	for _, secret := range []string{"PASSWORD-1", "SECRET-2"} {
		assert.NotContains(t, all, secret)
	}
	// mcp-go's own lines go through the same logger and name the server.
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, "listening") || strings.Contains(line, "SSE") {
			assert.Contains(t, line, "server=", "log line without the server: %s", line)
		}
	}
}

// TestUnusableToolNamesAreDiagnosed: tools without a usable name, or
// listed twice, are reported like every dropped tool.
func TestUnusableToolNamesAreDiagnosed(t *testing.T) {
	b, err := bridge.New(testCtx(t, 60*time.Second), []bridge.Server{{Config: hostile.StdioConfig("sloppy", hostile.ModeBadToolNames, nil)}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	require.Len(t, b.FunctionTools(), 1)
	var dropped []string
	for _, d := range b.Diagnostics() {
		if d.Server == "sloppy" && d.Dropped {
			dropped = append(dropped, fmt.Sprintf("%s|%s|%s", d.Tool, d.Field, d.Reason))
		}
	}
	t.Log(dropped)
	require.Len(t, dropped, 4, "empty name, no name, not an object, listed twice")
	joined := strings.Join(dropped, "\n")
	assert.Contains(t, joined, "attack|")
	assert.Contains(t, joined, "twice")
	for _, i := range []string{"0", "1", "2"} {
		assert.Contains(t, joined, "entry "+i)
	}
}
