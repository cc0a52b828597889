package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Credentials are one user's credentials for the servers that opt in to
// per-user sessions (Server.PerUser). A program serving many users puts
// them in the context of each run (WithCredentials); the bridge then calls
// those servers over a session of that user's own, never over another
// user's or the shared one.
//
// Values are never logged and never appear in errors, results or outputs;
// ID does not either.
type Credentials struct {
	// ID identifies the user (required). Sessions are pooled by ID and
	// headers, and OAuth tokens are kept under the ID in the server's
	// TokenStore, so one ID must always mean one user.
	ID string
	// Headers are sent with every request of the user's sessions. A
	// header of the same name in the server's own Headers is replaced;
	// the server's other headers are sent too.
	Headers map[string]string
	// Token, when set, returns the bearer token sent as the Authorization
	// header of every request (an OAuth2 token source: it should return a
	// fresh token each time it is asked). The token source of the run that
	// opens a session serves it for its life. It replaces the server's
	// OAuth configuration for this user.
	Token func(ctx context.Context) (string, error)
}

// String hides the header values and says whether a token source is set.
func (c Credentials) String() string {
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("Credentials{headers=%q token=%t}", names, c.Token != nil)
}

// GoString is String, so %#v hides the values too.
func (c Credentials) GoString() string { return c.String() }

// ErrNoCredentials is returned for a call to a per-user server (see
// Server.PerUser) in a run whose context carries no Credentials.
var ErrNoCredentials = errors.New("the server needs per-user credentials (bridge.WithCredentials) and the run has none")

type credentialsKey struct{}

// WithCredentials returns a context carrying creds: runs and calls made with
// it reach the servers with Server.PerUser set as that user. Stdio and
// in-process servers, and servers without PerUser, ignore it.
func WithCredentials(ctx context.Context, creds Credentials) context.Context {
	return context.WithValue(ctx, credentialsKey{}, creds)
}

// CredentialsFrom returns the Credentials WithCredentials put in ctx. An
// OAuthConfig.Authorizer of a per-user server can use it to know which
// user to send to the authorization URL.
func CredentialsFrom(ctx context.Context) (Credentials, bool) {
	c, ok := ctx.Value(credentialsKey{}).(Credentials)
	return c, ok
}

// poolKey identifies a session: the user and a digest of the header
// values, so that a user whose headers changed never gets a session
// opened with the old ones.
func (c Credentials) poolKey() string {
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, k := range names {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(c.Headers[k]), c.Headers[k])
	}
	return c.ID + "\x00" + hex.EncodeToString(h.Sum(nil))
}

func (c Credentials) check() error {
	if c.ID == "" {
		return errors.New("bridge: Credentials.ID is empty")
	}
	for k, v := range c.Headers {
		if k == "" || strings.ContainsAny(k+v, "\r\n") {
			return errors.New("bridge: Credentials.Headers holds an empty name or a line break")
		}
	}
	return nil
}

// userConfig is the client configuration of one user's session of server
// cfg: the server's own, with the user's headers, the user's token source
// below mcpclient's transport, and OAuth tokens kept apart per user. own,
// when not nil, is the connection pool made for the session, to drop when
// it closes. This is the one place that knows mcpclient.Config's shape.
func userConfig(cfg mcpclient.Config, creds Credentials, tokens mcpclient.TokenStore) (_ mcpclient.Config, own *http.Transport) {
	cfg.OnToolsChanged = nil // the shared connection decides the tool set
	// The transport is a pointer shared with the server's own config:
	// adapt a copy.
	h := *cfg.Transport.(*mcpclient.HTTP)
	cfg.Transport = &h
	headers := make(map[string]string, len(h.Headers)+len(creds.Headers))
	for k, v := range h.Headers {
		headers[k] = v
	}
	for k, v := range creds.Headers {
		for old := range headers {
			if strings.EqualFold(old, k) {
				delete(headers, old)
			}
		}
		headers[k] = v
	}
	h.Headers = headers

	var base http.RoundTripper
	if h.HTTPClient != nil {
		copied := *h.HTTPClient
		h.HTTPClient = &copied
		base = copied.Transport
		if base == nil {
			base = http.DefaultTransport
		}
	} else {
		// A pool of its own: no TCP connection serves two users.
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			own = dt.Clone()
			base = own
		} else {
			base = http.DefaultTransport
		}
		h.HTTPClient = &http.Client{}
	}
	if creds.Token != nil {
		h.OAuth = nil // the program brings the user's token
		base = &tokenTransport{base: base, token: creds.Token, origin: originOf(h.URL)}
	} else if h.OAuth != nil {
		o := *h.OAuth
		o.TokenStore = userTokenStore{inner: tokens, user: creds.ID}
		h.OAuth = &o
	}
	h.HTTPClient.Transport = base
	return cfg, own
}

// tokenTransport sets the user's bearer token on every request to the
// server's origin.
type tokenTransport struct {
	base   http.RoundTripper
	token  func(ctx context.Context) (string, error)
	origin string
}

// RoundTrip implements http.RoundTripper.
func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if originOf(req.URL.String()) != t.origin {
		return t.base.RoundTrip(req)
	}
	tok, err := t.token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("credentials token source: %w", err)
	}
	if tok == "" || strings.ContainsAny(tok, "\r\n") {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errors.New("credentials token source returned an empty or malformed token")
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(out)
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *tokenTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// userTokenStore keeps each user's OAuth tokens under a key of their own
// in the server's store (one memory store per server when it has none).
type userTokenStore struct {
	inner mcpclient.TokenStore
	user  string
}

// key is injective for a fixed server key: the user comes first and the
// server key (a URL) is the same for every user.
func (s userTokenStore) key(k string) string { return "user:" + s.user + " " + k }

// Load implements mcpclient.TokenStore.
func (s userTokenStore) Load(ctx context.Context, key string) (*mcpclient.Token, error) {
	return s.inner.Load(ctx, s.key(key))
}

// Save implements mcpclient.TokenStore.
func (s userTokenStore) Save(ctx context.Context, key string, t *mcpclient.Token) error {
	return s.inner.Save(ctx, s.key(key), t)
}

// Delete implements mcpclient.TokenStore.
func (s userTokenStore) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, s.key(key))
}
