package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// temporalAddress is the Temporal server the durable tests use; they skip
// without one on a developer's machine and fail in CI.
func temporalAddress(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("TEMPORAL_ADDRESS")
	if addr == "" {
		msg := "TEMPORAL_ADDRESS is not set: run with `go run ./rigs/devtemporal go test ./examples/agent/`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return addr
}

func TestAgentDurableRun(t *testing.T) {
	addr := temporalAddress(t)
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__add", Arguments: `{"a":20,"b":22}`}}}
	_, cfg := setup(t, model.Handler(), "")
	queue := "agent-" + t.Name()
	stdout, stderr, err := runAgent(t, "--temporal", addr, "--config", cfg, "--task-queue", queue, "add", "them")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "-> 42")
	assert.Contains(t, stderr, "workflow: ")
	assert.Contains(t, stderr, "-> tools__add")
	assert.Contains(t, stderr, "<- tools__add ok")

	// --attach follows a finished run too.
	id := strings.TrimSpace(strings.SplitN(strings.SplitN(stderr, "workflow: ", 2)[1], "\n", 2)[0])
	out2, stderr2, err := runAgent(t, "--temporal", addr, "--attach", id)
	require.NoError(t, err, stderr2)
	assert.Equal(t, stdout, out2)
}

func TestAgentDurableApproval(t *testing.T) {
	addr := temporalAddress(t)
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{
		{Name: "tools__add", Arguments: `{"a":1,"b":2}`},
		{Name: "tools__echo", Arguments: `{"text":"hi"}`},
	}}
	_, cfg := setup(t, model.Handler(), "")
	queue := "agent-" + t.Name()

	// The worker runs apart, as `agent worker` would.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	workerDone := make(chan error, 1)
	go func() {
		var out, errOut strings.Builder
		workerDone <- run(ctx, []string{"worker", "--temporal", addr, "--config", cfg, "--task-queue", queue}, &out, &errOut)
	}()

	type result struct {
		stdout, stderr string
		err            error
	}
	done := make(chan result, 1)
	go func() {
		o, e, err := runAgent(t, "--temporal", addr, "--config", cfg, "--task-queue", queue, "--no-worker", "--require-approval", "do", "it")
		done <- result{o, e, err}
	}()

	// Find the workflow id on stderr by listing pending calls until both wait.
	var id string
	var lines []string
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && len(lines) < 2 {
		time.Sleep(200 * time.Millisecond)
		if id == "" {
			id = latestWorkflow(t, addr, queue)
			continue
		}
		out, errOut, err := runAgent(t, "pending", "--temporal", addr, id)
		require.NoError(t, err, errOut)
		lines = strings.Split(strings.TrimSpace(out), "\n")
		if lines[0] == "" {
			lines = nil
		}
	}
	require.Len(t, lines, 2, "two calls await approval")
	_, _, err := runAgent(t, "approve", "--temporal", addr, id, "call_nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "call_nope")
	for _, l := range lines {
		f := strings.Fields(l)
		require.Len(t, f, 3, l)
		switch f[1] {
		case "tools/add":
			_, errOut, err := runAgent(t, "approve", "--temporal", addr, id, f[0])
			require.NoError(t, err, errOut)
		case "tools/echo":
			_, _, err := runAgent(t, "deny", "--temporal", addr, id, f[0], "not", "now")
			require.Error(t, err, "deny takes one reason argument")
			_, errOut, err := runAgent(t, "deny", "--temporal", addr, id, f[0], "not now")
			require.NoError(t, err, errOut)
		default:
			t.Fatalf("unexpected pending line %q", l)
		}
	}
	r := <-done
	require.NoError(t, r.err, r.stderr)
	assert.Contains(t, r.stdout, "-> 3")
	assert.Contains(t, r.stdout, "denied and not executed: not now")
	assert.Contains(t, r.stderr, "awaits approval: agent approve --temporal")
	cancel()
	require.NoError(t, <-workerDone)
}

// latestWorkflow finds the id of the run on queue through the agent's
// stderr: the test runs the agent in a goroutine, so it asks Temporal.
func latestWorkflow(t *testing.T, addr, queue string) string {
	t.Helper()
	c, err := dial(context.Background(), addr)
	require.NoError(t, err)
	defer c.Close()
	resp, err := c.ListWorkflow(context.Background(), listRequest(queue))
	if err != nil || len(resp.Executions) == 0 {
		return ""
	}
	return resp.Executions[0].Execution.WorkflowId
}

func TestAgentSubcommandsNeedTemporal(t *testing.T) {
	_, _, err := runAgent(t, "pending", "wf-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--temporal HOST:PORT is required")
	_, _, err = runAgent(t, "approve", "--temporal", "127.0.0.1:1", "wf-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "usage: agent approve")
	_, _, err = runAgent(t, "pending", "--temporal", "127.0.0.1:1", "wf-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach the Temporal server at 127.0.0.1:1")
}

func TestAgentDashDashMakesSubcommandsAPrompt(t *testing.T) {
	api, cfg := setup(t, responsestest.Echo(), "")
	stdout, stderr, err := runAgent(t, "--config", cfg, "--", "worker", "please")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "echo: worker please")
	assert.Equal(t, 1, api.Count())
}

func TestTerminalApprovalDeniesWithoutATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	var stderr strings.Builder
	ok, reason := terminalApproval(r, &stderr)(context.Background(), bridge.Call{Name: "tools__add"})
	assert.False(t, ok)
	assert.Contains(t, reason, "stdin is not a terminal")
}

func TestAgentRequireApprovalWithoutTemporalDenies(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__add", Arguments: `{"a":1,"b":2}`}}}
	_, cfg := setup(t, model.Handler(), "")
	// go test's stdin is not a terminal: every call is denied.
	stdout, stderr, err := runAgent(t, "--config", cfg, "--require-approval", "--no-stream", "add")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "stdin is not a terminal")
	assert.Contains(t, stderr, "denied")
}

func listRequest(queue string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("TaskQueue = '%s'", queue)}
}

// TestAgentDurableStreamsTheAnswer: a durable run's answer reaches stdout
// while the model is still writing it (the fake holds the response's end
// until the text is on stdout), read from the running model request.
func TestAgentDurableStreamsTheAnswer(t *testing.T) {
	addr := temporalAddress(t)
	printed := make(chan struct{})
	_, cfg := setup(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "tools__add", Arguments: `{"a":20,"b":22}`}),
		responsestest.Text("The sum is 42.").WithWait(1, printed),
	), "")
	stdout := &signalWriter{want: "The sum is 42.", seen: printed}
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"--temporal", addr, "--config", cfg, "--task-queue", "agent-" + t.Name(), "hi"}, stdout, &stderr)
	require.NoError(t, err, stderr.String())
	assert.Equal(t, "The sum is 42.\n", stdout.String())
	assert.Contains(t, stderr.String(), "<- tools__add ok: 42")
	assert.Contains(t, stderr.String(), "done: 2 turn(s)")
}
