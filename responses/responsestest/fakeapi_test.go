package responsestest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, h responsestest.Handler) (*responsestest.Server, openai.Client) {
	t.Helper()
	s := responsestest.New(h)
	t.Cleanup(s.Close)
	return s, s.Client()
}

func params(input string) oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model:        "gpt-test",
		Instructions: openai.String("sys"),
		Input:        oai.ResponseNewParamsInputUnion{OfString: openai.String(input)},
		Tools: []oai.ToolUnionParam{oai.ToolParamOfFunction("add", map[string]any{
			"type": "object", "properties": map[string]any{"a": map[string]any{"type": "number"}},
		}, false)},
	}
}

func TestRepliesDecodeInOpenAIGo(t *testing.T) {
	s, c := start(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "add", Arguments: `{"a":1}`, CallID: "call_x"},
			responsestest.FunctionCall{Name: "add"},
		).WithReasoning("hmm").WithText("calling").WithUsage(responsestest.Usage{InputTokens: 3, OutputTokens: 4, CachedTokens: 1, ReasoningTokens: 2}),
	))
	resp, err := c.Responses.New(context.Background(), params("hi"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(resp.ID, "resp_"))
	assert.Equal(t, oai.ResponseStatusCompleted, resp.Status)
	assert.Equal(t, "gpt-test", resp.Model)
	require.Len(t, resp.Output, 4)
	assert.Equal(t, "reasoning", resp.Output[0].Type)
	fc := resp.Output[1].AsFunctionCall()
	assert.Equal(t, "call_x", fc.CallID)
	assert.Equal(t, "add", fc.Name)
	assert.Equal(t, `{"a":1}`, fc.Arguments)
	assert.Equal(t, oai.ResponseFunctionToolCallStatusCompleted, fc.Status)
	assert.True(t, strings.HasPrefix(fc.ID, "fc_"))
	gen := resp.Output[2].AsFunctionCall()
	assert.True(t, strings.HasPrefix(gen.CallID, "call_"), "call ids are generated")
	assert.Equal(t, "{}", gen.Arguments)
	assert.Equal(t, "calling", resp.OutputText())
	assert.Equal(t, int64(7), resp.Usage.TotalTokens)
	assert.Equal(t, int64(1), resp.Usage.InputTokensDetails.CachedTokens)
	assert.Equal(t, int64(2), resp.Usage.OutputTokensDetails.ReasoningTokens)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "gpt-test", r.Model)
	assert.Equal(t, "sys", r.Instructions)
	assert.Equal(t, "hi", r.InputText)
	assert.Equal(t, "hi", r.Prompt())
	require.Len(t, r.Tools, 1)
	assert.Equal(t, false, r.Tools[0]["strict"])
	assert.Equal(t, "[redacted]", r.Header.Get("Authorization"))
	assert.True(t, json.Valid(r.Raw))
	assert.Equal(t, 1, s.Count())
	assert.NoError(t, responsestest.Validate(r))
}

func TestFailedIncompleteAndErrors(t *testing.T) {
	_, c := start(t, responsestest.Script(
		responsestest.Failed("server_error", "boom"),
		responsestest.Incomplete("max_output_tokens"),
		responsestest.APIError(400, "invalid_value", "bad tool"),
		responsestest.HTTPError(502, "<html>bad gateway</html>"),
		responsestest.Malformed(),
	))
	ctx := context.Background()
	resp, err := c.Responses.New(ctx, params("x"))
	require.NoError(t, err)
	assert.Equal(t, oai.ResponseStatusFailed, resp.Status)
	assert.Equal(t, oai.ResponseErrorCode("server_error"), resp.Error.Code)
	assert.Equal(t, "boom", resp.Error.Message)

	resp, err = c.Responses.New(ctx, params("x"))
	require.NoError(t, err)
	assert.Equal(t, oai.ResponseStatusIncomplete, resp.Status)
	assert.Equal(t, "max_output_tokens", resp.IncompleteDetails.Reason)

	_, err = c.Responses.New(ctx, params("x"))
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "invalid_value", apiErr.Code)
	assert.Equal(t, "bad tool", apiErr.Message)

	_, err = c.Responses.New(ctx, params("x"))
	require.Error(t, err)

	_, err = c.Responses.New(ctx, params("x"))
	require.Error(t, err)
}

func TestScriptExhaustedIsNotRetried(t *testing.T) {
	s, c := start(t, responsestest.Script())
	_, err := c.Responses.New(context.Background(), params("x"), option.WithMaxRetries(3))
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "script_exhausted", apiErr.Code)
	assert.Equal(t, 1, s.Count())
}

func TestRetryAfterLetsSDKRetry(t *testing.T) {
	s, c := start(t, responsestest.Script(responsestest.APIError(429, "rate_limit_exceeded", "slow"), responsestest.Text("ok")))
	resp, err := c.Responses.New(context.Background(), params("x"), option.WithMaxRetries(1))
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.OutputText())
	assert.Equal(t, 2, s.Count())
}

func TestValidationModeRejectsInvalidRequests(t *testing.T) {
	s, c := start(t, responsestest.Echo())
	s.SetValidation(true)
	p := params("x")
	p.Tools = []oai.ToolUnionParam{{OfFunction: &oai.FunctionToolParam{Name: "no_strict", Parameters: map[string]any{"type": "object"}}}}
	_, err := c.Responses.New(context.Background(), p)
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "strict")
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.ErrorIs(t, reqs[0].ValidationErr, responsestest.ErrInvalidRequest)

	resp, err := c.Responses.New(context.Background(), params("hello"))
	require.NoError(t, err)
	assert.Equal(t, "echo: hello", resp.OutputText())
}

func TestUnknownPathIs404(t *testing.T) {
	s, _ := start(t, responsestest.Echo())
	res, err := s.Server.Client().Get(s.URL + "/v1/models")
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestRecordingOff(t *testing.T) {
	s, c := start(t, responsestest.Echo())
	s.SetRecording(false)
	_, err := c.Responses.New(context.Background(), params("x"))
	require.NoError(t, err)
	assert.Empty(t, s.Requests())
	assert.Equal(t, 1, s.Count())
}

// conversation plays one tool round trip against a Model by hand.
func conversation(t *testing.T, c openai.Client, prompt string) string {
	ctx := context.Background()
	resp, err := c.Responses.New(ctx, params(prompt))
	if err != nil {
		return err.Error()
	}
	var outs oai.ResponseInputParam
	for _, it := range resp.Output {
		if it.Type != "function_call" {
			continue
		}
		out := oai.ResponseInputItemParamOfFunctionCallOutput(prompt + "/" + it.Name)
		out.OfFunctionCallOutput.CallID = openai.String(it.CallID)
		outs = append(outs, out)
	}
	p := params("")
	p.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: outs}
	p.PreviousResponseID = openai.String(resp.ID)
	resp, err = c.Responses.New(ctx, p)
	if err != nil {
		return err.Error()
	}
	return resp.OutputText()
}

func TestModelKeepsConcurrentConversationsApart(t *testing.T) {
	m := &responsestest.Model{
		Plan: func(prompt string) []responsestest.FunctionCall {
			return []responsestest.FunctionCall{{Name: "lookup", Arguments: fmt.Sprintf(`{"q":%q}`, prompt)}}
		},
	}
	_, c := start(t, m.Handler())
	const n = 40
	var wg sync.WaitGroup
	got := make([]string, n)
	for i := range n {
		wg.Go(func() { got[i] = conversation(t, c, fmt.Sprintf("p%d", i)) })
	}
	wg.Wait()
	for i := range n {
		assert.Equal(t, fmt.Sprintf(`Tool results: lookup({"q":"p%d"}) -> p%d/lookup`, i, i), got[i])
	}
}

func TestModelAnswerAndRounds(t *testing.T) {
	m := &responsestest.Model{
		Calls:  []responsestest.FunctionCall{{Name: "a"}, {Name: "b", Arguments: `{"x":1}`}},
		Rounds: 2,
		Answer: func(prompt string, results []responsestest.ToolResult) string {
			return fmt.Sprintf("%s: %d results, last %s=%s", prompt, len(results), results[1].Name, results[1].Output)
		},
	}
	_, c := start(t, m.Handler())
	ctx := context.Background()
	resp, err := c.Responses.New(ctx, params("q"))
	require.NoError(t, err)
	for round := 1; ; round++ {
		var outs oai.ResponseInputParam
		for _, it := range resp.Output {
			if it.Type == "function_call" {
				o := oai.ResponseInputItemParamOfFunctionCallOutput(fmt.Sprintf("r%d", round))
				o.OfFunctionCallOutput.CallID = openai.String(it.CallID)
				outs = append(outs, o)
			}
		}
		if len(outs) == 0 {
			require.Equal(t, 3, round, "two tool rounds, then the answer")
			break
		}
		require.Len(t, outs, 2)
		p := params("")
		p.Input = oai.ResponseNewParamsInputUnion{OfInputItemList: outs}
		p.PreviousResponseID = openai.String(resp.ID)
		resp, err = c.Responses.New(ctx, p)
		require.NoError(t, err)
	}
	assert.Equal(t, "q: 2 results, last b=r2", resp.OutputText())
}

func TestEchoAndNoToolsModel(t *testing.T) {
	_, c := start(t, (&responsestest.Model{}).Handler())
	resp, err := c.Responses.New(context.Background(), params("anything"))
	require.NoError(t, err)
	assert.Contains(t, resp.OutputText(), "anything")
}

func TestHandlerSeesRequestContext(t *testing.T) {
	entered := make(chan struct{})
	_, c := start(t, func(r *responsestest.Request) responsestest.Reply {
		close(entered)
		<-r.Context().Done()
		return responsestest.Text("late")
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	_, err := c.Responses.New(ctx, params("x"))
	assert.True(t, errors.Is(err, context.Canceled))
}
