package mcpclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// An mcp-go v1.6.0 server's task tool, in process: listed with its task
// support, called as a task (the handler runs in the background and its
// result is fetched with tasks/result), its statuses reported as progress;
// a call that times out cancels the task, which ends the handler.
func TestInProcessTaskTool(t *testing.T) {
	stopped := make(chan struct{})
	srv := server.NewMCPServer("jobs", "1.0.0", server.WithToolCapabilities(true), server.WithTaskCapabilities(true, true, true))
	srv.AddTaskTool(mcp.NewTool("quick", mcp.WithTaskSupport(mcp.TaskSupportRequired)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
			return &mcp.CreateTaskResult{}, nil
		})
	srv.AddTaskTool(mcp.NewTool("stuck", mcp.WithTaskSupport(mcp.TaskSupportRequired)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CreateTaskResult, error) {
			<-ctx.Done()
			close(stopped)
			return nil, ctx.Err()
		})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// 2025-11-25 tasks (tasks/result), which 2026-07-28 removed.
	c, err := mcpclient.Connect(ctx, mcpclient.Config{Name: "jobs", Transport: &mcpclient.InProcess{Server: srv},
		ProtocolVersion: mcp.LATEST_LEGACY_PROTOCOL_VERSION})
	require.NoError(t, err)
	defer c.Close()

	tools, err := c.ListTools(ctx)
	require.NoError(t, err)
	require.Len(t, tools, 2)
	for _, tool := range tools {
		assert.Equal(t, mcp.TaskSupportRequired, tool.TaskSupport, tool.Name)
	}

	var progress []string
	res, err := c.CallTool(ctx, "quick", nil, mcpclient.AsTask(),
		mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) { progress = append(progress, p.Message) }))
	require.NoError(t, err)
	assert.False(t, res.IsError)
	require.NotEmpty(t, progress)
	assert.Equal(t, "task completed", progress[len(progress)-1])

	callCtx, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	_, err = c.CallTool(callCtx, "stuck", nil, mcpclient.AsTask())
	require.True(t, errors.Is(err, context.DeadlineExceeded), "err = %v", err)
	var ce *mcpclient.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "stuck", ce.Tool)
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("tasks/cancel did not stop the task's handler")
	}
}
