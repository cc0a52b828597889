package responses_test

import (
	"testing"

	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// The API refuses a whole request whose tools repeat a name or carry two
// tool_search tools. When the caller's params.Tools and the tool source
// clash, the run says so, naming the tool, before any request is sent.
func TestRunRefusesToolsGivenTwice(t *testing.T) {
	search := oai.ToolUnionParam{OfToolSearch: &oai.ToolSearchToolParam{}}
	namespace := func(name string) oai.ToolUnionParam {
		return oai.ToolUnionParam{OfNamespace: &oai.NamespaceToolParam{Name: name, Description: "d",
			Tools: []oai.NamespaceToolToolUnionParam{{OfFunction: &oai.NamespaceToolToolFunctionParam{Name: "f"}}}}}
	}
	cases := []struct {
		name         string
		mine, source []oai.ToolUnionParam
		want         string
	}{
		{"function", []oai.ToolUnionParam{weatherTool()}, []oai.ToolUnionParam{weatherTool()}, `"get_weather"`},
		{"namespace", []oai.ToolUnionParam{namespace("crm")}, []oai.ToolUnionParam{namespace("crm")}, `"crm"`},
		{"function and namespace", []oai.ToolUnionParam{weatherTool()}, []oai.ToolUnionParam{namespace("get_weather")}, `"get_weather"`},
		{"tool_search", []oai.ToolUnionParam{search}, []oai.ToolUnionParam{search}, "tool_search"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, api := newServer(t, responsestest.Script(responsestest.Text("never")))
			params := baseParams()
			params.Tools = tc.mine
			_, err := responses.Run(testCtx(t), api, params, responses.Static(echoExec, tc.source...), responses.Options{})
			require.ErrorIs(t, err, responses.ErrToolConflict)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, s.Requests(), "nothing was sent")
		})
	}

	t.Run("distinct tools pass", func(t *testing.T) {
		s, api := newServer(t, responsestest.Script(responsestest.Text("ok")))
		other := oai.ToolParamOfFunction("get_time", map[string]any{"type": "object", "properties": map[string]any{}, "required": []any{}, "additionalProperties": false}, true)
		_, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(echoExec, other), responses.Options{})
		require.NoError(t, err)
		assert.Len(t, s.Requests(), 1)
	})
}
