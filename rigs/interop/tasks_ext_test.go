package interop_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// TestTasksExtension calls tasks-ext-server.mjs, our server for the tasks
// extension of protocol 2026-07-28 on the TypeScript SDK's v2 server
// package, over stdio and streamable HTTP. The client declares the
// extension and the server decides: a task-only tool comes back as a
// task, polled to its inlined result, with its statuses as progress; a
// failed task is an error naming server, tool and task; a call that ends
// early cancels its task on the server; a plain tool stays plain.
func TestTasksExtension(t *testing.T) {
	httpURL := interop.StartTasksExtensionHTTP(t)
	for _, tc := range []struct {
		transport string
		cfg       mcpclient.Config
	}{
		{"stdio", interop.TasksExtensionStdio(t)},
		{"http", mcpclient.Config{Name: "tasks-ext", ProtocolVersion: "2026-07-28", Transport: &mcpclient.HTTP{URL: httpURL}}},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			t.Parallel()
			var asked []string
			tc.cfg.OnElicitation = func(_ context.Context, _ string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
				asked = append(asked, req.Params.Message)
				return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
					Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"ok": true}}}, nil
			}
			c := connect(t, tc.cfg)
			if v := c.ProtocolVersion(); v != "2026-07-28" {
				t.Fatalf("negotiated %q, want 2026-07-28", v)
			}
			tools, err := c.ListTools(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			// 2026-07-28 deleted execution.taskSupport from tools (the SDK
			// strips it): nothing tells a task-only tool apart, and calls
			// need no AsTask.
			for _, tool := range tools {
				if tool.TaskSupport != "" {
					t.Errorf("%s listed with task support %q on 2026-07-28", tool.Name, tool.TaskSupport)
				}
			}
			if len(tools) != 6 {
				t.Fatalf("%d tools listed, want 6", len(tools))
			}

			var progress []string
			res := call(t, c, "research", `{"topic":"owls"}`,
				mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) { progress = append(progress, p.Message) }))
			if res.IsError || text(res) != "Report on owls" {
				t.Errorf("research: isError %v, %q", res.IsError, text(res))
			}
			want := []string{"task working: accepted", "task working: stage 1 of 3", "task working: stage 2 of 3", "task working: stage 3 of 3", "task completed"}
			if strings.Join(progress, "|") != strings.Join(want, "|") {
				t.Errorf("progress %q, want %q", progress, want)
			}

			if res := call(t, c, "greet", `{"name":"Ada"}`); text(res) != "Hello, Ada!" {
				t.Errorf("greet: %q", text(res))
			}

			// A task waiting on the client: its inputRequests go to the
			// elicitation handler, the answer back with tasks/update.
			if res := call(t, c, "confirm", `{"file":"a.txt"}`); text(res) != "deleted a.txt" || strings.Join(asked, "|") != "Delete a.txt?" {
				t.Errorf("confirm: %q after questions %q", text(res), asked)
			}

			_, err = c.CallTool(t.Context(), "failing_job", nil)
			var ce *mcpclient.Error
			if !errors.As(err, &ce) || ce.Tool != "failing_job" || !strings.Contains(err.Error(), "failed: the job broke (code -32603)") {
				t.Errorf("failing_job: %v", err)
			}

			ctx, cancel := context.WithCancel(t.Context())
			_, err = c.CallTool(ctx, "forever", nil, mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) {
				if strings.Contains(p.Message, "still going") {
					cancel()
				}
			}))
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `tool "forever": task task-`) {
				t.Fatalf("forever: %v", err)
			}
			id := err.Error()[strings.Index(err.Error(), "task task-")+len("task "):]
			id = id[:strings.IndexByte(id, ' ')]
			deadline := time.Now().Add(eventWait)
			for !strings.Contains(text(call(t, c, "cancelled", `{}`)), `"`+id+`"`) {
				if time.Now().After(deadline) {
					t.Fatalf("tasks/cancel for %s never reached the server", id)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// A task that asks for input a client cannot give (no elicitation handler)
// fails saying what it asked for, and is cancelled on the server.
func TestTasksExtensionInputWithoutHandler(t *testing.T) {
	c := connect(t, interop.TasksExtensionStdio(t))
	_, err := c.CallTool(t.Context(), "confirm", []byte(`{"file":"b.txt"}`))
	if err == nil || !strings.Contains(err.Error(), "no elicitation handler is configured") || !strings.Contains(err.Error(), "the task was cancelled") {
		t.Fatalf("err = %v", err)
	}
	deadline := time.Now().Add(eventWait)
	for !strings.Contains(text(call(t, c, "cancelled", `{}`)), `"task-`) {
		if time.Now().After(deadline) {
			t.Fatal("tasks/cancel never reached the server")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
