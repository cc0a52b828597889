package hostile_test

import (
	"errors"
	"fmt"
	"github.com/mcpbridge/mcpbridge/rigs/offered"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
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
		{Config: bridge.ServerConfig{Name: "unreachable-sse", Transport: &bridge.HTTPTransport{URL: withSecrets(t, "http://"+closedPort(t)+"/sse"), SSE: true}}},
		bridge.HTTP("hangup", withSecrets(t, hangup.URL)),
	}
	// Without skipping, New fails: its error names both servers, not their secrets.
	_, startErr := bridge.New(testCtx(t, 60*time.Second), servers, bridge.WithLogger(logs.logger()))
	require.Error(t, startErr)
	b, err := bridge.New(testCtx(t, 60*time.Second), servers, bridge.WithLogger(logs.logger()), bridge.WithSkipFailedServers())
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
	for _, ft := range offered.Functions(b) {
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
	require.Len(t, b.Routes(), 1)
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

// TestEchoedSecretsStayOut: values the bridge hands a server (a token in
// its arguments, a key in its environment, header values) appear in no
// error, stderr tail, diagnostic, log line or model output, even when the
// server prints them on stderr or quotes them in an HTTP error body.
func TestEchoedSecretsStayOut(t *testing.T) {
	const argSecret, envSecret, tokenSecret, headerSecret = "arg-s3cret-91c2e7a4", "env-s3cret-5f0b88d1", "tok-s3cret-1e2d3c4b", "hdr-s3cret-a9b8c7d6"
	echo := func(name string, exitEarly bool) bridge.Server {
		env := map[string]string{"SERVICE_API_KEY": envSecret}
		if exitEarly {
			env[hostile.EchoSecretsAndExit] = "1"
		}
		cfg := hostile.StdioConfig(name, hostile.ModeEchoSecrets, env)
		st := cfg.Transport.(*mcpclient.Stdio)
		st.Args = append(st.Args, "--token", argSecret)
		return bridge.Server{Config: cfg}
	}
	quoting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad key "+r.Header.Get("X-Api-Key")+" with "+r.Header.Get("Authorization"), http.StatusInternalServerError)
	}))
	t.Cleanup(quoting.Close)
	remote := bridge.HTTP("quoting", quoting.URL+"/mcp")
	remote.Transport.(*mcpclient.HTTP).Headers = map[string]string{"X-Api-Key": headerSecret, "Authorization": "Bearer " + tokenSecret}
	servers := []bridge.Server{echo("early", true), remote, echo("crashing", false)}

	var logs logBuffer
	_, startErr := bridge.New(testCtx(t, 60*time.Second), servers, bridge.WithLogger(logs.logger()))
	require.Error(t, startErr)
	b, err := bridge.New(testCtx(t, 60*time.Second), servers, bridge.WithLogger(logs.logger()), bridge.WithSkipFailedServers())
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	seen := []string{startErr.Error()}
	failed, ok := startErr.(interface{ Unwrap() []error })
	require.True(t, ok, "New's error lists the failed servers")
	for _, f := range failed.Unwrap() {
		var se *bridge.ServerError
		if errors.As(f, &se) {
			seen = append(seen, se.Stderr)
		}
	}
	require.Len(t, b.MissingServers(), 2)
	for _, m := range b.MissingServers() {
		seen = append(seen, m.Error(), m.Stderr)
	}
	for _, d := range b.Diagnostics() {
		seen = append(seen, d.String())
	}
	_, err = b.Call(testCtx(t, 60*time.Second), "crashing__attack", `{}`)
	require.Error(t, err)
	seen = append(seen, err.Error(), logs.String())
	all := strings.Join(seen, "\n")
	require.Contains(t, all, "starting with", "the stderr tail is still shown")
	require.Contains(t, all, "HTTP 500")
	for _, secret := range []string{argSecret, envSecret, tokenSecret, headerSecret} {
		assert.NotContains(t, all, secret)
	}
}
