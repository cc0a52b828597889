package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// The function tools a server gets with Server.Resources and
// Server.Prompts, by MCP-side name. They are named like the server's own
// tools (server__list_resources with the default scheme), so the names
// never collide; a server tool with one of these names wins, and the
// built-in one is left out with a diagnostic.
const (
	toolListResources = "list_resources"
	toolReadResource  = "read_resource"
	toolListPrompts   = "list_prompts"
	toolGetPrompt     = "get_prompt"
)

// builtin describes one built-in function tool and how it runs.
type builtin struct {
	name, desc string
	schema     string
	run        runFunc
}

var (
	resourceTools = []builtin{
		{toolListResources, "List the resources (documents, files, data) this server offers, with their URIs, and the URI templates it accepts.",
			`{"type":"object","properties":{},"additionalProperties":false}`, runListResources},
		{toolReadResource, "Read one resource of this server by its URI (from list_resources, or a template with its placeholders filled in).",
			`{"type":"object","properties":{"uri":{"type":"string","description":"The resource URI."}},"required":["uri"],"additionalProperties":false}`, runReadResource},
	}
	promptTools = []builtin{
		{toolListPrompts, "List the prompt templates this server offers, with their arguments.",
			`{"type":"object","properties":{},"additionalProperties":false}`, runListPrompts},
		{toolGetPrompt, "Get one prompt template of this server, rendered with its arguments.",
			`{"type":"object","properties":{"name":{"type":"string","description":"The prompt name."},"arguments":{"type":"object","description":"Argument values by argument name.","additionalProperties":{"type":"string"}}},"required":["name"]}`, runGetPrompt},
	}
)

// extendConfig adds the bridge's handlers to a server's client config
// before it connects (hook in connect).
func (b *Bridge) extendConfig(cfg *mcpclient.Config) {
	if b.sampler != nil && cfg.OnSampling == nil {
		cfg.OnSampling = b.sampler.handle
	}
	if b.cfg.elicit != nil && cfg.OnElicitation == nil {
		cfg.OnElicitation = elicitHandler(b.cfg.elicit)
	}
}

// withBuiltins appends the built-in resource and prompt tools of the
// servers that opted in (and declare the capability) to the conversion
// input (hook in rebuild). It returns how each built-in it added runs, by
// server and tool, and the diagnostics for the ones a server tool shadows.
func (b *Bridge) withBuiltins(in []convert.ServerTools) ([]convert.ServerTools, map[[2]string]runFunc, []convert.Diagnostic) {
	added := map[[2]string]runFunc{}
	var diags []convert.Diagnostic
	for i := range in {
		c := b.conns[in[i].Server]
		caps := c.client.Capabilities()
		var extra []builtin
		if c.srv.Resources && caps.Resources != nil {
			extra = append(extra, resourceTools...)
		}
		if c.srv.Prompts && caps.Prompts != nil {
			extra = append(extra, promptTools...)
		}
		if len(extra) == 0 {
			continue
		}
		real := make(map[string]bool, len(in[i].Tools))
		for _, t := range in[i].Tools {
			real[t.Name] = true
		}
		tools := append([]convert.Tool(nil), in[i].Tools...)
		for _, e := range extra {
			if real[e.name] {
				diags = append(diags, convert.Diagnostic{Server: in[i].Server, Tool: e.name, Field: "name", Dropped: true,
					Reason: "the server has a tool of this name; the built-in " + e.name + " is left out"})
				continue
			}
			tools = append(tools, convert.Tool{Name: e.name, Description: e.desc, InputSchema: json.RawMessage(e.schema)})
			added[[2]string{in[i].Server, e.name}] = e.run
		}
		in[i].Tools = tools
	}
	return in, added, diags
}

// builtinArgs are the arguments of the built-in tools.
type builtinArgs struct {
	URI       string            `json:"uri"`
	Name      string            `json:"name"`
	Arguments map[string]string `json:"arguments"`
}

func readBuiltinArgs(args json.RawMessage) (builtinArgs, error) {
	var in builtinArgs
	if err := json.Unmarshal(args, &in); err != nil {
		return in, fmt.Errorf("%w: %w", ErrInvalidArguments, err)
	}
	return in, nil
}

func runListResources(ctx context.Context, b *Bridge, r *route, client *mcpclient.Client, _ json.RawMessage, run *runConfig) (Output, error) {
	res, err := client.ListResources(ctx)
	if err != nil {
		return Output{}, err
	}
	tpl, err := client.ListResourceTemplates(ctx)
	if err != nil {
		b.log.Debug("listing resource templates failed", "server", r.fn.Server, "error", err)
	}
	return textOutput(convert.ResourceList(res, tpl), resultOptions(run)), nil
}

func runReadResource(ctx context.Context, _ *Bridge, _ *route, client *mcpclient.Client, args json.RawMessage, run *runConfig) (Output, error) {
	in, err := readBuiltinArgs(args)
	if err != nil {
		return Output{}, err
	}
	if in.URI == "" {
		return Output{}, fmt.Errorf("%w: uri is empty", ErrInvalidArguments)
	}
	contents, err := client.ReadResource(ctx, in.URI)
	if err != nil {
		return Output{}, err
	}
	return convert.ResourceOutput(contents, resultOptions(run)), nil
}

func runListPrompts(ctx context.Context, _ *Bridge, _ *route, client *mcpclient.Client, _ json.RawMessage, run *runConfig) (Output, error) {
	ps, err := client.ListPrompts(ctx)
	if err != nil {
		return Output{}, err
	}
	return textOutput(convert.PromptList(ps), resultOptions(run)), nil
}

func runGetPrompt(ctx context.Context, _ *Bridge, _ *route, client *mcpclient.Client, args json.RawMessage, run *runConfig) (Output, error) {
	in, err := readBuiltinArgs(args)
	if err != nil {
		return Output{}, err
	}
	if in.Name == "" {
		return Output{}, fmt.Errorf("%w: name is empty", ErrInvalidArguments)
	}
	p, err := client.GetPrompt(ctx, in.Name, in.Arguments)
	if err != nil {
		return Output{}, err
	}
	return convert.PromptOutput(p, resultOptions(run)), nil
}

// textOutput renders plain text as a tool result.
func textOutput(s string, o convert.ResultOptions) responses.Output {
	return convert.Result(&mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(s)}}, o)
}

// Client is the MCP client of one server (resources, prompts,
// subscriptions, roots, log level, ...): [mcpclient.Client], under a
// bridge name.
type Client = mcpclient.Client

// Client runs use with the MCP client of server, for what the model does
// not do through tools: list and read its resources, subscribe to them
// (updates arrive in the server's Config.OnResourceUpdated), list and get
// its prompts, set its roots or its log level. On a per-user server
// ([Server].PerUser) the client is the caller's session (the
// [Credentials] of ctx), as for tool calls, and without credentials it
// fails with [ErrNoCredentials]; otherwise it is the bridge's connection.
// The session is held until use returns; use must not keep the client.
//
//	var res []mcp.Resource
//	err := b.Client(ctx, "docs", func(c *bridge.Client) (err error) {
//		res, err = c.ListResources(ctx)
//		return err
//	})
func (b *Bridge) Client(ctx context.Context, server string, use func(*Client) error) error {
	if b.closed.Load() {
		return ErrClosed
	}
	c, ok := b.conns[server]
	if !ok {
		return &ServerError{Server: server, Err: errors.New("not connected to this server")}
	}
	client, release, err := c.session(ctx)
	if err != nil {
		return &ServerError{Server: server, Err: err}
	}
	defer release()
	return use(client)
}
