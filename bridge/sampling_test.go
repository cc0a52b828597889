package bridge

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

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
			API: &client.Responses, Model: "m", Rate: 2,
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
			API: &client.Responses, Model: "m", MaxTotalTokens: 250, MaxOutputTokens: 20,
		}))
		var texts []string
		for range 3 {
			out, err := b.Call(ctxT(t), "s__ask", "{}")
			require.NoError(t, err)
			texts = append(texts, out.Text)
		}
		assert.Contains(t, texts[0], "completion")
		assert.Contains(t, texts[1], "completion", "100 of 250 tokens spent, and the request may take 144: still allowed")
		assert.Contains(t, texts[2], "token budget of 250 spent", "200 spent: 144 more could pass the budget")
		reqs := samplingRequests(api)
		require.Len(t, reqs, 2)
		assert.Equal(t, float64(20), reqs[0].Body["max_output_tokens"], "MaxOutputTokens caps the server's maxTokens")
	})
}

func TestSamplingWithToolsWhenOptedIn(t *testing.T) {
	api, client := fakeAPI(t, samplingModel)
	b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithSampling(SamplingConfig{
		API: &client.Responses, Model: "m", ToolTurns: 4,
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
	assert.ErrorContains(t, err, "needs a Model")
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

// TestSamplingBudgetIsAHardCap: 20 sampling requests at once against a
// budget of 1,000 tokens, each costing 100: the requests the API sees may
// cost 1,000 at most. The model holds every request it gets until all 20
// are either with it or refused, so they are all in flight together
// (before reservations, 20 went through and spent 2,000).
func TestSamplingBudgetIsAHardCap(t *testing.T) {
	const n = 20
	var mu sync.Mutex
	arrived, refused := 0, 0
	all := make(chan struct{})
	check := func() {
		if arrived+refused == n {
			close(all)
		}
	}
	api, client := fakeAPI(t, func(req *responsestest.Request) responsestest.Reply {
		if req.Instructions == "sampling" {
			mu.Lock()
			arrived++
			check()
			mu.Unlock()
			<-all
		}
		return samplingModel(req)
	})
	b := newBridge(t, []Server{InProcess("s", samplingServer())}, WithServerConcurrency(n), WithSampling(SamplingConfig{
		API: &client.Responses, Model: "m", MaxTotalTokens: 1000, Rate: 1000,
	}))
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := b.Call(ctxT(t), "s__ask", "{}")
			assert.NoError(t, err)
			if strings.Contains(out.Text, "refused") {
				assert.Contains(t, out.Text, "token budget of 1000")
				mu.Lock()
				refused++
				check()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got := len(samplingRequests(api))
	assert.LessOrEqual(t, got*100, 1000, "%d requests of 100 tokens reached the API", got)
	assert.Positive(t, got)
}

// TestSamplingInputIsBounded: a request whose input passes the bound is
// refused with a clear error to the server and never reaches the API.
func TestSamplingInputIsBounded(t *testing.T) {
	srv := server.NewMCPServer("big", "1.0.0", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("ask"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		req := mcp.CreateMessageRequest{}
		req.Messages = []mcp.SamplingMessage{
			{Role: mcp.RoleUser, Content: mcp.NewTextContent(strings.Repeat("a", 600<<10))},
			{Role: mcp.RoleUser, Content: mcp.NewImageContent(strings.Repeat("QUFB", 150<<10), "image/png")},
		}
		req.MaxTokens = 10
		//lint:ignore SA1019 the legacy protocol the servers negotiate still has sampling; testing it is the point.
		if _, err := srv.RequestSampling(ctx, req); err != nil {
			return mcp.NewToolResultError("refused: " + err.Error()), nil
		}
		return mcp.NewToolResultText("sampled"), nil
	})
	api, client := fakeAPI(t, samplingModel)
	b := newBridge(t, []Server{InProcess("s", srv)}, WithSampling(SamplingConfig{API: &client.Responses, Model: "m"}))
	out, err := b.Call(ctxT(t), "s__ask", "{}")
	require.NoError(t, err)
	assert.Contains(t, out.Text, "over the limit of 1048576")
	assert.Empty(t, api.Requests(), "nothing went to the API")
}

// TestSampledToolCallsPassTheRunsApproval: with ToolTurns, the tools the
// sampled model calls go through the approval policy of the run whose
// call the sampling request serves (they ran unchecked).
func TestSampledToolCallsPassTheRunsApproval(t *testing.T) {
	srv := samplingServer()
	var dangerous atomic.Int64
	srv.AddTool(mcp.NewTool("wipe"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		dangerous.Add(1)
		return mcp.NewToolResultText("wiped"), nil
	})
	_, client := fakeAPI(t, func(req *responsestest.Request) responsestest.Reply {
		outs := req.Outputs()
		switch {
		case req.Instructions == "sampling" && len(outs) == 0:
			return responsestest.Calls(responsestest.FunctionCall{Name: "s__wipe", CallID: "w"})
		case req.Instructions == "sampling":
			return responsestest.Text("sampled: " + outs[0].Output)
		case len(outs) == 0:
			return responsestest.Calls(responsestest.FunctionCall{Name: "s__ask", CallID: "a"})
		}
		return responsestest.Text("done: " + outs[0].Output)
	})
	b := newBridge(t, []Server{InProcess("s", srv)}, WithSampling(SamplingConfig{API: &client.Responses, Model: "m", ToolTurns: 4}))
	var asked []string
	res, err := b.Run(ctxT(t), &client.Responses, params("go"), WithApproval(func(_ context.Context, c Call) (bool, string) {
		asked = append(asked, c.Name)
		return c.Name != "s__wipe", "wiping needs a person"
	}))
	require.NoError(t, err)
	assert.Zero(t, dangerous.Load(), "the sampled model's call was denied")
	assert.Equal(t, []string{"s__ask", "s__wipe"}, asked)
	assert.Contains(t, res.OutputText, "wiping needs a person")
}
