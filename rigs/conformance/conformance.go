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
	"maps"
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

// Client scenario names of the pinned suites that Run implements.
const (
	ScenarioInitialize          = "initialize"
	ScenarioToolsCall           = "tools_call"
	ScenarioSSERetry            = "sse-retry"
	ScenarioElicitationDefaults = "elicitation-sep1034-client-defaults"
	ScenarioSchemaPreservation  = "json-schema-2020-12-preservation"
)

// steps are what a program does with the server in each scenario, after
// Connect; what the scenario checks is up to mcpclient.
var steps = map[string]func(ctx context.Context, c *mcpclient.Client, log *slog.Logger, sc scenarioContext) error{
	ScenarioInitialize:          listOnly,
	ScenarioToolsCall:           runToolsCall,
	ScenarioSSERetry:            runSSERetry,
	ScenarioElicitationDefaults: runElicitationDefaults,
	ScenarioSchemaPreservation:  runSchemaEcho,
	// A tool whose input schema $refs a network URI: listing must not
	// fetch it (the server answers nothing but tools/list).
	"json-schema-ref-no-deref": listOnly,
	// Per-request _meta, the MCP-Protocol-Version header and the retry
	// at a version the server names.
	"request-metadata": exercise,
	// input_required results answered through OnElicitation and retried.
	"sep-2322-client-request-state": exercise,
	// Mcp-Method/Mcp-Name on every request; x-mcp-header parameters in
	// Mcp-Param headers; tools with invalid annotations left out.
	"http-standard-headers":     exercise,
	"http-custom-headers":       exercise,
	"http-invalid-tool-headers": exercise,
	// Skills over MCP: listing reads no skill file; loading reads and
	// verifies SKILL.md before any supporting file is read.
	"sep-2640-client-no-prefetch":        listSkills,
	"sep-2640-client-verify-digest":      loadSkills,
	"sep-2640-client-verify-size":        loadSkills,
	"sep-2640-client-verify-frontmatter": loadSkills,
}

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

// Scenarios returns the non-auth client scenarios Run knows, sorted
// (AuthScenarios lists the others).
func Scenarios() []string {
	return slices.Sorted(maps.Keys(steps))
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
	var sc scenarioContext
	if o.context != "" {
		if err := json.Unmarshal([]byte(o.context), &sc); err != nil {
			return fmt.Errorf("%s: %s is not JSON: %w", scenario, EnvContext, err)
		}
	}
	var oauth *oauth.Config
	run, ok := steps[scenario]
	switch {
	case ok:
	case slices.Contains(authScenarios, scenario):
		var err error
		if oauth, err = oauthFor(scenario, sc); err != nil {
			return fmt.Errorf("%s: %w", scenario, err)
		}
		run = exercise
	default:
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
	err = run(ctx, c, logger, sc)
	if cerr := c.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("%s: close: %w", scenario, cerr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", scenario, err)
	}
	return nil
}

// listOnly: connecting is the test; listing tools shows the session is
// usable afterwards.
func listOnly(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
	tools, err := c.ListTools(ctx)
	if err != nil {
		return err
	}
	log.Info("tools listed", "count", len(tools))
	return nil
}

// runToolsCall: list the tools and call add_numbers with two numbers.
func runToolsCall(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
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
func runSSERetry(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
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
func runElicitationDefaults(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
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

// runSchemaEcho: a program hands a listed tool's input schema, as listed,
// to the echo tool; the server compares it with the schema it sent.
func runSchemaEcho(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
	tools, err := c.ListTools(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(tools, func(t mcpclient.Tool) bool { return t.Name == "json_schema_2020_12_tool" })
	if i < 0 {
		return fmt.Errorf("%w: tool json_schema_2020_12_tool not listed", ErrCheck)
	}
	args, err := json.Marshal(map[string]json.RawMessage{"schema": tools[i].InputSchema})
	if err != nil {
		return err
	}
	_, err = callListedTool(ctx, c, log, "json_schema_echo", string(args))
	return err
}

// exercise uses everything the server offers, as a program would: it
// calls the tools the scenario names with its arguments (or, when it names
// none, every listed tool without arguments), then reads every resource
// and gets every prompt the server lists.
func exercise(ctx context.Context, c *mcpclient.Client, log *slog.Logger, sc scenarioContext) error {
	tools, err := c.ListTools(ctx)
	if err != nil {
		return err
	}
	log.Info("tools listed", "count", len(tools))
	calls := sc.ToolCalls
	if len(calls) == 0 {
		for _, t := range tools {
			calls = append(calls, toolCall{Name: t.Name, Arguments: json.RawMessage(`{}`)})
		}
	}
	for _, call := range calls {
		if !slices.ContainsFunc(tools, func(t mcpclient.Tool) bool { return t.Name == call.Name }) {
			return fmt.Errorf("%w: tool %q not listed", ErrCheck, call.Name)
		}
		res, err := c.CallTool(ctx, call.Name, call.Arguments)
		if err != nil {
			return err
		}
		text, err := resultText(res)
		if err != nil {
			return err
		}
		log.Info("tool called", "tool", call.Name, "result", text)
	}
	caps := c.Capabilities()
	if caps.Resources != nil {
		resources, err := c.ListResources(ctx)
		if err != nil {
			return err
		}
		for _, r := range resources {
			if _, err := c.ReadResource(ctx, r.URI); err != nil {
				return err
			}
			log.Info("resource read", "uri", r.URI)
		}
	}
	if caps.Prompts != nil {
		prompts, err := c.ListPrompts(ctx)
		if err != nil {
			return err
		}
		for _, p := range prompts {
			if _, err := c.GetPrompt(ctx, p.Name, nil); err != nil {
				return err
			}
			log.Info("prompt got", "prompt", p.Name)
		}
	}
	return nil
}

// listSkills: a program lists the server's skills and loads none.
func listSkills(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
	skills, err := c.ListSkills(ctx)
	if err != nil {
		return err
	}
	for _, s := range skills {
		log.Info("skill listed", "skill", s.Name(), "uri", s.URI, "files", len(s.Files))
	}
	return nil
}

// loadSkills: the person approves every listed skill; the program loads
// each (its SKILL.md) and then reads its other files.
func loadSkills(ctx context.Context, c *mcpclient.Client, log *slog.Logger, _ scenarioContext) error {
	skills, err := c.ListSkills(ctx)
	if err != nil {
		return err
	}
	for _, s := range skills {
		if _, err := c.LoadSkill(ctx, s); err != nil {
			return err
		}
		log.Info("skill loaded", "skill", s.Name())
		for _, f := range s.Files {
			if f.URI == s.URI {
				continue
			}
			if _, err := c.ReadSkillFile(ctx, s, f.URI); err != nil {
				return err
			}
			log.Info("skill file read", "uri", f.URI)
		}
	}
	return nil
}
