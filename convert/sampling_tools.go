package convert

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
)

// StopToolUse is the stop reason of a sampling result whose message asks
// for tool calls (MCP 2025-11-25 sampling with tools).
const StopToolUse = "toolUse"

// MaxSamplingTools bounds the tools one sampling request may offer the
// model; a request with more is refused by [SamplingTools].
const MaxSamplingTools = 128

// samplingServer is the server name the tools of a sampling request are
// converted under; it never shows, as their functions are not prefixed.
const samplingServer = "sampling"

// SamplingTools converts the tools a server's sampling request offers the
// model (MCP 2025-11-25 sampling with tools) into function tools, strict
// when strict is set and a schema allows it, as for a server's own tools.
// The functions keep the tools' names, so each name must already be a
// valid function name (^[a-zA-Z0-9_-]{1,64}$) and unique; a request with
// more than [MaxSamplingTools] tools, a bad name or a schema that cannot
// be converted is refused, never repaired, since the server reads the
// model's calls back by these names. Pass the result in
// [SamplingOptions].Tools and to [SamplingResult].
func SamplingTools(tools []mcp.Tool, strict bool) (*ToolSet, error) {
	if len(tools) > MaxSamplingTools {
		return nil, fmt.Errorf("tools: %d tools, over the limit of %d", len(tools), MaxSamplingTools)
	}
	in := ServerTools{Server: samplingServer, Tools: make([]Tool, 0, len(tools))}
	seen := make(map[string]bool, len(tools))
	for i, t := range tools {
		if t.Name == "" || len(t.Name) > MaxNameLength || SanitizeName(t.Name) != t.Name {
			return nil, fmt.Errorf("tools[%d]: name %q is not a valid function name (^[a-zA-Z0-9_-]{1,64}$)", i, label(t.Name, 80))
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("tools[%d]: name %q given twice", i, t.Name)
		}
		seen[t.Name] = true
		schema, err := json.Marshal(t.InputSchema)
		if t.RawInputSchema != nil {
			schema, err = t.RawInputSchema, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tools[%d] %q: inputSchema: %w", i, t.Name, err)
		}
		in.Tools = append(in.Tools, Tool{Name: t.Name, Description: t.Description, InputSchema: schema})
	}
	set, err := Convert([]ServerTools{in}, Options{NoPrefix: true, Strict: strict})
	if err != nil {
		return nil, fmt.Errorf("tools: %w", err)
	}
	for _, d := range set.Diagnostics {
		if d.Dropped {
			return nil, fmt.Errorf("tool %q: %s: %s", d.Tool, d.Field, d.Reason)
		}
	}
	for _, ft := range set.Tools {
		if ft.Name != ft.Tool {
			return nil, fmt.Errorf("tool %q: could not keep its name as the function name", ft.Tool)
		}
	}
	return set, nil
}

// samplingToolParams puts tools and the request's toolChoice on p.
func samplingToolParams(p *oai.ResponseNewParams, req mcp.CreateMessageParams, tools *ToolSet) error {
	if len(req.Tools) > 0 && tools == nil {
		return fmt.Errorf("tools: %w: the request offers tools, but none were converted (SamplingTools)", ErrSamplingContent)
	}
	if tools != nil {
		for i := range tools.Tools {
			ft := &tools.Tools[i]
			fn := &oai.FunctionToolParam{Name: ft.Name, Parameters: ft.Parameters, Strict: param.NewOpt(ft.Strict)}
			if ft.Description != "" {
				fn.Description = param.NewOpt(ft.Description)
			}
			p.Tools = append(p.Tools, oai.ToolUnionParam{OfFunction: fn})
		}
	}
	if req.ToolChoice == nil || len(p.Tools) == 0 {
		return nil
	}
	var mode oai.ToolChoiceOptions
	switch req.ToolChoice.Mode {
	case "", mcp.ToolChoiceModeAuto:
		mode = oai.ToolChoiceOptionsAuto
	case mcp.ToolChoiceModeRequired:
		mode = oai.ToolChoiceOptionsRequired
	case mcp.ToolChoiceModeNone:
		mode = oai.ToolChoiceOptionsNone
	default:
		return fmt.Errorf("toolChoice: unknown mode %q", label(string(req.ToolChoice.Mode), 40))
	}
	p.ToolChoice = oai.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: param.NewOpt(mode)}
	return nil
}

// toolItems turns the tool_use and tool_result blocks of a message into
// function_call and function_call_output items; ok is false when the
// message has none.
func toolItems(role mcp.Role, blocks []mcp.Content) (items []oai.ResponseInputItemUnionParam, rest []mcp.Content, err error) {
	for _, b := range blocks {
		switch v := b.(type) {
		case mcp.ToolUseContent:
			if role != mcp.RoleAssistant || v.ID == "" || v.Name == "" {
				return nil, nil, fmt.Errorf("%w: a tool_use block needs an id and a name, in an assistant message", ErrSamplingContent)
			}
			args, err := json.Marshal(v.Input)
			if err != nil {
				return nil, nil, fmt.Errorf("tool_use %q: input: %w", v.ID, err)
			}
			if v.Input == nil {
				args = []byte("{}")
			}
			items = append(items, oai.ResponseInputItemParamOfFunctionCall(string(args), v.ID, v.Name))
		case mcp.ToolResultContent:
			if role != mcp.RoleUser || v.ToolUseID == "" {
				return nil, nil, fmt.Errorf("%w: a tool_result block needs a toolUseId, in a user message", ErrSamplingContent)
			}
			var texts []string
			for _, c := range v.Content {
				text, _, err := samplingContent(c)
				if err != nil {
					return nil, nil, fmt.Errorf("tool_result %q: %w", v.ToolUseID, err)
				}
				texts = append(texts, text)
			}
			if len(texts) == 0 && v.StructuredContent != nil {
				b, _ := json.Marshal(v.StructuredContent)
				texts = append(texts, string(b))
			}
			out := strings.Join(texts, "\n")
			if v.IsError {
				out = "[tool error] " + out
			}
			item := oai.ResponseInputItemParamOfFunctionCallOutput(out)
			item.OfFunctionCallOutput.CallID = param.NewOpt(v.ToolUseID)
			items = append(items, item)
		default:
			rest = append(rest, b)
		}
	}
	return items, rest, nil
}

// samplingToolUses turns the model's function calls into tool_use blocks,
// with the arguments strict mode made nullable stripped again.
func samplingToolUses(resp *oai.Response, tools *ToolSet) ([]mcp.Content, error) {
	var out []mcp.Content
	for _, item := range resp.Output {
		if item.Type != "function_call" {
			continue
		}
		call := item.AsFunctionCall()
		var ft *FunctionTool
		if tools != nil {
			if i, ok := tools.index[call.Name]; ok {
				ft = &tools.Tools[i]
			}
		}
		if ft == nil {
			return nil, fmt.Errorf("response %s calls %q, a tool the request did not offer", resp.ID, label(call.Name, 80))
		}
		args := ft.StripAddedNulls(json.RawMessage(call.Arguments))
		var input map[string]any
		if err := json.Unmarshal(args, &input); err != nil {
			return nil, fmt.Errorf("response %s: call of %q: arguments are not a JSON object: %w", resp.ID, call.Name, err)
		}
		out = append(out, mcp.ToolUseContent{Type: "tool_use", ID: call.CallID, Name: call.Name, Input: input})
	}
	return out, nil
}
