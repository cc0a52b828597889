package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// Defaults of SessionLimits.
const (
	DefaultMaxSessions        = 64
	DefaultSessionIdleTimeout = 5 * time.Minute
)

// SessionLimits bound the sessions of a Sessions pool.
type SessionLimits struct {
	// MaxSessions bounds the sessions open at once. Default
	// DefaultMaxSessions.
	MaxSessions int
	// IdleTimeout closes a session unused for this long. Default
	// DefaultSessionIdleTimeout.
	IdleTimeout time.Duration
	// ConnectTimeout, when > 0, bounds opening a session (the request's
	// context bounds it too).
	ConnectTimeout time.Duration
}

// Sessions is a pool of per-user sessions with one HTTP or SSE server: each
// request goes over a session opened with the User in its context
// (WithUser), never over the session of another user. Each session has the
// server's headers with the user's on top, the user's token source (or the
// server's OAuth with tokens kept per user in its TokenStore) and, unless
// HTTP.HTTPClient is set, a connection pool of its own, so that no TCP
// connection serves two users. The server's requests on a session (OnSampling,
// OnElicitation) get a context carrying the session's User.
//
// Sessions are opened on a user's first request and pooled: when
// MaxSessions are open, the least recently used idle one is closed to make
// room (a request waits while all are busy), and a session idle for
// IdleTimeout is closed with its connections.
type Sessions struct {
	cfg    Config // the server's, as given
	http   *HTTP  // cfg's, validated
	log    *slog.Logger
	tokens oauth.TokenStore
	limits SessionLimits
	life   context.Context // cancelled by Close: ends connects in flight
	stop   context.CancelFunc

	mu       sync.Mutex
	sessions map[string]*userSession
	freed    chan struct{} // closed (and replaced) when a session becomes idle or goes
	seq      int64
	closed   bool
	// pending counts idle timers armed, connects in flight and closes
	// started, so Close returns only once every one is over.
	pending sync.WaitGroup
}

// userSession is one user's connection to the server.
type userSession struct {
	key    string
	ready  chan struct{} // closed once the connect is over (client or err set)
	client *Client
	err    error
	refs   int
	used   int64
	timer  *time.Timer
	gen    int64 // arming count, so a timer stopped too late does nothing
}

// NewSessions returns the pool of per-user sessions with the server of
// cfg, whose Transport must be an *HTTP. Nothing is opened before the
// first Get.
func NewSessions(cfg Config, limits SessionLimits) (*Sessions, error) {
	checked, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h, ok := checked.Transport.(*HTTP)
	if !ok {
		return nil, fmt.Errorf("mcpclient: server %q: per-user sessions need an *HTTP transport, not %s", cfg.Name, cfg.Transport.Kind())
	}
	if limits.MaxSessions <= 0 {
		limits.MaxSessions = DefaultMaxSessions
	}
	if limits.IdleTimeout <= 0 {
		limits.IdleTimeout = DefaultSessionIdleTimeout
	}
	p := &Sessions{cfg: cfg, http: h, log: checked.Logger, limits: limits, sessions: map[string]*userSession{}, freed: make(chan struct{})}
	if h.OAuth != nil {
		p.tokens = h.OAuth.TokenStore
	}
	if p.tokens == nil {
		// One store for every user's session, so a session reopened
		// after its idle time finds the user's tokens.
		p.tokens = &oauth.MemoryTokenStore{}
	}
	p.life, p.stop = context.WithCancel(context.Background())
	return p, nil
}

// Get returns the client of the session of the User in ctx, opening it if
// needed, and the function that gives it back (call it once the request
// is over; the session may be closed as idle only after that). Without a
// User in ctx it fails with ErrNoUser.
func (p *Sessions) Get(ctx context.Context) (*Client, func(), error) {
	u, ok := UserFrom(ctx)
	if !ok {
		return nil, nil, ErrNoUser
	}
	if err := u.check(); err != nil {
		return nil, nil, err
	}
	key := u.key()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, nil, p.closedError()
		}
		if s := p.sessions[key]; s != nil {
			s.refs++
			p.disarmLocked(s)
			p.mu.Unlock()
			return p.wait(ctx, s)
		}
		if len(p.sessions) >= p.limits.MaxSessions && !p.evictLocked() {
			freed := p.freed
			p.mu.Unlock()
			select {
			case <-freed:
				continue
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		}
		s := &userSession{key: key, ready: make(chan struct{}), refs: 1}
		p.sessions[key] = s
		p.pending.Add(1)
		p.mu.Unlock()
		p.open(ctx, s, u)
		return p.wait(ctx, s)
	}
}

func (p *Sessions) closedError() error {
	return &Error{Server: p.cfg.Name, Op: OpSpawn, Err: ErrClosed}
}

// userConfig is the configuration of u's session.
func (p *Sessions) userConfig(u User) Config {
	cfg := p.cfg
	cfg.Transport = p.http.forUser(u, p.tokens)
	if h := cfg.OnSampling; h != nil {
		cfg.OnSampling = func(ctx context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return h(WithUser(ctx, u), server, req)
		}
	}
	if h := cfg.OnElicitation; h != nil {
		cfg.OnElicitation = func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
			return h(WithUser(ctx, u), server, req)
		}
	}
	return cfg
}

// open connects s; a failed session leaves the pool at once, so the next
// request of the user tries again.
func (p *Sessions) open(ctx context.Context, s *userSession, u User) {
	defer p.pending.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.life, cancel)()
	parent := ctx
	d := p.limits.ConnectTimeout
	if d > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeoutCause(ctx, d, errSessionConnectDeadline)
		defer cancelT()
	}
	client, err := Connect(ctx, p.userConfig(u))
	if err != nil && d > 0 && parent.Err() == nil && errors.Is(context.Cause(ctx), errSessionConnectDeadline) {
		err = blameConnectTimeout(err, d)
	}
	p.mu.Lock()
	defer close(s.ready)
	defer p.mu.Unlock()
	if err == nil && p.closed {
		_ = client.Close()
		err = p.closedError()
	}
	if err != nil {
		s.err = err
		if p.sessions[s.key] == s {
			delete(p.sessions, s.key)
			p.notifyLocked()
		}
		p.log.Debug("per-user session failed to open", "server", p.cfg.Name, "error", err)
		return
	}
	s.client = client
	p.log.Debug("per-user session opened", "server", p.cfg.Name)
}

// wait waits for s to be connected; the caller holds a reference to s.
func (p *Sessions) wait(ctx context.Context, s *userSession) (*Client, func(), error) {
	select {
	case <-s.ready:
	case <-ctx.Done():
		p.release(s)
		return nil, nil, ctx.Err()
	}
	if s.err != nil {
		p.release(s)
		return nil, nil, fmt.Errorf("per-user session: %w", s.err)
	}
	var once sync.Once
	return s.client, func() { once.Do(func() { p.release(s) }) }, nil
}

// release gives back a reference to s; the last one arms its idle timer.
func (p *Sessions) release(s *userSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.refs--
	if s.refs > 0 || p.closed || p.sessions[s.key] != s || s.client == nil {
		return
	}
	p.seq++
	s.used = p.seq
	p.pending.Add(1)
	s.gen++
	gen := s.gen
	s.timer = time.AfterFunc(p.limits.IdleTimeout, func() { p.expire(s, gen) })
	p.notifyLocked()
}

// expire closes s if it is still idle when its timer fires.
func (p *Sessions) expire(s *userSession, gen int64) {
	defer p.pending.Done()
	p.mu.Lock()
	if p.closed || p.sessions[s.key] != s || s.refs > 0 || s.timer == nil || s.gen != gen {
		p.mu.Unlock()
		return
	}
	s.timer = nil
	delete(p.sessions, s.key)
	p.notifyLocked()
	p.mu.Unlock()
	p.log.Debug("per-user session closed after idle time", "server", p.cfg.Name)
	_ = s.client.Close()
}

// disarmLocked stops the idle timer of s, which is in use again.
func (p *Sessions) disarmLocked(s *userSession) {
	if s.timer != nil && s.timer.Stop() {
		p.pending.Done()
	}
	s.timer = nil
}

// evictLocked closes the least recently used idle session, if any, to
// make room for a new one.
func (p *Sessions) evictLocked() bool {
	var lru *userSession
	for _, s := range p.sessions {
		if s.refs == 0 && s.client != nil && (lru == nil || s.used < lru.used) {
			lru = s
		}
	}
	if lru == nil {
		return false
	}
	p.disarmLocked(lru)
	delete(p.sessions, lru.key)
	p.pending.Add(1)
	go func() {
		defer p.pending.Done()
		_ = lru.client.Close()
	}()
	return true
}

func (p *Sessions) notifyLocked() {
	close(p.freed)
	p.freed = make(chan struct{})
}

// Close closes every session and waits for connects, timers and closes in
// flight. Get fails with ErrClosed afterwards.
func (p *Sessions) Close() error {
	p.mu.Lock()
	p.closed = true
	p.stop()
	var open []*userSession
	for _, s := range p.sessions {
		p.disarmLocked(s)
		if s.client != nil {
			open = append(open, s)
		}
	}
	clear(p.sessions)
	p.notifyLocked()
	p.mu.Unlock()
	errs := make([]error, len(open))
	var wg sync.WaitGroup
	for i, s := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.client.Close()
		}()
	}
	wg.Wait()
	p.pending.Wait()
	return errors.Join(errs...)
}

// Len returns how many sessions are open or opening.
func (p *Sessions) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// errSessionConnectDeadline is the cause of the context that bounds
// opening one session, so its expiry is told apart from the caller's
// own deadline.
var errSessionConnectDeadline = errors.New("mcpclient: session connect timeout")

// sessionTimeoutError replaces the bare "context deadline exceeded" of a
// session whose server never answered: it says which limit ran out and
// where it is set, and keeps the cause for errors.Is and errors.As.
type sessionTimeoutError struct {
	limit time.Duration
	cause error
}

func (e *sessionTimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s (the per-user session's connect timeout, SessionLimits.ConnectTimeout; a bridge sets it from UserSessions.ConnectTimeout or WithConnectTimeout)", e.limit)
}

func (e *sessionTimeoutError) Unwrap() []error { return []error{ErrConnectTimeout, e.cause} }

// blameConnectTimeout puts the timeout's explanation where the cause was,
// keeping the server and operation of an *Error.
func blameConnectTimeout(err error, d time.Duration) error {
	var me *Error
	if errors.As(err, &me) {
		c := *me
		c.Err = &sessionTimeoutError{limit: d, cause: me.Err}
		return &c
	}
	return &sessionTimeoutError{limit: d, cause: err}
}
