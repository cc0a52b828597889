package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// TransportKind selects how a Client reaches its server.
type TransportKind string

// The transports a Client supports.
const (
	TransportStdio     TransportKind = "stdio"     // a child process speaking JSON-RPC lines on stdin/stdout
	TransportSSE       TransportKind = "sse"       // the 2024-11-05 HTTP+SSE transport
	TransportHTTP      TransportKind = "http"      // streamable HTTP
	TransportInProcess TransportKind = "inprocess" // an mcp-go *server.MCPServer in this process
)

// Defaults applied by Connect to zero Config fields.
const (
	DefaultStderrLimit     = 64 << 10
	DefaultCloseGrace      = 2 * time.Second
	DefaultMaxRestarts     = 3
	DefaultRestartBackoff  = 200 * time.Millisecond
	DefaultMaxMessageBytes = 64 << 20
	maxRestartBackoff      = 5 * time.Second
)

// InheritedEnv lists the parent environment variables a stdio server gets
// when Config.InheritEnv is false (the default), besides every LC_*
// variable. They are what a process needs to find programs, its home, a
// temp dir, a locale and a time zone, and usually carry no secrets:
//
//	PATH HOME USER LOGNAME SHELL TERM LANG LANGUAGE TMPDIR TZ
//	and on Windows: SYSTEMROOT SYSTEMDRIVE WINDIR COMSPEC PATHEXT TEMP TMP
//	USERPROFILE USERNAME HOMEDRIVE HOMEPATH APPDATA LOCALAPPDATA
//	PROGRAMDATA PROGRAMFILES PROGRAMFILES(X86) PROGRAMW6432
//
// Proxy settings, tokens, API keys and everything else are not passed on:
// put what the server needs in Config.Env.
var InheritedEnv = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TMPDIR", "TZ",
	"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP",
	"USERPROFILE", "USERNAME", "HOMEDRIVE", "HOMEPATH", "APPDATA", "LOCALAPPDATA",
	"PROGRAMDATA", "PROGRAMFILES", "PROGRAMFILES(X86)", "PROGRAMW6432",
}

// Config describes one MCP server and how to reach it. Exactly one of
// Command, URL and InProcess must be set.
type Config struct {
	// Name identifies the server; it appears in every error and log line.
	Name string
	// Transport is optional: Command means stdio, InProcess means
	// in-process and URL means streamable HTTP unless TransportSSE is set.
	Transport TransportKind

	// Command starts a stdio server, with Args, in Dir (default: the
	// current directory). The process gets its own process group, which
	// Close (and a crash) terminates entirely. On Linux, Close also ends
	// descendants that left the group (setsid), as long as they still
	// descend from the server when Close runs; one whose parent exited
	// before (a double-forked daemon) belongs to init and is not touched.
	Command string
	Args    []string
	// Env is added to the child's environment (it wins over inherited
	// variables). Values are never logged.
	Env map[string]string
	Dir string
	// InheritEnv passes the whole parent environment to the child. When
	// false, the child only gets the variables listed in InheritedEnv (plus
	// LC_*) from the parent, and Env.
	InheritEnv bool

	// URL of an SSE or streamable HTTP server, Headers sent with every
	// request (values are never logged) and the HTTP client to use
	// (default: a new http.Client with its own connection pool and no
	// timeout; the context of each call bounds it). The client is copied
	// and its transport wrapped to add Headers to every request, including
	// the session DELETE that mcp-go sends without them, and to bound the
	// response bodies (MaxMessageBytes). Headers only go to the URL's
	// origin (scheme, host, port): redirects within it are followed, a
	// redirect to another origin is refused. Credentials in the URL (user
	// info, query values) are redacted in errors and logs.
	URL        string
	Headers    map[string]string
	HTTPClient *http.Client
	// OAuth, for an HTTP or SSE server, authorizes the Client with OAuth
	// 2.1 when the server asks for it (see OAuthConfig).
	OAuth *OAuthConfig

	// InProcess serves the tools of an mcp-go server living in this process.
	InProcess *server.MCPServer

	// ProtocolVersion to request in initialize. Default:
	// mcp.LATEST_LEGACY_PROTOCOL_VERSION, the newest version negotiated by
	// the initialize handshake. Connect always negotiates explicitly, so it
	// never waits for a 2026-07-28 server/discover probe that a legacy
	// server may never answer. A version of 2026-07-28 or later lets
	// mcp-go probe server/discover first (up to 5 s against servers that
	// ignore it).
	ProtocolVersion string

	// StderrLimit is how many bytes of a stdio server's stderr are kept
	// (a ring buffer; the tail goes into errors). Default 64 KiB.
	StderrLimit int
	// CloseGrace is how long Close waits after SIGTERM before it sends
	// SIGKILL to the stdio server's process group. Default 2s.
	CloseGrace time.Duration
	// MaxRestarts bounds how many times in a row a dead stdio server is
	// restarted (on the next call, with exponential backoff starting at
	// RestartBackoff) before calls fail with ErrRestartLimit. The count
	// resets after a successful request. Default 3; negative disables
	// restarts.
	MaxRestarts int
	// RestartBackoff is the wait before the second restart in a row; it
	// doubles with every further one (up to 5s). The first restart is
	// immediate. Default 200ms.
	RestartBackoff time.Duration
	// MaxMessageBytes bounds every message read from the server: a stdio
	// line, an HTTP response body, one event of an event stream (whose
	// data lines may also not be so many that joining them costs more
	// than 16 times this). Reading stops at the limit and the request the
	// message answered fails with ErrMessageTooLarge (a stdio line too
	// long to show its id fails every call in flight on the connection).
	// Default 64 MiB.
	MaxMessageBytes int

	// Logger receives diagnostics (never header or environment values;
	// URLs with their user info and query values redacted), mcp-go's own
	// log lines included, with the server's name attached. Nil discards
	// them.
	Logger *slog.Logger
	// OnNotification is called for every notification from the server, in
	// order, on a goroutine of the Client (it may block without stalling
	// the connection, but delays later notifications).
	OnNotification func(server string, n mcp.JSONRPCNotification)
	// OnToolsChanged is called after notifications/tools/list_changed, and
	// after the Client reconnected to a restarted server (whose tools may
	// differ), on the same goroutine as OnNotification.
	OnToolsChanged func(server string)
	// OnElicitation, when set, answers elicitation requests the server
	// sends while a call runs (the server asks the user for input). Setting
	// it declares the elicitation capability. It runs on the connection's
	// goroutine for incoming requests; the context ends with the request.
	OnElicitation func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error)
	// OnSampling, when set, answers the server's sampling/createMessage
	// requests (the server asks the client's model for a completion).
	// Setting it declares the sampling capability; nil leaves it out, and
	// the server's requests are refused. It runs like OnElicitation.
	OnSampling func(ctx context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error)
	// Roots, when not nil, declares the roots capability (with listChanged)
	// and answers roots/list with these roots; an empty non-nil slice
	// declares the capability with no roots yet. Client.SetRoots replaces
	// them and tells the server. Nil (the default) declares no roots.
	Roots []mcp.Root
	// LogLevel, when set, is sent with logging/setLevel after every
	// handshake to a server that declares logging. Whatever the level, the
	// server's log notifications (notifications/message) go to Logger with
	// the server's name, logger and data, at the mapped slog level.
	LogLevel mcp.LoggingLevel
	// OnResourceUpdated is called after notifications/resources/updated (a
	// subscribed resource changed; see Client.Subscribe), on the same
	// goroutine as OnNotification.
	OnResourceUpdated func(server, uri string)
}

// withDefaults validates cfg and fills in defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Name == "" {
		return cfg, errors.New("mcpclient: Config.Name is empty")
	}
	set := 0
	for _, b := range []bool{cfg.Command != "", cfg.URL != "", cfg.InProcess != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return cfg, fmt.Errorf("mcpclient: server %q: exactly one of Command, URL and InProcess must be set", cfg.Name)
	}
	inferred := TransportStdio
	switch {
	case cfg.URL != "":
		inferred = TransportHTTP
		if cfg.Transport == TransportSSE {
			inferred = TransportSSE
		}
	case cfg.InProcess != nil:
		inferred = TransportInProcess
	}
	if cfg.Transport == "" {
		cfg.Transport = inferred
	}
	if cfg.Transport != inferred {
		return cfg, fmt.Errorf("mcpclient: server %q: transport %q does not match the configuration", cfg.Name, cfg.Transport)
	}
	if cfg.OAuth != nil {
		if cfg.Transport != TransportHTTP && cfg.Transport != TransportSSE {
			return cfg, fmt.Errorf("mcpclient: server %q: OAuth needs an HTTP or SSE server", cfg.Name)
		}
		if err := cfg.OAuth.validate(cfg.Name); err != nil {
			return cfg, err
		}
	}
	if cfg.ProtocolVersion == "" {
		cfg.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	}
	if cfg.StderrLimit <= 0 {
		cfg.StderrLimit = DefaultStderrLimit
	}
	if cfg.CloseGrace <= 0 {
		cfg.CloseGrace = DefaultCloseGrace
	}
	if cfg.MaxRestarts == 0 {
		cfg.MaxRestarts = DefaultMaxRestarts
	}
	if cfg.RestartBackoff <= 0 {
		cfg.RestartBackoff = DefaultRestartBackoff
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Logger = redactLogger(cfg.Logger)
	return cfg, nil
}

// childEnv builds the environment of a stdio server: the safe subset (or
// all) of parent, then cfg.Env, sorted by name.
func childEnv(parent []string, inherit bool, extra map[string]string) []string {
	safe := make(map[string]bool, len(InheritedEnv))
	for _, k := range InheritedEnv {
		safe[k] = true
	}
	vars := map[string]string{}
	for _, kv := range parent {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		up := strings.ToUpper(k)
		if inherit || safe[up] || strings.HasPrefix(up, "LC_") {
			vars[k] = v
		}
	}
	for k, v := range extra {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// parentEnv is os.Environ, a variable for tests.
var parentEnv = os.Environ

// Validate reports what Connect would reject in cfg, without starting
// anything.
func (cfg Config) Validate() error {
	_, err := cfg.withDefaults()
	return err
}
