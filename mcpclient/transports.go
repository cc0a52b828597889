package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// TransportKind names a transport, as Client.Transport reports it and logs
// show it.
type TransportKind string

// The transports a Client supports.
const (
	TransportStdio     TransportKind = "stdio"     // Stdio: a child process speaking JSON-RPC lines on stdin/stdout
	TransportSSE       TransportKind = "sse"       // HTTP with SSE set: the 2024-11-05 HTTP+SSE transport
	TransportHTTP      TransportKind = "http"      // HTTP: streamable HTTP
	TransportInProcess TransportKind = "inprocess" // InProcess: an mcp-go *server.MCPServer in this process
)

// Transport is how a Client reaches its server: a *Stdio, an *HTTP or an
// *InProcess. The set is closed; each type holds only what its transport
// needs. Connect works on a copy with the defaults filled in and never
// changes the value it was given.
type Transport interface {
	// Kind names the transport.
	Kind() TransportKind
	// String describes the transport without secrets: no arguments,
	// environment or header values, URL credentials redacted.
	String() string
	// prepared validates the transport of server and returns a copy with
	// defaults filled in.
	prepared(server string) (Transport, error)
}

// Stdio starts the server as a child process speaking MCP on its stdin and
// stdout. The process gets its own process group, which Close (and a
// crash) terminates entirely. On Linux, Close also ends descendants that
// left the group (setsid), as long as they still descend from the server
// when Close runs; one whose parent exited before (a double-forked daemon)
// belongs to init and is not touched.
type Stdio struct {
	// Command is the program to run (required), with Args, in Dir
	// (default: the current directory).
	Command string
	Args    []string
	Dir     string
	// Env is added to the child's environment (it wins over inherited
	// variables). Values are never logged.
	Env map[string]string
	// InheritEnv passes the whole parent environment to the child. When
	// false, the child only gets the variables listed in InheritedEnv (plus
	// LC_*) from the parent, and Env.
	InheritEnv bool

	// StderrLimit is how many bytes of the server's stderr are kept (a
	// ring buffer; the tail goes into errors). Default 64 KiB.
	StderrLimit int
	// CloseGrace is how long Close waits after SIGTERM before it sends
	// SIGKILL to the server's process group. Default 2s.
	CloseGrace time.Duration
	// MaxRestarts bounds how many times in a row a dead server is
	// restarted (on the next call, with exponential backoff starting at
	// RestartBackoff) before calls fail with ErrRestartLimit. The count
	// resets after a successful request. Default 3; negative disables
	// restarts.
	MaxRestarts int
	// RestartBackoff is the wait before the second restart in a row; it
	// doubles with every further one (up to 5s). The first restart is
	// immediate. Default 200ms.
	RestartBackoff time.Duration
}

// Kind returns TransportStdio.
func (*Stdio) Kind() TransportKind { return TransportStdio }

// String names the transport and the command, leaving out the arguments
// and the environment, which may hold secrets.
func (t *Stdio) String() string { return "stdio " + t.Command }

func (t *Stdio) prepared(server string) (Transport, error) {
	if t == nil {
		return nil, fmt.Errorf("mcpclient: server %q: %w", server, errNilTransport)
	}
	if t.Command == "" {
		return nil, fmt.Errorf("mcpclient: server %q: Stdio.Command is empty", server)
	}
	c := *t
	if c.StderrLimit <= 0 {
		c.StderrLimit = DefaultStderrLimit
	}
	if c.CloseGrace <= 0 {
		c.CloseGrace = DefaultCloseGrace
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = DefaultMaxRestarts
	}
	if c.RestartBackoff <= 0 {
		c.RestartBackoff = DefaultRestartBackoff
	}
	return &c, nil
}

// HTTP reaches a server over streamable HTTP, or over the older HTTP+SSE
// transport when SSE is set.
type HTTP struct {
	// URL of the server's MCP endpoint (required). Credentials in it (user
	// info, query values) are redacted in errors and logs.
	URL string
	// SSE selects the 2024-11-05 HTTP+SSE transport: URL is then the
	// server's event stream endpoint.
	SSE bool
	// Headers are sent with every request to URL's origin (scheme, host,
	// port); values are never logged. Redirects within the origin are
	// followed, a redirect to another origin is refused.
	Headers map[string]string
	// HTTPClient is the client to use (default: a new http.Client with its
	// own connection pool and no timeout; the context of each call bounds
	// it). The Client copies it and wraps its transport to add Headers to
	// every request, including the session DELETE that mcp-go sends
	// without them, and to bound the response bodies
	// (Config.MaxMessageBytes).
	HTTPClient *http.Client
	// OAuth authorizes the Client with OAuth 2.1 when the server asks for
	// it (see [oauth.Config]), or sends the token of the program's own
	// [oauth.Config.TokenSource].
	OAuth *oauth.Config

	// token is the User.Token of a per-user session (Sessions), set on
	// the session's copy only.
	token func(context.Context) (string, error)
}

// Kind returns TransportSSE when SSE is set, TransportHTTP otherwise.
func (t *HTTP) Kind() TransportKind {
	if t.SSE {
		return TransportSSE
	}
	return TransportHTTP
}

// String names the transport and the URL, with its credentials (user info,
// query values) redacted; headers and OAuth settings are left out.
func (t *HTTP) String() string { return string(t.Kind()) + " " + redactURLs(t.URL) }

func (t *HTTP) prepared(server string) (Transport, error) {
	if t == nil {
		return nil, fmt.Errorf("mcpclient: server %q: %w", server, errNilTransport)
	}
	if err := checkServerURL(t.URL); err != nil {
		return nil, fmt.Errorf("mcpclient: server %q: HTTP.URL %w", server, err)
	}
	if t.OAuth != nil {
		if err := t.OAuth.Validate(server); err != nil {
			return nil, err
		}
	}
	c := *t
	return &c, nil
}

// InProcess serves the tools of an mcp-go server living in this process.
type InProcess struct {
	// Server is the mcp-go server (required).
	Server *server.MCPServer
}

// Kind returns TransportInProcess.
func (*InProcess) Kind() TransportKind { return TransportInProcess }

// String names the transport.
func (*InProcess) String() string { return string(TransportInProcess) }

func (t *InProcess) prepared(server string) (Transport, error) {
	if t == nil {
		return nil, fmt.Errorf("mcpclient: server %q: %w", server, errNilTransport)
	}
	if t.Server == nil {
		return nil, fmt.Errorf("mcpclient: server %q: InProcess.Server is nil", server)
	}
	c := *t
	return &c, nil
}

// errNilTransport is the cause when a Config has no Transport.
var errNilTransport = errors.New("Config.Transport is nil (want a *Stdio, *HTTP or *InProcess)")

// InheritedEnv lists the parent environment variables a stdio server gets
// when Stdio.InheritEnv is false (the default), besides every LC_*
// variable. They are what a process needs to find programs, its home, a
// temp dir, a locale and a time zone, and usually carry no secrets:
//
//	PATH HOME USER LOGNAME SHELL TERM LANG LANGUAGE TMPDIR TZ
//	and on Windows: SYSTEMROOT SYSTEMDRIVE WINDIR COMSPEC PATHEXT TEMP TMP
//	USERPROFILE USERNAME HOMEDRIVE HOMEPATH APPDATA LOCALAPPDATA
//	PROGRAMDATA PROGRAMFILES PROGRAMFILES(X86) PROGRAMW6432
//
// Proxy settings, tokens, API keys and everything else are not passed on:
// put what the server needs in Stdio.Env.
var InheritedEnv = []string{
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TMPDIR", "TZ",
	"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP",
	"USERPROFILE", "USERNAME", "HOMEDRIVE", "HOMEPATH", "APPDATA", "LOCALAPPDATA",
	"PROGRAMDATA", "PROGRAMFILES", "PROGRAMFILES(X86)", "PROGRAMW6432",
}

// childEnv builds the environment of a stdio server: the safe subset (or
// all) of parent, then extra (Stdio.Env), sorted by name.
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

// checkServerURL reports why u cannot reach an MCP server, so a typo fails
// before anything starts rather than at the handshake. The message never
// quotes u: it may carry credentials in a shape redaction does not know.
func checkServerURL(u string) error {
	if u == "" {
		return errors.New("is empty")
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return errors.New("is not a valid URL")
	case p.Scheme == "" || p.Opaque != "": // "wiki", "localhost:8080/mcp"
		return errors.New("does not start with http:// or https://")
	case !strings.EqualFold(p.Scheme, "http") && !strings.EqualFold(p.Scheme, "https"):
		return fmt.Errorf("has scheme %q: want http or https", textsafe.Cut(p.Scheme, 32))
	case p.Host == "":
		return errors.New("has no host")
	}
	return nil
}
