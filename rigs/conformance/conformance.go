// Package conformance plays the client side of the MCP conformance suite
// (npm package @modelcontextprotocol/conformance, pinned in rigs/interop)
// with mcpbridge's own mcpclient package.
//
// The suite starts a test server per scenario and runs a client command with
// the server's URL appended as the last argument and the scenario's name in
// the environment variable MCP_CONFORMANCE_SCENARIO (from 0.2 also the spec
// version to run at, in MCP_CONFORMANCE_PROTOCOL_VERSION). The command
// cmd/conformance-client is that client; it calls Run. The package's tests
// build it and run every client scenario of both pinned releases (0.1.16
// and 0.2.0-alpha.12) through the suite, at each spec version a scenario
// lists.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// EnvScenario is the environment variable in which the suite passes the
// scenario's name to the client command.
const EnvScenario = "MCP_CONFORMANCE_SCENARIO"

// EnvProtocolVersion is the environment variable in which the suite (from
// 0.2) passes the spec version it runs a scenario at; the client offers it
// as its protocol version, as a program configures one.
const EnvProtocolVersion = "MCP_CONFORMANCE_PROTOCOL_VERSION"

// Client scenario names of the pinned suite that Run implements.
const (
	ScenarioInitialize          = "initialize"
	ScenarioToolsCall           = "tools_call"
	ScenarioSSERetry            = "sse-retry"
	ScenarioElicitationDefaults = "elicitation-sep1034-client-defaults"
)

// ErrUnsupported is returned by Run for a scenario that needs a client
// feature mcpclient does not have.
var ErrUnsupported = errors.New("scenario needs a client feature mcpclient does not have")

// ErrUnknownScenario is returned by Run for a scenario name it does not
// know.
var ErrUnknownScenario = errors.New("unknown conformance scenario")

// ErrCheck is wrapped by Run's errors when the server's answers were not
// what the scenario promises (for example a missing tool or a tool error).
var ErrCheck = errors.New("unexpected server behaviour")

// Unsupported maps each client scenario that Run cannot pass with the
// current mcpclient to the reason why.
var Unsupported = map[string]string{}

// IsAuth reports whether scenario is one of the suite's OAuth scenarios,
// which Run plays with mcpclient's OAuth support (HTTP.OAuth).
func IsAuth(scenario string) bool {
	return strings.HasPrefix(scenario, "auth/")
}

// Scenarios returns the non-auth client scenarios Run knows, in the order
// the suite lists them (AuthScenarios lists the others).
func Scenarios() []string {
	return []string{ScenarioInitialize, ScenarioToolsCall, ScenarioElicitationDefaults, ScenarioSSERetry}
}

// Option adjusts Run.
type Option func(*runOptions)

type runOptions struct {
	context         string
	protocolVersion string
}

// WithProtocolVersion sets the protocol version the client offers
// (mcpclient.Config.ProtocolVersion); empty keeps mcpclient's default.
func WithProtocolVersion(v string) Option {
	return func(o *runOptions) { o.protocolVersion = v }
}

// WithContext passes the scenario's client context, the JSON the suite
// puts in EnvContext (credentials for the auth scenarios).
func WithContext(raw string) Option {
	return func(o *runOptions) { o.context = raw }
}

// Run connects to the scenario's server at url with mcpclient over streamable
// HTTP and does what the scenario expects of a client. A nil logger
// discards logs. It returns an error wrapping ErrUnknownScenario,
// ErrUnsupported or ErrCheck, or mcpclient's own error.
func Run(ctx context.Context, scenario, url string, logger *slog.Logger, opts ...Option) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	var oauth *oauth.Config
	var steps func(ctx context.Context, c *mcpclient.Client, log *slog.Logger) error
	switch {
	case slices.Contains(authScenarios, scenario):
		var err error
		if oauth, err = oauthFor(scenario, o.context); err != nil {
			return fmt.Errorf("%s: %w", scenario, err)
		}
		steps = runAuth
	}
	switch scenario {
	case ScenarioInitialize:
		steps = runInitialize
	case ScenarioToolsCall:
		steps = runToolsCall
	case ScenarioSSERetry:
		steps = runSSERetry
	case ScenarioElicitationDefaults:
		steps = runElicitationDefaults
	default:
		if steps != nil {
			break
		}
		if reason, ok := Unsupported[scenario]; ok {
			return fmt.Errorf("%s: %w: %s", scenario, ErrUnsupported, reason)
		}
		return fmt.Errorf("%q: %w", scenario, ErrUnknownScenario)
	}
	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name:            "conformance",
		Transport:       &mcpclient.HTTP{URL: url, OAuth: oauth},
		ProtocolVersion: o.protocolVersion,
		Logger:          logger,
		OnNotification: func(server string, n mcp.JSONRPCNotification) {
			logger.Info("notification", "server", server, "method", n.Method)
		},
		OnElicitation: acceptDefaults(logger),
	})
	if err != nil {
		return fmt.Errorf("%s: connect: %w", scenario, err)
	}
	logger.Info("connected", "server", c.ServerInfo().Name, "version", c.ServerInfo().Version,
		"protocol", c.ProtocolVersion())
	err = steps(ctx, c, logger)
	if cerr := c.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("%s: close: %w", scenario, cerr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", scenario, err)
	}
	return nil
}

// runInitialize: the handshake is the test; listing tools shows the
// session is usable afterwards.
func runInitialize(ctx context.Context, c *mcpclient.Client, log *slog.Logger) error {
	tools, err := c.ListTools(ctx)
	if err != nil {
		return err
	}
	log.Info("tools listed", "count", len(tools))
	return nil
}

// runToolsCall: list the tools and call add_numbers with two numbers.
func runToolsCall(ctx context.Context, c *mcpclient.Client, log *slog.Logger) error {
	text, err := callListedTool(ctx, c, log, "add_numbers", `{"a":5,"b":3}`)
	if err != nil {
		return err
	}
	if !strings.Contains(text, "8") {
		return fmt.Errorf("%w: add_numbers(5, 3) answered %q", ErrCheck, text)
	}
	return nil
}

// runSSERetry: the server closes the tools/call response stream after a
// priming event that carries an id and retry: 500; the result only arrives
// if the client resumes with a GET carrying Last-Event-ID after the retry
// delay.
func runSSERetry(ctx context.Context, c *mcpclient.Client, log *slog.Logger) error {
	_, err := callListedTool(ctx, c, log, "test_reconnection", `{}`)
	return err
}

// callListedTool checks that the server lists name, calls it with args and
// returns the text of its (successful) result, which it also logs.
func callListedTool(ctx context.Context, c *mcpclient.Client, log *slog.Logger, name, args string) (string, error) {
	if err := requireTool(ctx, c, name); err != nil {
		return "", err
	}
	res, err := c.CallTool(ctx, name, json.RawMessage(args))
	if err != nil {
		return "", err
	}
	text, err := resultText(res)
	if err != nil {
		return "", err
	}
	log.Info(name, "result", text)
	return text, nil
}

// requireTool lists the tools and checks name is among them.
func requireTool(ctx context.Context, c *mcpclient.Client, name string) error {
	tools, err := c.ListTools(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(tools))
	for _, t := range tools {
		names = append(names, t.Name)
	}
	if !slices.Contains(names, name) {
		return fmt.Errorf("%w: tool %q not listed (got %v)", ErrCheck, name, names)
	}
	return nil
}

// resultText joins the text parts of a successful result; a result with
// isError set is an error.
func resultText(res *mcp.CallToolResult) (string, error) {
	if res == nil {
		return "", fmt.Errorf("%w: nil tool result", ErrCheck)
	}
	var parts []string
	for _, c := range res.Content {
		if t, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, t.Text)
		}
	}
	text := strings.Join(parts, "\n")
	if res.IsError {
		return text, fmt.Errorf("%w: tool returned isError: %s", ErrCheck, text)
	}
	return text, nil
}

// runElicitationDefaults: the tool asks the client for input with a form
// whose fields all have defaults; the client accepts with those defaults.
func runElicitationDefaults(ctx context.Context, c *mcpclient.Client, log *slog.Logger) error {
	_, err := callListedTool(ctx, c, log, "test_client_elicitation_defaults", `{}`)
	return err
}

// acceptDefaults answers an elicitation by accepting it with every default
// value the requested schema declares, as an unattended client would.
func acceptDefaults(log *slog.Logger) func(context.Context, string, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return func(_ context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		content := map[string]any{}
		if schema, ok := req.Params.RequestedSchema.(map[string]any); ok {
			props, _ := schema["properties"].(map[string]any)
			for name, p := range props {
				if pm, ok := p.(map[string]any); ok {
					if def, ok := pm["default"]; ok {
						content[name] = def
					}
				}
			}
		}
		log.Info("elicitation accepted with defaults", "server", server, "fields", len(content))
		res := &mcp.ElicitationResult{}
		res.Action = mcp.ElicitationResponseActionAccept
		res.Content = content
		return res, nil
	}
}
