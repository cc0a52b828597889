package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// clientName and clientVersion are what initialize reports as clientInfo.
const (
	clientName    = "mcpbridge"
	clientVersion = "0.1.0"
)

// session is one connection: one transport and one initialized mcp-go
// client. A Client replaces its session when the process dies, the SSE
// stream drops or the HTTP session expires.
type session struct {
	mc    *client.Client
	stdio *stdioTransport
	sse   bool
	info  mcp.InitializeResult

	life     context.Context // ends when the session closes
	cancel   context.CancelFunc
	listener listener // the subscriptions/listen stream of a modern session (listen.go)
	// probeSpoiled tells a streamable HTTP session whose server answered
	// server/discover with a result (tap.go).
	probeSpoiled func() bool
	lost         chan struct{}
	lostErr      error // why the connection was lost, if known; set before lost closes
	lostOnce     sync.Once
	closeOnce    sync.Once
	closeErr     error

	// uses counts the requests in flight on s; a retired session (one the
	// server forgot) is closed once the last of them is over.
	useMu   sync.Mutex
	uses    int
	retired bool
}

// enter counts a request in flight on s.
func (s *session) enter() {
	s.useMu.Lock()
	s.uses++
	s.useMu.Unlock()
}

// leave ends a request of enter; the last one closes a retired session.
func (s *session) leave() {
	s.useMu.Lock()
	s.uses--
	last := s.retired && s.uses == 0
	s.useMu.Unlock()
	if last {
		go func() { _ = s.close() }()
	}
}

// retire takes s out of service because the server no longer knows the
// session (HTTP 404 on its id): new requests reconnect, while the ones
// already sent on s get their own answer (a 404 too, and a retry, or the
// reply of a call the server was already running) before s is closed.
// Closing at once would cancel them, and they could not tell whether the
// server had run them.
func (s *session) retire() {
	s.lostOnce.Do(func() { close(s.lost) })
	s.useMu.Lock()
	s.retired = true
	idle := s.uses == 0
	s.useMu.Unlock()
	if idle {
		go func() { _ = s.close() }()
	}
}

func (s *session) isRetired() bool {
	s.useMu.Lock()
	defer s.useMu.Unlock()
	return s.retired
}

// alive reports whether requests can still be sent on s.
func (s *session) alive() bool {
	if s.stdio != nil && s.stdio.Err() != nil {
		return false
	}
	select {
	case <-s.lost:
		return false
	default:
		return true
	}
}

// markLost retires a session whose connection broke (because of cause,
// if known); its pending requests fail and the next request reconnects.
func (s *session) markLost(cause error) {
	s.lostOnce.Do(func() {
		s.lostErr = cause
		close(s.lost)
	})
	go func() { _ = s.close() }()
}

// lostCause is why the connection was lost, once it was.
func (s *session) lostCause() error {
	select {
	case <-s.lost:
		return s.lostErr
	default:
		return nil
	}
}

func (s *session) stderr() string {
	if s.stdio == nil {
		return ""
	}
	return s.stdio.Stderr()
}

func (s *session) close() error {
	s.closeOnce.Do(func() {
		s.lostOnce.Do(func() { close(s.lost) })
		s.closeErr = s.mc.Close()
		s.cancel()
	})
	return s.closeErr
}

// dial opens a new session: transport, Start, initialize. ctx bounds the
// whole handshake; the session itself lives until closed.
//
// At 2026-07-28 or later (the default), mcp-go probes server/discover and
// falls back to the handshake when the probe fails without naming
// versions; on stdio the probe is paired with a ping (stdioprobe.go), so a
// server that ignores unknown methods is known for legacy as soon as it
// answers the ping. A server that answers the probe with the versions it
// supports, all of them handshake versions (an mcp-go server pinned to
// them does), makes mcp-go give up; dial then connects again with the
// handshake at the newest of those. A stdio server that exits on the probe
// (some end on any request before initialize) is started again for the
// handshake.
//
// Over the HTTP+SSE transport only the handshake versions are offered.
//
// Once a version is negotiated, later dials of the Client (reconnections,
// restarts) ask for it directly: a server that spoke a handshake version
// is not probed again.
func (c *Client) dial(ctx context.Context) (*session, error) {
	version := c.cfg.ProtocolVersion
	if h, ok := c.cfg.Transport.(*HTTP); ok && h.SSE && mcp.IsModernProtocol(version) {
		// The HTTP+SSE transport (2024-11-05) was replaced by streamable
		// HTTP before 2026-07-28, which defines no use of it.
		version = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	}
	c.mu.Lock()
	if c.negotiated != "" && !mcp.IsModernProtocol(c.negotiated) {
		version = c.negotiated
	}
	c.mu.Unlock()
	s, err := c.dialAt(ctx, version)
	if err == nil && mcp.IsModernProtocol(version) && !s.modern() && s.probeSpoiled() {
		// A handshake-version server that answered the probe with some
		// result: connect again without the probe, so that the standalone
		// GET stream opens (httpTap.probeSpoiled).
		legacy := s.info.ProtocolVersion
		_ = s.close()
		s, err = c.dialAt(ctx, legacy)
	}
	if err != nil && mcp.IsModernProtocol(version) {
		legacy := ""
		var refused mcp.UnsupportedProtocolVersionError
		switch {
		case errors.As(err, &refused):
			legacy = mcp.NegotiateMutuallySupportedVersion(refused.Supported)
			if mcp.IsModernProtocol(legacy) {
				legacy = ""
			}
		case errors.Is(err, ErrProcessExited) && ctx.Err() == nil:
			legacy = mcp.LATEST_LEGACY_PROTOCOL_VERSION
		}
		if legacy != "" {
			c.cfg.Logger.Debug("mcp server refused the stateless protocol; using the handshake",
				"server", c.cfg.Name, "offered", version, "protocol", legacy, "err", err)
			s, err = c.dialAt(ctx, legacy)
		}
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.negotiated = s.info.ProtocolVersion
	c.mu.Unlock()
	return s, nil
}

// dialAt is dial at one protocol version.
func (c *Client) dialAt(ctx context.Context, version string) (*session, error) {
	cfg := c.cfg
	cfg.ProtocolVersion = version
	// Close of the Client aborts a dial in progress.
	ctx, cancelDial := context.WithCancel(ctx)
	defer cancelDial()
	ctx, httpFail := withHTTPFailure(ctx)
	stopLife := context.AfterFunc(c.life, cancelDial)
	defer stopLife()

	life, cancel := context.WithCancel(c.life)
	s := &session{life: life, cancel: cancel, lost: make(chan struct{})}
	var inner transport.Interface
	switch t := cfg.Transport.(type) {
	case *Stdio:
		s.stdio = newStdioTransport(stdioOptions{
			server: cfg.Name, command: t.Command, args: t.Args,
			env: childEnv(parentEnv(), t.InheritEnv, t.Env), dir: t.Dir,
			grace: t.CloseGrace, maxLine: cfg.MaxMessageBytes, stderr: t.StderrLimit, log: cfg.Logger,
		})
		inner = s.stdio
	case *HTTP:
		var err error
		if t.SSE {
			inner, err = c.dialSSE(s, t)
		} else {
			inner, err = c.dialStreamableHTTP(t)
		}
		if err != nil {
			cancel()
			return nil, c.newError(OpSpawn, "", err, nil)
		}
	case *InProcess:
		inner = newInProcessTransport(t.Server, cfg.Name, cfg.Logger, c.inProcessHandlers())
	default:
		cancel()
		return nil, c.newError(OpSpawn, "", fmt.Errorf("unknown transport %T", cfg.Transport), nil)
	}

	copts := []client.ClientOption{client.WithProtocolVersion(cfg.ProtocolVersion)}
	if mcp.IsModernProtocol(cfg.ProtocolVersion) && s.stdio != nil {
		// The ping paired with the probe tells a server that ignores it
		// (stdioprobe.go); this only bounds one that answers neither.
		copts = append(copts, client.WithDiscoverTimeout(stdioProbeTimeout))
	}
	if cfg.OnElicitation != nil {
		copts = append(copts, client.WithElicitationHandler(elicitationFunc{server: cfg.Name, fn: cfg.OnElicitation}))
	}
	var extensions map[string]any
	if mcp.IsModernProtocol(version) {
		// CallTool follows the tasks the server decides to run (tasks.go).
		extensions = map[string]any{tasksExtension: map[string]any{}}
	}
	copts = append(copts, c.capabilityOptions(extensions)...)
	if cfg.TraceMeta != nil {
		copts = append(copts, client.WithMetaPropagator(traceMeta(cfg.TraceMeta)))
	}
	wrapped := wrapTransport(inner, c.strays)
	if h, ok := wrapped.(*httpTap); ok {
		s.probeSpoiled = h.probeSpoiled
	} else {
		s.probeSpoiled = func() bool { return false }
	}
	s.mc = client.NewClient(wrapped, copts...)
	stopStart := context.AfterFunc(ctx, cancel)
	if err := s.mc.Start(life); err != nil {
		stopStart()
		_ = s.close()
		return nil, httpFail.annotate(c.newError(OpSpawn, "", ctxCause(ctx, err), s))
	}
	s.mc.OnNotification(c.onNotification)
	s.mc.OnNotification(s.onAck)

	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = cfg.ProtocolVersion
	req.Params.ClientInfo = mcp.Implementation{Name: clientName, Version: clientVersion}
	res, err := s.mc.Initialize(ctx, req)
	if !stopStart() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = s.close()
		return nil, httpFail.annotate(c.newError(OpHandshake, "", c.sessionCause(s, ctxCause(ctx, err)), s))
	}
	s.info = *res
	c.afterHandshake(ctx, s)
	c.listen(ctx, s)
	c.cfg.Logger.Debug("mcp server connected", "server", cfg.Name, "transport", string(cfg.Transport.Kind()),
		"protocol", res.ProtocolVersion, "server_name", res.ServerInfo.Name)
	return s, nil
}

// dialSSE makes the HTTP+SSE transport of s. t.HTTPClient is the wrapped
// client of httpClientFor.
func (c *Client) dialSSE(s *session, t *HTTP) (transport.Interface, error) {
	cfg := c.cfg
	opts := []transport.ClientOption{
		transport.WithSSELogger(cfg.Logger.With("server", cfg.Name)),
		// mcp-go gives up on an SSE response after 60s by default;
		// the caller's context is the bound here.
		transport.WithResponseTimeout(365 * 24 * time.Hour),
		// MaxMessageBytes is enforced on the HTTP body (httpguard.go),
		// where the error names the server; mcp-go's own lower default
		// would cut in first.
		transport.WithMaxMessageBytes(0),
	}
	if t.HTTPClient != nil {
		opts = append(opts, transport.WithHTTPClient(t.HTTPClient))
	}
	sse, err := transport.NewSSE(t.URL, opts...)
	if err != nil {
		return nil, err
	}
	sse.SetConnectionLostHandler(func(err error) {
		cfg.Logger.Warn("mcp server connection lost", "server", cfg.Name, "err", err)
		s.markLost(err)
	})
	s.sse = true
	return sse, nil
}

// dialStreamableHTTP makes the streamable HTTP transport of t.
func (c *Client) dialStreamableHTTP(t *HTTP) (transport.Interface, error) {
	cfg := c.cfg
	opts := []transport.StreamableHTTPCOption{
		transport.WithHTTPLogger(cfg.Logger.With("server", cfg.Name)),
		// As for SSE: the bound is MaxMessageBytes, enforced on the body.
		transport.WithHTTPMaxMessageBytes(0),
	}
	// On the handshake versions the standalone GET stream carries what the
	// server sends outside of a request (tools/list_changed). mcp-go opens
	// it only once the session turned out to be one of those; a 2026-07-28
	// session uses subscriptions/listen instead (listen.go).
	//lint:ignore SA1019 the replacement (subscriptions/listen) is what 2026-07-28 sessions use; this is the handshake versions' stream.
	opts = append(opts, transport.WithContinuousListening())
	if t.HTTPClient != nil {
		opts = append(opts, transport.WithHTTPBasicClient(t.HTTPClient))
	}
	return transport.NewStreamableHTTP(t.URL, opts...)
}

// ctxCause prefers the context's error when it ended, since mcp-go wraps
// cancellations in its own errors.
func ctxCause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// sessionCause replaces a generic transport failure by the reason the
// stdio process died, when it did.
func (c *Client) sessionCause(s *session, err error) error {
	if s == nil || s.stdio == nil || errors.Is(err, ErrProcessExited) {
		return err
	}
	select {
	case <-s.stdio.Done():
		if dead := s.stdio.Err(); errors.Is(dead, ErrProcessExited) {
			return fmt.Errorf("%w (%w)", dead, err)
		}
	default:
	}
	return err
}

// elicitationFunc adapts Config.OnElicitation to mcp-go's handler interface.
type elicitationFunc struct {
	server string
	fn     func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error)
}

func (e elicitationFunc) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return e.fn(ctx, e.server, req)
}
