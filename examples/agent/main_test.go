package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

// setup writes a config naming the test stdio server and points the agent
// at a fake Responses API driven by h.
func setup(t *testing.T, h responsestest.Handler, extra string) (*responsestest.Server, string) {
	t.Helper()
	api := responsestest.New(h)
	api.SetValidation(true)
	t.Cleanup(api.Close)
	t.Setenv("OPENAI_BASE_URL", api.URL+"/v1/")
	t.Setenv("OPENAI_API_KEY", responsestest.FakeAPIKey)
	t.Setenv("OPENAI_MAX_RETRIES", "0")
	t.Setenv("AGENT_TEST_GREETING", "hello from the environment")
	bin := mcptest.BuildServer(t)
	cfg := fmt.Sprintf(`{"mcpServers": {"tools": {"command": %q, "env": {"GREETING": "${AGENT_TEST_GREETING}"}}%s}}`, bin, extra)
	path := filepath.Join(t.TempDir(), "mcp.json")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return api, path
}

func runAgent(t *testing.T, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestAgentAnswers(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{
		{Name: "tools__env", Arguments: `{"name":"GREETING"}`},
		{Name: "tools__add", Arguments: `{"a":20,"b":22}`},
	}}
	api, cfg := setup(t, model.Handler(), "")
	stdout, stderr, err := runAgent(t, "--config", cfg, "--model", "m1", "--header", "X-Gateway-Route: team-a", "--instructions", "be terse", "what", "now?")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "hello from the environment", "${VAR} expanded into the server's env")
	assert.Contains(t, stdout, "-> 42")
	assert.Contains(t, stderr, "-> tools__add")
	assert.Contains(t, stderr, "<- tools__add")
	reqs := api.Requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, "m1", r.Model)
		assert.Equal(t, "be terse", r.Instructions)
		assert.Equal(t, "team-a", r.Header.Get("X-Gateway-Route"))
	}
	assert.Equal(t, "what now?", reqs[0].Prompt())
}

func TestAgentFailuresAreOneLine(t *testing.T) {
	loop := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__echo", Arguments: `{"text":"x"}`}}, Rounds: 50}
	cases := []struct {
		name    string
		handler responsestest.Handler
		extra   string
		args    []string
		want    string
	}{
		{"no prompt", responsestest.Echo(), "", nil, "no prompt"},
		{"bad config", responsestest.Echo(), `, "bad": {}`, []string{"hi"}, `server "bad"`},
		{"server fails", responsestest.Echo(), `, "broken": {"command": "/nonexistent/server"}`, []string{"hi"}, `"broken"`},
		{"two servers fail", responsestest.Echo(), `, "b1": {"command": "/nonexistent/server"}, "b2": {"command": "/nonexistent/server"}`, []string{"hi"}, `failed to start; mcp server "b1"`},
		{"hung server", responsestest.Echo(), `, "hung": {"command": "sleep", "args": ["60"]}`, []string{"--connect-timeout", "300ms", "hi"}, `mcp server "hung": handshake: timed out after 300ms (the connect timeout; bridge.WithConnectTimeout changes it) (agent: --connect-timeout)`},
		{"overall timeout", responsestest.Echo(), `, "hung": {"command": "sleep", "args": ["60"]}`, []string{"--timeout", "300ms", "hi"}, `timed out after 300ms (the agent's overall limit; --timeout changes it)`},
		{"bad url", responsestest.Echo(), `, "wiki": {"url": "localhost:8080/mcp"}`, []string{"hi"}, `server "wiki": url: want an absolute http:// or https:// URL`},
		{"api error", responsestest.Script(responsestest.APIError(401, "invalid_api_key", "bad key")), "", []string{"hi"}, "invalid_api_key"},
		{"iteration limit", loop.Handler(), "", []string{"--max-iterations", "2", "hi"}, "iteration limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, cfg := setup(t, tc.handler, tc.extra)
			_, _, err := runAgent(t, append([]string{"--config", cfg}, tc.args...)...)
			require.Error(t, err)
			msg := oneLine(err)
			assert.Contains(t, msg, tc.want)
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "\t")
		})
	}
}

func TestAgentWarnsAboutUnusedConfigKeys(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__echo", Arguments: `{"text":"hi"}`}}}
	_, cfg := setup(t, model.Handler(), `, "off": {"command": "x", "disabled": true}`)
	// A key the agent does not use, added to the server the test writes.
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	data = []byte(strings.Replace(string(data), `"env":`, `"colour": "blue", "env":`, 1))
	require.NoError(t, os.WriteFile(cfg, data, 0o600))

	_, stderr, err := runAgent(t, "--config", cfg, "hi")
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, `warning: `+cfg+`: server "tools": colour: unknown key; ignored`)
}

// TestAgentSkipFailedServers: asked to, the agent answers without a
// broken server and names it on stderr.
func TestAgentSkipFailedServers(t *testing.T) {
	_, cfg := setup(t, responsestest.Echo(), `, "broken": {"command": "/nonexistent/server"}`)
	stdout, stderr, err := runAgent(t, "--config", cfg, "--skip-failed-servers", "hi")
	require.NoError(t, err, stderr)
	assert.NotEmpty(t, stdout)
	assert.Contains(t, stderr, `left out: mcp server "broken"`)
}

func TestAgentMissingKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	_, _, err := runAgent(t, "--config", "unused.json", "hi")
	require.ErrorContains(t, err, "OPENAI_API_KEY is not set")
}

func TestHeaderFlag(t *testing.T) {
	var h headerFlags
	require.NoError(t, h.Set("Authorization: Bearer x"))
	require.Error(t, h.Set("no colon"))
	require.Error(t, h.Set(": empty name"))
	assert.True(t, strings.HasPrefix(h.String(), "Authorization"))
}

// TestAgentHelp: --help is a success, and the usage shows the prompt.
func TestAgentHelp(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		stdout, stderr, err := runAgent(t, flag)
		require.NoError(t, err, "%s must exit 0", flag)
		usage := stdout + stderr
		assert.Contains(t, usage, "prompt")
		assert.Contains(t, usage, "--config")
	}
}

// Each call is one line on stderr: a failed call's error once (the output
// the model read is the same error), a tool's own error without a second
// "error:", and the parts of an output (text, an image) apart.
func TestAgentLogsEachCallOnce(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{
		{Name: "tools__fail", Arguments: `{"message":"disk full"}`},
		{Name: "tools__image", Arguments: `{}`},
		{Name: "tools__nope", Arguments: `{}`},
	}}
	for _, mode := range []string{"--no-stream=false", "--no-stream"} {
		t.Run(mode, func(t *testing.T) {
			_, cfg := setup(t, model.Handler(), "")
			_, stderr, err := runAgent(t, "--config", cfg, mode, "hi")
			require.NoError(t, err, stderr)
			lines := map[string]string{}
			for _, l := range strings.Split(stderr, "\n") {
				if name, _, ok := strings.Cut(strings.TrimPrefix(l, "<- "), " "); ok && strings.HasPrefix(l, "<- ") {
					lines[name] = l
				}
			}
			assert.Regexp(t, `^<- tools__fail \(\S+\) tool error: disk full$`, lines["tools__fail"])
			assert.Regexp(t, `^<- tools__image \(\S+\) ok: a pixel \[image: image/png, \d+ bytes\]$`, lines["tools__image"])
			assert.Regexp(t, `^<- tools__nope \(\S+\) error: unknown function "tools__nope"$`, lines["tools__nope"])
		})
	}
}
