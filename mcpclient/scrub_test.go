package mcpclient

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScrubberPicksCredentials: the values named or shaped like
// credentials are scrubbed; ordinary arguments and settings stay readable.
func TestScrubberPicksCredentials(t *testing.T) {
	s := newScrubber(&Stdio{Command: "npx",
		Args: []string{"-y", "@acme/server", "--token", "abc123xyz", "--api-key=k3y-value", "ghp_0123456789abcdefABCDEF", "--port", "8080"},
		Env:  map[string]string{"NODE_ENV": "production", "GITHUB_TOKEN": "t0k3n-val", "DB_PASSWORD": "hunter22"},
	})
	text := "npx -y @acme/server --token abc123xyz --api-key=k3y-value ghp_0123456789abcdefABCDEF --port 8080 NODE_ENV=production GITHUB_TOKEN=t0k3n-val DB_PASSWORD=hunter22"
	got := s.scrub(text)
	for _, secret := range []string{"abc123xyz", "k3y-value", "ghp_0123456789abcdefABCDEF", "t0k3n-val", "hunter22"} {
		assert.NotContains(t, got, secret)
	}
	for _, plain := range []string{"@acme/server", "8080", "production", "--token", "GITHUB_TOKEN"} {
		assert.Contains(t, got, plain)
	}

	h := newScrubber(&HTTP{URL: "https://x", Headers: map[string]string{"Authorization": "Bearer sk-live-123456", "X-Team": "blue"}})
	assert.Equal(t, "token REDACTED, team blue", h.scrub("token sk-live-123456, team blue"))
	h.remember("user-token-42")
	assert.Equal(t, "REDACTED", h.scrub("user-token-42"))
}
