package responsestest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func hostedModel() *responsestest.HostedModel {
	return &responsestest.HostedModel{
		Servers: []responsestest.HostedServer{{Label: "docs", Tools: []responsestest.HostedTool{
			{Name: "search", ReadOnly: true, Run: func(string) (string, error) { return "3 pages", nil }},
			{Name: "delete", Run: func(string) (string, error) { return "", errors.New("permission denied") }},
		}}},
		Calls: []responsestest.MCPCall{{Server: "docs", Name: "search", Arguments: `{"q":"go"}`}, {Server: "docs", Name: "delete"}},
	}
}

const mcpTool = `{"type":"mcp","server_label":"docs","server_url":"https://docs.example/mcp","require_approval":{"never":{"read_only":true}}}`

// post sends a raw request body and decodes the JSON answer.
func post(t *testing.T, s *responsestest.Server, body string) (int, map[string]any) {
	t.Helper()
	resp, err := s.Server.Client().Post(s.URL+"/v1/responses", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func types(out map[string]any) []string {
	var ts []string
	for _, it := range out["output"].([]any) {
		ts = append(ts, it.(map[string]any)["type"].(string))
	}
	return ts
}

// The fake plays the hosted mcp tool as the API does: list, run what needs
// no approval, ask for the rest, run it once approved, and refuse an
// approval that answers nothing pending.
func TestHostedModelPlaysApprovals(t *testing.T) {
	s, _ := start(t, hostedModel().Handler())
	code, first := post(t, s, `{"model":"m","input":"hi","tools":[`+mcpTool+`]}`)
	require.Equal(t, http.StatusOK, code, first)
	assert.Equal(t, []string{"mcp_list_tools", "mcp_call", "mcp_approval_request"}, types(first))
	out := first["output"].([]any)
	list := out[0].(map[string]any)
	assert.Len(t, list["tools"], 2)
	call := out[1].(map[string]any)
	assert.Equal(t, "3 pages", call["output"])
	req := out[2].(map[string]any)
	assert.Equal(t, "delete", req["name"])
	reqID := req["id"].(string)

	// An answer to a request that is not pending is refused, as the API does.
	code, bad := post(t, s, `{"model":"m","previous_response_id":"`+first["id"].(string)+`","tools":[`+mcpTool+`],
		"input":[{"type":"mcp_approval_response","approval_request_id":"mcpr_nope","approve":true}]}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, bad["error"].(map[string]any)["message"], "mcpr_nope")
	code, bad = post(t, s, `{"model":"m","tools":[`+mcpTool+`],
		"input":[{"type":"mcp_approval_response","approval_request_id":"`+reqID+`","approve":true}]}`)
	assert.Equal(t, http.StatusBadRequest, code, "an unchained answer needs its request in the input")
	assert.Contains(t, bad["error"].(map[string]any)["message"], "answers no mcp_approval_request")

	code, second := post(t, s, `{"model":"m","previous_response_id":"`+first["id"].(string)+`","tools":[`+mcpTool+`],
		"input":[{"type":"mcp_approval_response","approval_request_id":"`+reqID+`","approve":true}]}`)
	require.Equal(t, http.StatusOK, code, second)
	assert.Equal(t, []string{"mcp_call", "message"}, types(second))
	ran := second["output"].([]any)[0].(map[string]any)
	assert.Equal(t, reqID, ran["approval_request_id"])
	assert.Equal(t, "failed", ran["status"])

	// Answering the same request twice is refused too.
	code, _ = post(t, s, `{"model":"m","previous_response_id":"`+second["id"].(string)+`","tools":[`+mcpTool+`],
		"input":[{"type":"mcp_approval_response","approval_request_id":"`+reqID+`","approve":true}]}`)
	assert.Equal(t, http.StatusBadRequest, code)
	for _, r := range s.Requests() {
		if r.ValidationErr == nil {
			assert.NoError(t, responsestest.Validate(r))
		}
	}
}

func TestHostedRules(t *testing.T) {
	err := responsestest.ValidateRequestJSON([]byte(`{"model":"m","input":"hi","tools":[` + mcpTool + `,` + mcpTool + `,{"type":"mcp","server_label":"x"}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `server_label "docs" is also the label of /tools/0`)
	assert.Contains(t, err.Error(), "exactly one of server_url")
	// The document's stray required request_id is not the API's rule.
	require.NoError(t, responsestest.ValidateRequestJSON([]byte(`{"model":"m","tools":[`+mcpTool+`],"input":[
		{"type":"mcp_approval_request","id":"mcpr_1","server_label":"docs","name":"delete","arguments":"{}"},
		{"type":"mcp_approval_response","approval_request_id":"mcpr_1","approve":false,"reason":"no"}]}`)))
}

func TestHostedStreamEventsMatchSchema(t *testing.T) {
	sch := streamSchema(t)
	s, _ := start(t, hostedModel().Handler())
	_, events := readStream(t, s, `{"model":"m","input":"hi","stream":true,"tools":[`+mcpTool+`]}`)
	got := checkEvents(t, sch, events)
	assert.Subset(t, got, []string{
		"response.mcp_list_tools.in_progress", "response.mcp_list_tools.completed",
		"response.mcp_call_arguments.delta", "response.mcp_call_arguments.done",
		"response.mcp_call.in_progress", "response.mcp_call.completed",
	})
}
