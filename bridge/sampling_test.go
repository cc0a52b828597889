package bridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// samplingServer has a tool "ask" that asks the client's model for a
// completion and returns it (or the refusal).
func samplingServer() *server.MCPServer {
	srv := server.NewMCPServer("sampler", "1.0.0", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("ask"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		req := mcp.CreateMessageRequest{}
		req.Messages = []mcp.SamplingMessage{{Role: mcp.RoleUser, Content: mcp.NewTextContent("sample me")}}
		req.SystemPrompt = "sampling"
		req.MaxTokens = 100
		req.ModelPreferences = &mcp.ModelPreferences{Hints: []mcp.ModelHint{{Name: "small"}}}
		//lint:ignore SA1019 the legacy protocol the servers negotiate still has sampling; testing it is the point.
		res, err := srv.RequestSampling(ctx, req)
		if err != nil {
			return mcp.NewToolResultError("refused: " + err.Error()), nil
		}
		return mcp.NewToolResultText(res.Model + " said: " + res.Content.(mcp.TextContent).Text), nil
	})
	return srv
}

// samplingModel answers sampling requests (instructions "sampling") with
// a completion and anything else with a text.
func samplingModel(req *responsestest.Request) responsestest.Reply {
	if req.Instructions == "sampling" {
		r := responsestest.Text("completion")
		r.Usage = &responsestest.Usage{InputTokens: 60, OutputTokens: 40}
		return r
	}
	return responsestest.Text("plain")
}

func samplingRequests(s *responsestest.Server) []*responsestest.Request {
	var out []*responsestest.Request
	for _, r := range s.Requests() {
		if r.Instructions == "sampling" {
			out = append(out, r)
		}
	}
	return out
}

func TestSamplingThroughTheResponsesAPI(t *testing.T) {
	api, client := fakeAPI(t, samplingModel)
	var seen []string
	b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{
		API: &client.Responses, Model: "default-model", Models: []string{"big-model", "small-model"},
		Approve: func(_ context.Context, server string, req mcp.CreateMessageRequest) (bool, string) {
			seen = append(seen, server)
			return true, ""
		},
	}))
	out, err := b.Call(ctxT(t), "s__ask", "{}")
	require.NoError(t, err)
	assert.Equal(t, "small-model said: completion", out.Text, "the hint chose the allowed model")
	assert.Equal(t, []string{"s"}, seen)
	reqs := samplingRequests(api)
	require.Len(t, reqs, 1)
	assert.NoError(t, reqs[0].ValidationErr)
	assert.Empty(t, reqs[0].Tools, "no tools unless opted in")
	assert.Equal(t, false, reqs[0].Body["store"])
}

func TestSamplingApprovalRefuses(t *testing.T) {
	api, client := fakeAPI(t, samplingModel)
	b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{
		API: &client.Responses, Model: "m",
		Approve: func(context.Context, string, mcp.CreateMessageRequest) (bool, string) { return false, "not now" },
	}))
	out, err := b.Call(ctxT(t), "s__ask", "{}")
	require.NoError(t, err)
	assert.Contains(t, out.Text, "refused")
	assert.Contains(t, out.Text, "not now")
	assert.Empty(t, samplingRequests(api), "a refused request never reaches the model")
}

func TestSamplingLimits(t *testing.T) {
	t.Run("rate", func(t *testing.T) {
		api, client := fakeAPI(t, samplingModel)
		b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{
			API: &client.Responses, Model: "m", Rate: 2, Per: 24 * time.Hour,
		}))
		for i := range 3 {
			out, err := b.Call(ctxT(t), "s__ask", "{}")
			require.NoError(t, err)
			if i < 2 {
				assert.Contains(t, out.Text, "completion")
			} else {
				assert.Contains(t, out.Text, "sampling limit reached")
			}
		}
		assert.Len(t, samplingRequests(api), 2)
	})
	t.Run("tokens", func(t *testing.T) {
		api, client := fakeAPI(t, samplingModel)
		b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{
			API: &client.Responses, Model: "m", MaxTotalTokens: 150, MaxOutputTokens: 20,
		}))
		var texts []string
		for range 3 {
			out, err := b.Call(ctxT(t), "s__ask", "{}")
			require.NoError(t, err)
			texts = append(texts, out.Text)
		}
		assert.Contains(t, texts[0], "completion")
		assert.Contains(t, texts[1], "completion", "100 of 150 tokens spent: still allowed")
		assert.Contains(t, texts[2], "token budget of 150 spent")
		reqs := samplingRequests(api)
		require.Len(t, reqs, 2)
		assert.Equal(t, float64(20), reqs[0].Body["max_output_tokens"], "MaxOutputTokens caps the server's maxTokens")
	})
}

func TestSamplingWithToolsWhenOptedIn(t *testing.T) {
	api, client := fakeAPI(t, samplingModel)
	b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{
		API: &client.Responses, Model: "m", AllowTools: true,
	}))
	out, err := b.Call(ctxT(t), "s__ask", "{}")
	require.NoError(t, err)
	assert.Contains(t, out.Text, "completion")
	reqs := samplingRequests(api)
	require.Len(t, reqs, 1)
	require.Len(t, reqs[0].Tools, 1)
	assert.Equal(t, "s__ask", reqs[0].Tools[0]["name"])
}

func TestSamplingConfigErrors(t *testing.T) {
	_, err := New(ctxT(t), []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{Model: "m"}))
	assert.ErrorContains(t, err, "SamplingConfig.API")
	_, client := fakeAPI(t, samplingModel)
	_, err = New(ctxT(t), []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{API: &client.Responses}))
	assert.ErrorContains(t, err, "Model or ChooseModel")
}

// TestOneShotRunSamplesWithItsAPI: Run without SamplingConfig.API uses
// the api it was given.
func TestOneShotRunSamplesWithItsAPI(t *testing.T) {
	api, client := fakeAPI(t, func(req *responsestest.Request) responsestest.Reply {
		if req.Instructions == "sampling" {
			return responsestest.Text("completion")
		}
		if req.PreviousResponseID == "" {
			return responsestest.Calls(responsestest.FunctionCall{Name: "s__ask", CallID: "c"})
		}
		return responsestest.Text("done")
	})
	res, err := Run(ctxT(t), &client.Responses, params("go"), []Server{InProcess("s", samplingServer())},
		WithSampling(SamplingConfig{Model: "m"}))
	require.NoError(t, err)
	assert.Equal(t, "done", res.OutputText)
	require.Len(t, samplingRequests(api), 1)
	assert.True(t, strings.HasPrefix(res.Turns[0].Calls[0].Output.Text, "m said: completion"))
}

// TestNoSamplingWithoutTheOption: servers are not told the bridge samples.
func TestNoSamplingWithoutTheOption(t *testing.T) {
	b := newBridge(t, []Server{InProcess("s", samplingServer())})
	out, err := b.Call(ctxT(t), "s__ask", "{}")
	require.NoError(t, err)
	assert.Contains(t, out.Text, "refused")
}
