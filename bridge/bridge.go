// Package bridge puts a set of MCP servers behind one tool set for a model
// served by the OpenAI Responses API, and runs the tool calls the model makes
// against the right server.
//
// Most programs need two calls: New (connect to every server and build the
// tool set) and Bridge.Run (drive the Responses loop until the model stops
// calling tools), or the one-shot Run that does both and closes. Programs
// that run their own loop use Bridge.Tools for the request and Bridge.Call
// for each function call the model makes; a Bridge is also a
// responses.ToolSource for programs that call responses.Run themselves.
//
// A program that uses this package needs no other package of this module:
// the loop's types (Call, CallRecord, Output, Result, ...) and errors are
// offered here too.
//
// New fails when a server cannot be started, naming each failed server and
// why; WithSkipFailedServers leaves such servers out instead, and
// MissingServers (on the Bridge and on every Result) names them. Options
// that shape the tool set or the connections are Options of New only;
// RunOptions tune a run and, given to New, set the default of every run.
//
// In Bridge.Run a call is routed through the tool set sent in the request
// that produced it: the model can call only what it was offered. When a
// server announces that its tools changed, the bridge relists it before the
// next request (WithRefreshOnListChanged).
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/internal/jsonschema"
	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Server describes one MCP server behind the bridge: its name and how to
// reach it (the embedded mcpclient.Config, whose Transport is a
// *mcpclient.Stdio, *mcpclient.HTTP or *mcpclient.InProcess) and which of
// its tools to expose.
type Server struct {
	mcpclient.Config
	// AllowTools, when not empty, lists the only MCP tool names exposed.
	AllowTools []string
	// DenyTools lists MCP tool names never exposed, even if allowed.
	DenyTools []string
	// AutoApprove lists MCP tool names whose calls skip the WithApproval
	// hook; AutoApproveAll ("*") covers every tool of the server.
	AutoApprove []string
	// CallTimeout bounds each call to this server (0: only WithCallTimeout
	// and the context bound it). A call past it fails with
	// responses.ErrCallTimeout.
	CallTimeout time.Duration
	// Resources gives the model two function tools for the server's
	// resources, server__list_resources and server__read_resource, when
	// the server declares resources (see resources.go). Off by default.
	Resources bool
	// Prompts gives the model server__list_prompts and server__get_prompt
	// when the server declares prompts. Off by default.
	Prompts bool
	// PerUser, for an HTTP or SSE server, calls it over a session of the
	// run's user (WithCredentials) instead of the shared connection; see
	// UserSessions. Nil (the default) shares one connection for all runs.
	PerUser *UserSessions
	// Description describes the server's namespace tool (WithNamespaces);
	// empty: the instructions the server sent.
	Description string
	// AlwaysLoad lists MCP tool names kept out of tool search
	// (WithToolSearch): always sent, never deferred. AlwaysLoadAll ("*")
	// covers every tool of the server.
	AlwaysLoad []string
}

// Stdio describes a server started as a local process speaking MCP on
// stdin/stdout.
func Stdio(name, command string, args ...string) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: &mcpclient.Stdio{Command: command, Args: args}}}
}

// HTTP describes a server reached over MCP streamable HTTP at url.
func HTTP(name, url string) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: &mcpclient.HTTP{URL: url}}}
}

// SSE describes a server reached over the MCP HTTP+SSE transport at url.
func SSE(name, url string) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: &mcpclient.HTTP{URL: url, SSE: true}}}
}

// InProcess describes a server running in this process.
func InProcess(name string, s *server.MCPServer) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: &mcpclient.InProcess{Server: s}}}
}

// conn is one connected server.
type conn struct {
	srv    Server
	client *mcpclient.Client
	users  *mcpclient.Sessions // per-user sessions (Server.PerUser); nil when shared
	sem    chan struct{}
	allow  map[string]bool
	deny   map[string]bool
	stale  atomic.Bool

	mu    sync.Mutex
	tools []convert.Tool       // filtered, as last listed
	hints map[string]toolHints // by MCP tool name, as last listed (describe.go)
	// skipped holds the entries of the last listing mcpclient could not
	// use (no name, not an object, a repeated name), as diagnostics.
	skipped []convert.Diagnostic
	// inflight counts the calls in flight per run (sampling.go).
	inflight map[runKey]int
}

func (c *conn) exposes(tool string) bool {
	if c.deny[tool] {
		return false
	}
	return len(c.allow) == 0 || c.allow[tool]
}

// Bridge is a set of connected MCP servers behind one tool set. It is safe
// for concurrent use: many runs may share one Bridge.
type Bridge struct {
	cfg     config
	sampler *sampler // nil without WithSampling (sampling.go)
	conv    *convert.Converter
	log     *slog.Logger
	conns   map[string]*conn
	order   []string
	missing []*ServerError // servers left out by WithSkipFailedServers

	refreshMu  sync.Mutex // serializes refreshes
	current    atomic.Pointer[toolSet]
	compiled   jsonschema.Cache // input schemas compiled for WithValidateArguments
	searchDocs searchDocs       // analyses of the tools' search documents (searchindex.go)

	closeOnce sync.Once
	closed    atomic.Bool
	closeErr  error

	runsMu sync.Mutex // guards runs, runSeq and the setting of closed
	runs   map[int64]context.CancelCauseFunc
	runSeq int64
}

// New checks every server's configuration, then connects to every server at
// the same time, lists their tools and builds one tool set. When a server
// fails to start, connect or list its tools, New fails with a *StartError
// naming each failed server and why, and stops everything it started;
// WithSkipFailedServers(true) leaves failed servers out instead (see
// MissingServers). Close releases everything New started.
func New(ctx context.Context, servers []Server, opts ...Option) (*Bridge, error) {
	cfg := buildConfig(opts)
	if err := checkServers(servers, cfg.convert); err != nil {
		return nil, err
	}
	log := cfg.run.loop.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{
		cfg:   cfg,
		conv:  convert.NewConverter(cfg.convert),
		log:   log,
		conns: make(map[string]*conn, len(servers)),
	}
	if cfg.sampling != nil {
		s, err := newSampler(b, *cfg.sampling)
		if err != nil {
			return nil, err
		}
		b.sampler = s
	}

	type connected struct {
		c   *conn
		err error
	}
	results := make([]connected, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := b.connect(ctx, s)
			results[i] = connected{c, err}
		}()
	}
	wg.Wait()

	var failed []*ServerError
	for i, r := range results {
		name := servers[i].Name
		if r.err != nil {
			failed = append(failed, asServerError(name, mcpclient.OpSpawn, r.err))
			continue
		}
		b.conns[name] = r.c
		b.order = append(b.order, name)
	}
	if len(failed) > 0 && (!cfg.skipFailed || len(b.conns) == 0) {
		_ = b.Close()
		return nil, &StartError{Failed: failed, Total: len(servers)}
	}
	for _, f := range failed {
		log.Warn("mcp server left out", "server", f.Server, "error", f)
	}
	b.missing = failed
	if err := ctx.Err(); err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := b.rebuild(ctx); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// asServerError names the server of err once: an *mcpclient.Error already
// does; anything else is wrapped as a failure of op.
func asServerError(server string, op mcpclient.Op, err error) *ServerError {
	var se *ServerError
	if errors.As(err, &se) && se.Server == server {
		return se
	}
	return &ServerError{Server: server, Op: op, Err: err}
}

// checkServers rejects what could never work before anything is started:
// names that are empty, repeated or unusable in function names, and
// configurations Connect would refuse.
func checkServers(servers []Server, conv convert.Options) error {
	var errs []error
	seen := make(map[string]bool, len(servers))
	for i, s := range servers {
		switch {
		case s.Name == "":
			errs = append(errs, fmt.Errorf("bridge: server #%d has no name", i))
			continue
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("bridge: server name %q used twice", s.Name))
			continue
		}
		seen[s.Name] = true
		if err := convert.CheckServerName(s.Name); err != nil {
			errs = append(errs, fmt.Errorf("bridge: server %q: %w", s.Name, err))
			continue
		}
		if err := s.Config.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("bridge: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (b *Bridge) connect(ctx context.Context, s Server) (*conn, error) {
	cfg := s.Config
	c := &conn{srv: s, sem: make(chan struct{}, max(1, b.cfg.serverConcurrency))}
	if len(s.AllowTools) > 0 {
		c.allow = toSet(s.AllowTools)
	}
	c.deny = toSet(s.DenyTools)
	userChanged := cfg.OnToolsChanged
	cfg.OnToolsChanged = func(server string) {
		c.stale.Store(true)
		if userChanged != nil {
			userChanged(server)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = b.log
	}
	b.extendConfig(&cfg)
	users, err := newUserSessions(cfg, s.PerUser, b.cfg.connectTimeout)
	if err != nil {
		return nil, err
	}
	c.users = users
	ctx, cancel, blame := boundConnect(ctx, b.cfg.connectTimeout)
	defer cancel()
	client, err := mcpclient.Connect(ctx, cfg)
	if err != nil {
		if users != nil {
			_ = users.Close()
		}
		return nil, blame(err)
	}
	c.client = client
	if err := b.list(ctx, c); err != nil {
		_ = c.close()
		return nil, blame(err)
	}
	return c, nil
}

func toSet(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// MissingServers returns the servers New left out (WithSkipFailedServers),
// in the order given to New, each with why it failed. Their tools are not
// offered; a call to a name the model expected from them is answered as an
// unknown function that names the missing servers.
func (b *Bridge) MissingServers() []*ServerError {
	return append([]*ServerError(nil), b.missing...)
}

// Servers returns the names of the connected servers, in the order given to New.
func (b *Bridge) Servers() []string { return append([]string(nil), b.order...) }

// Close disconnects every server and stops every process New started. Runs
// in flight end promptly with an error matching ErrClosed, their finished
// outputs kept in Result.Pending for Resume on another Bridge. It is safe
// to call more than once.
func (b *Bridge) Close() error {
	b.closeOnce.Do(func() {
		// Runs in flight end with ErrClosed; their contexts are cancelled
		// before closed is visible, so a call that sees closed also sees
		// its run cancelled (and is kept for Resume as interrupted).
		b.runsMu.Lock()
		for _, cancel := range b.runs {
			cancel(ErrClosed)
		}
		b.closed.Store(true)
		b.runsMu.Unlock()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for _, c := range b.conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.close(); err != nil {
					mu.Lock()
					errs = append(errs, asServerError(c.srv.Name, mcpclient.OpClose, err))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}
