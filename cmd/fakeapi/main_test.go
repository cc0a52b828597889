package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if agentDir != "" {
			_ = os.RemoveAll(agentDir)
		}
		mcptest.RemoveBuilt()
		os.Exit(code)
	}))
}

var agentDir string

// buildAgent builds examples/agent as a user would (go build, default
// settings, so it shares the build cache with `go build ./examples/...`).
func buildAgent(t *testing.T) string {
	t.Helper()
	if agentDir == "" {
		dir, err := os.MkdirTemp("", "agent-")
		require.NoError(t, err)
		agentDir = dir
	}
	path := filepath.Join(agentDir, "agent")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	out, err := exec.Command("go", "build", "-o", path, "github.com/mcpbridge/mcpbridge/examples/agent").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return path
}

// syncBuffer is a bytes.Buffer safe for the fake's logging goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startFake runs the program with args and returns the base URL it
// printed first, and a function that stops it and returns its stderr.
func startFake(t *testing.T, args ...string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, stderr)
		pw.CloseWithError(fmt.Errorf("fakeapi ended: %v", err))
		done <- err
	}()
	stop := sync.OnceValue(func() string {
		cancel()
		require.NoError(t, <-done)
		return stderr.String()
	})
	t.Cleanup(func() { stop() })
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err, "fakeapi printed no URL; stderr: %s", stderr.String())
	go io.Copy(io.Discard, pr) //nolint:errcheck // nothing more is printed; keep the pipe drained
	return strings.TrimSpace(line), stop
}

// The agent, built as a user builds it, answers offline against the fake:
// the script calls a tool of a real stdio MCP server, then answers with
// its result.
func TestAgentRunsOfflineAgainstTheFake(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script.json")
	require.NoError(t, os.WriteFile(script, []byte(`[
		{"calls": [{"name": "tools__add", "arguments": {"a": 20, "b": 22}}], "reasoning": "add them"},
		{"results": true}
	]`), 0o600))
	cfg := filepath.Join(dir, "mcp.json")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`{"mcpServers": {"tools": {"command": %q}}}`, mcptest.BuildServer(t))), 0o600))

	base, stop := startFake(t, "--script", script)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/v1$`, base)

	agent := buildAgent(t)
	for i := range 2 { // the script plays again for the next run
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, agent, "--config", cfg, "--model", "scripted", "what is 20 + 22?")
		cmd.Env = append(os.Environ(), "OPENAI_BASE_URL="+base, "OPENAI_API_KEY=", "OPENAI_MAX_RETRIES=0")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		require.NoError(t, err, "run %d: %s", i, stderr.String())
		assert.Equal(t, `Tool results: tools__add({"a": 20, "b": 22}) -> 42`+"\n", stdout.String(), "run %d", i)
		assert.Contains(t, stderr.String(), "-> tools__add", "run %d", i)
	}
	log := stop()
	assert.Contains(t, log, `#1 model "scripted"`)
	assert.Contains(t, log, `prompt "what is 20 + 22?"`)
	assert.Contains(t, log, "#2 model \"scripted\"")
	assert.Contains(t, log, "1 tool output(s)")
}

// A request the API would refuse is refused, and the log says why.
func TestFakeRefusesWhatTheAPIRefuses(t *testing.T) {
	base, stop := startFake(t)
	res, err := httpPost(base+"/responses", `{"input":"hi"}`)
	require.NoError(t, err)
	assert.Equal(t, 400, res)
	assert.Contains(t, stop(), "refused with 400: invalid Responses request: /model: missing required parameter 'model'")
}

func TestScriptErrorsNameTheReply(t *testing.T) {
	cases := []struct{ script, want string }{
		{`{}`, "not a JSON array of replies"},
		{`[]`, "no replies"},
		{`[{"text": "a", "calls": []}]`, `reply 0: want exactly one of "text", "calls", "results" or "error", got 2`},
		{`[{"text": "a"}, {"calls": [{"arguments": {}}]}]`, "reply 1: call 0 has no name"},
		{`[{"calls": [{"name": "f", "arguments": [1]}]}]`, `reply 0: call 0 (f): "arguments" must be a JSON object or a string`},
		{`[{"error": {"status": 200}}]`, "reply 0: error status 200"},
		{`[{"txt": "a"}]`, `unknown field "txt"`},
	}
	for _, tc := range cases {
		_, err := parseScript(strings.NewReader(tc.script))
		require.Error(t, err, tc.script)
		assert.Contains(t, err.Error(), tc.want, tc.script)
	}
}

func TestFakeListensOnLoopbackOnly(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--addr", "0.0.0.0:0"}, &bytes.Buffer{}, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a loopback address")
}
