package convert

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireParameters marshals params the way a request does (inside a function
// tool, through openai-go's encoder) and returns the "parameters" bytes.
func wireParameters(t testing.TB, params map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(oai.ToolUnionParam{OfFunction: &oai.FunctionToolParam{Name: "f", Parameters: params}})
	if err != nil {
		t.Fatalf("openai-go cannot marshal the parameters: %v", err)
	}
	var tool struct {
		Parameters json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(b, &tool); err != nil {
		t.Fatalf("tool JSON: %v", err)
	}
	return tool.Parameters
}

// strayNumber returns the path of the first number in v that is not a
// number (a json.Number or float64 would not keep its literal on the wire).
func strayNumber(v any, path string) string {
	switch x := v.(type) {
	case json.Number, float64, int, int64:
		return fmt.Sprintf("%s (%T)", path, v)
	case map[string]any:
		for k, e := range x {
			if p := strayNumber(e, path+"/"+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := strayNumber(e, fmt.Sprintf("%s/%d", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestNumbersKeepTheirLiteral(t *testing.T) {
	const in = `{"type":"object","properties":{
		"a":{"type":"integer","minimum":0,"maximum":9007199254740991,"enum":[12345678901234567890,-1]},
		"b":{"type":"number","exclusiveMaximum":1e400,"multipleOf":0.1,"default":1.50},
		"c":{"const":1},
		"d":{"type":"array","items":false},
		"e":{"type":"string","minLength":0,"maxLength":10,"x-ext":{"n":[2.0]}},
		"f":{"$ref":"#/$defs/n"}},
		"$defs":{"n":{"type":"integer","minimum":-5}}}`
	for _, strict := range []bool{false, true} {
		res, err := Schema(json.RawMessage(in), strict)
		require.NoError(t, err)
		assert.Empty(t, strayNumber(res.Parameters, ""), "strict=%v", strict)
		got := string(wireParameters(t, res.Parameters))
		for _, want := range []string{`"minimum":0`, `"maximum":9007199254740991`, `12345678901234567890`,
			`"exclusiveMaximum":1e400`, `"multipleOf":0.1`, `"const":1`, `"maxItems":0`, `"minimum":-5`} {
			assert.Contains(t, got, want, "strict=%v", strict)
		}
		if !strict {
			for _, want := range []string{`"default":1.50`, `"minLength":0`, `"maxLength":10`, `"x-ext":{"n":[2.0]}`} {
				assert.Contains(t, got, want)
			}
		}
		assert.False(t, strings.Contains(got, `":"0"`) || strings.Contains(got, `"1"`), "a number went out as a string: %s", got)
	}
}

func TestNumberMethods(t *testing.T) {
	n := number("12345678901234567890")
	b, err := json.Marshal(map[string]any{"n": n})
	require.NoError(t, err)
	assert.Equal(t, `{"n":12345678901234567890}`, string(b))
	_, err = n.Int64()
	assert.Error(t, err, "out of int64 range")
	i, err := number("-7").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(-7), i)
	f, err := number("0.5").Float64()
	require.NoError(t, err)
	assert.Equal(t, 0.5, f)
	assert.Equal(t, "0.5", number("0.5").String())
	b, err = json.Marshal(number(""))
	require.NoError(t, err)
	assert.Equal(t, "0", string(b))
}

// TestStructuredContentKeepsItsNumbers: a result with only structured
// content goes back to the model as the server's own JSON text.
func TestStructuredContentKeepsItsNumbers(t *testing.T) {
	res := &mcp.CallToolResult{RawStructuredContent: json.RawMessage(`{"id":12345678901234567890,"ratio":0.1000}`)}
	out := Result(res, ResultOptions{})
	assert.Equal(t, `{"id":12345678901234567890,"ratio":0.1000}`, out.Text)
}
