package responsestest_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func req(t *testing.T, body string) *responsestest.Request {
	t.Helper()
	r := &responsestest.Request{Raw: json.RawMessage(body)}
	require.NoError(t, json.Unmarshal(r.Raw, &r.Body))
	return r
}

const validBody = `{
  "model": "gpt-5-mini",
  "instructions": "be nice",
  "previous_response_id": "resp_1",
  "store": true,
  "temperature": 0.5,
  "metadata": {"k": "v"},
  "reasoning": {"effort": "low"},
  "tool_choice": "auto",
  "parallel_tool_calls": true,
  "include": ["reasoning.encrypted_content"],
  "input": [
    {"role": "user", "content": "hi"},
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "more"}]},
    {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "3"},
    {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "x"}]}
  ],
  "tools": [
    {"type": "function", "name": "add", "strict": false, "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}},
    {"type": "function", "name": "sub", "strict": true, "description": "d", "parameters": {"type": "object", "properties": {}, "required": [], "additionalProperties": false}}
  ]
}`

func TestValidateAcceptsAValidRequest(t *testing.T) {
	assert.NoError(t, responsestest.Validate(req(t, validBody)))
	assert.NoError(t, responsestest.Validate(req(t, `{"model":"gpt-4o","input":"hello"}`)))
}

func TestValidateCatches(t *testing.T) {
	cases := map[string]struct {
		body, want string
	}{
		"function_call_output without call_id": {
			`{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "without call_id"},
		"function_call_output with empty call_id": {
			`{"model":"m","input":[{"type":"function_call_output","call_id":"","output":"x"}]}`, "call_id"},
		"function tool without strict": {
			`{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}]}`, "strict"},
		"function tool with null strict": {
			`{"model":"m","input":"x","tools":[{"type":"function","name":"f","strict":null,"parameters":{"type":"object"}}]}`, "strict"},
		"parameters top level not object": {
			`{"model":"m","input":"x","tools":[{"type":"function","name":"f","strict":false,"parameters":{"anyOf":[{"type":"object"}]}}]}`, `top-level type must be "object"`},
		"parameters of type array": {
			`{"model":"m","input":"x","tools":[{"type":"function","name":"f","strict":false,"parameters":{"type":"array"}}]}`, "top-level type"},
		"bad function name": {
			`{"model":"m","input":"x","tools":[{"type":"function","name":"a.b","strict":false,"parameters":{"type":"object"}}]}`, "does not match"},
		"unknown input item type": {
			`{"model":"m","input":[{"type":"function_result","call_id":"c","output":"x"}]}`, "/input/0/type: value must be one of"},
		"unknown tool type": {
			`{"model":"m","input":"x","tools":[{"type":"functions","name":"f"}]}`, "/tools/0/type: value must be one of"},
		"output of wrong type": {
			`{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":42}]}`, "/input/0"},
		"temperature out of range": {
			`{"model":"m","input":"x","temperature":7}`, "maximum"},
		"input of wrong type": {
			`{"model":"m","input":42}`, "/input"},
		"metadata values must be strings": {
			`{"model":"m","input":"x","metadata":{"k":1}}`, "/metadata/k"},
		"message without content": {
			`{"model":"m","input":[{"type":"message","role":"user"}]}`, "content"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := responsestest.Validate(req(t, tc.body))
			require.Error(t, err)
			assert.ErrorIs(t, err, responsestest.ErrInvalidRequest)
			var ve *responsestest.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestValidateNilAndGarbage(t *testing.T) {
	assert.ErrorIs(t, responsestest.Validate(nil), responsestest.ErrInvalidRequest)
	assert.Error(t, responsestest.Validate(&responsestest.Request{Raw: json.RawMessage("nope")}))
}

func TestValidateUsesRawWhenBodyMissing(t *testing.T) {
	r := &responsestest.Request{Raw: json.RawMessage(`{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`)}
	assert.ErrorContains(t, responsestest.Validate(r), "call_id")
}
