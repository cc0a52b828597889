package convert

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/responses"
)

// preparedOutput is the converted outputSchema of one tool.
type preparedOutput struct {
	params map[string]any // nil: no usable output schema
	notes  []note
	err    error // the schema could not be repaired; it is left out
}

// prepareOutput repairs an MCP outputSchema with the input schema rules
// (non-strict: output_schema is a description for the model, not a decoding
// constraint). A missing or null schema gives nil.
func prepareOutput(raw json.RawMessage) *preparedOutput {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil
	}
	res, notes, err := convertSchema(raw, false)
	return &preparedOutput{params: res.Parameters, notes: notes, err: err}
}

// schema returns the repaired schema, nil when there is none.
func (p *preparedOutput) schema() map[string]any {
	if p == nil || p.err != nil {
		return nil
	}
	return p.params
}

// diagnostics reports the repairs, with fields under "outputSchema". An
// unusable output schema is left out; the tool itself is kept.
func (p *preparedOutput) diagnostics(server, tool string) []Diagnostic {
	if p == nil {
		return nil
	}
	out := make([]Diagnostic, 0, len(p.notes)+1)
	for _, n := range p.notes {
		out = append(out, Diagnostic{Server: server, Tool: tool, Field: "outputSchema" + n.path, Reason: n.reason})
	}
	if p.err != nil {
		out = append(out, Diagnostic{Server: server, Tool: tool, Field: "outputSchema",
			Reason: p.err.Error() + "; the tool is sent without an output schema"})
	}
	return out
}

// structuredJSON returns the compact JSON text of a result's
// structuredContent, and false when there is none or it cannot be encoded.
func structuredJSON(raw json.RawMessage, v any) (string, bool) {
	var b []byte
	if len(bytes.TrimSpace(raw)) > 0 && json.Valid(raw) {
		b = raw
	} else if v != nil {
		enc, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		b = enc
	} else {
		return "", false
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil || buf.String() == "null" {
		return "", false
	}
	return buf.String(), true
}

// structuredOutput renders a result as the JSON of its structuredContent
// when ResultOptions.StructuredJSON applies (see there).
func structuredOutput(res *mcp.CallToolResult, limit int) (responses.Output, bool) {
	if res.IsError {
		return responses.Output{}, false
	}
	for _, c := range res.Content {
		switch c.(type) {
		case mcp.TextContent, *mcp.TextContent:
		default:
			return responses.Output{}, false // media or resources: the string form would lose them
		}
	}
	text, ok := structuredJSON(res.RawStructuredContent, res.StructuredContent)
	if !ok || (limit >= 0 && len(text) > limit) {
		return responses.Output{}, false
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	return responses.Output{Text: text, Parts: nil}, true
}
