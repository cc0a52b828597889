package bridge_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// A stdio server that never answers the handshake (an npx config with a
// wrong environment, say) fails with an error that says a timeout ran out,
// which one, and how to change it, instead of a bare "context deadline
// exceeded".
func TestHungServerNamesTheConnectTimeout(t *testing.T) {
	_, err := bridge.New(context.Background(),
		[]bridge.Server{bridge.Stdio("hung", "sleep", "60")},
		bridge.WithConnectTimeout(300*time.Millisecond))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `mcp server "hung": handshake: timed out after 300ms`)
	assert.Contains(t, msg, "connect timeout")
	assert.Contains(t, msg, "bridge.WithConnectTimeout")
	assert.NotContains(t, msg, "context deadline exceeded", "the cause is said in words")
	assert.ErrorIs(t, err, bridge.ErrConnectTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the cause stays reachable")
}

// The caller's own deadline is not blamed on the connect timeout.
func TestCallersDeadlineIsNotTheConnectTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := bridge.New(ctx, []bridge.Server{bridge.Stdio("hung", "sleep", "60")},
		bridge.WithConnectTimeout(time.Hour))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, bridge.ErrConnectTimeout)
	assert.NotContains(t, err.Error(), "WithConnectTimeout")
}

// A URL that could never reach a server is refused by New before any
// server starts, naming the server and the field; the URL itself is not
// quoted, since it may carry a credential.
func TestServerURLsAreCheckedBeforeAnythingStarts(t *testing.T) {
	cases := []struct{ url, want string }{
		{"not a url", "does not start with http:// or https://"},
		{"localhost:8080/mcp?key=s3cret", "does not start with http:// or https://"},
		{"token:s3cret@wiki.internal/mcp", "does not start with http:// or https://"},
		{"ftp://wiki.internal/mcp", `has scheme "ftp"`},
		{"file:///tmp/mcp.sock", `has scheme "file"`},
		{"http:///mcp", "has no host"},
		{"http://s3cret@[::1/mcp", "is not a valid URL"},
		{"", "is empty"},
	}
	for _, tc := range cases {
		for _, srv := range []bridge.Server{bridge.HTTP("wiki", tc.url), {Config: bridge.ServerConfig{Name: "wiki", Transport: &bridge.HTTPTransport{URL: tc.url, SSE: true}}}} {
			// If New started anything, the stdio server's spawn failure
			// would be in the error too.
			_, err := bridge.New(context.Background(), []bridge.Server{
				bridge.Stdio("never-started", "/nonexistent/server"), srv,
			})
			require.Error(t, err, "%q", tc.url)
			msg := err.Error()
			assert.Contains(t, msg, `server "wiki": HTTP.URL `+tc.want, "%q", tc.url)
			assert.NotContains(t, msg, "never-started", "nothing started: %q", tc.url)
			assert.NotContains(t, msg, "s3cret", "%q", tc.url)
		}
	}
}

// mcp-go wraps a refused connection twice in the same words; the message
// says it once.
func TestNoErrorTextIsDoubled(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	_, err = bridge.New(context.Background(), []bridge.Server{bridge.HTTP("wiki", "http://"+addr+"/mcp")})
	require.Error(t, err)
	assertNoRepeatedParts(t, err.Error())
	assert.Contains(t, err.Error(), "connection refused")
}

func assertNoRepeatedParts(t *testing.T, msg string) {
	t.Helper()
	parts := strings.Split(msg, ": ")
	for i := 1; i < len(parts); i++ {
		if parts[i] == parts[i-1] {
			t.Errorf("%q said twice in %q", parts[i], msg)
		}
	}
}

// A per-user session whose server never answers that user fails the call
// with the connect timeout named, as a shared connection does, not with a
// bare "context deadline exceeded".
func TestHungPerUserSessionNamesTheConnectTimeout(t *testing.T) {
	h := server.NewStreamableHTTPServer(mcptest.NewServer())
	done := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer never-answered" {
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(done); ts.Close() })

	srv := bridge.HTTP("remote", ts.URL+"/mcp")
	srv.PerUser = &bridge.UserSessions{}
	b, err := bridge.New(context.Background(), []bridge.Server{srv}, bridge.WithConnectTimeout(300*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ctx := bridge.WithCredentials(context.Background(), bridge.Credentials{ID: "u", Headers: map[string]string{"Authorization": "Bearer never-answered"}})
	_, err = b.Call(ctx, "remote__echo", `{"text":"hi"}`)
	require.Error(t, err)
	assert.ErrorIs(t, err, bridge.ErrConnectTimeout)
	assert.Contains(t, err.Error(), "timed out after 300ms")
	assert.Contains(t, err.Error(), "WithConnectTimeout")
	assert.NotContains(t, err.Error(), "never-answered", "the credential is not echoed")
}
