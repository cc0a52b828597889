package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// Defaults applied by Connect to zero Config and transport fields.
const (
	DefaultStderrLimit     = 64 << 10
	DefaultCloseGrace      = 2 * time.Second
	DefaultMaxRestarts     = 3
	DefaultRestartBackoff  = 200 * time.Millisecond
	DefaultMaxMessageBytes = 64 << 20
	maxRestartBackoff      = 5 * time.Second
)

// Config describes one MCP server: its name, how to reach it (Transport)
// and what this client does with what the server sends, whatever the
// transport.
type Config struct {
	// Name identifies the server; it appears in every error and log line.
	Name string
	// Transport is how to reach the server (required): a *Stdio, an *HTTP
	// or an *InProcess. Copies of a Config share it: to change it for one
	// copy only, copy the transport first (h := *t; h.Headers = ...).
	Transport Transport

	// ProtocolVersion is the newest protocol version to offer. Default:
	// mcp.LATEST_PROTOCOL_VERSION (2026-07-28): Connect probes
	// server/discover and speaks the stateless protocol with a server that
	// offers it, else the initialize handshake at the newest version the
	// server speaks. On stdio a ping goes right behind the probe, so a
	// server that ignores unknown methods is recognised as soon as it
	// answers the ping. A handshake version (2025-11-25 or older) skips the
	// probe. A Client remembers the version it settled on: reconnections
	// to a handshake-version server are not probed again.
	ProtocolVersion string
	// MaxMessageBytes bounds every message read from the server: a stdio
	// line, an HTTP response body, one event of an event stream (whose
	// data lines may also not be so many that joining them costs more
	// than 16 times this). Reading stops at the limit and the request the
	// message answered fails with ErrMessageTooLarge (a stdio line too
	// long to show its id fails every call in flight on the connection).
	// It also bounds the pages of one listing (tools, resources, resource
	// templates, prompts) added together, so a server cannot page forever.
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
	// it declares the elicitation capability in both modes, form and URL
	// (req.Params.Mode "url": the user is to open req.Params.URL; accept
	// means they agreed to, not that they finished). It runs on the connection's
	// goroutine for incoming requests; the context ends with the request.
	OnElicitation func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error)
	// OnSampling, when set, answers the server's sampling/createMessage
	// requests (the server asks the client's model for a completion).
	// Setting it declares the sampling capability; nil leaves it out, and
	// the server's requests are refused. It runs like OnElicitation.
	OnSampling func(ctx context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error)
	// SamplingTools, with OnSampling, declares sampling.tools (MCP
	// 2025-11-25): OnSampling is then handed requests that offer the
	// model tools (Tools, ToolChoice) and must answer their tool calls as
	// tool_use blocks. Without it such requests are refused with
	// [ErrSamplingTools], as the protocol requires.
	SamplingTools bool
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
	// MaxTaskPoll bounds the wait between two polls (tasks/get) of a call
	// the server runs as a task: its suggested pollInterval is followed
	// within [100 ms, MaxTaskPoll]. The call's context bounds the whole
	// wait. Default DefaultMaxTaskPoll.
	MaxTaskPoll time.Duration
	// TraceMeta, when set, gives the trace context to send in the _meta of
	// each tools/call, resources/read and prompts/get, on every transport
	// (stdio included): the W3C traceparent and tracestate of the
	// request's context (a map of _meta keys to values; nil or empty sends
	// none). bridgeotel.TraceMeta gives it from OpenTelemetry; this
	// package depends on no tracing library.
	TraceMeta func(ctx context.Context) map[string]string
	// OnResourceUpdated is called after notifications/resources/updated (a
	// subscribed resource changed; see Client.Subscribe), on the same
	// goroutine as OnNotification.
	OnResourceUpdated func(server, uri string)
	// Hosted marks a server this client does not reach: the Responses API
	// reaches it from its side, as the API's own mcp tool (package bridge
	// sends a hosted server's HTTP transport that way; see bridge.Server).
	// Connect and Validate refuse a hosted Config.
	Hosted bool
}

// withDefaults validates cfg and fills in defaults, the transport's
// included (on a copy of it).
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Name == "" {
		return cfg, errors.New("mcpclient: Config.Name is empty")
	}
	if cfg.Transport == nil {
		return cfg, fmt.Errorf("mcpclient: server %q: %w", cfg.Name, errNilTransport)
	}
	if cfg.Hosted {
		return cfg, fmt.Errorf("mcpclient: server %q is hosted: the Responses API reaches it, not this client", cfg.Name)
	}
	t, err := cfg.Transport.prepared(cfg.Name)
	if err != nil {
		return cfg, err
	}
	cfg.Transport = t
	if cfg.ProtocolVersion == "" {
		cfg.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	}
	if cfg.MaxTaskPoll <= 0 {
		cfg.MaxTaskPoll = DefaultMaxTaskPoll
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

// Validate reports what Connect would reject in cfg, without starting
// anything.
func (cfg Config) Validate() error {
	_, err := cfg.withDefaults()
	return err
}
