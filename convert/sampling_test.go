package convert

import (
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
)

// tinyPNG is a 1x1 PNG, base64.
const tinyPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

func samplingJSON(t *testing.T, p oai.ResponseNewParams) map[string]any {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestSamplingRequest(t *testing.T) {
	req := mcp.CreateMessageParams{
		SystemPrompt:  "be brief",
		MaxTokens:     5000,
		Temperature:   0.3,
		StopSequences: []string{"END"},
		Messages: []mcp.SamplingMessage{
			{Role: mcp.RoleUser, Content: mcp.NewTextContent("first")},
			{Role: mcp.RoleAssistant, Content: []mcp.Content{mcp.NewTextContent("answer"), mcp.NewImageContent(tinyPNG, "image/png")}},
			{Role: mcp.RoleUser, Content: []mcp.Content{mcp.NewTextContent("look"), mcp.NewImageContent(tinyPNG, "image/png"), mcp.NewAudioContent("AAAA", "audio/wav")}},
		},
	}
	p, err := SamplingRequest(req, SamplingOptions{Model: "m", MaxOutputTokens: 1000})
	require.NoError(t, err)
	got := samplingJSON(t, p)
	assert.Equal(t, "m", got["model"])
	assert.Equal(t, "be brief", got["instructions"])
	assert.Equal(t, float64(1000), got["max_output_tokens"], "capped")
	assert.Equal(t, 0.3, got["temperature"])
	assert.Equal(t, false, got["store"])
	assert.NotContains(t, got, "tools")
	assert.NotContains(t, got, "stop")
	input := got["input"].([]any)
	require.Len(t, input, 3)
	assert.Equal(t, map[string]any{"role": "user", "content": "first"}, input[0])
	assert.Equal(t, map[string]any{"role": "assistant", "content": "answer\n[image: image/png, 70 bytes]"}, input[1])
	parts := input[2].(map[string]any)["content"].([]any)
	require.Len(t, parts, 3)
	assert.Equal(t, "input_text", parts[0].(map[string]any)["type"])
	assert.Equal(t, "data:image/png;base64,"+tinyPNG, parts[1].(map[string]any)["image_url"])
	assert.Contains(t, parts[2].(map[string]any)["text"], "[audio: audio/wav, 3 bytes; not sent")
}

func TestSamplingRequestBounds(t *testing.T) {
	msg := []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("x")}}
	p, err := SamplingRequest(mcp.CreateMessageParams{Messages: msg, MaxTokens: 3}, SamplingOptions{Model: "m"})
	require.NoError(t, err)
	assert.Equal(t, int64(MinOutputTokens), p.MaxOutputTokens.Value, "below the API's minimum")
	assert.False(t, p.Temperature.Valid(), "zero temperature is not sent")
	assert.False(t, p.Instructions.Valid())

	_, err = SamplingRequest(mcp.CreateMessageParams{MaxTokens: 3}, SamplingOptions{Model: "m"})
	assert.ErrorIs(t, err, ErrSamplingContent)
	_, err = SamplingRequest(mcp.CreateMessageParams{Messages: []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.ToolUseContent{}}}}, SamplingOptions{Model: "m"})
	assert.ErrorIs(t, err, ErrSamplingContent)
	assert.ErrorContains(t, err, "messages[0]")
	_, err = SamplingRequest(mcp.CreateMessageParams{Messages: []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewImageContent("%%%", "image/png")}}}, SamplingOptions{Model: "m"})
	assert.ErrorIs(t, err, ErrSamplingContent)
}

func response(t *testing.T, raw string) *oai.Response {
	t.Helper()
	var r oai.Response
	require.NoError(t, json.Unmarshal([]byte(raw), &r))
	return &r
}

func TestSamplingResult(t *testing.T) {
	done := `{"id":"r1","status":"completed","model":"gpt-x","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"one END two"}]}]}`
	res, err := SamplingResult(response(t, done), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "gpt-x", res.Model)
	assert.Equal(t, StopEndTurn, res.StopReason)
	assert.Equal(t, mcp.RoleAssistant, res.Role)
	assert.Equal(t, "one END two", res.Content.(mcp.TextContent).Text)

	res, err = SamplingResult(response(t, done), []string{"", "two", "END"}, nil)
	require.NoError(t, err)
	assert.Equal(t, StopStopSequence, res.StopReason)
	assert.Equal(t, "one ", res.Content.(mcp.TextContent).Text, "cut at the earliest stop sequence")

	res, err = SamplingResult(response(t, `{"id":"r2","status":"incomplete","model":"m","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"par"}]}]}`), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, StopMaxTokens, res.StopReason)

	_, err = SamplingResult(response(t, `{"id":"r3","status":"failed","model":"m","error":{"code":"server_error","message":"boom"},"output":[]}`), nil, nil)
	assert.ErrorContains(t, err, "boom")
	_, err = SamplingResult(response(t, `{"id":"r4","status":"completed","model":"m","output":[]}`), nil, nil)
	assert.ErrorContains(t, err, "no text")
	_, err = SamplingResult(nil, nil, nil)
	assert.Error(t, err)
}

func TestChooseModelByHints(t *testing.T) {
	allowed := []string{"gpt-5-mini", "gpt-5", "o4-mini"}
	prefs := func(hints ...string) *mcp.ModelPreferences {
		p := &mcp.ModelPreferences{}
		for _, h := range hints {
			p.Hints = append(p.Hints, mcp.ModelHint{Name: h})
		}
		return p
	}
	assert.Equal(t, "default", chooseModel(nil, allowed, "default"))
	assert.Equal(t, "default", chooseModel(prefs("claude-3-sonnet"), allowed, "default"))
	assert.Equal(t, "o4-mini", chooseModel(prefs("claude", "O4"), allowed, "default"), "first matching hint, case-insensitive")
	assert.Equal(t, "gpt-5-mini", chooseModel(prefs("mini"), allowed, "default"), "first allowed model containing the hint")
	assert.Equal(t, "default", chooseModel(prefs(" "), allowed, "default"))
}

func TestResourceAndPromptOutput(t *testing.T) {
	out := ResourceOutput([]mcp.ResourceContents{
		mcp.TextResourceContents{URI: "file:///a.txt", MIMEType: "text/plain", Text: "alpha"},
		mcp.BlobResourceContents{URI: "file:///p.png", MIMEType: "image/png", Blob: tinyPNG},
	}, ResultOptions{ArrayOutputs: true})
	assert.Contains(t, out.Text, "[resource: <file:///a.txt>, text/plain]\nalpha")
	assert.Contains(t, out.Text, "[resource: <file:///p.png>, image/png, 70 bytes]")
	require.Len(t, out.Parts, 2)
	assert.Equal(t, responses.PartImage, out.Parts[1].Type)
	assert.Contains(t, ResourceOutput(nil, ResultOptions{}).Text, "empty")

	p := PromptOutput(&mcp.GetPromptResult{Description: "greets", Messages: []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("hello")),
		mcp.NewPromptMessage(mcp.RoleAssistant, mcp.NewTextContent("hi")),
	}}, ResultOptions{})
	assert.Equal(t, "[description] greets\n[user]\nhello\n[assistant]\nhi", p.Text)
	assert.True(t, PromptOutput(nil, ResultOptions{}).IsError)

	assert.Equal(t, "- greet: says hi [arguments: who (required), tone]",
		PromptList([]mcp.Prompt{{Name: "greet", Description: "says hi", Arguments: []mcp.PromptArgument{{Name: "who", Required: true}, {Name: "tone"}}}}))
	assert.Equal(t, "(no prompts)", PromptList(nil))
	assert.Equal(t, "(no resources)", ResourceList(nil, nil))
	assert.Equal(t, "- <file:///a> a (text/plain): the a",
		ResourceList([]mcp.Resource{{URI: "file:///a", Name: "a", MIMEType: "text/plain", Description: "the a"}}, nil))
}
