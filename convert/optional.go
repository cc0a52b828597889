package convert

import (
	"bytes"
	"encoding/json"
)

// optionalTree records, for a strict schema, which properties were optional
// in the original schema and were made nullable so that strict mode could
// require them. Only plain nesting (properties and array items) is tracked;
// properties behind $ref or anyOf are left alone.
type optionalTree struct {
	optional map[string]bool          // property name -> was optional
	props    map[string]*optionalTree // nested objects
	items    *optionalTree            // array elements
}

// buildOptionalTree walks a normalized (non-strict) schema.
func buildOptionalTree(m map[string]any, depth int) *optionalTree {
	if m == nil || depth > MaxSchemaDepth {
		return nil
	}
	var t optionalTree
	if props, ok := m["properties"].(map[string]any); ok && hasType(m["type"], "object") {
		req, _ := m["required"].([]any)
		for name, p := range props {
			if !containsValue(req, name) {
				if t.optional == nil {
					t.optional = map[string]bool{}
				}
				t.optional[name] = true
			}
			if sub := buildOptionalTree(asMap(p), depth+1); sub != nil {
				if t.props == nil {
					t.props = map[string]*optionalTree{}
				}
				t.props[name] = sub
			}
		}
	}
	if hasType(m["type"], "array") {
		t.items = buildOptionalTree(asMap(m["items"]), depth+1)
	}
	if t.optional == nil && t.props == nil && t.items == nil {
		return nil
	}
	return &t
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// strip deletes null members of v that the tree marks optional and reports
// whether anything changed.
func (t *optionalTree) strip(v any) bool {
	if t == nil {
		return false
	}
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for name, val := range x {
			if val == nil && t.optional[name] {
				delete(x, name)
				changed = true
				continue
			}
			if sub := t.props[name]; sub != nil && sub.strip(val) {
				changed = true
			}
		}
	case []any:
		for _, e := range x {
			if t.items.strip(e) {
				changed = true
			}
		}
	}
	return changed
}

// StripAddedNulls undoes what strict mode does to optional arguments. A
// strict schema must require every property, so optional ones are made
// nullable and the model sends null for "not given". Many MCP servers
// reject null where they expect a value or nothing, so the bridge should
// pass the model's arguments through this before calling the tool: it
// removes null members for properties that were optional in the original
// schema (through nested objects and arrays; not behind $ref or anyOf). For
// a non-strict tool, or when nothing changes, args is returned as is.
func (t *FunctionTool) StripAddedNulls(args json.RawMessage) json.RawMessage {
	if !t.Strict || t.optional == nil || !bytes.Contains(args, []byte("null")) {
		return args
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return args
	}
	if !t.optional.strip(v) {
		return args
	}
	out, err := json.Marshal(v)
	if err != nil {
		return args
	}
	return out
}
