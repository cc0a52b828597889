package responsestest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	lib "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpbridge/mcpbridge/internal/jsonschema"
)

// requestSchemaJSON is CreateResponse and every schema it references, taken
// from the OpenAI OpenAPI document (MIT License, see
// testdata/LICENSE-openai-openapi) by testdata/extract_schema.py.
//
//go:embed testdata/responses_request_schema.json
var requestSchemaJSON []byte

var (
	requestOnce   sync.Once
	requestSchema *lib.Schema
	requestErr    error
)

// loadRequestSchema compiles CreateResponse once. The document is
// rewritten for a JSON Schema validator on the way in:
//
//   - references move from #/components/schemas/X to #/$defs/X;
//   - a oneOf with a discriminator becomes one if/then per discriminator
//     value (so an error names the branch the request meant) plus a check
//     that the value is known;
//   - every other oneOf becomes anyOf: the document's branches overlap (a
//     message matches several item schemas), which the API accepts.
//
// (The document's draft 2019-09 recursion is already a plain $ref in the
// extraction: testdata/extract_schema.py.)
func loadRequestSchema() (*lib.Schema, error) {
	requestOnce.Do(func() {
		var doc struct {
			Root       string `json:"root"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		dec := json.NewDecoder(bytes.NewReader(requestSchemaJSON))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			requestErr = fmt.Errorf("responsestest: embedded schema: %w", err)
			return
		}
		defs := doc.Components.Schemas
		patchDocument(defs)
		rw := &rewriter{defs: defs}
		out := make(map[string]any, len(defs))
		for name, s := range defs {
			out[name] = rw.node(s)
		}
		root := map[string]any{
			"$schema": "https://json-schema.org/draft/2020-12/schema",
			"$ref":    strings.Replace(doc.Root, "#/components/schemas/", "#/$defs/", 1),
			"$defs":   out,
		}
		c := jsonschema.NewCompiler()
		const loc = "mem:///openai/create-response.json"
		if err := c.AddResource(loc, root); err != nil {
			requestErr = fmt.Errorf("responsestest: embedded schema: %w", err)
			return
		}
		requestSchema, requestErr = c.Compile(loc)
		if requestErr != nil {
			requestErr = fmt.Errorf("responsestest: embedded schema: %w", requestErr)
		}
	})
	return requestSchema, requestErr
}

// patchDocument corrects what the document gets wrong against the API it
// describes. MCPApprovalResponse lists "request_id" as required but has no
// such property: the API, the document's own MCPApprovalResponseResource
// description and openai-go all pair an answer with its request by
// approval_request_id alone, so the stray name is dropped.
func patchDocument(defs map[string]any) {
	if s, ok := defs["MCPApprovalResponse"].(map[string]any); ok {
		req, _ := s["required"].([]any)
		kept := make([]any, 0, len(req))
		for _, r := range req {
			if r != "request_id" {
				kept = append(kept, r)
			}
		}
		s["required"] = kept
	}
}

type rewriter struct {
	defs map[string]any
}

func (r *rewriter) node(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.node(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch k {
			case "$ref":
				if s, ok := e.(string); ok {
					e = strings.Replace(s, "#/components/schemas/", "#/$defs/", 1)
				}
				out[k] = e
			case "discriminator", "oneOf":
			case "properties", "$defs", "patternProperties":
				m, _ := e.(map[string]any)
				nm := make(map[string]any, len(m))
				for name, s := range m {
					nm[name] = r.node(s)
				}
				out[k] = nm
			default:
				out[k] = r.node(e)
			}
		}
		if alts, ok := x["oneOf"].([]any); ok {
			prop := ""
			if d, ok := x["discriminator"].(map[string]any); ok {
				prop, _ = d["propertyName"].(string)
			}
			r.oneOf(out, r.node(alts).([]any), prop)
		}
		return out
	}
	return v
}

// oneOf replaces a oneOf in out (see loadRequestSchema).
func (r *rewriter) oneOf(out map[string]any, alts []any, prop string) {
	if prop == "" {
		out["anyOf"] = alts
		return
	}
	byValue := map[string][]any{}
	for _, a := range alts {
		for _, v := range r.values(a, prop, 0) {
			byValue[v] = append(byValue[v], a)
		}
	}
	values := make([]string, 0, len(byValue))
	for v := range byValue {
		values = append(values, v)
	}
	sort.Strings(values)
	known := make([]any, len(values))
	all := make([]any, 0, len(values)+1)
	for i, v := range values {
		known[i] = v
		all = append(all, map[string]any{
			"if":   map[string]any{"properties": map[string]any{prop: map[string]any{"const": v}}, "required": []any{prop}},
			"then": map[string]any{"anyOf": byValue[v]},
		})
	}
	all = append(all, map[string]any{
		"if":   map[string]any{"required": []any{prop}},
		"then": map[string]any{"properties": map[string]any{prop: map[string]any{"enum": known}}},
		"else": map[string]any{"anyOf": alts},
	})
	if prev, ok := out["allOf"].([]any); ok {
		all = append(prev, all...)
	}
	out["allOf"] = all
}

// values lists the discriminator values a branch accepts.
func (r *rewriter) values(s any, prop string, depth int) []string {
	m, ok := s.(map[string]any)
	if !ok || depth > 8 {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		return r.values(r.defs[ref[strings.LastIndex(ref, "/")+1:]], prop, depth+1)
	}
	var out []string
	if props, ok := m["properties"].(map[string]any); ok {
		if p, ok := props[prop].(map[string]any); ok {
			out = append(out, constValues(p)...)
			for _, k := range []string{"anyOf", "oneOf"} {
				alts, _ := p[k].([]any)
				for _, a := range alts {
					if am, ok := a.(map[string]any); ok {
						out = append(out, constValues(am)...)
					}
				}
			}
		}
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := m[k].([]any); ok {
			for _, a := range alts {
				out = append(out, r.values(a, prop, depth+1)...)
			}
		}
	}
	return out
}

// constValues lists the strings a const or enum keyword allows.
func constValues(p map[string]any) []string {
	var out []string
	if c, ok := p["const"].(string); ok {
		out = append(out, c)
	}
	if e, ok := p["enum"].([]any); ok {
		for _, v := range e {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
