package mcpclient_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// TestPrintedConfigHidesSecrets: a Config printed by mistake (%v, %+v, a
// log line) shows which server and how it is reached, never environment
// values, arguments, headers, OAuth secrets or credentials in the URL.
func TestPrintedConfigHidesSecrets(t *testing.T) {
	for _, tr := range []mcpclient.Transport{
		&mcpclient.Stdio{Command: "server", Args: []string{"--token", "ARG-SECRET"}, Env: map[string]string{"TOKEN": "ENV-SECRET"}},
		&mcpclient.HTTP{URL: "https://user:URL-SECRET@mcp.example/mcp?key=QUERY-SECRET",
			Headers: map[string]string{"Authorization": "Bearer HEADER-SECRET"},
			OAuth:   &oauth.Config{ClientSecret: "OAUTH-SECRET"}},
	} {
		cfg := mcpclient.Config{Name: "srv", Transport: tr}
		for _, format := range []string{"%v", "%+v", "%s"} {
			out := fmt.Sprintf(format, cfg)
			assert.Contains(t, out, "srv")
			assert.Contains(t, out, string(tr.Kind()))
			assert.NotContains(t, out, "SECRET", format)
		}
	}
	assert.Equal(t, "stdio server", fmt.Sprint(&mcpclient.Stdio{Command: "server", Args: []string{"x"}}))
	assert.Equal(t, "sse https://REDACTED@mcp.example/sse", fmt.Sprint(&mcpclient.HTTP{URL: "https://u:p@mcp.example/sse", SSE: true}))
	assert.Equal(t, "inprocess", fmt.Sprint(&mcpclient.InProcess{}))
}
