// Package bridge puts a set of MCP servers behind one tool set for a model
// served by the OpenAI Responses API, and runs the tool calls the model makes
// against the right server.
//
// Most programs need two calls: [New] (connect to every server and build
// the tool set) and [Bridge.Run] (drive the Responses loop until the model
// stops calling tools), or the one-shot [Run] that does both and closes.
// [Bridge.Stream] is Run with events as they happen. [Bridge.Client]
// reaches one server's MCP client (resources, prompts, roots, log level).
//
// A program that uses this package needs no other package of this module,
// only openai-go for the request: the types it meets ([Call], [CallRecord],
// [Output], [Result], [Event], [ServerConfig], [StdioTransport],
// [Credentials], ...) are offered here under bridge names, as aliases of
// the types in packages responses, mcpclient and convert (go doc shows
// their fields there). A program opts into those packages only for what
// they add: its own loop (responses.Run with the Bridge as the ToolSource
// and [Bridge.Search] as the ToolSearcher), a tracer (responses.Observer,
// package bridgeotel), OAuth details of a transport.
//
// Every call carries its route: [Call].Route names the server and MCP tool
// the call goes to, decided once by the tool set of the turn the model
// called from, and the hooks, records, stream events and traces all show
// it. The model can call only what it was offered; when a server announces
// that its tools changed, the bridge relists it before the next request.
//
// New fails when a server cannot be started, naming each failed server and
// why; [WithSkipFailedServers] leaves such servers out instead, and
// [Bridge.MissingServers] names them. See [Option] for the options by
// concern.
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
// reach it (the embedded Config, a [ServerConfig]: Name, Transport, and the hooks of
// the connection; see [mcpclient.Config] for its fields) and which of its
// tools to expose. [Stdio], [HTTP] and [InProcess] build the common ones; a
// struct literal sets the rest:
//
//	fs := bridge.Server{Config: bridge.ServerConfig{Name: "fs", Transport: &bridge.StdioTransport{
//		Command: "npx", Args: []string{"-y", "@modelcontextprotocol/server-filesystem", dir},
//		Env:     []string{"NODE_OPTIONS=--max-old-space-size=256"},
//	}}, DenyTools: []string{"write_file"}}
//
// A server whose (embedded) Hosted field is set is not connected to: it is
// sent to the Responses API as the API's own mcp tool, which the API
// reaches from its side, a public server beside the private ones the
// bridge connects to. Its transport must be an [HTTPTransport]
// (streamable HTTP): its URL is the tool's server_url, a "Bearer"
// Authorization header (or the token of its OAuth TokenSource) its
// authorization, the other Headers its headers; they go to the API in the
// request and are never logged. AllowTools becomes allowed_tools (less
// DenyTools), Description server_description, and with [ToolSearchHosted]
// the tool is deferred unless AlwaysLoad has "*". The API asks to approve
// every call not in AutoApprove (every call when DenyTools has no
// AllowTools beside it, so that the denied ones can be refused); each
// request passes the run's policy as a [Call] whose Hosted is the server's
// name ([WithApproval], or approved at once without one), and one for a
// tool that AllowTools or DenyTools leave out, or for a server not
// configured, is denied without asking. The API runs the approved calls: they show in
// each turn's Hosted calls (responses.HostedCall), in [Bridge.Stream] as
// responses.EventHostedCall events, and in traces. PerUser, Resources,
// Prompts and the connection hooks do not apply.
type Server struct {
	mcpclient.Config // a ServerConfig
	// AllowTools, when not empty, lists the only MCP tool names exposed.
	AllowTools []string
	// DenyTools lists MCP tool names never exposed, even if allowed.
	DenyTools []string
	// AutoApprove lists MCP tool names whose calls skip the [WithApproval]
	// hook; "*" covers every tool of the server.
	AutoApprove []string
	// CallTimeout bounds each call to this server (0: only
	// [WithCallTimeout] and the context bound it). A call past it fails
	// with responses.ErrCallTimeout.
	CallTimeout time.Duration
	// Resources gives the model two function tools for the server's
	// resources, server__list_resources and server__read_resource, when
	// the server declares resources. Off by default.
	Resources bool
	// Prompts gives the model server__list_prompts and server__get_prompt
	// when the server declares prompts. Off by default.
	Prompts bool
	// PerUser, for an HTTP or SSE server, calls it over a session of the
	// run's user ([WithCredentials]) instead of the shared connection; see
	// [UserSessions]. Nil (the default) shares one connection for all runs.
	PerUser *UserSessions
	// Description describes the server's namespace tool
	// ([WithNamespaces]); empty: the instructions the server sent.
	Description string
	// AlwaysLoad lists MCP tool names kept out of tool search
	// ([WithToolSearch]): always sent, never deferred. "*" covers every
	// tool of the server.
	AlwaysLoad []string
}

// The connection settings of a [Server], under bridge names (aliases of
// package mcpclient's types; go doc shows their fields there).
type (
	// ServerConfig is a server's name, transport and connection hooks:
	// [mcpclient.Config].
	ServerConfig = mcpclient.Config
	// StdioTransport starts a server as a local process speaking MCP on
	// stdin/stdout: Command, Args, Env, Dir, ... ([mcpclient.Stdio]).
	StdioTransport = mcpclient.Stdio
	// HTTPTransport reaches a server over MCP streamable HTTP, or the
	// older HTTP+SSE transport with SSE set: URL, Headers, OAuth,
	// HTTPClient, ... ([mcpclient.HTTP]).
	HTTPTransport = mcpclient.HTTP
)

// allTools in Server.AutoApprove or Server.AlwaysLoad covers every tool of
// the server.
const allTools = "*"

// Stdio describes a server started as a local process speaking MCP on
// stdin/stdout.
func Stdio(name, command string, args ...string) Server {
	return Server{Config: ServerConfig{Name: name, Transport: &StdioTransport{Command: command, Args: args}}}
}

// HTTP describes a server reached over MCP streamable HTTP at url (for the
// older HTTP+SSE transport, set SSE in its [HTTPTransport]).
func HTTP(name, url string) Server {
	return Server{Config: ServerConfig{Name: name, Transport: &HTTPTransport{URL: url}}}
}

// InProcess describes a server running in this process.
func InProcess(name string, s *server.MCPServer) Server {
	return Server{Config: ServerConfig{Name: name, Transport: &mcpclient.InProcess{Server: s}}}
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
	icon   string // the server's icon (its serverInfo icons), for routes without one of their own
	// expires is when the last listing goes stale by the server's ttlMs
	// (Unix nanoseconds; 0: it said none). toolset.go
	expires atomic.Int64

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
	hosted  []*hostedServer // Server.Hosted: sent as the API's mcp tool (hosted.go)
	missing []*ServerError  // servers left out by WithSkipFailedServers

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
// fails to start, connect or list its tools, New fails with an error naming
// each failed server and why, and stops everything it started; the error
// unwraps to each failed server's *[ServerError] (errors.As finds the
// first; its Unwrap() []error lists them all) and matches [ErrNoServers]
// when none is left. [WithSkipFailedServers] leaves failed servers out
// instead (see [Bridge.MissingServers]). [Bridge.Close] releases everything
// New started.
func New(ctx context.Context, servers []Server, opts ...Option) (*Bridge, error) {
	cfg := buildConfig(opts)
	if err := checkMode(cfg.search.mode); err != nil {
		return nil, err
	}
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
		if s.Hosted {
			b.hosted = append(b.hosted, newHostedServer(s))
			continue
		}
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
		if servers[i].Hosted {
			continue
		}
		if r.err != nil {
			failed = append(failed, asServerError(name, mcpclient.OpSpawn, r.err))
			continue
		}
		b.conns[name] = r.c
		b.order = append(b.order, name)
	}
	if len(failed) > 0 && (!cfg.skipFailed || len(b.conns)+len(b.hosted) == 0) {
		_ = b.Close()
		return nil, &startError{failed: failed, total: len(servers)}
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
		if s.Hosted {
			if err := checkHosted(s); err != nil {
				errs = append(errs, err)
			}
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
	c.icon = convert.IconURL(client.ServerInfo().Icons)
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

// MissingServers returns the servers New left out ([WithSkipFailedServers]),
// in the order given to New, each with why it failed. Their tools are not
// offered; a call to a name the model expected from them is answered as an
// unknown function that names the missing servers.
func (b *Bridge) MissingServers() []*ServerError {
	return append([]*ServerError(nil), b.missing...)
}

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
