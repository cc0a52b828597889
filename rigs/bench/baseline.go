package main

// The baselines: loops written directly on the two SDKs the bridge builds
// on (openai-go for the Responses API, mcp-go's client for MCP), with none
// of the bridge's machinery. They are what the bridge is compared with.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
)

// sdkConn is one mcp-go client connection and the tools it listed.
type sdkConn struct {
	name  string
	c     *client.Client
	tools []mcp.Tool
}

// connectSDK connects mcp-go's in-process client to srv, does the
// initialize handshake and lists the tools.
func connectSDK(ctx context.Context, name string, srv *server.MCPServer) (*sdkConn, error) {
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "mcpbridge-bench-baseline", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("initialize %s: %w", name, err)
	}
	lt, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("list tools %s: %w", name, err)
	}
	return &sdkConn{name: name, c: c, tools: lt.Tools}, nil
}

// sdkRoute says where a function name goes.
type sdkRoute struct {
	conn *sdkConn
	tool string
}

// naiveTools builds function tools the way the reference guide does:
// "server__tool" names and the input schema passed through, not strict.
func naiveTools(conns []*sdkConn) ([]oai.ToolUnionParam, map[string]sdkRoute, error) {
	var tools []oai.ToolUnionParam
	routes := map[string]sdkRoute{}
	for _, sc := range conns {
		for _, t := range sc.tools {
			raw, err := json.Marshal(t.InputSchema)
			if err != nil {
				return nil, nil, err
			}
			var params map[string]any
			if err := json.Unmarshal(raw, &params); err != nil {
				return nil, nil, err
			}
			if params["type"] == nil {
				params["type"] = "object"
			}
			name := sc.name + "__" + t.Name
			fn := &oai.FunctionToolParam{Name: name, Parameters: params, Strict: param.NewOpt(false)}
			if t.Description != "" {
				fn.Description = param.NewOpt(t.Description)
			}
			tools = append(tools, oai.ToolUnionParam{OfFunction: fn})
			routes[name] = sdkRoute{conn: sc, tool: t.Name}
		}
	}
	return tools, routes, nil
}

// sdkLoop is the minimal client-side tool loop: create a response, run its
// function calls one after another, send the outputs back chained with
// previous_response_id, until a response has no function call. It returns
// the number of responses and of tool calls.
func sdkLoop(ctx context.Context, api *oai.ResponseService, params oai.ResponseNewParams, routes map[string]sdkRoute, maxTurns int) (turns, calls int, err error) {
	resp, err := api.New(ctx, params)
	if err != nil {
		return 0, 0, err
	}
	turns = 1
	for {
		var outs []oai.ResponseInputItemUnionParam
		for _, item := range resp.Output {
			if item.Type != "function_call" {
				continue
			}
			calls++
			text := callSDK(ctx, routes, item.Name, item.Arguments.OfString)
			out := oai.ResponseInputItemParamOfFunctionCallOutput(text)
			out.OfFunctionCallOutput.CallID = openai.String(item.CallID)
			outs = append(outs, out)
		}
		if len(outs) == 0 {
			return turns, calls, nil
		}
		if turns >= maxTurns {
			return turns, calls, errors.New("baseline loop: too many turns")
		}
		next := params
		next.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: outs}
		next.PreviousResponseID = openai.String(resp.ID)
		if resp, err = api.New(ctx, next); err != nil {
			return turns, calls, err
		}
		turns++
	}
}

// callSDK runs one tool call with mcp-go and renders the result as text.
func callSDK(ctx context.Context, routes map[string]sdkRoute, name, args string) string {
	rt, ok := routes[name]
	if !ok {
		return "error: unknown function " + name
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = rt.tool
	if args != "" {
		req.Params.Arguments = json.RawMessage(args)
	}
	res, err := rt.conn.c.CallTool(ctx, req)
	if err != nil {
		return "error: " + err.Error()
	}
	var texts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			texts = append(texts, tc.Text)
		}
	}
	text := strings.Join(texts, "\n")
	if res.IsError {
		text = "error: " + text
	}
	return text
}

// referenceRun is the reference guide's algorithm end to end: connect the
// servers one at a time, list their tools, run the loop with the calls of
// each turn one after another, then disconnect.
func referenceRun(ctx context.Context, api *oai.ResponseService, params oai.ResponseNewParams, servers map[string]*server.MCPServer, order []string) (calls int, err error) {
	var conns []*sdkConn
	defer func() {
		for _, c := range conns {
			_ = c.c.Close()
		}
	}()
	for _, name := range order {
		c, err := connectSDK(ctx, name, servers[name])
		if err != nil {
			return 0, err
		}
		conns = append(conns, c)
	}
	tools, routes, err := naiveTools(conns)
	if err != nil {
		return 0, err
	}
	params.Tools = append(append([]oai.ToolUnionParam(nil), params.Tools...), tools...)
	_, calls, err = sdkLoop(ctx, api, params, routes, 100)
	return calls, err
}
