package convert

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

var countKeywords = map[string]bool{
	"minLength": true, "maxLength": true, "minItems": true, "maxItems": true,
	"minProperties": true, "maxProperties": true, "minContains": true, "maxContains": true,
}

var numberKeywords = map[string]bool{"minimum": true, "maximum": true, "multipleOf": true}

// schemaMapKeywords hold an object of subschemas.
var schemaMapKeywords = map[string]bool{"patternProperties": true, "dependentSchemas": true, "$defs": true, "definitions": true}

// schemaKeywords hold one subschema.
var schemaKeywords = map[string]bool{
	"not": true, "if": true, "then": true, "else": true, "contains": true,
	"propertyNames": true, "additionalItems": true, "unevaluatedItems": true,
	"unevaluatedProperties": true, "additionalProperties": true,
}

// keywordKind is the JSON kind the value of a standard keyword must have.
// Keywords not listed here (other than the ones handled explicitly) are
// passed through as they are.
var keywordKind = map[string]string{
	"pattern": "string", "format": "string", "examples": "array",
	"deprecated": "boolean", "readOnly": "boolean", "writeOnly": "boolean",
	"uniqueItems": "boolean", "contentEncoding": "string", "contentMediaType": "string",
	"$dynamicRef": "string", "$recursiveRef": "string",
}

func stringList(list []any) bool {
	for _, e := range list {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// dropKeywords are identifiers and comments that only confuse consumers.
var dropKeywords = map[string]bool{
	"$schema": true, "$id": true, "$anchor": true, "$dynamicAnchor": true,
	"$recursiveAnchor": true, "$comment": true, "$vocabulary": true,
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

// object normalizes a schema object that has no $ref.
func (n *normalizer) object(in map[string]any, path string, depth int) map[string]any {
	out := make(map[string]any, len(in)+1)
	var removed map[string]bool
	nullable := false
	for _, k := range sortedKeys(in) {
		v := in[k]
		switch {
		case dropKeywords[k]:
		case k == "$defs" || k == "definitions":
			// Reached through $ref only; see ref.
		case k == "properties":
			props, ok := v.(map[string]any)
			if !ok {
				n.add(keyPath(path, k), "properties is not an object; replaced by {}")
				out[k] = map[string]any{}
				continue
			}
			np := make(map[string]any, len(props))
			for _, name := range sortedKeys(props) {
				pp := keyPath(path, k) + "/" + escapePointer(name)
				s, never := n.schema(props[name], pp, depth+1)
				if never {
					n.add(pp, "property schema is false; property removed")
					if removed == nil {
						removed = map[string]bool{}
					}
					removed[name] = true
					continue
				}
				np[name] = s
			}
			out[k] = np
		case schemaMapKeywords[k]:
			sm, ok := v.(map[string]any)
			if !ok {
				n.add(keyPath(path, k), k+" is not an object; dropped")
				continue
			}
			ns := make(map[string]any, len(sm))
			for _, name := range sortedKeys(sm) {
				ns[name] = n.sub(sm[name], keyPath(path, k)+"/"+escapePointer(name), depth+1)
			}
			out[k] = ns
		case k == "additionalProperties" || k == "unevaluatedProperties" || k == "unevaluatedItems" || k == "additionalItems":
			if b, ok := v.(bool); ok {
				out[k] = b
				continue
			}
			out[k] = n.sub(v, keyPath(path, k), depth+1)
		case schemaKeywords[k]:
			if b, ok := v.(bool); ok && !b && k == "not" {
				n.add(keyPath(path, k), "not:false matches everything; dropped")
				continue
			}
			out[k] = n.sub(v, keyPath(path, k), depth+1)
		case k == "items":
			switch it := v.(type) {
			case bool:
				if it {
					out[k] = map[string]any{}
				} else {
					n.add(keyPath(path, k), "items:false replaced by maxItems 0")
					out[k] = map[string]any{}
					out["maxItems"] = Number("0")
				}
			case []any:
				alts := make([]any, 0, len(it))
				for i, e := range it {
					s := n.sub(e, keyPath(path, k)+"/"+strconv.Itoa(i), depth+1)
					if !containsSchema(alts, s) {
						alts = append(alts, s)
					}
				}
				switch len(alts) {
				case 0:
					out[k] = map[string]any{}
				case 1:
					out[k] = alts[0]
				default:
					out[k] = map[string]any{"anyOf": alts}
				}
				n.add(keyPath(path, k), "tuple-form items turned into one items schema")
			default:
				out[k] = n.sub(v, keyPath(path, k), depth+1)
			}
		case k == "prefixItems":
			arr, ok := v.([]any)
			if !ok {
				n.add(keyPath(path, k), "prefixItems is not an array; dropped")
				continue
			}
			na := make([]any, len(arr))
			for i, e := range arr {
				na[i] = n.sub(e, keyPath(path, k)+"/"+strconv.Itoa(i), depth+1)
			}
			out[k] = na
		case k == "anyOf" || k == "oneOf" || k == "allOf":
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				n.add(keyPath(path, k), k+" is not a non-empty array; dropped")
				continue
			}
			alts := make([]any, 0, len(arr))
			for i, e := range arr {
				ep := keyPath(path, k) + "/" + strconv.Itoa(i)
				s, never := n.schema(e, ep, depth+1)
				if never {
					if k == "allOf" {
						s = neverSchema()
						n.add(ep, "schema false replaced by a schema that matches nothing")
					} else {
						n.add(ep, "alternative false removed")
						continue
					}
				}
				alts = append(alts, s)
			}
			if len(alts) == 0 {
				n.add(keyPath(path, k), "no alternative left; schema matches nothing")
				out["not"] = map[string]any{}
				continue
			}
			out[k] = alts
		case k == "type":
			if t := n.normType(v, path); t != nil {
				out[k] = t
			}
		case k == "required":
			arr, ok := v.([]any)
			if !ok {
				n.add(keyPath(path, k), "required is not an array; dropped")
				continue
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
		case k == "enum":
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				n.add(keyPath(path, k), "enum is not a non-empty array; dropped")
				continue
			}
			out[k] = numbers(arr)
		case k == "description" || k == "title":
			s, ok := v.(string)
			if !ok {
				n.add(keyPath(path, k), k+" is not a string; dropped")
				continue
			}
			c, cut := capText(cleanText(cutUTF8(s, 4*maxSchemaText), false), maxSchemaText, truncMarker)
			if cut {
				n.add(keyPath(path, k), fmt.Sprintf("%s cut to %d bytes", k, maxSchemaText))
			}
			out[k] = c
		case k == "nullable":
			if b, ok := v.(bool); ok && b {
				nullable = true
			}
		case k == "exclusiveMinimum" || k == "exclusiveMaximum":
			switch x := v.(type) {
			case json.Number:
				out[k] = Number(x)
			case bool:
				// draft-04: a flag on minimum/maximum; handled below.
				out[k] = x
			default:
				n.add(keyPath(path, k), k+" is not a number; dropped")
			}
		case countKeywords[k]:
			num, ok := v.(json.Number)
			if i, err := num.Int64(); !ok || err != nil || i < 0 {
				n.add(keyPath(path, k), k+" is not a non-negative integer; dropped")
				continue
			}
			out[k] = Number(num)
		case numberKeywords[k]:
			num, ok := v.(json.Number)
			f, err := num.Float64()
			if !ok || err != nil || k == "multipleOf" && f <= 0 {
				n.add(keyPath(path, k), k+" is not a valid number; dropped")
				continue
			}
			out[k] = Number(num)
		case k == "contentSchema":
			out[k] = n.sub(v, keyPath(path, k), depth+1)
		case k == "dependencies":
			// draft-07: each entry is a schema or a list of property names.
			dm, ok := v.(map[string]any)
			if !ok {
				n.add(keyPath(path, k), "dependencies is not an object; dropped")
				continue
			}
			nd := make(map[string]any, len(dm))
			for _, name := range sortedKeys(dm) {
				if list, ok := dm[name].([]any); ok {
					if stringList(list) {
						nd[name] = list
					}
					continue
				}
				nd[name] = n.sub(dm[name], keyPath(path, k)+"/"+escapePointer(name), depth+1)
			}
			out[k] = nd
		case k == "dependentRequired":
			dm, ok := v.(map[string]any)
			if !ok {
				n.add(keyPath(path, k), "dependentRequired is not an object; dropped")
				continue
			}
			nd := make(map[string]any, len(dm))
			for name, e := range dm {
				if list, ok := e.([]any); ok && stringList(list) {
					nd[name] = list
				}
			}
			out[k] = nd
		default:
			if want, ok := keywordKind[k]; ok && jsonKind(v) != want {
				n.add(keyPath(path, k), fmt.Sprintf("%s is a %s, not a %s; dropped", k, jsonKind(v), want))
				continue
			}
			out[k] = numbers(v) // const, default, examples, extensions
		}
	}
	// draft-04 exclusive flags.
	for _, pair := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
		if b, ok := out[pair[0]].(bool); ok {
			delete(out, pair[0])
			if bound, ok := out[pair[1]]; ok && b {
				out[pair[0]] = bound
				delete(out, pair[1])
			}
		}
	}
	if nullable {
		if t, ok := out["type"]; ok {
			out["type"] = addNullType(t)
		}
		if e, ok := out["enum"].([]any); ok && !containsValue(e, nil) {
			out["enum"] = append(append(make([]any, 0, len(e)+1), e...), nil)
		}
	}
	n.mergeCombinators(out, path)
	t := out["type"]
	if hasType(t, "array") {
		if _, ok := out["items"]; !ok {
			n.add(path, "array without items; added items {}")
			out["items"] = map[string]any{}
		}
	}
	if hasType(t, "object") {
		if _, ok := out["properties"]; !ok {
			out["properties"] = map[string]any{}
		}
	}
	n.fixRequired(out, removed, path)
	return out
}

// fixRequired removes required names that are not properties.
func (n *normalizer) fixRequired(out map[string]any, removed map[string]bool, path string) {
	req, ok := out["required"].([]any)
	if !ok {
		return
	}
	props, hasProps := out["properties"].(map[string]any)
	if !hasProps {
		return
	}
	kept := req[:0:0]
	for _, r := range req {
		name := r.(string)
		if _, ok := props[name]; ok {
			kept = append(kept, r)
		} else if !removed[name] {
			n.add(path+"/required", fmt.Sprintf("required property %q is not defined; removed from required", cutUTF8(name, 64)))
		}
	}
	if len(kept) == 0 {
		delete(out, "required")
		return
	}
	out["required"] = kept
}
