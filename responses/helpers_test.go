package responses_test

import (
	"context"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"
	"go.uber.org/goleak"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newServer starts a validating fake API and returns it with an API client.
func newServer(t testing.TB, h responsestest.Handler, opts ...option.RequestOption) (*responsestest.Server, responses.API) {
	t.Helper()
	s := responsestest.New(h)
	s.SetValidation(true)
	t.Cleanup(s.Close)
	c := s.Client(opts...)
	return s, &c.Responses
}

// requireValid checks every recorded request against the request schema.
func requireValid(t *testing.T, s *responsestest.Server) {
	t.Helper()
	for _, r := range s.Requests() {
		if err := responsestest.Validate(r); err != nil {
			t.Errorf("request %d: %v\n%s", r.Index, err, r.Raw)
		}
	}
}

func testCtx(t *testing.T) context.Context {
	// A generous safety net so a broken test fails instead of hanging; no
	// assertion depends on it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func weatherTool() oai.ToolUnionParam {
	return oai.ToolParamOfFunction("get_weather", map[string]any{
		"type":                 "object",
		"properties":           map[string]any{"city": map[string]any{"type": "string"}},
		"required":             []any{"city"},
		"additionalProperties": false,
	}, true)
}

func baseParams() oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model:        "gpt-test",
		Instructions: openai.String("Be brief."),
		Input:        oai.ResponseNewParamsInputUnion{OfString: openai.String("What is the weather in Paris?")},
		Tools:        []oai.ToolUnionParam{weatherTool()},
	}
}

// echoExec answers every call with "<name>:<arguments>".
var echoExec = responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
	return responses.Output{Text: c.Name + ":" + c.Arguments}, nil
})
