package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Defaults of UserSessions.
const (
	DefaultMaxUserSessions = 64
	DefaultUserIdleTimeout = 5 * time.Minute
)

// UserSessions turns on per-user sessions for an HTTP or SSE server
// (Server.PerUser): each run's calls to the server go over a session opened
// with the Credentials of its context (WithCredentials), never over the
// session of another user. The bridge's own connection (with the server's
// configured Headers or OAuth) lists the tools, so every user is offered
// the same tool set; the users' sessions only call. A call in a run
// without Credentials fails with ErrNoCredentials. Stdio and in-process
// servers ignore PerUser.
//
// Sessions are opened on a user's first call and pooled: when MaxSessions
// are open, the least recently used idle one is closed to make room (a
// call waits while all are busy), and a session idle for IdleTimeout is
// closed with its connections.
type UserSessions struct {
	// MaxSessions bounds the sessions open at once for the server.
	// Default DefaultMaxUserSessions.
	MaxSessions int
	// IdleTimeout closes a session unused for this long. Default
	// DefaultUserIdleTimeout.
	IdleTimeout time.Duration
}

// userPool holds the per-user sessions of one server.
type userPool struct {
	server         string
	cfg            mcpclient.Config // the server's, with the bridge's hooks
	tokens         mcpclient.TokenStore
	max            int
	idle           time.Duration
	connectTimeout time.Duration
	log            *slog.Logger
	life           context.Context // cancelled by close: ends connects in flight
	stop           context.CancelFunc

	mu       sync.Mutex
	sessions map[string]*userSession
	freed    chan struct{} // closed (and replaced) when a session becomes idle or goes
	seq      int64
	closed   bool
	// pending counts idle timers armed, connects in flight and closes
	// started, so close returns only once every one is over.
	pending sync.WaitGroup
}

// userSession is one user's connection to the server.
type userSession struct {
	key    string
	ready  chan struct{} // closed once the connect is over (client or err set)
	client *mcpclient.Client
	own    *http.Transport
	err    error
	refs   int
	used   int64
	timer  *time.Timer
	gen    int64 // arming count, so a timer stopped too late does nothing
}

// newUserPool returns the pool of server cfg, or nil when the server does
// not take per-user sessions.
func newUserPool(cfg mcpclient.Config, u *UserSessions, connectTimeout time.Duration, log *slog.Logger) *userPool {
	h, ok := cfg.Transport.(*mcpclient.HTTP)
	if u == nil || !ok || h == nil || h.URL == "" {
		return nil
	}
	p := &userPool{
		server: cfg.Name, cfg: cfg, max: u.MaxSessions, idle: u.IdleTimeout,
		connectTimeout: connectTimeout, log: log,
		sessions: map[string]*userSession{}, freed: make(chan struct{}),
	}
	if p.max <= 0 {
		p.max = DefaultMaxUserSessions
	}
	if p.idle <= 0 {
		p.idle = DefaultUserIdleTimeout
	}
	if h.OAuth != nil {
		p.tokens = h.OAuth.TokenStore
	}
	if p.tokens == nil {
		p.tokens = &mcpclient.MemoryTokenStore{}
	}
	p.life, p.stop = context.WithCancel(context.Background())
	return p
}

// acquire returns the client of the session of the user in ctx, opening
// it if needed, and the function that gives it back.
func (p *userPool) acquire(ctx context.Context) (*mcpclient.Client, func(), error) {
	creds, ok := CredentialsFrom(ctx)
	if !ok {
		return nil, nil, ErrNoCredentials
	}
	if err := creds.check(); err != nil {
		return nil, nil, err
	}
	key := creds.poolKey()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, nil, ErrClosed
		}
		if s := p.sessions[key]; s != nil {
			s.refs++
			p.disarmLocked(s)
			p.mu.Unlock()
			return p.wait(ctx, s)
		}
		if len(p.sessions) >= p.max && !p.evictLocked() {
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
		p.open(ctx, s, creds)
		return p.wait(ctx, s)
	}
}

// open connects s; a failed session leaves the pool at once, so the next
// call of the user tries again.
func (p *userPool) open(ctx context.Context, s *userSession, creds Credentials) {
	defer p.pending.Done()
	cfg, own := userConfig(p.cfg, creds, p.tokens)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.life, cancel)()
	if p.connectTimeout > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeout(ctx, p.connectTimeout)
		defer cancelT()
	}
	client, err := mcpclient.Connect(ctx, cfg)
	p.mu.Lock()
	defer close(s.ready)
	defer p.mu.Unlock()
	if err == nil && p.closed {
		_ = client.Close()
		err = ErrClosed
	}
	if err != nil {
		if own != nil {
			own.CloseIdleConnections()
		}
		s.err = err
		if p.sessions[s.key] == s {
			delete(p.sessions, s.key)
			p.notifyLocked()
		}
		p.log.Debug("per-user session failed to open", "server", p.server, "error", err)
		return
	}
	s.client, s.own = client, own
	p.log.Debug("per-user session opened", "server", p.server)
}

// wait waits for s to be connected; the caller holds a reference to s.
func (p *userPool) wait(ctx context.Context, s *userSession) (*mcpclient.Client, func(), error) {
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
func (p *userPool) release(s *userSession) {
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
	s.timer = time.AfterFunc(p.idle, func() { p.expire(s, gen) })
	p.notifyLocked()
}

// expire closes s if it is still idle when its timer fires.
func (p *userPool) expire(s *userSession, gen int64) {
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
	p.log.Debug("per-user session closed after idle time", "server", p.server)
	_ = s.close()
}

// disarmLocked stops the idle timer of s, which is in use again.
func (p *userPool) disarmLocked(s *userSession) {
	if s.timer != nil && s.timer.Stop() {
		p.pending.Done()
	}
	s.timer = nil
}

// evictLocked closes the least recently used idle session, if any, to
// make room for a new one.
func (p *userPool) evictLocked() bool {
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
		_ = lru.close()
	}()
	return true
}

func (p *userPool) notifyLocked() {
	close(p.freed)
	p.freed = make(chan struct{})
}

// close closes every session and waits for connects, timers and closes in
// flight.
func (p *userPool) close() error {
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
	var errs []error
	for _, s := range open {
		errs = append(errs, s.close())
	}
	p.pending.Wait()
	return errors.Join(errs...)
}

// size returns how many sessions are open or opening.
func (p *userPool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

func (s *userSession) close() error {
	err := s.client.Close()
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	return err
}

// session returns the client a call to c goes over, and the function to
// call when the call is over: the user's session for a per-user server,
// the shared connection otherwise.
func (c *conn) session(ctx context.Context) (*mcpclient.Client, func(), error) {
	if c.users == nil {
		return c.client, func() {}, nil
	}
	return c.users.acquire(ctx)
}

// close closes the users' sessions, then the shared connection.
func (c *conn) close() error {
	var err error
	if c.users != nil {
		err = c.users.close()
	}
	return errors.Join(err, c.client.Close())
}
