package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// "hosted": true makes the entry the API's mcp tool; the rest of the
// entry (URL, headers, allow lists, approvals) is read as for any server.
func TestHostedEntry(t *testing.T) {
	s, warns, err := parseOne(t, `{"url": "https://docs.example/mcp", "hosted": true,
		"headers": {"Authorization": "Bearer ${TOKEN}"}, "allowTools": ["search"], "autoApprove": ["search"], "description": "Docs"}`)
	require.NoError(t, err)
	assert.Empty(t, warns)
	assert.True(t, s.Hosted)
	h := s.Transport.(*mcpclient.HTTP)
	assert.Equal(t, "https://docs.example/mcp", h.URL)
	assert.Equal(t, map[string]string{"Authorization": "Bearer tok-s3cr3t"}, h.Headers)
	assert.Equal(t, []string{"search"}, s.AllowTools)
	assert.Equal(t, []string{"search"}, s.AutoApprove)
	assert.Equal(t, "Docs", s.Description)

	for entry, want := range map[string]string{
		`{"command": "x", "hosted": true}`:                        "cannot have a \"command\"",
		`{"url": "https://a/sse", "type": "sse", "hosted": true}`: "not SSE",
		`{"url": "https://a/mcp", "hosted": "yes"}`:               "want true or false",
	} {
		_, _, err := parseOne(t, entry)
		require.Error(t, err, entry)
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, err.Error(), "hosted")
	}
}
