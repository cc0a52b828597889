package responsestest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func fnTool(name string, strict bool, params string) string {
	return fmt.Sprintf(`{"type":"function","name":%q,"strict":%v,"parameters":%s}`, name, strict, params)
}

func body(tools ...string) string {
	return `{"model":"m","input":"x","tools":[` + strings.Join(tools, ",") + `]}`
}

const strictOK = `{"type":"object","properties":{"a":{"type":["string","null"],"format":"date"},"n":{"type":"integer","minimum":0},"o":{"$ref":"#/$defs/o"}},"required":["a","n","o"],"additionalProperties":false,"$defs":{"o":{"type":"object","properties":{"k":{"type":"string","enum":["x","y"]}},"required":["k"],"additionalProperties":false}}}`

func bigEnum(n, size int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("%q", fmt.Sprintf("%0*d", size, i))
	}
	return `{"type":"object","properties":{"e":{"type":"string","enum":[` + strings.Join(vals, ",") + `]}},"required":["e"],"additionalProperties":false}`
}

func manyProps(n int) string {
	var props, req []string
	for i := 0; i < n; i++ {
		props = append(props, fmt.Sprintf(`"p%d":{"type":"string"}`, i))
		req = append(req, fmt.Sprintf(`"p%d"`, i))
	}
	return `{"type":"object","properties":{` + strings.Join(props, ",") + `},"required":[` + strings.Join(req, ",") + `],"additionalProperties":false}`
}

func deepStrict(levels int) string {
	s := `{"type":"string"}`
	for i := 0; i < levels; i++ {
		s = `{"type":"object","properties":{"x":` + s + `},"required":["x"],"additionalProperties":false}`
	}
	return s
}

func TestValidateRequestJSONAcceptsGoodTools(t *testing.T) {
	require.NoError(t, responsestest.ValidateRequestJSON([]byte(body(
		fnTool("plain", false, `{"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":12345678901234567890}}}`),
		fnTool("strict_one", true, strictOK),
		fnTool("recursive", true, `{"type":"object","properties":{"c":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["c"],"additionalProperties":false}`),
		fnTool("deep_ok", true, deepStrict(10)),
	))))
}

// TestValidateRequestJSONRejects proves the fake rejects each kind of bad
// request the API rejects, naming the place.
func TestValidateRequestJSONRejects(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"number as string":         {body(fnTool("f", false, `{"type":"object","properties":{"ms":{"type":"integer","minimum":"0"}}}`)), "/tools/0/parameters: not a valid JSON Schema"},
		"count as string":          {body(fnTool("f", false, `{"type":"object","properties":{"a":{"type":"array","minItems":"1"}}}`)), "not a valid JSON Schema"},
		"unknown type name":        {body(fnTool("f", false, `{"type":"object","properties":{"a":{"type":"int"}}}`)), "not a valid JSON Schema"},
		"top-level anyOf":          {body(fnTool("f", false, `{"type":"object","anyOf":[{"type":"object"}]}`)), "/tools/0/parameters/anyOf: anyOf is not allowed"},
		"top-level oneOf":          {body(fnTool("f", false, `{"type":"object","oneOf":[{"type":"object"}]}`)), "/tools/0/parameters/oneOf"},
		"top-level allOf":          {body(fnTool("f", false, `{"type":"object","allOf":[{"type":"object"}]}`)), "/tools/0/parameters/allOf"},
		"top-level enum":           {body(fnTool("f", false, `{"type":"object","enum":[{}]}`)), "/tools/0/parameters/enum"},
		"top-level not":            {body(fnTool("f", false, `{"type":"object","not":{"required":["a"]}}`)), "/tools/0/parameters/not"},
		"top-level type missing":   {body(fnTool("f", false, `{"properties":{}}`)), `top-level type must be "object"`},
		"name too long":            {body(fnTool(strings.Repeat("n", 65), false, `{"type":"object"}`)), "/tools/0/name"},
		"name with a dot":          {body(fnTool("a.b", false, `{"type":"object"}`)), "does not match"},
		"duplicate names":          {body(fnTool("f", false, `{"type":"object"}`), fnTool("f", false, `{"type":"object"}`)), `/tools/1/name: "f" is also the name of /tools/0`},
		"call_id too long":         {`{"model":"m","input":[{"type":"function_call_output","call_id":"` + strings.Repeat("c", 65) + `","output":"x"}]}`, "/input/0/call_id: call_id of 65 characters"},
		"function_call no call_id": {`{"model":"m","input":[{"type":"function_call","call_id":"","name":"f","arguments":"{}"}]}`, "/input/0/call_id"},
		"strict optional property": {body(fnTool("f", true, `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`)), `property "a" is not listed in required`},
		"strict open object":       {body(fnTool("f", true, `{"type":"object","properties":{"a":{"type":"object","properties":{},"required":[]}},"required":["a"],"additionalProperties":false}`)), `/tools/0/parameters/properties/a: object without "additionalProperties": false`},
		"strict keyword":           {body(fnTool("f", true, `{"type":"object","properties":{"a":{"type":"string","minLength":1}},"required":["a"],"additionalProperties":false}`)), `keyword "minLength" is not supported`},
		"strict allOf":             {body(fnTool("f", true, `{"type":"object","properties":{"a":{"allOf":[{"type":"string"}]}},"required":["a"],"additionalProperties":false}`)), `keyword "allOf"`},
		"strict format":            {body(fnTool("f", true, `{"type":"object","properties":{"a":{"type":"string","format":"uri"}},"required":["a"],"additionalProperties":false}`)), `format "uri"`},
		"strict dangling ref":      {body(fnTool("f", true, `{"type":"object","properties":{"a":{"$ref":"#/$defs/nope"}},"required":["a"],"additionalProperties":false}`)), `reference "#/$defs/nope" does not resolve`},
		"strict too deep":          {body(fnTool("f", true, deepStrict(11))), "more than 10"},
		"strict too many props":    {body(fnTool("f", true, manyProps(5001))), "5001 object properties"},
		"strict too many enums":    {body(fnTool("f", true, bigEnum(1001, 1))), "1001 enum values"},
		"strict big enum chars":    {body(fnTool("f", true, bigEnum(251, 60))), "enum of 251 strings"},
		"strict string size":       {body(fnTool("f", true, `{"type":"object","properties":{"a":{"type":"string","enum":["`+strings.Repeat("x", 120001)+`"]}},"required":["a"],"additionalProperties":false}`)), "more than 120000"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := responsestest.ValidateRequestJSON([]byte(tc.body))
			require.Error(t, err)
			assert.ErrorIs(t, err, responsestest.ErrInvalidRequest)
			var ve *responsestest.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, strings.Join(ve.Problems, "\n"), tc.want)
		})
	}
}

func TestValidateRequestJSONListsEveryProblemBounded(t *testing.T) {
	var tools []string
	for i := 0; i < 80; i++ {
		tools = append(tools, fnTool("bad.name", false, `{"type":"object"}`))
	}
	err := responsestest.ValidateRequestJSON([]byte(body(tools...)))
	var ve *responsestest.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Problems, responsestest.MaxProblems)
	assert.Positive(t, ve.More)
	assert.Less(t, len(err.Error()), 4000, "the message stays short")

	require.Error(t, responsestest.ValidateRequestJSON([]byte(`[1]`)))
	require.Error(t, responsestest.ValidateRequestJSON([]byte(`{"model":`)))
}

// TestServerAnswersA400LikeTheAPI posts a tool with "minimum":"0" over HTTP
// and checks the API's error shape.
func TestServerAnswersA400LikeTheAPI(t *testing.T) {
	s := responsestest.New(responsestest.Echo())
	defer s.Close()
	s.SetValidation(true)
	b := body(fnTool("f", false, `{"type":"object","properties":{"ms":{"type":"integer","minimum":"0"}}}`))
	res, err := s.Server.Client().Post(s.URL+"/v1/responses", "application/json", bytes.NewReader([]byte(b)))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	var e struct {
		Error struct {
			Type, Code, Message string
			Param               *string
		}
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
	assert.Equal(t, "invalid_request_error", e.Error.Type)
	assert.Contains(t, e.Error.Message, "/tools/0/parameters")
}

// The API refuses a request without a model or without input with a 400
// (the OpenAPI document marks neither required: a stored prompt may supply
// both). The fake does too, so a program that forgets one fails offline.
func TestServerRefusesAMissingModelOrInput(t *testing.T) {
	s := responsestest.New(responsestest.Echo())
	defer s.Close()
	cases := []struct{ body, want string }{
		{`{}`, "/model: missing required parameter 'model'; /input: missing required parameter 'input'"},
		{`{"input":"hi"}`, "/model: missing required parameter 'model'"},
		{`{"model":"","input":"hi"}`, "/model: missing required parameter 'model'"},
		{`{"model":null,"input":"hi"}`, "/model"},
		{`{"model":"m"}`, "/input: missing required parameter 'input'"},
		{`{"model":"m","input":null}`, "/input: missing required parameter 'input'"},
	}
	for _, tc := range cases {
		res, err := s.Server.Client().Post(s.URL+"/v1/responses", "application/json", strings.NewReader(tc.body))
		require.NoError(t, err)
		var e struct {
			Error struct{ Type, Message string }
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
		res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, tc.body)
		assert.Equal(t, "invalid_request_error", e.Error.Type, tc.body)
		assert.Contains(t, e.Error.Message, tc.want, tc.body)
	}
	for _, ok := range []string{
		`{"model":"m","input":"hi"}`,
		`{"model":"m","input":[]}`,
		`{"prompt":{"id":"pmpt_1"}}`,                    // the template supplies model and input
		`{"model":"m","previous_response_id":"resp_1"}`, // continues a response
		`{"model":"m","conversation":"conv_1"}`,         // the conversation's items are the input
	} {
		assert.NoError(t, responsestest.ValidateRequestJSON([]byte(ok)), ok)
	}
}
