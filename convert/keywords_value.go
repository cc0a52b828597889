package convert

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Handlers for keywords whose values are not subschemas. See
// keywordHandlers.

// dropKeyword removes the keyword.
func dropKeyword(*normalizer, map[string]any, string, any, string, int) {}

// keepValue keeps a keyword without a handler (const, default,
// extensions), with its numbers as number.
func keepValue(_ *normalizer, out map[string]any, k string, v any, _ string, _ int) {
	out[k] = numbers(v)
}

// requireKind returns a handler that keeps the value only if it is of the
// JSON kind want ("string", "array", "boolean", as jsonKind names them).
func requireKind(want string) keywordHandler {
	return func(n *normalizer, out map[string]any, k string, v any, path string, _ int) {
		if jsonKind(v) != want {
			n.add(keyPath(path, k), fmt.Sprintf("%s is a %s, not a %s; dropped", k, jsonKind(v), want))
			return
		}
		out[k] = numbers(v)
	}
}

// repairPattern keeps "pattern" if it is a string the API can read as a
// regular expression (see badPattern).
func (n *normalizer) repairPattern(out map[string]any, k string, v any, path string, _ int) {
	p, ok := v.(string)
	if !ok {
		n.add(keyPath(path, k), fmt.Sprintf("%s is a %s, not a %s; dropped", k, jsonKind(v), "string"))
		return
	}
	if n.badPattern(keyPath(path, k), p) {
		return
	}
	out[k] = v
}

// repairType corrects the type names (see normType).
func (n *normalizer) repairType(out map[string]any, k string, v any, path string, _ int) {
	if t := n.normType(v, path); t != nil {
		out[k] = t
	}
}

// repairRequired keeps the distinct string entries of "required". object
// later removes names that are not properties (fixRequired).
func (n *normalizer) repairRequired(out map[string]any, k string, v any, path string, _ int) {
	arr, ok := v.([]any)
	if !ok {
		n.add(keyPath(path, k), "required is not an array; dropped")
		return
	}
	req := make([]any, 0, len(arr))
	seen := map[string]bool{}
	for _, e := range arr {
		s, ok := e.(string)
		if !ok || seen[s] {
			continue
		}
		seen[s] = true
		req = append(req, s)
	}
	if len(req) != len(arr) {
		n.add(keyPath(path, k), "non-string or repeated entries removed from required")
	}
	out[k] = req
}

// repairEnum keeps a non-empty "enum" list.
func (n *normalizer) repairEnum(out map[string]any, k string, v any, path string, _ int) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		n.add(keyPath(path, k), "enum is not a non-empty array; dropped")
		return
	}
	out[k] = numbers(arr)
}

// repairText cleans and caps "description" and "title".
func (n *normalizer) repairText(out map[string]any, k string, v any, path string, _ int) {
	s, ok := v.(string)
	if !ok {
		n.add(keyPath(path, k), k+" is not a string; dropped")
		return
	}
	c, cut := capText(cleanText(cutUTF8(s, 4*maxSchemaText), false), maxSchemaText, truncMarker)
	if cut {
		n.add(keyPath(path, k), fmt.Sprintf("%s cut to %d bytes", k, maxSchemaText))
	}
	out[k] = c
}

// repairNullable drops the OpenAPI "nullable" keyword; when true, object
// adds null to the type and enum instead.
func (n *normalizer) repairNullable(_ map[string]any, _ string, v any, _ string, _ int) {
	if b, ok := v.(bool); ok && b {
		n.obj.nullable = true
	}
}

// repairExclusiveBound keeps exclusiveMinimum/exclusiveMaximum. A draft-04
// boolean flag is kept for now; object rewrites it with its bound.
func (n *normalizer) repairExclusiveBound(out map[string]any, k string, v any, path string, _ int) {
	switch x := v.(type) {
	case json.Number:
		out[k] = number(x)
	case bool:
		out[k] = x
	default:
		n.add(keyPath(path, k), k+" is not a number; dropped")
	}
}

// repairCount keeps a length or count keyword that is a non-negative
// integer.
func (n *normalizer) repairCount(out map[string]any, k string, v any, path string, _ int) {
	num, ok := v.(json.Number)
	if i, err := num.Int64(); !ok || err != nil || i < 0 {
		n.add(keyPath(path, k), k+" is not a non-negative integer; dropped")
		return
	}
	out[k] = number(num)
}

// repairNumber keeps minimum, maximum and multipleOf when they are valid
// (multipleOf must be positive).
func (n *normalizer) repairNumber(out map[string]any, k string, v any, path string, _ int) {
	num, ok := v.(json.Number)
	f, err := num.Float64()
	if !ok || err != nil || k == "multipleOf" && f <= 0 {
		n.add(keyPath(path, k), k+" is not a valid number; dropped")
		return
	}
	out[k] = number(num)
}

// repairDependentRequired keeps the entries that are lists of names.
func (n *normalizer) repairDependentRequired(out map[string]any, k string, v any, path string, _ int) {
	dm, ok := v.(map[string]any)
	if !ok {
		n.add(keyPath(path, k), "dependentRequired is not an object; dropped")
		return
	}
	nd := make(map[string]any, len(dm))
	for name, e := range dm {
		if list, ok := e.([]any); ok && stringList(list) {
			nd[name] = list
		}
	}
	out[k] = nd
}

func stringList(list []any) bool {
	for _, e := range list {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// typo maps type names that tools get wrong to the JSON Schema names.
var typo = map[string]string{
	"int": "integer", "long": "integer", "float": "number", "double": "number",
	"bool": "boolean", "str": "string", "text": "string", "dict": "object",
	"map": "object", "list": "array", "none": "null",
}

var jsonTypes = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true,
	"object": true, "array": true, "null": true,
}

// normType returns a cleaned type value, or nil to drop it.
func (n *normalizer) normType(v any, parent string) any {
	fix := func(s string) string {
		l := strings.ToLower(strings.TrimSpace(s))
		if jsonTypes[l] {
			if l != s {
				n.add(parent+"/type", fmt.Sprintf("type %q read as %q", s, l))
			}
			return l
		}
		if t, ok := typo[l]; ok {
			n.add(parent+"/type", fmt.Sprintf("type %q read as %q", s, t))
			return t
		}
		n.add(parent+"/type", fmt.Sprintf("unknown type %q dropped", cutUTF8(s, 64)))
		return ""
	}
	switch t := v.(type) {
	case string:
		if f := fix(t); f != "" {
			return f
		}
		return nil
	case []any:
		var out []any
		seen := map[string]bool{}
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				n.add(parent+"/type", "non-string entry in type list dropped")
				continue
			}
			if f := fix(s); f != "" && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0]
		}
		return out
	}
	n.add(parent+"/type", "type is not a string or list; dropped")
	return nil
}
