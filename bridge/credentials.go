package bridge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Credentials are one user's credentials for the servers that opt in to
// per-user sessions (Server.PerUser). A program serving many users puts
// them in the context of each run (WithCredentials); the bridge then calls
// those servers over a session of that user's own, never over another
// user's or the shared one. They are an [mcpclient.User] by another name,
// and the sessions are an [mcpclient.Sessions] pool.
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

// WithCredentials returns a context carrying creds: runs and calls made with
// it reach the servers with Server.PerUser set as that user. Stdio and
// in-process servers, and servers without PerUser, ignore it.
func WithCredentials(ctx context.Context, creds Credentials) context.Context {
	return mcpclient.WithUser(ctx, mcpclient.User(creds))
}

// CredentialsFrom returns the Credentials WithCredentials put in ctx. An
// oauth.Config.Authorizer of a per-user server can use it to know which
// user to send to the authorization URL, and the hooks that answer a
// server's requests (SamplingConfig.Approve, an OnElicitation) which user's
// session the request came on.
func CredentialsFrom(ctx context.Context) (Credentials, bool) {
	u, ok := mcpclient.UserFrom(ctx)
	return Credentials(u), ok
}

// Defaults of UserSessions.
const (
	DefaultMaxUserSessions = mcpclient.DefaultMaxSessions
	DefaultUserIdleTimeout = mcpclient.DefaultSessionIdleTimeout
)

// UserSessions turns on per-user sessions for an HTTP or SSE server
// (Server.PerUser): each run's calls to the server go over a session opened
// with the Credentials of its context (WithCredentials), never over the
// session of another user. The bridge's own connection (with the server's
// configured Headers or OAuth) lists the tools, so every user is offered
// the same tool set; the users' sessions call tools and read resources
// and prompts. A call in a run without Credentials fails with
// ErrNoCredentials. Stdio and in-process servers ignore PerUser.
//
// Sessions are opened on a user's first call and pooled: when MaxSessions
// are open, the least recently used idle one is closed to make room (a
// call waits while all are busy), and a session idle for IdleTimeout is
// closed with its connections (and the resource subscriptions made on it).
type UserSessions struct {
	// MaxSessions bounds the sessions open at once for the server.
	// Default DefaultMaxUserSessions.
	MaxSessions int
	// IdleTimeout closes a session unused for this long. Default
	// DefaultUserIdleTimeout.
	IdleTimeout time.Duration
}

// newUserSessions returns the pool of server cfg, or nil when the server
// does not take per-user sessions (no PerUser, or not an HTTP server).
func newUserSessions(cfg mcpclient.Config, u *UserSessions, connectTimeout time.Duration) (*mcpclient.Sessions, error) {
	if u == nil || (cfg.Transport.Kind() != mcpclient.TransportHTTP && cfg.Transport.Kind() != mcpclient.TransportSSE) {
		return nil, nil
	}
	cfg.OnToolsChanged = nil // the shared connection decides the tool set
	return mcpclient.NewSessions(cfg, mcpclient.SessionLimits{
		MaxSessions: u.MaxSessions, IdleTimeout: u.IdleTimeout, ConnectTimeout: connectTimeout,
	})
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
