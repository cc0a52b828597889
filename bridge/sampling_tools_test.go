package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// toolSamplingServer has a tool "plan" that asks the client's model for a
// completion offering it the tools tools (by default one "lookup" tool):
// when the model answers with tool_use it runs the tool itself, sends the
// tool_result in a second request, and returns the final text; a refusal
// comes back as the tool's error text. Its requests are input requests
// (multi round-trip) on 2026-07-28 and sampling/createMessage before.
func toolSamplingServer(tools []mcp.Tool) *server.MCPServer {
	if tools == nil {
		tools = []mcp.Tool{mcp.NewTool("lookup", mcp.WithString("city", mcp.Required()))}
	}
	srv := server.NewMCPServer("toolsampler", "1.0.0", server.WithToolCapabilities(false))
	question := mcp.SamplingMessage{Role: mcp.RoleUser, Content: mcp.NewTextContent("weather in Paris?")}
	params := func(msgs ...mcp.SamplingMessage) mcp.CreateMessageParams {
		return mcp.CreateMessageParams{Messages: msgs, SystemPrompt: "sampling", MaxTokens: 100,
			Tools: tools, ToolChoice: &mcp.ToolChoice{Mode: mcp.ToolChoiceModeAuto}}
	}
	srv.AddTool(mcp.NewTool("plan"), func(_ context.Context, call mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if call.Params.InputResponses != nil {
			if err := call.Params.InputResponses.DecodeFor(mcp.InputRequests{
				"first":  mcp.NewSamplingInputRequest(mcp.CreateMessageParams{}),
				"second": mcp.NewSamplingInputRequest(mcp.CreateMessageParams{})}); err != nil {
				return mcp.NewToolResultError("decode: " + err.Error()), nil
			}
		}
		if res := server.SamplingResponse(call.Params.InputResponses, "second"); res != nil {
			content, _ := mcp.ParseSamplingContent(res.Content)
			text, ok := content.(mcp.TextContent)
			if !ok {
				return mcp.NewToolResultError(fmt.Sprintf("not text: %#v", res.Content)), nil
			}
			return mcp.NewToolResultText(res.StopReason + ": " + text.Text), nil
		}
		if res := server.SamplingResponse(call.Params.InputResponses, "first"); res != nil {
			if res.StopReason != "toolUse" {
				return mcp.NewToolResultError("stop reason " + res.StopReason), nil
			}
			var use *mcp.ToolUseContent
			blocks, _ := mcp.ParseSamplingContent(res.Content)
			switch c := blocks.(type) {
			case []mcp.Content:
				for _, b := range c {
					if u, ok := b.(mcp.ToolUseContent); ok {
						use = &u
					}
				}
			case mcp.ToolUseContent:
				use = &c
			}
			if use == nil {
				return mcp.NewToolResultError(fmt.Sprintf("no tool_use in %#v", res.Content)), nil
			}
			input, _ := use.Input.(map[string]any)
			result := mcp.ToolResultContent{Type: "tool_result", ToolUseID: use.ID,
				Content: []mcp.Content{mcp.NewTextContent(fmt.Sprintf("%s: sunny in %v", use.Name, input["city"]))}}
			return server.NewInputRequestBuilder("second").Sample("second", params(question,
				mcp.SamplingMessage{Role: mcp.RoleAssistant, Content: []mcp.Content{*use}},
				mcp.SamplingMessage{Role: mcp.RoleUser, Content: []mcp.Content{result}})).ToolResult(), nil
		}
		return server.NewInputRequestBuilder("first").Sample("first", params(question)).ToolResult(), nil
	})
	return srv
}

// toolSamplingModel calls lookup when offered tools with no result yet,
// and answers with the tool's output once it has it.
func toolSamplingModel(req *responsestest.Request) responsestest.Reply {
	for _, it := range req.Input {
		if it["type"] == "function_call_output" {
			return responsestest.Text("answer from " + fmt.Sprint(it["output"]))
		}
	}
	if len(req.Tools) > 0 {
		return responsestest.Calls(responsestest.FunctionCall{Name: "lookup", Arguments: `{"city":"Paris"}`, CallID: "call_1"})
	}
	return responsestest.Text("plain")
}

func TestSamplingWithServerTools(t *testing.T) {
	for _, tc := range []struct {
		era    string
		strict bool
	}{{mcp.LATEST_PROTOCOL_VERSION, false}, {"2025-11-25", false}, {mcp.LATEST_PROTOCOL_VERSION, true}} {
		era := tc.era
		t.Run(fmt.Sprintf("%s strict=%v", era, tc.strict), func(t *testing.T) {
			api, client := fakeAPI(t, toolSamplingModel)
			approved := 0
			h := mcptest.NewHTTPServer(t, toolSamplingServer(nil), mcptest.KindStreamable)
			s := HTTP("s", h.URL)
			s.Config.ProtocolVersion = era
			s.Config.SamplingTools = true
			opts := []Option{}
			if tc.strict {
				opts = append(opts, WithStrict())
			}
			b := newBridge(t, []Server{s}, append(opts, WithSampling(SamplingConfig{
				API: &client.Responses, Model: "m",
				Approve: func(_ context.Context, _ string, req mcp.CreateMessageRequest) (bool, string) {
					approved++
					return len(req.Tools) == 1, "tools expected"
				},
			}))...)
			require.Equal(t, era, b.conns["s"].client.ProtocolVersion())
			out, err := b.Call(ctxT(t), "s__plan", "{}")
			require.NoError(t, err)
			assert.Equal(t, "endTurn: answer from lookup: sunny in Paris", out.Text)
			assert.Equal(t, 2, approved, "each request passes the approval hook")
			reqs := samplingRequests(api)
			require.Len(t, reqs, 2)
			for _, r := range reqs {
				assert.NoError(t, r.ValidationErr)
				require.Len(t, r.Tools, 1)
				assert.Equal(t, "lookup", r.Tools[0]["name"])
				assert.Equal(t, tc.strict, r.Tools[0]["strict"], "strict as WithStrict decides for server tools")
				assert.Equal(t, "auto", r.Body["tool_choice"])
			}
			second := reqs[1].Input
			require.Len(t, second, 3)
			assert.Equal(t, "function_call", second[1]["type"])
			assert.Equal(t, "call_1", second[1]["call_id"])
			assert.JSONEq(t, `{"city":"Paris"}`, second[1]["arguments"].(string))
			assert.Equal(t, "function_call_output", second[2]["type"])
			assert.Equal(t, "call_1", second[2]["call_id"])
		})
	}
}

func TestSamplingWithServerToolsRefused(t *testing.T) {
	call := func(t *testing.T, tools []mcp.Tool, allow bool, cfg SamplingConfig) (string, *responsestest.Server) {
		api, client := fakeAPI(t, toolSamplingModel)
		cfg.API, cfg.Model = &client.Responses, "m"
		srv := InProcess("srv", toolSamplingServer(tools))
		srv.Config.SamplingTools = allow
		b := newBridge(t, []Server{srv}, WithSampling(cfg))
		// On 2026-07-28 a refused input request fails the call itself.
		out, err := b.Call(ctxT(t), "srv__plan", "{}")
		if err != nil {
			return err.Error(), api
		}
		return out.Text, api
	}
	t.Run("without permission", func(t *testing.T) {
		text, api := call(t, nil, false, SamplingConfig{})
		assert.Contains(t, text, `server "srv"`)
		assert.Contains(t, text, "sampling.tools")
		assert.Empty(t, samplingRequests(api))
	})
	t.Run("rate", func(t *testing.T) {
		text, api := call(t, nil, true, SamplingConfig{Rate: 1})
		assert.Contains(t, text, "sampling limit reached", "the second request of the exchange is over the rate")
		assert.Len(t, samplingRequests(api), 1)
	})
	t.Run("budget", func(t *testing.T) {
		text, api := call(t, nil, true, SamplingConfig{MaxTotalTokens: 50})
		assert.Contains(t, text, "token budget of 50")
		assert.Empty(t, samplingRequests(api))
	})
	hostile := map[string][]mcp.Tool{
		"1000 tools": func() []mcp.Tool {
			var ts []mcp.Tool
			for i := range 1000 {
				ts = append(ts, mcp.NewTool(fmt.Sprintf("t%d", i)))
			}
			return ts
		}(),
		"invalid name": {mcp.NewTool("look up!")},
		"huge schema":  {mcp.NewToolWithRawSchema("big", "", []byte(`{"type":"object","description":"`+strings.Repeat("x", 2<<20)+`"}`))},
	}
	for name, tools := range hostile {
		t.Run(name, func(t *testing.T) {
			approved := false
			text, api := call(t, tools, true, SamplingConfig{
				Approve: func(context.Context, string, mcp.CreateMessageRequest) (bool, string) {
					approved = true
					return true, ""
				}})
			assert.Contains(t, text, `server "srv"`)
			assert.Regexp(t, "over the limit|not a valid function name", text)
			assert.Less(t, len(text), 1000, "the error is bounded")
			assert.False(t, approved, "a hostile request never reaches a person")
			assert.Empty(t, samplingRequests(api))
		})
	}
}
