package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

var agentBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "agent-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "agent")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return bin, nil
})

// elicitSetup points the agent at the fake API scripted to call tool and
// at the test server with its elicitation tools.
func elicitSetup(t *testing.T, tool string) (*responsestest.Server, string) {
	t.Helper()
	api := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "tools__" + tool, Arguments: `{"why":"Who are you?"}`}),
		responsestest.Text("finished"),
	))
	api.SetValidation(true)
	t.Cleanup(api.Close)
	cfg := fmt.Sprintf(`{"mcpServers": {"tools": {"command": %q, "args": ["-elicit-tools"]}}}`, mcptest.BuildServer(t))
	path := filepath.Join(t.TempDir(), "mcp.json")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return api, path
}

func agentEnv(api *responsestest.Server) []string {
	return append(os.Environ(), "OPENAI_BASE_URL="+api.URL+"/v1/", "OPENAI_API_KEY="+responsestest.FakeAPIKey, "OPENAI_MAX_RETRIES=0")
}

// With stdin a pipe, the agent declines the server's questions and says so.
func TestAgentDeclinesElicitationWithoutTerminal(t *testing.T) {
	bin, err := agentBin()
	require.NoError(t, err)
	for _, tool := range []string{"ask", "ask_url"} {
		api, cfg := elicitSetup(t, tool)
		cmd := exec.Command(bin, "--config", cfg, "hi")
		cmd.Env = agentEnv(api)
		cmd.Stdin = strings.NewReader("y\nAda\n")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), stderr.String())
		assert.Equal(t, "finished\n", stdout.String())
		assert.Contains(t, stderr.String(), "declined: stdin is not a terminal")
		reqs := api.Requests()
		require.Len(t, reqs, 2)
		assert.Contains(t, fmt.Sprint(reqs[1].Body["input"]), "decline")
	}
}

// In a real terminal (tmux), the agent asks each form field and the
// server gets the typed values; URL mode waits for Enter.
func TestAgentElicitationInATerminal(t *testing.T) {
	for _, tc := range []struct {
		tool, want string
		keys       [][2]string // wait for text, then send keys
	}{
		{"ask", `accept {"color":"green","count":7,"name":"Ada","subscribe":true}`, [][2]string{
			{"answer? [y/N]", "y"}, {"name (string, required", "Ada"}, {"color (string: red|green|blue", ""},
			{"count (integer", "x"}, {"wants a whole number", "7"}, {"subscribe (boolean", "y"},
		}},
		{"ask_url", "url accept", [][2]string{{"press Enter when done", ""}}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			api, cfg := elicitSetup(t, tc.tool)
			out := agentInTmux(t, api, cfg, tc.keys)
			reqs := api.Requests()
			require.Len(t, reqs, 2, out)
			assert.Contains(t, fmt.Sprint(reqs[1].Body["input"]), tc.want)
		})
	}
}

// agentInTmux runs the agent with config cfg against api in a real
// terminal (a tmux session): for each pair of keys it waits for the first
// text in the agent's output, then types the second and Enter. It checks
// the agent exited 0 and returns its output (stdout and stderr).
func agentInTmux(t *testing.T, api *responsestest.Server, cfg string, keys [][2]string) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is missing (.ci/run installs it)")
		}
		t.Skip("tmux is not installed: the terminal flow is not tested")
	}
	bin, err := agentBin()
	require.NoError(t, err)
	session := fmt.Sprintf("agent-%s-%d", strings.NewReplacer("/", "-", ".", "-", ":", "-").Replace(t.Name()), os.Getpid())
	out := filepath.Join(t.TempDir(), "out")
	script := fmt.Sprintf("env OPENAI_BASE_URL=%q OPENAI_API_KEY=%q OPENAI_MAX_RETRIES=0 %q --config %q hi >%q 2>&1; echo EXIT $? >>%q; sleep 60",
		api.URL+"/v1/", responsestest.FakeAPIKey, bin, cfg, out, out)
	require.NoError(t, exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50", "sh", "-c", script).Run())
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	read := func() string { b, _ := os.ReadFile(out); return string(b) }
	waitFor := func(s string) {
		t.Helper()
		for range 1200 {
			if strings.Contains(read(), s) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("never saw %q in:\n%s", s, read())
	}
	for _, k := range keys {
		waitFor(k[0])
		args := []string{"send-keys", "-t", session}
		if k[1] != "" {
			args = append(args, "-l", k[1])
			require.NoError(t, exec.Command("tmux", args...).Run())
			args = []string{"send-keys", "-t", session}
		}
		require.NoError(t, exec.Command("tmux", append(args, "Enter")...).Run())
	}
	waitFor("EXIT")
	assert.Contains(t, read(), "EXIT 0")
	return read()
}
