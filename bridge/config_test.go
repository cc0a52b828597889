package bridge

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseConfig(t *testing.T) {
	cfg := `{"mcpServers": {
	  "files": {"command": "npx", "args": ["-y", "fs-server", "${HOME}/docs"], "env": {"TOKEN": "${env:GH_TOKEN}"}, "cwd": "/tmp", "denyTools": ["delete"]},
	  "wiki":  {"url": "http://wiki.internal/mcp", "headers": {"Authorization": "Bearer ${WIKI_TOKEN}"}},
	  "old":   {"url": "http://old.internal/sse", "type": "sse", "allowTools": ["search"]},
	  "off":   {"command": "nothing", "disabled": true}
	}}`
	env := lookupFrom(map[string]string{"HOME": "/home/me", "GH_TOKEN": "ghp_secret", "WIKI_TOKEN": "wk_secret"})
	servers, err := ParseConfig([]byte(cfg), env)
	require.NoError(t, err)
	require.Len(t, servers, 3)
	// Sorted by name, disabled left out.
	assert.Equal(t, []string{"files", "old", "wiki"}, []string{servers[0].Name, servers[1].Name, servers[2].Name})

	files := servers[0]
	assert.Equal(t, mcpclient.TransportStdio, files.Transport)
	assert.Equal(t, "npx", files.Command)
	assert.Equal(t, []string{"-y", "fs-server", "/home/me/docs"}, files.Args)
	assert.Equal(t, map[string]string{"TOKEN": "ghp_secret"}, files.Env)
	assert.Equal(t, "/tmp", files.Dir)
	assert.Equal(t, []string{"delete"}, files.DenyTools)

	old := servers[1]
	assert.Equal(t, mcpclient.TransportSSE, old.Transport)
	assert.Equal(t, []string{"search"}, old.AllowTools)

	wiki := servers[2]
	assert.Equal(t, mcpclient.TransportHTTP, wiki.Transport)
	assert.Equal(t, "Bearer wk_secret", wiki.Headers["Authorization"])
}

func TestParseConfigErrors(t *testing.T) {
	env := lookupFrom(map[string]string{"SECRET_VALUE": "s3cr3t"})
	cases := map[string]struct {
		cfg, want string
	}{
		"not json":        {`{`, "invalid MCP server config"},
		"no mcpServers":   {`{"servers":{}}`, `no "mcpServers" object`},
		"neither":         {`{"mcpServers":{"x":{}}}`, `server "x": entry: needs "command" or "url"`},
		"both":            {`{"mcpServers":{"x":{"command":"a","url":"http://b"}}}`, `server "x": command: has both`},
		"bad type":        {`{"mcpServers":{"x":{"url":"http://b","type":"carrier-pigeon"}}}`, `server "x": type: unknown transport "carrier-pigeon"`},
		"stdio with type": {`{"mcpServers":{"x":{"command":"a","type":"sse"}}}`, `server "x": type: "sse" does not go with "command"`},
		"missing var":     {`{"mcpServers":{"x":{"url":"http://b","headers":{"Authorization":"Bearer ${NOPE} ${SECRET_VALUE}"}}}}`, `server "x": headers.Authorization: environment variable NOPE is not set`},
		"wrong shape":     {`{"mcpServers":{"x":{"args":"not-a-list","command":"a"}}}`, `server "x": entry:`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.cfg), env)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConfig))
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "s3cr3t", "config errors must not echo values")
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mcp.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"mcpServers":{"a":{"command":"srv"}}}`), 0o600))
	servers, err := LoadConfig(path, lookupFrom(nil))
	require.NoError(t, err)
	require.Len(t, servers, 1)
	assert.Equal(t, "srv", servers[0].Command)

	_, err = LoadConfig(filepath.Join(dir, "missing.json"), nil)
	require.ErrorIs(t, err, ErrConfig)
	require.ErrorIs(t, err, os.ErrNotExist)
}
