package mcpclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// hungServer accepts connections and never answers, until the test ends.
func hungServer(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); s.Close() })
	return s.URL
}

// A per-user session whose server never answers fails with the limit that
// ran out named, matching ErrConnectTimeout, not a bare "context deadline
// exceeded".
func TestSessionConnectTimeoutSaysWhichLimit(t *testing.T) {
	p := newSessions(t, mcpclient.Config{Name: "remote", Transport: &mcpclient.HTTP{URL: hungServer(t)}},
		mcpclient.SessionLimits{ConnectTimeout: 150 * time.Millisecond})
	ctx := mcpclient.WithUser(context.Background(), sessionUsers["A"])
	_, _, err := p.Get(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, mcpclient.ErrConnectTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "still a deadline for callers that test for one")
	assert.Contains(t, err.Error(), "timed out after 150ms")
	assert.Contains(t, err.Error(), "ConnectTimeout")
	assert.Contains(t, err.Error(), "remote")
}

// The caller's own deadline is the caller's: not blamed on the connect
// timeout.
func TestSessionCallersDeadlineIsNotTheConnectTimeout(t *testing.T) {
	p := newSessions(t, mcpclient.Config{Name: "remote", Transport: &mcpclient.HTTP{URL: hungServer(t)}},
		mcpclient.SessionLimits{ConnectTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(mcpclient.WithUser(context.Background(), sessionUsers["A"]), 150*time.Millisecond)
	defer cancel()
	_, _, err := p.Get(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, mcpclient.ErrConnectTimeout)
}
