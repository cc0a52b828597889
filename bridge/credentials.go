package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Per-user sessions, under bridge names (aliases of package mcpclient's
// types; go doc shows their fields there).
type (
	// Credentials are one user's credentials for the servers that opt in
	// to per-user sessions ([Server].PerUser): ID (required), Headers, and
	// Token, a token source for the Authorization header. A program
	// serving many users puts them in the context of each run
	// ([WithCredentials]); the bridge then calls those servers over a
	// session of that user's own, never over another user's or the shared
	// one. Values are never logged and never appear in errors, results or
	// outputs. Fields: [mcpclient.User].
	Credentials = mcpclient.User
	// UserSessions turns on per-user sessions for an HTTP or SSE server
	// ([Server].PerUser): MaxSessions (default 64), IdleTimeout (default 5
	// minutes) and ConnectTimeout (default: New's, 30 seconds). The
	// bridge's own connection lists the tools, so every user is offered
	// the same tool set; the users' sessions call tools and read
	// resources and prompts. Sessions are opened on a user's first call
	// and pooled: when MaxSessions are open the least recently used idle
	// one is closed (a call waits while all are busy). Stdio and
	// in-process servers ignore PerUser. Fields: [mcpclient.SessionLimits].
	UserSessions = mcpclient.SessionLimits
)

// ErrNoCredentials is returned for a call to a per-user server (see
// Server.PerUser) in a run whose context carries no Credentials.
var ErrNoCredentials = errors.New("the server needs per-user credentials (bridge.WithCredentials) and the run has none")

// WithCredentials returns a context carrying creds: runs and calls made with
// it reach the servers with [Server].PerUser set as that user. Stdio and
// in-process servers, and servers without PerUser, ignore it.
func WithCredentials(ctx context.Context, creds Credentials) context.Context {
	return mcpclient.WithUser(ctx, creds)
}

// CredentialsFrom returns the Credentials WithCredentials put in ctx. The
// oauth.Config.Authorizer of a per-user server can use it to know which user to
// send to the authorization URL, and the hooks that answer a server's
// requests (SamplingConfig.Approve, an OnElicitation) which user's session
// the request came on.
func CredentialsFrom(ctx context.Context) (Credentials, bool) {
	return mcpclient.UserFrom(ctx)
}

// newUserSessions returns the pool of server cfg, or nil when the server
// does not take per-user sessions (no PerUser, or not an HTTP server).
func newUserSessions(cfg mcpclient.Config, u *UserSessions, connectTimeout time.Duration) (*mcpclient.Sessions, error) {
	if u == nil || (cfg.Transport.Kind() != mcpclient.TransportHTTP && cfg.Transport.Kind() != mcpclient.TransportSSE) {
		return nil, nil
	}
	cfg.OnToolsChanged = nil // the shared connection decides the tool set
	limits := *u
	if limits.ConnectTimeout <= 0 {
		limits.ConnectTimeout = connectTimeout
	}
	return mcpclient.NewSessions(cfg, limits)
}

// session returns the client a call to c goes over, and the function to
// call when the call is over: the caller's session for a per-user server,
// the shared connection otherwise.
func (c *conn) session(ctx context.Context) (*mcpclient.Client, func(), error) {
	if c.users == nil {
		return c.client, func() {}, nil
	}
	if _, ok := CredentialsFrom(ctx); !ok {
		return nil, nil, ErrNoCredentials
	}
	return c.users.Get(ctx)
}

// close closes the users' sessions, then the shared connection.
func (c *conn) close() error {
	var err error
	if c.users != nil {
		err = c.users.Close()
	}
	return errors.Join(err, c.client.Close())
}
