package convert

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Structured Outputs limits (OpenAI "Supported schemas" documentation).
const (
	strictMaxProperties  = 5000   // object properties in the whole schema
	strictMaxObjectDepth = 10     // nested object levels
	strictMaxEnumValues  = 1000   // enum values in the whole schema
	strictMaxStringChars = 120000 // property names, def names, enum and const values
	strictBigEnum        = 250    // an enum with more string values than this...
	strictBigEnumChars   = 15000  // ...may total at most this many characters
)

// strictUnsupported keywords make a schema incompatible with strict mode:
// dropping them would change what the tool accepts.
var strictUnsupported = map[string]bool{
	"allOf": true, "not": true, "if": true, "then": true, "else": true,
	"dependentRequired": true, "dependentSchemas": true, "dependencies": true,
	"patternProperties": true, "unevaluatedProperties": true, "unevaluatedItems": true,
	"propertyNames": true, "contains": true, "minContains": true, "maxContains": true,
	"prefixItems": true, "additionalItems": true, "$dynamicRef": true, "$recursiveRef": true,
}

// strictKept keywords pass through unchanged.
var strictKept = map[string]bool{
	"description": true, "pattern": true, "multipleOf": true, "minimum": true,
	"maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"minItems": true, "maxItems": true, "enum": true, "const": true,
}

// strictFormats are the string formats Structured Outputs supports.
var strictFormats = map[string]bool{
	"date-time": true, "time": true, "date": true, "duration": true, "email": true,
	"hostname": true, "ipv4": true, "ipv6": true, "uuid": true,
}

// strictifier rewrites a normalized schema into strict form, or finds the
// first reason it cannot.
type strictifier struct {
	reason, where string
	dropped       map[string]bool
	props         int
	enumValues    int
	chars         int
}

func (s *strictifier) fail(path, format string, args ...any) {
	if s.reason == "" {
		s.reason, s.where = fmt.Sprintf(format, args...), path
	}
}

func (s *strictifier) drop(k string) {
	if s.dropped == nil {
		s.dropped = map[string]bool{}
	}
	s.dropped[k] = true
}

// run converts the top-level schema.
func (s *strictifier) run(root map[string]any) map[string]any {
	var defs map[string]any
	if d, ok := root["$defs"].(map[string]any); ok {
		defs = make(map[string]any, len(d))
		for _, name := range sortedKeys(d) {
			s.chars += len(name)
			dm, _ := d[name].(map[string]any)
			defs[name] = s.node(dm, "/$defs/"+escapePointer(name), 0, false)
		}
	}
	body := make(map[string]any, len(root))
	for k, v := range root {
		if k != "$defs" {
			body[k] = v
		}
	}
	out := s.node(body, "", 0, true)
	if defs != nil && out != nil {
		out["$defs"] = defs
	}
	switch {
	case s.props > strictMaxProperties:
		s.fail("", "%d object properties, more than the %d strict mode allows", s.props, strictMaxProperties)
	case s.enumValues > strictMaxEnumValues:
		s.fail("", "%d enum values, more than the %d strict mode allows", s.enumValues, strictMaxEnumValues)
	case s.chars > strictMaxStringChars:
		s.fail("", "names and enum values total %d characters, more than the %d strict mode allows", s.chars, strictMaxStringChars)
	}
	if s.reason != "" {
		return nil
	}
	return out
}

// inferType guesses the type of an enum or const schema from its values.
func inferType(values []any) any {
	var types []any
	for _, v := range values {
		var t string
		switch x := v.(type) {
		case nil:
			t = "null"
		case bool:
			t = "boolean"
		case string:
			t = "string"
		case number:
			t = "number"
			if _, err := x.Int64(); err == nil {
				t = "integer"
			}
		case float64:
			t = "number"
		default:
			return nil
		}
		if t == "integer" && containsValue(types, "number") {
			continue
		}
		if t == "number" && containsValue(types, "integer") {
			for i, e := range types {
				if e == "integer" {
					types[i] = "number"
				}
			}
			continue
		}
		if !containsValue(types, t) {
			types = append(types, t)
		}
	}
	switch len(types) {
	case 0:
		return nil
	case 1:
		return types[0]
	}
	return types
}

// node converts one schema. objDepth counts the objects around it.
func (s *strictifier) node(m map[string]any, path string, objDepth int, root bool) map[string]any {
	if s.reason != "" {
		return nil
	}
	if m == nil {
		s.fail(path, "schema is missing")
		return nil
	}
	out := make(map[string]any, len(m)+2)
	var extraDesc []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch {
		case strictUnsupported[k]:
			s.fail(path, "keyword %q is not supported", k)
			return nil
		case strictKept[k]:
			out[k] = v
		case k == "type" || k == "properties" || k == "required" || k == "additionalProperties" || k == "items" || k == "anyOf" || k == "oneOf" || k == "$ref":
			// handled below
		case k == "format":
			if f, _ := v.(string); strictFormats[f] {
				out[k] = v
			} else {
				s.drop("format")
			}
		case k == "default":
			if b, err := json.Marshal(v); err == nil && len(b) <= 200 {
				extraDesc = append(extraDesc, "Default: "+string(b)+".")
			}
			s.drop(k)
		default:
			s.drop(k)
		}
	}
	if len(extraDesc) > 0 {
		d, _ := out["description"].(string)
		if d != "" {
			d += " "
		}
		out["description"] = d + strings.Join(extraDesc, " ")
	}
	if e, ok := out["enum"].([]any); ok {
		s.enumValues += len(e)
		total := 0
		strs := 0
		for _, v := range e {
			if str, ok := v.(string); ok {
				total += len(str)
				strs++
			}
		}
		s.chars += total
		if strs > strictBigEnum && total > strictBigEnumChars {
			s.fail(path, "enum of %d strings totals %d characters, more than the %d strict mode allows", strs, total, strictBigEnumChars)
			return nil
		}
	}
	if c, ok := out["const"].(string); ok {
		s.chars += len(c)
	}

	if r, ok := m["$ref"]; ok {
		for k := range out {
			if k != "description" {
				s.fail(path, "keyword %q next to $ref", k)
				return nil
			}
		}
		out["$ref"] = r
		return out
	}

	alts, hasAny := m["anyOf"].([]any)
	if one, ok := m["oneOf"].([]any); ok {
		if hasAny {
			s.fail(path, "both anyOf and oneOf")
			return nil
		}
		alts, hasAny = one, true
	}
	if hasAny {
		if root {
			s.fail(path, "anyOf at the top level")
			return nil
		}
		if _, ok := m["type"]; ok {
			s.fail(path, "anyOf next to type")
			return nil
		}
		for k := range out {
			if k != "description" {
				s.fail(path, "keyword %q next to anyOf", k)
				return nil
			}
		}
		na := make([]any, 0, len(alts))
		for i, a := range alts {
			am, _ := a.(map[string]any)
			c := s.node(am, fmt.Sprintf("%s/anyOf/%d", path, i), objDepth, false)
			if c == nil {
				return nil
			}
			na = append(na, c)
		}
		out["anyOf"] = na
		return out
	}

	t, typed := m["type"]
	if !typed {
		switch {
		case out["enum"] != nil:
			t = inferType(out["enum"].([]any))
		case out["const"] != nil:
			t = inferType([]any{out["const"]})
		case m["properties"] != nil:
			t = "object"
		case m["items"] != nil:
			t = "array"
		}
		if t == nil {
			s.fail(path, "schema has no type (any value allowed), which strict mode cannot express")
			return nil
		}
	}
	if list, ok := t.([]any); ok {
		nonNull := 0
		for _, e := range list {
			if e != "null" {
				nonNull++
			}
		}
		if nonNull > 1 {
			s.fail(path, "type list %v with more than one non-null type", list)
			return nil
		}
	}
	out["type"] = t
	if hasType(t, "object") {
		if objDepth+1 > strictMaxObjectDepth {
			s.fail(path, "objects nested more than %d levels deep", strictMaxObjectDepth)
			return nil
		}
		props, _ := m["properties"].(map[string]any)
		switch ap := m["additionalProperties"].(type) {
		case map[string]any:
			if len(ap) > 0 {
				s.fail(path, "additionalProperties with a schema (a map) is not supported")
				return nil
			}
		}
		if len(props) == 0 && !root && m["additionalProperties"] != false {
			s.fail(path, "object without properties accepts any keys, which strict mode cannot express")
			return nil
		}
		req, _ := m["required"].([]any)
		np := make(map[string]any, len(props))
		names := sortedKeys(props)
		all := make([]any, len(names))
		s.props += len(names)
		for i, name := range names {
			s.chars += len(name)
			pm, _ := props[name].(map[string]any)
			c := s.node(pm, path+"/properties/"+escapePointer(name), objDepth+1, false)
			if c == nil {
				return nil
			}
			if !containsValue(req, name) {
				c = nullable(c)
			}
			np[name] = c
			all[i] = name
		}
		out["properties"] = np
		out["required"] = all
		out["additionalProperties"] = false
	}
	if hasType(t, "array") {
		im, _ := m["items"].(map[string]any)
		c := s.node(im, path+"/items", objDepth, false)
		if c == nil {
			return nil
		}
		out["items"] = c
	}
	return out
}

// nullable lets a strict schema also accept null; it is how strict mode
// expresses an optional property.
func nullable(m map[string]any) map[string]any {
	if _, ok := m["$ref"]; ok {
		return map[string]any{"anyOf": []any{m, map[string]any{"type": "null"}}}
	}
	if alts, ok := m["anyOf"].([]any); ok {
		for _, a := range alts {
			if am, ok := a.(map[string]any); ok && am["type"] == "null" && len(am) == 1 {
				return m
			}
		}
		out := copyMap(m)
		out["anyOf"] = append(append(make([]any, 0, len(alts)+1), alts...), map[string]any{"type": "null"})
		return out
	}
	if _, ok := m["const"]; ok {
		inner := copyMap(m)
		delete(inner, "description")
		out := map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
		if d, ok := m["description"]; ok {
			out["description"] = d
		}
		return out
	}
	out := copyMap(m)
	if t, ok := out["type"]; ok {
		out["type"] = addNullType(t)
	}
	if e, ok := out["enum"].([]any); ok && !containsValue(e, nil) {
		out["enum"] = append(append(make([]any, 0, len(e)+1), e...), nil)
	}
	return out
}
