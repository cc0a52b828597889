package convert

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realOutputTools reads tools with an outputSchema as real servers list them.
func realOutputTools(t *testing.T) []ServerTools {
	t.Helper()
	b, err := os.ReadFile("testdata/output_schemas.json")
	require.NoError(t, err)
	var doc struct {
		Tools []struct {
			Server string
			Tool   struct {
				Name         string          `json:"name"`
				Description  string          `json:"description"`
				InputSchema  json.RawMessage `json:"inputSchema"`
				OutputSchema json.RawMessage `json:"outputSchema"`
			}
		}
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	var out []ServerTools
	for _, x := range doc.Tools {
		if len(out) == 0 || out[len(out)-1].Server != x.Server {
			out = append(out, ServerTools{Server: x.Server})
		}
		s := &out[len(out)-1]
		s.Tools = append(s.Tools, Tool{Name: x.Tool.Name, Description: x.Tool.Description, InputSchema: x.Tool.InputSchema, OutputSchema: x.Tool.OutputSchema})
	}
	return out
}

func TestOutputSchemaRealTools(t *testing.T) {
	set, err := Convert(realOutputTools(t), Options{Strict: true})
	require.NoError(t, err)
	require.Len(t, set.Tools, 3)
	for _, ft := range set.Tools {
		require.NotNil(t, ft.OutputSchema, ft.Name)
		assert.Equal(t, "object", ft.OutputSchema["type"], ft.Name)
		assert.NotContains(t, ft.OutputSchema, "$schema", ft.Name)
	}
	for i, tool := range realOutputTools(t)[1].Tools {
		plain, err := Schema(tool.OutputSchema, false)
		require.NoError(t, err)
		assert.Equal(t, plain.Parameters, set.Tools[1+i].OutputSchema, "output schemas are repaired, never made strict")
	}
	weather := set.Tools[0].OutputSchema["properties"].(map[string]any)
	assert.Contains(t, weather, "temperature")
	for _, d := range set.Diagnostics {
		assert.False(t, strings.HasPrefix(d.Field, "outputSchema") && d.Dropped, d.String())
	}
}

func TestOutputSchemaRepairAndDiagnostics(t *testing.T) {
	set, err := Convert([]ServerTools{{Server: "s", Tools: []Tool{
		{Name: "none"},
		{Name: "null", OutputSchema: json.RawMessage(`null`)},
		{Name: "typo", OutputSchema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"int"}}}`)},
		{Name: "bad", OutputSchema: json.RawMessage(`{"type":"string"}`)},
		{Name: "broken", OutputSchema: json.RawMessage(`{"type":`)},
	}}}, Options{})
	require.NoError(t, err)
	require.Len(t, set.Tools, 5, "a bad output schema never drops the tool")
	assert.Nil(t, set.Tools[0].OutputSchema)
	assert.Nil(t, set.Tools[1].OutputSchema)
	assert.Equal(t, "integer", set.Tools[2].OutputSchema["properties"].(map[string]any)["n"].(map[string]any)["type"])
	assert.Nil(t, set.Tools[3].OutputSchema)
	assert.Nil(t, set.Tools[4].OutputSchema)
	fields := map[string]string{}
	for _, d := range set.Diagnostics {
		fields[d.Tool] = d.Field
		assert.False(t, d.Dropped)
	}
	assert.Equal(t, "outputSchema/properties/n/type", fields["typo"])
	assert.Equal(t, "outputSchema", fields["bad"])
	assert.Equal(t, "outputSchema", fields["broken"])
}

func TestConverterCacheSeesOutputSchema(t *testing.T) {
	c := NewConverter(Options{})
	in := []ServerTools{{Server: "s", Tools: []Tool{{Name: "t", OutputSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)}}}}
	set, err := c.Convert(in)
	require.NoError(t, err)
	require.Contains(t, set.Tools[0].OutputSchema["properties"], "a")
	in[0].Tools[0].OutputSchema = json.RawMessage(`{"type":"object","properties":{"b":{"type":"string"}}}`)
	set, err = c.Convert(in)
	require.NoError(t, err)
	assert.Contains(t, set.Tools[0].OutputSchema["properties"], "b", "a changed output schema is converted again")
}

func TestResultStructuredJSON(t *testing.T) {
	img := mcp.NewImageContent("AAAA", "image/png")
	on := ResultOptions{StructuredJSON: true}
	cases := []struct {
		name string
		res  *mcp.CallToolResult
		opts ResultOptions
		want string
	}{
		// What the MCP spec asks of servers: structuredContent plus the same
		// JSON as a text block for older clients.
		{"compat text block", &mcp.CallToolResult{StructuredContent: map[string]any{"temperature": 21.5}, Content: []mcp.Content{mcp.NewTextContent("{\n  \"temperature\": 21.5\n}")}}, on, `{"temperature":21.5}`},
		{"raw kept as sent, compacted", &mcp.CallToolResult{RawStructuredContent: json.RawMessage(`{ "b": 1, "a": [1, 2] }`), Content: []mcp.Content{mcp.NewTextContent("b is 1")}}, on, `{"b":1,"a":[1,2]}`},
		{"array outputs become a string", &mcp.CallToolResult{StructuredContent: map[string]any{"x": 1}, Content: []mcp.Content{mcp.NewTextContent("x")}}, ResultOptions{StructuredJSON: true, ArrayOutputs: true}, `{"x":1}`},
		{"option off", &mcp.CallToolResult{StructuredContent: map[string]any{"x": 1}, Content: []mcp.Content{mcp.NewTextContent("x is 1")}}, ResultOptions{}, "x is 1"},
		{"no structured content", &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("plain")}}, on, "plain"},
		{"error result", &mcp.CallToolResult{IsError: true, StructuredContent: map[string]any{"x": 1}, Content: []mcp.Content{mcp.NewTextContent("boom")}}, on, "error: boom"},
		{"media kept", &mcp.CallToolResult{StructuredContent: map[string]any{"x": 1}, Content: []mcp.Content{mcp.NewTextContent("x"), img}}, on, "x\n[image: image/png, 3 bytes]"},
		{"too long", &mcp.CallToolResult{StructuredContent: map[string]any{"x": strings.Repeat("a", 100)}, Content: []mcp.Content{mcp.NewTextContent("short")}}, ResultOptions{StructuredJSON: true, MaxBytes: 50}, "short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Result(c.res, c.opts)
			assert.Equal(t, c.want, out.Text)
			if c.name == "array outputs become a string" {
				assert.Empty(t, out.Parts, "output_schema describes string outputs")
			}
		})
	}
}
