package config

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
)

func TestParseConfigFeatures(t *testing.T) {
	lookup := func(k string) (string, bool) { return map[string]string{"PROJ": "/srv/proj"}[k], k == "PROJ" }
	servers, warns, err := Options{LookupEnv: lookup}.Parse([]byte(`{"mcpServers": {
		"docs": {"command": "docs-server", "resources": true, "prompts": true, "logLevel": "Warning",
			"roots": ["${PROJ}", {"uri": "file:///srv/shared", "name": "shared"}]},
		"empty": {"url": "http://localhost:1/mcp", "roots": []},
		"plain": {"command": "x"}
	}}`))
	require.NoError(t, err)
	assert.Empty(t, warns)
	byName := map[string]bridge.Server{}
	for _, s := range servers {
		byName[s.Name] = s
	}
	docs := byName["docs"]
	assert.True(t, docs.Resources)
	assert.True(t, docs.Prompts)
	assert.Equal(t, mcp.LoggingLevelWarning, docs.LogLevel)
	assert.Equal(t, []mcp.Root{{URI: "file:///srv/proj"}, {URI: "file:///srv/shared", Name: "shared"}}, docs.Roots)
	assert.NotNil(t, byName["empty"].Roots, "roots: [] declares the capability")
	assert.Empty(t, byName["empty"].Roots)
	assert.Nil(t, byName["plain"].Roots, "no roots key: no roots capability")

	for _, bad := range []string{
		`{"mcpServers": {"s": {"command": "x", "logLevel": "loud"}}}`,
		`{"mcpServers": {"s": {"command": "x", "roots": ["relative/dir"]}}}`,
		`{"mcpServers": {"s": {"command": "x", "roots": [42]}}}`,
	} {
		_, _, err := Options{LookupEnv: lookup}.Parse([]byte(bad))
		assert.ErrorIs(t, err, ErrInvalid, bad)
		assert.ErrorContains(t, err, `server "s"`)
	}
}
