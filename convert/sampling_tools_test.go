package convert

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSamplingTools(t *testing.T) {
	tools := []mcp.Tool{mcp.NewTool("lookup", mcp.WithString("city", mcp.Required()), mcp.WithString("unit"))}
	set, err := SamplingTools(tools, true)
	require.NoError(t, err)
	require.Len(t, set.Tools, 1)
	assert.True(t, set.Tools[0].Strict, "strict where the schema allows, as for server tools")

	for mode, want := range map[mcp.ToolChoiceMode]string{"": "auto", mcp.ToolChoiceModeRequired: "required", mcp.ToolChoiceModeNone: "none"} {
		p, err := SamplingRequest(mcp.CreateMessageParams{Tools: tools, ToolChoice: &mcp.ToolChoice{Mode: mode},
			Messages: []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("q")}}},
			SamplingOptions{Model: "m", Tools: set})
		require.NoError(t, err)
		m := samplingJSON(t, p)
		assert.Equal(t, want, m["tool_choice"])
		assert.Equal(t, "lookup", m["tools"].([]any)[0].(map[string]any)["name"])
	}
	_, err = SamplingRequest(mcp.CreateMessageParams{Tools: tools,
		Messages: []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("q")}}}, SamplingOptions{Model: "m"})
	assert.ErrorIs(t, err, ErrSamplingContent, "tools must be converted first")

	// The model's call comes back as tool_use, with strict mode's added
	// nulls stripped: the server never sees an argument it did not ask for.
	res, err := SamplingResult(response(t, `{"id":"r1","status":"completed","model":"m","output":[{"type":"function_call","call_id":"c1","name":"lookup","arguments":"{\"city\":\"Paris\",\"unit\":null}"}]}`), nil, set)
	require.NoError(t, err)
	assert.Equal(t, StopToolUse, res.StopReason)
	assert.Equal(t, []mcp.Content{mcp.ToolUseContent{Type: "tool_use", ID: "c1", Name: "lookup", Input: map[string]any{"city": "Paris"}}}, res.Content)

	_, err = SamplingResult(response(t, `{"id":"r1","status":"completed","model":"m","output":[{"type":"function_call","call_id":"c1","name":"other","arguments":"{}"}]}`), nil, set)
	assert.ErrorContains(t, err, `"other", a tool the request did not offer`)

	for name, bad := range map[string][]mcp.Tool{
		"name":      {mcp.NewTool("a.b")},
		"long name": {mcp.NewTool(string(make([]byte, 65)))},
		"twice":     {mcp.NewTool("a"), mcp.NewTool("a")},
		"too many":  make([]mcp.Tool, MaxSamplingTools+1),
	} {
		_, err := SamplingTools(bad, false)
		assert.Error(t, err, name)
	}
}

func TestSamplingToolMessages(t *testing.T) {
	p, err := SamplingRequest(mcp.CreateMessageParams{Messages: []mcp.SamplingMessage{
		{Role: mcp.RoleUser, Content: mcp.NewTextContent("q")},
		{Role: mcp.RoleAssistant, Content: []mcp.Content{mcp.NewTextContent("let me look"),
			mcp.ToolUseContent{Type: "tool_use", ID: "c1", Name: "lookup", Input: map[string]any{"city": "Paris"}}}},
		{Role: mcp.RoleUser, Content: []mcp.Content{mcp.ToolResultContent{Type: "tool_result", ToolUseID: "c1",
			Content: []mcp.Content{mcp.NewTextContent("sunny")}, IsError: true}}},
	}}, SamplingOptions{Model: "m"})
	require.NoError(t, err)
	in := samplingJSON(t, p)["input"].([]any)
	require.Len(t, in, 4)
	assert.Equal(t, "let me look", in[1].(map[string]any)["content"])
	assert.Equal(t, map[string]any{"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": `{"city":"Paris"}`}, in[2])
	assert.Equal(t, map[string]any{"type": "function_call_output", "call_id": "c1", "output": "[tool error] sunny"}, in[3])

	_, err = SamplingRequest(mcp.CreateMessageParams{Messages: []mcp.SamplingMessage{
		{Role: mcp.RoleAssistant, Content: mcp.ToolResultContent{Type: "tool_result", ToolUseID: "c1"}}}}, SamplingOptions{Model: "m"})
	assert.ErrorIs(t, err, ErrSamplingContent, "a tool_result from the assistant")
}
