package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Token is what a TokenStore keeps for one server: the tokens, and what is
// needed to refresh them in a later run.
type Token struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"` // zero: unknown
	Scope        string    `json:"scope,omitempty"` // space-separated, as granted or requested

	// Issuer is the authorization server that issued the token.
	Issuer string `json:"issuer,omitempty"`
	// TokenEndpoint, ClientID, ClientSecret and AuthMethod are the
	// authorization server's token endpoint and the client (possibly
	// dynamically registered) that the token was issued to.
	TokenEndpoint string `json:"token_endpoint,omitempty"`
	ClientID      string `json:"client_id,omitempty"`
	ClientSecret  string `json:"client_secret,omitempty"`
	AuthMethod    string `json:"auth_method,omitempty"`
	// DPoPKeyThumbprint is, for a DPoP-bound token (TokenType "DPoP"),
	// the JWK thumbprint of the key it is bound to: only the connection
	// holding that key can present it.
	DPoPKeyThumbprint string `json:"dpop_jkt,omitempty"`
}

// String hides the secrets, so a Token printed by mistake leaks nothing.
func (t Token) String() string {
	return fmt.Sprintf("Token{type=%q expiry=%s scope=%q refreshable=%t}", t.TokenType, t.Expiry.Format(time.RFC3339), t.Scope, t.RefreshToken != "")
}

// GoString hides the secrets from %#v too.
func (t Token) GoString() string { return t.String() }

// expiryMargin is how long before its expiry a token is refreshed.
const expiryMargin = 30 * time.Second

// expiresSoon reports whether t should be refreshed before use.
func (t *Token) expiresSoon(now time.Time) bool {
	return !t.Expiry.IsZero() && now.Add(expiryMargin).After(t.Expiry)
}

// TokenStore keeps tokens by key (the server's URL). Load returns nil and
// no error when it holds no token for key. Implementations must be safe
// for concurrent use.
type TokenStore interface {
	Load(ctx context.Context, key string) (*Token, error)
	Save(ctx context.Context, key string, t *Token) error
	Delete(ctx context.Context, key string) error
}

// Locker is implemented by token stores that clients or processes share,
// so that they refresh a token once: a client holds the lock of a key
// while it reads the stored token again, refreshes it and saves the
// result. Without it, two clients could both send the same refresh token;
// a server that rotates refresh tokens then revokes the grant and the user
// must log in again. [MemoryTokenStore] and [FileTokenStore] implement it;
// a store of your own shared between processes should too.
type Locker interface {
	// Lock waits for key's lock (or ctx's end) and returns its release.
	// Load and Save must still work while it is held.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// lockStore takes key's lock of store when it has one.
func lockStore(ctx context.Context, store TokenStore, key string) (func(), error) {
	if l, ok := store.(Locker); ok {
		return l.Lock(ctx, key)
	}
	return func() {}, nil
}

// MemoryTokenStore keeps tokens in memory. The zero value is ready.
type MemoryTokenStore struct {
	mu      sync.Mutex
	tokens  map[string]Token
	refresh map[string]chan struct{} // per key, held during a refresh (kept: one per server and user)
}

// Lock implements [Locker], one lock per key, so users of one server
// refresh in parallel.
func (s *MemoryTokenStore) Lock(ctx context.Context, key string) (func(), error) {
	s.mu.Lock()
	if s.refresh == nil {
		s.refresh = map[string]chan struct{}{}
	}
	ch := s.refresh[key]
	if ch == nil {
		ch = make(chan struct{}, 1)
		s.refresh[key] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Load returns a copy of the token kept for key, or nil.
func (s *MemoryTokenStore) Load(_ context.Context, key string) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	if !ok {
		return nil, nil
	}
	return &t, nil
}

// Save keeps a copy of t for key.
func (s *MemoryTokenStore) Save(_ context.Context, key string, t *Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = map[string]Token{}
	}
	s.tokens[key] = *t
	return nil
}

// Delete forgets the token for key.
func (s *MemoryTokenStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, key)
	return nil
}

// FileTokenStore keeps the tokens of every server in one JSON file, for
// command-line programs that should not ask the user again on every run.
// The file is created with mode 0600; every change is made under an
// exclusive lock (a sibling ".lock" file, flock on Unix) and written to a
// temporary file renamed over the old one, so concurrent processes and
// goroutines never see or leave a torn file. Refreshes hold a second lock
// (a sibling ".refresh.lock" file, see [Locker]), so processes sharing the
// file refresh a token once. Neither lock file is opened through a
// symbolic link. The secret of a client configured in [Config] is never
// written; that of a dynamically registered client is, with its tokens.
type FileTokenStore struct {
	path string
	mu   sync.Mutex // serializes this process's goroutines; the file lock the processes
}

// NewFileTokenStore returns a store backed by path (created on first Save;
// its directory must exist).
func NewFileTokenStore(path string) *FileTokenStore {
	return &FileTokenStore{path: path}
}

// Lock implements [Locker] with the ".refresh.lock" file, for every key.
func (s *FileTokenStore) Lock(ctx context.Context, _ string) (func(), error) {
	unlock, err := lockFileContext(ctx, s.path+".refresh.lock")
	if err != nil {
		return nil, fmt.Errorf("token store %s: refresh lock: %w", s.path, err)
	}
	return unlock, nil
}

// Load returns the token kept for key, or nil.
func (s *FileTokenStore) Load(ctx context.Context, key string) (*Token, error) {
	var out *Token
	err := s.locked(ctx, false, func(all map[string]Token) bool {
		if t, ok := all[key]; ok {
			out = &t
		}
		return false
	})
	return out, err
}

// Save keeps t for key.
func (s *FileTokenStore) Save(ctx context.Context, key string, t *Token) error {
	return s.locked(ctx, true, func(all map[string]Token) bool {
		all[key] = *t
		return true
	})
}

// Delete forgets the token for key.
func (s *FileTokenStore) Delete(ctx context.Context, key string) error {
	return s.locked(ctx, true, func(all map[string]Token) bool {
		_, ok := all[key]
		delete(all, key)
		return ok
	})
}

// locked reads the file under the lock, runs fn and, when fn reports a
// change, writes the file back atomically.
func (s *FileTokenStore) locked(ctx context.Context, write bool, fn func(map[string]Token) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path+".lock", write)
	if err != nil {
		return fmt.Errorf("token store %s: lock: %w", s.path, err)
	}
	defer unlock()
	all := map[string]Token{}
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("token store %s: %w", s.path, err)
	default:
		if err := json.Unmarshal(data, &all); err != nil {
			// Never quote the content: it holds tokens.
			return fmt.Errorf("token store %s: file is not a token store", s.path)
		}
	}
	if !fn(all) {
		return nil
	}
	data, err = json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("token store %s: %w", s.path, err)
	}
	return writeFileAtomic(s.path, data)
}

// writeFileAtomic writes data to a 0600 temporary file next to path,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("token store %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // fails harmlessly after the rename
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("token store %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("token store %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("token store %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("token store %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("token store %s: %w", path, err)
	}
	return nil
}
