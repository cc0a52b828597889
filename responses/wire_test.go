package responses_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// TestStoreFalseResendsOutputNumbersExactly: with store:false the output
// items go back as input. Their numbers (annotation offsets, logprobs) must
// go back as the same JSON numbers, not strings and not rounded.
func TestStoreFalseResendsOutputNumbersExactly(t *testing.T) {
	message := map[string]any{
		"type": "message", "role": "assistant", "status": "completed",
		"content": []any{map[string]any{
			"type": "output_text", "text": "see https://example.com",
			"annotations": []any{map[string]any{
				"type": "url_citation", "url": "https://example.com", "title": "ex",
				"start_index": json.Number("9007199254740993"), "end_index": json.Number("9007199254740999"),
			}},
			"logprobs": []any{map[string]any{
				"token": "see", "bytes": []any{json.Number("115")},
				"logprob": json.Number("-0.12345678901234567"), "top_logprobs": []any{},
			}},
		}},
	}
	first := responsestest.Calls(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`})
	first.Output = append([]map[string]any{message}, first.Output...)
	s, api := newServer(t, responsestest.Script(first, responsestest.Text("done")))
	p := baseParams()
	p.Store = openai.Bool(false)
	p.Metadata = shared.Metadata{"trace": "12345678901234567890"}
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		return responses.Output{Text: `{"id":12345678901234567890}`}, nil
	})
	_, err := responses.Run(testCtx(t), api, p, responses.Static(exec), responses.Options{})
	require.NoError(t, err)

	reqs := s.Requests()
	require.Len(t, reqs, 2)
	raw := string(reqs[1].Raw)
	for _, want := range []string{`"start_index":9007199254740993`, `"end_index":9007199254740999`,
		`"logprob":-0.12345678901234567`, `"bytes":[115]`,
		`"metadata":{"trace":"12345678901234567890"}`, // metadata values are strings by the API's rule
		`"output":"{\"id\":12345678901234567890}"`} {
		assert.Contains(t, raw, want)
	}
	requireValid(t, s)
}
