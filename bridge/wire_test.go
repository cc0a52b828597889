package bridge

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// numericSchema has a number in every place a schema can hold one: bounds,
// counts, enum, const, default, examples, an extension keyword, numbers
// that float64 cannot hold, and decimals.
const numericSchema = `{
  "type": "object",
  "properties": {
    "ms": {"type": "integer", "minimum": 0, "maximum": 9007199254740991},
    "id": {"type": "integer", "enum": [12345678901234567890, 1]},
    "ratio": {"type": "number", "exclusiveMinimum": 0.1, "multipleOf": 0.01, "default": 0.25},
    "one": {"const": 1},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 1, "maxItems": 3},
    "tiny": {"type": "number", "examples": [1e-7, -2.5E+3], "x-scale": 1.0}
  },
  "required": ["ms"]
}`

// wantNumbers are the literals the request body must carry as JSON numbers.
var wantNumbers = []string{
	`"minimum":0`, `"maximum":9007199254740991`, `12345678901234567890`,
	`"exclusiveMinimum":0.1`, `"multipleOf":0.01`, `"const":1`,
	`"minItems":1`, `"maxItems":3`,
}

// plainNumbers are kept only by the non-strict form (strict mode drops
// these keywords).
var plainNumbers = []string{`"minLength":2`, `"default":0.25`, `"examples":[1e-7,-2.5E+3]`, `"x-scale":1.0`}

// TestSchemaNumbersReachTheWireAsNumbers builds the request exactly as a run
// does (Tools into ResponseNewParams, marshalled by openai-go) and checks
// the bytes: a number that leaves as a string makes the API reject the
// whole request.
func TestSchemaNumbersReachTheWireAsNumbers(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "strict"}[strict], func(t *testing.T) {
			s := server.NewMCPServer("s", "1")
			s.AddTools(rawTool("nums", "numbers everywhere", numericSchema))
			b := newBridge(t, []Server{InProcess("s", s)}, strictIf(strict))

			p := params("x")
			p.Tools = b.RequestTools()
			body, err := json.Marshal(p)
			require.NoError(t, err)
			want := wantNumbers
			if !strict {
				want = append(want[:len(want):len(want)], plainNumbers...)
			}
			for _, w := range want {
				assert.Contains(t, string(body), w)
			}
			assert.NotRegexp(t, `"(minimum|maximum|minItems|maxItems|minLength|const|multipleOf|exclusiveMinimum)":"`, string(body),
				"a schema number left as a string")
			require.NoError(t, responsestest.ValidateRequestJSON(body))

			// And over HTTP through openai-go's client, as the API gets it.
			api, client := fakeAPI(t, responsestest.Script(responsestest.Text("ok")))
			_, err = b.Run(ctxT(t), &client.Responses, params("x"))
			require.NoError(t, err)
			raw := string(api.Requests()[0].Raw)
			for _, w := range want {
				assert.Contains(t, raw, w)
			}
		})
	}
}

// TestValidateArgumentsCompilesOncePerToolSet: every input schema is
// compiled when the tool set is built, and a call reports all its bad
// fields at once.
func TestValidateArgumentsCompilesOncePerToolSet(t *testing.T) {
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithValidateArguments())
	distinct := map[string]bool{}
	for _, ft := range b.current.Load().byName {
		distinct[string(ft.src.InputSchema)] = true
	}
	assert.Equal(t, len(distinct), b.compiled.Len(), "one compiled schema per distinct input schema")
	_, err := b.Call(ctxT(t), "s__add", `{"a":"two","b":"three"}`)
	require.ErrorIs(t, err, ErrInvalidArguments)
	assert.Contains(t, err.Error(), "field a")
	assert.Contains(t, err.Error(), "field b")
	assert.Equal(t, len(distinct), b.compiled.Len(), "calls reuse the compiled schemas")
}

// TestDeepSchemasAreNotCompiled: with WithValidateArguments, an input
// schema nested past the compile bound (a 1,200-deep object took the
// validator library 9 s, which no context stopped) is not compiled: New
// reports it in a diagnostic, and the tool's calls go to the server
// unchecked, while the other tools are checked.
func TestDeepSchemasAreNotCompiled(t *testing.T) {
	const depth = 1200
	deep := strings.Repeat(`{"type":"object","properties":{"a":`, depth) + `{"type":"string"}` + strings.Repeat(`}}`, depth)
	srv := mcptest.NewServer()
	srv.AddTool(mcp.NewToolWithRawSchema("deep", "A tool with a deep schema.", json.RawMessage(deep)),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ran"), nil
		})
	b := newBridge(t, []Server{InProcess("s", srv)}, WithValidateArguments())
	var diag []string
	for _, d := range b.Diagnostics() {
		if d.Server == "s" && d.Tool == "deep" && d.Field == "inputSchema" {
			diag = append(diag, d.Reason)
		}
	}
	require.Len(t, diag, 1)
	assert.Contains(t, diag[0], "nested more than")
	assert.Contains(t, diag[0], "not checked")
	out, err := b.Call(ctxT(t), "s__deep", `{"a":1}`)
	require.NoError(t, err)
	assert.Equal(t, "ran", out.Text)
	_, err = b.Call(ctxT(t), "s__add", `{"a":"two","b":"three"}`)
	require.ErrorIs(t, err, ErrInvalidArguments, "the other tools are still checked")
}
