package bridge

import (
	"context"
	"errors"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// blockingServer has a tool "fast" that answers at once and a tool "slow"
// that signals started and then waits for release (or its context).
func blockingServer(started chan<- struct{}, release <-chan struct{}) *server.MCPServer {
	srv := server.NewMCPServer("blocking", "1.0.0")
	srv.AddTool(mcp.NewTool("fast"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("fast done"), nil
	})
	srv.AddTool(mcp.NewTool("slow"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		started <- struct{}{}
		select {
		case <-ctx.Done():
		case <-release:
		}
		return mcp.NewToolResultText("slow done"), nil
	})
	return srv
}

// Close with a run in flight: the run ends with ErrClosed instead of going
// on calling the API, and keeps what it has for Resume.
func TestCloseEndsRunsInFlight(t *testing.T) {
	t.Run("during tool calls", func(t *testing.T) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		t.Cleanup(func() { close(release) })
		api, client := fakeAPI(t, responsestest.Script(
			responsestest.Calls(responsestest.FunctionCall{Name: "s__fast", CallID: "c_fast"}, responsestest.FunctionCall{Name: "s__slow", CallID: "c_slow"}),
			responsestest.Text("the run went on after Close"),
		))
		b, err := New(ctxT(t), []Server{InProcess("s", blockingServer(started, release))}, withMaxConcurrency(1))
		require.NoError(t, err)
		done := make(chan struct{})
		var res *Result
		go func() {
			defer close(done)
			res, err = b.Run(ctxT(t), &client.Responses, params("go"))
		}()
		<-started
		require.NoError(t, b.Close())
		<-done
		require.ErrorIs(t, err, ErrClosed)
		assert.Equal(t, 1, api.Count(), "no request after Close")
		require.NotNil(t, res)
		require.Len(t, res.Pending, 2, "outputs kept for Resume")
		assert.Equal(t, "fast done", res.Pending[0].Output.Text)
		assert.True(t, errors.Is(res.Pending[1].Err, context.Canceled),
			"the interrupted call is rerun by Resume: %v", res.Pending[1].Err)
		assert.NotEmpty(t, res.ResumePoint().PreviousResponseID)
	})
	t.Run("during the API request", func(t *testing.T) {
		inRequest := make(chan struct{}, 1)
		api, client := fakeAPI(t, func(req *responsestest.Request) responsestest.Reply {
			inRequest <- struct{}{}
			<-req.Context().Done()
			return responsestest.Text("too late")
		})
		b, err := New(ctxT(t), []Server{InProcess("s", blockingServer(make(chan struct{}, 1), nil))})
		require.NoError(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = b.Run(ctxT(t), &client.Responses, params("go"))
		}()
		<-inRequest
		require.NoError(t, b.Close())
		<-done
		require.ErrorIs(t, err, ErrClosed)
		assert.Equal(t, 1, api.Count())
	})
}
