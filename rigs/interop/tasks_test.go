package interop_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// TestEverythingTasks calls server-everything's task-only tool,
// simulate-research-query (execution.taskSupport "required", protocol
// 2025-11-25's task-augmented tools/call), over stdio and streamable HTTP:
// the task's stages arrive as progress, its report as the result; with
// ambiguous set the task asks for clarification through tasks/result
// (input_required) and the elicitation handler answers it.
func TestEverythingTasks(t *testing.T) {
	httpURL := interop.StartEverythingHTTP(t, interop.ModeStreamableHTTP)
	for _, tc := range []struct {
		transport string
		cfg       mcpclient.Config
	}{
		{"stdio", interop.EverythingStdio(t)},
		{"http", mcpclient.Config{Name: "everything", Transport: &mcpclient.HTTP{URL: httpURL}}},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			t.Parallel()
			var asked []string
			var mu sync.Mutex
			cfg := tc.cfg
			cfg.OnElicitation = func(_ context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
				mu.Lock()
				asked = append(asked, req.Params.Message)
				mu.Unlock()
				return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
					Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"interpretation": "historical"}}}, nil
			}
			c := connect(t, cfg)
			tools, err := c.ListTools(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var listed *mcpclient.Tool
			for i := range tools {
				if tools[i].Name == "simulate-research-query" {
					listed = &tools[i]
				}
			}
			if listed == nil || listed.TaskSupport != mcp.TaskSupportRequired {
				t.Fatalf("simulate-research-query listed as %+v, want taskSupport required", listed)
			}

			var progress []string
			res := call(t, c, "simulate-research-query", `{"topic":"MCP"}`, mcpclient.AsTask(),
				mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) { progress = append(progress, p.Message) }))
			if res.IsError || !strings.Contains(text(res), "# Research Report: MCP") {
				t.Fatalf("result (isError %v): %.300q", res.IsError, text(res))
			}
			joined := strings.Join(progress, "\n")
			for _, stage := range []string{"Gathering sources", "Generating report"} {
				if !strings.Contains(joined, stage) {
					t.Errorf("progress %q lacks stage %q", progress, stage)
				}
			}

			res = call(t, c, "simulate-research-query", `{"topic":"python","ambiguous":true}`, mcpclient.AsTask())
			mu.Lock()
			n := len(asked)
			mu.Unlock()
			if n != 1 || !strings.Contains(text(res), "historical") {
				t.Errorf("ambiguous query: %d elicitations, result %.400q; want one, answered historical", n, text(res))
			}

			// Without AsTask the server refuses the tool: the call is
			// what makes it work.
			plain := call(t, c, "simulate-research-query", `{"topic":"MCP"}`)
			if !plain.IsError {
				t.Errorf("plain call of a task-only tool: %.200q, want the server's isError", text(plain))
			}
		})
	}
}

// TestEverythingTaskCancelled ends a task's call early: the call fails
// with the context's error, naming the server, the tool and the task, and
// the server is told (tasks/cancel), so the task ends cancelled.
func TestEverythingTaskCancelled(t *testing.T) {
	cfg := interop.EverythingStdio(t)
	c := connect(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	_, err := c.CallTool(ctx, "simulate-research-query", []byte(`{"topic":"MCP"}`), mcpclient.AsTask(),
		mcpclient.WithProgress(func(mcp.ProgressNotificationParams) { cancel() }))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	for _, want := range []string{`"everything"`, `"simulate-research-query"`, "task ", "tasks/cancel sent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
