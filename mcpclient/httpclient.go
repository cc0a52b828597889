package mcpclient

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// httpClientFor returns the HTTP client a Client of server uses:
// t.HTTPClient (or a new one with its own connection pool, returned as own
// so that Close can drop its idle connections) whose transport adds
// t.Headers to
// every request. mcp-go adds configured headers to most requests but not
// to all (the DELETE that ends a streamable HTTP session goes without
// them), so they are added here, below mcp-go. The events of GET streams
// are offered to strays when it is set (strays.go).
func httpClientFor(server string, t *HTTP, maxMessageBytes int, log *slog.Logger, secrets *scrubber, strays *strayResponses) (hc *http.Client, own *http.Transport) {
	if t.HTTPClient != nil {
		copied := *t.HTTPClient
		hc = &copied
	} else {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			own = dt.Clone()
			hc = &http.Client{Transport: own}
		} else {
			hc = &http.Client{}
		}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if t.OAuth != nil {
		base = oauth.NewTransport(server, t.URL, t.OAuth, log, base)
	}
	headers := make(http.Header, len(t.Headers))
	for k, v := range t.Headers {
		headers.Set(k, v)
	}
	home := configuredOrigin(t.URL)
	guarded := &guardTransport{base: base, server: server, limit: int64(maxMessageBytes), strays: strays}
	hc.Transport = &headerTransport{base: guarded, headers: headers, token: t.token, secrets: secrets, origin: home}
	hc.CheckRedirect = sameOriginRedirects(server, home, hc.CheckRedirect)
	return hc, own
}

// headerTransport sets fixed headers (and a user's bearer token, for a
// per-user session) on every request and retries a request lost to a
// stale pooled connection.
type headerTransport struct {
	base    http.RoundTripper
	headers http.Header
	token   func(context.Context) (string, error) // User.Token, or nil
	secrets *scrubber                             // learns the tokens sent
	origin  string                                // the configured URL's; headers go nowhere else
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *headerTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip sends req with the headers set, if it goes to the configured
// origin (as net/http does with its own sensitive headers, the configured
// ones never follow a request elsewhere). A request that fails because
// it went out on a pooled connection the server had already closed (after
// a server restart) is sent once more on a new connection: the server
// closed that connection as idle, without reading the request. net/http
// only does this itself for idempotent methods, and MCP uses POST.
func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	if origin(req.URL) == t.origin {
		for k, v := range t.headers {
			out.Header[k] = v
		}
		if t.token != nil {
			if err := bearer(out, t.token, t.secrets); err != nil {
				if req.Body != nil {
					_ = req.Body.Close()
				}
				return nil, err
			}
		}
	}
	resp, err := t.base.RoundTrip(out)
	recordHTTPFailure(req, resp)
	if err != nil && strings.Contains(err.Error(), "server closed idle connection") && req.GetBody != nil && req.Context().Err() == nil {
		body, berr := req.GetBody()
		if berr != nil {
			return nil, err
		}
		retry := out.Clone(req.Context())
		retry.Body = body
		resp, err = t.base.RoundTrip(retry)
		recordHTTPFailure(req, resp)
		return resp, err
	}
	return resp, err
}
