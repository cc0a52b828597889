package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/internal/jsonschema"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func rawTool(name, desc, schema string) server.ServerTool {
	return server.ServerTool{
		Tool: mcp.Tool{Name: name, Description: desc, RawInputSchema: json.RawMessage(schema)},
		Handler: func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ran " + req.Params.Name), nil
		},
	}
}

// TestHostileToolsDoNotSinkTheSet serves tools a careless or hostile server
// might send. The request must still be accepted, the good tool must work,
// and every dropped tool must be reported by name.
func TestHostileToolsDoNotSinkTheSet(t *testing.T) {
	deep := strings.Repeat(`{"type":"object","properties":{"x":`, 200) + `{"type":"string"}` + strings.Repeat(`}}`, 200)
	huge := `{"type":"object","properties":{` + func() string {
		var b strings.Builder
		for i := 0; i < 3000; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"p%d":{"type":"string","description":%q}`, i, strings.Repeat("d", 50))
		}
		return b.String()
	}() + `}}`
	s := server.NewMCPServer("hostile", "1")
	s.AddTools(
		rawTool("good", "works", `{"type":"object","properties":{"q":{"type":"string"}}}`),
		rawTool("not_an_object", "", `{"type":"string"}`),
		rawTool("top_any_of", "", `{"anyOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"integer"}}}]}`),
		rawTool("cyclic", "", `{"type":"object","properties":{"node":{"$ref":"#/$defs/n"}},"$defs":{"n":{"type":"object","properties":{"next":{"$ref":"#/$defs/n"}}}}}`),
		rawTool("deep", "", deep),
		rawTool("huge", "", huge),
		rawTool("ctrl\x01name\u00e9\u4e2d", "line1\x00\x07"+strings.Repeat("long ", 300000), `{}`),
		rawTool(strings.Repeat("very_long_tool_name_", 10), "", `{"type":"object"}`),
	)
	model := responsestest.Script(responsestest.Calls(responsestest.FunctionCall{Name: "hostile__good", Arguments: `{"q":"x"}`}), responsestest.Text("ok"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("hostile", s)})

	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err, "the API (validating) accepted every request")
	assert.Equal(t, "ran good", res.Turns[0].Calls[0].Output.Text)
	for _, r := range api.Requests() {
		require.NoError(t, r.ValidationErr)
		for _, tool := range r.Tools {
			desc, _ := tool["description"].(string)
			assert.LessOrEqual(t, len(desc), 1100, "descriptions are capped")
			assert.NotContains(t, desc, "\x00")
		}
	}
	dropped := map[string]bool{}
	for _, d := range b.Diagnostics() {
		if d.Dropped {
			dropped[d.Tool] = true
			assert.Equal(t, "hostile", d.Server)
			assert.NotEmpty(t, d.Reason)
		}
	}
	assert.True(t, dropped["not_an_object"], "a non-object schema is dropped and reported: %v", dropped)
	names := toolNames(b)
	assert.Contains(t, names, "hostile__good")
	assert.Contains(t, names, "hostile__top_any_of")
	assert.Contains(t, names, "hostile__cyclic")
	assert.Len(t, names, 7, "every tool but the non-object one survives: %v", names)
	for _, n := range names {
		assert.Regexp(t, `^[a-zA-Z0-9_-]{1,64}$`, n)
	}
}

// TestResumeAfterAPIFailure: the API fails after the tools ran. Nothing
// computed is lost: Resume sends the pending outputs without running the
// tools again.
func TestResumeAfterAPIFailure(t *testing.T) {
	var runs atomic.Int32
	s := mcptest.NewServer()
	s.AddTools(server.ServerTool{
		Tool: mcp.NewTool("charge_card"),
		Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(fmt.Sprintf("charged once (run %d)", runs.Add(1))), nil
		},
	})
	b := newBridge(t, []Server{InProcess("pay", s)})

	api, client := fakeAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "pay__charge_card", CallID: "call_pay"}),
		responsestest.HTTPError(500, `{"error":{"message":"upstream died","type":"server_error"}}`),
	))
	res, err := b.Run(ctxT(t), &client.Responses, params("pay"))
	require.Error(t, err)
	var apiErr *responses.APIError
	require.ErrorAs(t, err, &apiErr)
	require.NotNil(t, res)
	require.Len(t, res.Pending, 1)
	assert.Equal(t, "charged once (run 1)", res.Pending[0].Output.Text)
	firstID := api.Requests()[0]
	_ = firstID

	api2, client2 := fakeAPI(t, responsestest.Script(responsestest.Text("payment done")))
	res2, err := b.Resume(ctxT(t), &client2.Responses, params("pay"), res.ResumePoint())
	require.NoError(t, err)
	assert.Equal(t, "payment done", res2.OutputText)
	assert.Equal(t, int32(1), runs.Load(), "the tool ran exactly once")
	reqs := api2.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, res.LastResponseID, reqs[0].PreviousResponseID)
	assert.Equal(t, "charged once (run 1)", reqs[0].FunctionOutputs()["call_pay"])
}

// TestHugeAndBinaryOutputsAreCapped sends outputs many times the cap (the
// sizes are kept to 32 and 16 times it: megabytes more only cost minutes
// under -race on a loaded machine, and the transports' own size limits are
// tested with messages over 32 MiB in mcpclient).
func TestHugeAndBinaryOutputsAreCapped(t *testing.T) {
	// Every byte value, in a pattern that is mostly invalid UTF-8 and
	// control characters, built once with copies instead of a byte loop.
	var pattern [256]byte
	for i := range pattern {
		pattern[i] = byte(i * 7)
	}
	junk := string(bytes.Repeat(pattern[:], (512<<10)/len(pattern)))
	s := mcptest.NewServer()
	s.AddTools(server.ServerTool{
		Tool: mcp.NewTool("junk"),
		Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(junk), nil
		},
	})
	model := responsestest.Script(responsestest.Calls(
		responsestest.FunctionCall{Name: "s__big", Arguments: `{"bytes":1048576}`},
		responsestest.FunctionCall{Name: "s__junk"},
	), responsestest.Text("ok"))
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("s", s)}, WithMaxOutputBytes(32<<10))
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	for _, c := range res.Turns[0].Calls {
		assert.LessOrEqual(t, len(c.Output.Text), 32<<10)
		assert.Contains(t, c.Output.Text, "truncated")
		assert.True(t, c.Output.Truncated, "the loop's cap, the only one, marks the cut")
		assert.True(t, strings.ToValidUTF8(c.Output.Text, "") == c.Output.Text, "valid UTF-8")
	}
	assert.Len(t, api.Requests()[1].FunctionOutputs(), 2)
}

// FuzzArguments feeds arbitrary JSON argument text through the bridge's
// argument handling (text that is not JSON never gets there: the loop and
// Bridge.Call answer it first): it must never panic, must accept only JSON
// objects, and validation must never panic either.
func FuzzArguments(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"a":1}`, `[1]`, `"x"`, `null`, `{"a":`, " \n{\"t\":null}", "\xff{}"} {
		f.Add(seed)
	}
	schema := json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer"},"t":{"type":["string","null"]}},"required":["a"]}`)
	f.Fuzz(func(t *testing.T, args string) {
		if args != "" && !json.Valid([]byte(args)) {
			return
		}
		raw, err := objectArguments(args)
		if err != nil {
			return
		}
		var obj map[string]any
		if args != "" {
			require.NoError(t, json.Unmarshal(raw, &obj), "accepted arguments must be a JSON object: %q", args)
		}
		_ = jsonschema.ValidateJSON(schema, raw)
	})
}
