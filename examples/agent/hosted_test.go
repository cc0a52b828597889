package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

const hostedEntry = `, "docs": {"url": "https://docs.example/mcp", "hosted": true, "headers": {"Authorization": "Bearer tok-AGENT-SECRET-123456789"}}`

func hostedAgentModel() *responsestest.HostedModel {
	return &responsestest.HostedModel{
		Servers: []responsestest.HostedServer{{Label: "docs", Tools: []responsestest.HostedTool{
			{Name: "publish", Run: func(string) (string, error) { return "published", nil }},
		}}},
		Calls:     []responsestest.MCPCall{{Server: "docs", Name: "publish", Arguments: `{"id":7}`}},
		Functions: []responsestest.FunctionCall{{Name: "tools__add", Arguments: `{"a":1,"b":2}`}},
	}
}

// A config mixing a hosted server with a private one: the hosted calls
// are tool lines on stderr, streamed or not, and the token stays out.
func TestAgentShowsHostedCalls(t *testing.T) {
	for _, mode := range [][]string{nil, {"--no-stream"}} {
		_, cfg := setup(t, hostedAgentModel().Handler(), hostedEntry)
		stdout, stderr, err := runAgent(t, append(append([]string{"--config", cfg}, mode...), "publish")...)
		require.NoError(t, err, stderr)
		assert.Contains(t, stdout, `docs/publish({"id":7}) -> published`)
		assert.Contains(t, stderr, "<= docs (hosted) lists 1 tools: publish")
		assert.Contains(t, stderr, `<= docs/publish (hosted) {"id":7} ok: published`)
		assert.Contains(t, stderr, "<- tools__add")
		assert.NotContains(t, stdout+stderr, "tok-AGENT-SECRET")
	}
}

// --require-approval asks for hosted calls too; go test's stdin is not a
// terminal, so the API is told no.
func TestAgentRequireApprovalCoversHostedCalls(t *testing.T) {
	_, cfg := setup(t, hostedAgentModel().Handler(), hostedEntry)
	stdout, stderr, err := runAgent(t, "--config", cfg, "--require-approval", "publish")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "docs/publish({\"id\":7}) denied")
	assert.Contains(t, stderr, "<- docs/publish (hosted)")
	assert.Contains(t, stderr, "denied: ")
}
