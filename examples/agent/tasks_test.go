package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// everythingConfig writes an agent config running server-everything over
// stdio as "everything".
func everythingConfig(t *testing.T) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"mcpServers": map[string]any{
		"everything": map[string]any{"command": interop.Node(t), "args": []string{interop.EverythingScript(t), "stdio"}},
	}})
	require.NoError(t, err)
	cfg := filepath.Join(t.TempDir(), "mcp.json")
	require.NoError(t, os.WriteFile(cfg, data, 0o600))
	return cfg
}

// A task-only tool (server-everything's simulate-research-query,
// execution.taskSupport "required") works through the agent: its stages are
// progress lines on stderr, its report the output the model reads.
func TestAgentTaskOnlyTool(t *testing.T) {
	cfg := everythingConfig(t)
	api := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "everything__simulate-research-query", Arguments: `{"topic":"MCP"}`}),
		responsestest.Text("The report is in."),
	))
	api.SetValidation(true)
	t.Cleanup(api.Close)
	t.Setenv("OPENAI_BASE_URL", api.URL+"/v1/")
	t.Setenv("OPENAI_API_KEY", responsestest.FakeAPIKey)
	t.Setenv("OPENAI_MAX_RETRIES", "0")

	stdout, stderr, err := runAgent(t, "--config", cfg, "research MCP")
	require.NoError(t, err, stderr)
	assert.Equal(t, "The report is in.\n", stdout)
	assert.Contains(t, stderr, ".. everything__simulate-research-query 1 task working: Gathering sources...")
	assert.Contains(t, stderr, "task working: Generating report...")
	assert.Regexp(t, `<- everything__simulate-research-query \([0-9.]+m?s\) ok: # Research Report: MCP`, stderr)
	reqs := api.Requests()
	require.Len(t, reqs, 2)
	outs := reqs[1].Outputs()
	require.Len(t, outs, 1)
	assert.True(t, strings.HasPrefix(outs[0].Output, "# Research Report: MCP"), "%.100q", outs[0].Output)
}

// An elicitation-driven tool of server-everything
// (trigger-elicitation-request: every kind of form field) works through the
// agent in a real terminal: the person answers the required name, a
// boolean and an integer, takes every default, and the server reports the
// values it got.
func TestAgentEverythingElicitationInATerminal(t *testing.T) {
	cfg := everythingConfig(t)
	api := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "everything__trigger-elicitation-request", Arguments: `{}`}),
		responsestest.Text("thanks"),
	))
	api.SetValidation(true)
	t.Cleanup(api.Close)
	keys := [][2]string{{"answer? [y/N]", "y"}, {"name (string, required", "Ada"}}
	for _, f := range []struct{ prompt, answer string }{
		{"birthdate (string", ""}, {"check (boolean", "y"}, {"email (string", ""}, {"firstLine (string", ""},
		{"homepage (string", ""}, {"integer (integer", "7"}, {"legacyTitledEnum (string", ""}, {"number (number", ""},
		{"titledMultipleSelectEnum (array", ""}, {"titledSingleSelectEnum (string: hero-1|hero-2|hero-3", ""},
		{"untitledMultipleSelectEnum (array", ""}, {"untitledSingleSelectEnum (string: Monica|", ""},
	} {
		keys = append(keys, [2]string{f.prompt, f.answer})
	}
	out := agentInTmux(t, api, cfg, keys)
	reqs := api.Requests()
	require.Len(t, reqs, 2, out)
	outs := reqs[1].Outputs()
	require.Len(t, outs, 1)
	for _, want := range []string{"User provided the requested information", "Name: Ada", "Agreed to terms: true", "Favorite Integer: 7", "Favorite Number: 3.14", `"titledSingleSelectEnum": "hero-1"`} {
		assert.Contains(t, outs[0].Output, want)
	}
}

// A task that asks the person for input: server-everything's
// simulate-research-query with an ambiguous topic runs as a task, stops in
// input_required, and its question (a titled single-select) reaches the
// terminal through tasks/result; the answer shapes the report.
func TestAgentTaskElicitationInATerminal(t *testing.T) {
	cfg := everythingConfig(t)
	api := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "everything__simulate-research-query", Arguments: `{"topic":"python","ambiguous":true}`}),
		responsestest.Text("done"),
	))
	api.SetValidation(true)
	t.Cleanup(api.Close)
	out := agentInTmux(t, api, cfg, [][2]string{
		{"answer? [y/N]", "y"}, {"interpretation (string: programming|snake|comedy, required", "snake"},
	})
	assert.Contains(t, out, "task input_required")
	reqs := api.Requests()
	require.Len(t, reqs, 2, out)
	outs := reqs[1].Outputs()
	require.Len(t, outs, 1)
	assert.Contains(t, outs[0].Output, "# Research Report: python (snake)")
}
