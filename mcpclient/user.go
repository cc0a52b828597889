package mcpclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// User is one user's credentials for a server reached over per-user
// sessions (Sessions): the program serving many users puts the caller's
// User in the context of each request (WithUser), and the request goes
// over a session opened with these credentials, never over another
// user's.
//
// Values are never logged and never appear in errors; ID does not either.
type User struct {
	// ID identifies the user (required). Sessions are pooled by ID and
	// headers, and OAuth tokens are kept under the ID in the server's
	// TokenStore, so one ID must always mean one user.
	ID string
	// Headers are sent with every request of the user's sessions, to the
	// server's origin only. A header of the same name (in any case) in the
	// server's HTTP.Headers is replaced; the server's other headers are
	// sent too.
	Headers map[string]string
	// Token, when set, returns the bearer token sent as the Authorization
	// header of every request to the server's origin (a token source: it
	// should return a fresh token each time it is asked). The Token of the
	// request that opens a session serves it for its life. It replaces the
	// server's OAuth configuration for this user.
	Token func(ctx context.Context) (string, error)
}

// String hides the ID and header values and says whether a token source
// is set.
func (u User) String() string {
	names := make([]string, 0, len(u.Headers))
	for k := range u.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("User{headers=%q token=%t}", names, u.Token != nil)
}

// GoString is String, so %#v hides the values too.
func (u User) GoString() string { return u.String() }

// ErrNoUser is returned by Sessions.Get for a context without a User.
var ErrNoUser = errors.New("mcpclient: the server takes per-user sessions and the context carries no User (mcpclient.WithUser)")

type userKey struct{}

// WithUser returns a context carrying u: Sessions.Get opens or reuses u's
// session for it. The hooks of a Sessions' Config (OnSampling,
// OnElicitation) get the context of the user whose session the server
// request came on, so UserFrom tells them who it is for.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the User WithUser put in ctx.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// check rejects a User that cannot be sent.
func (u User) check() error {
	if u.ID == "" {
		return errors.New("mcpclient: User.ID is empty")
	}
	for k, v := range u.Headers {
		if k == "" || strings.ContainsAny(k+v, "\r\n") {
			return errors.New("mcpclient: User.Headers holds an empty name or a line break")
		}
	}
	return nil
}

// key identifies a session: the user and a digest of the header values,
// so that a user whose headers changed never gets a session opened with
// the old ones.
func (u User) key() string {
	names := make([]string, 0, len(u.Headers))
	for k := range u.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, k := range names {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(u.Headers[k]), u.Headers[k])
	}
	return u.ID + "\x00" + hex.EncodeToString(h.Sum(nil))
}

// forUser returns the transport of u's session of t: the server's
// headers with u's on top, and u's token source instead of OAuth, or the
// server's OAuth with its tokens kept under u's ID in store.
func (t *HTTP) forUser(u User, store oauth.TokenStore) *HTTP {
	h := *t
	headers := make(map[string]string, len(t.Headers)+len(u.Headers))
	for k, v := range t.Headers {
		headers[k] = v
	}
	for k, v := range u.Headers {
		for old := range headers {
			if strings.EqualFold(old, k) {
				delete(headers, old)
			}
		}
		headers[k] = v
	}
	h.Headers = headers
	if u.Token != nil {
		h.OAuth = nil // the program brings the user's token
		h.token = u.Token
	} else if t.OAuth != nil {
		o := *t.OAuth
		o.TokenStore = userTokenStore{inner: store, user: u.ID}
		h.OAuth = &o
	}
	return &h
}

// bearer sets the Authorization header of out from the token source.
func bearer(out *http.Request, token func(context.Context) (string, error), secrets *scrubber) error {
	tok, err := token(out.Context())
	if err != nil {
		return fmt.Errorf("user token source: %w", err)
	}
	if tok == "" || strings.ContainsAny(tok, "\r\n") {
		return errors.New("user token source returned an empty or malformed token")
	}
	secrets.remember(tok)
	out.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// userTokenStore keeps each user's OAuth tokens under a key of their own
// in the server's store.
type userTokenStore struct {
	inner oauth.TokenStore
	user  string
}

// key is injective for a fixed server key: the user comes first and the
// server key (a URL) is the same for every user.
func (s userTokenStore) key(k string) string { return "user:" + s.user + " " + k }

// Load implements [oauth.TokenStore].
func (s userTokenStore) Load(ctx context.Context, key string) (*oauth.Token, error) {
	return s.inner.Load(ctx, s.key(key))
}

// Save implements [oauth.TokenStore].
func (s userTokenStore) Save(ctx context.Context, key string, t *oauth.Token) error {
	return s.inner.Save(ctx, s.key(key), t)
}

// Delete implements [oauth.TokenStore].
func (s userTokenStore) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, s.key(key))
}

// Lock implements [oauth.Locker] with the inner store's lock, if it has one.
func (s userTokenStore) Lock(ctx context.Context, key string) (func(), error) {
	if l, ok := s.inner.(oauth.Locker); ok {
		return l.Lock(ctx, s.key(key))
	}
	return func() {}, nil
}
