package authtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/config"
	"github.com/mcpbridge/mcpbridge/rigs/authtest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// TestConfigTokenURLPinHonoured: a config file's "tokenUrl" pins the token
// endpoint. The authorization server's metadata names its own; every token
// request, and the client secret with it, goes to the pinned one instead
// (here a proxy in front of the same server, counting what it forwards).
// Before, the pin was dropped with a warning (issue 23 item 9).
func TestConfigTokenURLPinHonoured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := authtest.New(t, mcptest.NewServer(), authtest.Options{Clients: map[string]string{"c1": "secret-1"}})
	target, err := url.Parse(srv.Base)
	require.NoError(t, err)
	var pinned atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	pin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pinned.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(pin.Close)

	cfg := `{"mcpServers": {"remote": {"url": "` + srv.URL + `", "oauth": {
		"grant": "client_credentials", "clientId": "c1", "clientSecret": "${SECRET}", "tokenUrl": "` + pin.URL + `/token"}}}}`
	servers, warns, err := config.Options{LookupEnv: func(k string) (string, bool) { return "secret-1", k == "SECRET" }}.Parse([]byte(cfg))
	require.NoError(t, err)
	assert.Empty(t, warns, "the pin is used, not warned about")

	b, err := bridge.New(ctx, servers)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	var names []string
	for _, tool := range b.RequestTools() {
		if tool.OfFunction != nil {
			names = append(names, tool.OfFunction.Name)
		}
	}
	assert.Contains(t, strings.Join(names, ","), "remote__echo")
	require.Positive(t, srv.ClientCredentials())
	assert.Equal(t, int64(srv.ClientCredentials()), pinned.Load(), "every token request went to the pinned endpoint")
}
