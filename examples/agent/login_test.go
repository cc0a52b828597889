package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// browser plays the user: it reads the agent's stderr and, on the
// authorization URL, follows it with an HTTP client; the authorization
// server approves at once and redirects to the agent's loopback callback.
type browser struct {
	w       *io.PipeWriter
	mu      sync.Mutex
	log     strings.Builder
	visited []string
	done    chan struct{}
}

func newBrowser(t *testing.T) *browser {
	r, w := io.Pipe()
	b := &browser{w: w, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.log.WriteString(line + "\n")
			b.mu.Unlock()
			if !strings.HasPrefix(line, "http://") {
				continue
			}
			resp, err := http.Get(line)
			if assert.NoError(t, err) {
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
				assert.Contains(t, string(body), "authorized")
			}
			b.mu.Lock()
			b.visited = append(b.visited, line)
			b.mu.Unlock()
		}
	}()
	return b
}

// close ends the stream and returns what the agent wrote.
func (b *browser) close() string {
	_ = b.w.Close()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// TestAgentLogin runs --login against a protected server (no prompt, no
// API key), then a normal run that uses the stored token without asking
// the user again.
func TestAgentLogin(t *testing.T) {
	t.Run("bearer", func(t *testing.T) { testAgentLogin(t, false) })
	// A DPoP key lives as long as its process, so a token bound to the
	// login's key is of no use to the next run: the agent, whose tokens
	// outlive it by design, keeps to bearer tokens unless the config asks
	// for DPoP.
	t.Run("server offers DPoP", func(t *testing.T) { testAgentLogin(t, true) })
}

func testAgentLogin(t *testing.T, dpop bool) {
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{Scopes: []string{"mcp:read"}, RequiredScope: "mcp:read", DPoP: dpop})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mcp.json")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, `{"mcpServers": {"remote": {"url": %q, "auth": {"type": "oauth"}}}}`, srv.URL), 0o600))
	tokens := filepath.Join(dir, "tokens.json")
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	br := newBrowser(t)
	var stdout strings.Builder
	err := run(ctx, []string{"--config", cfg, "--login", "remote", "--token-file", tokens}, &stdout, br.w)
	stderr := br.close()
	require.NoError(t, err, stderr)
	assert.Len(t, br.visited, 1, stderr)
	assert.Contains(t, stderr, "token for \"remote\" stored in "+tokens)
	assert.Empty(t, stdout.String())
	assert.Equal(t, 1, srv.Authorizations())

	info, err := os.Stat(tokens)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	data, err := os.ReadFile(tokens)
	require.NoError(t, err)
	for _, s := range srv.Secrets() {
		assert.NotContains(t, stderr, s, "a secret was printed")
	}
	assert.Contains(t, string(data), srv.URL)

	// A later run uses the token: no new authorization.
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "remote__echo", Arguments: `{"text":"with the stored token"}`}}}
	api := responsestest.New(model.Handler())
	t.Cleanup(api.Close)
	t.Setenv("OPENAI_BASE_URL", api.URL+"/v1/")
	t.Setenv("OPENAI_API_KEY", responsestest.FakeAPIKey)
	t.Setenv("OPENAI_MAX_RETRIES", "0")
	out, errOut, err := runAgent(t, "--config", cfg, "--token-file", tokens, "use it")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "with the stored token")
	assert.Equal(t, 1, srv.Authorizations(), "the stored token was used")
}

// TestAgentNeedsLogin checks that a protected server without a stored
// token stops the agent with one line saying to run --login.
func TestAgentNeedsLogin(t *testing.T) {
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{Scopes: []string{"mcp:read"}})
	_, cfg := setup(t, responsestest.Echo(), fmt.Sprintf(`, "remote": {"url": %q, "oauth": {}}`, srv.URL))
	_, stderr, err := runAgent(t, "--config", cfg, "--token-file", filepath.Join(t.TempDir(), "tokens.json"), "hi")
	require.Error(t, err, stderr)
	assert.Contains(t, oneLine(err), "agent --login remote")
	assert.NotContains(t, oneLine(err), "\n")
}

func TestAgentLoginUnknownServer(t *testing.T) {
	_, cfg := setup(t, responsestest.Echo(), "")
	_, _, err := runAgent(t, "--config", cfg, "--login", "nope", "--token-file", filepath.Join(t.TempDir(), "t.json"))
	require.ErrorContains(t, err, `no enabled server "nope"`)
	_, _, err = runAgent(t, "--config", cfg, "--login", "tools", "--token-file", filepath.Join(t.TempDir(), "t.json"))
	require.ErrorContains(t, err, "not an HTTP or SSE server")
}

// The system's URL opener runs whatever handles a scheme: only https (and
// http on this machine) reach it, whatever an authorization server puts in
// its metadata.
func TestOpenBrowserOnlyHTTPS(t *testing.T) {
	var opened []string
	old := startBrowser
	startBrowser = func(u string) error { opened = append(opened, u); return nil }
	defer func() { startBrowser = old }()
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "ms-settings:display", "smb://evil.example.com/share",
		"http://as.example.com/authorize", "https:/relative"} {
		assert.Error(t, openURL(u), u)
	}
	for _, u := range []string{"https://as.example.com/authorize?x=1", "http://127.0.0.1:9000/authorize", "http://localhost:9000/authorize", "http://[::1]:9000/authorize"} {
		assert.NoError(t, openURL(u), u)
	}
	assert.Equal(t, []string{"https://as.example.com/authorize?x=1", "http://127.0.0.1:9000/authorize", "http://localhost:9000/authorize", "http://[::1]:9000/authorize"}, opened)
}
