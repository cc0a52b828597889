// Package jsonschema checks JSON values against the subset of JSON Schema
// that tool input schemas use: type, properties, required,
// additionalProperties, items, enum, const, anyOf, oneOf, allOf, not, numeric
// and length bounds, pattern, and local $ref into $defs or definitions.
// Keywords outside that subset are ignored, so a value is never rejected for
// a rule this package does not understand.
package jsonschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every validation failure.
var ErrInvalid = errors.New("value does not match schema")

// maxDepth bounds recursion through nested schemas and $ref chains.
const maxDepth = 64

// Error describes the first place where a value breaks its schema.
type Error struct {
	Path   string // JSON pointer-like path of the offending field, "" for the root
	Reason string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "arguments: " + e.Reason
	}
	return fmt.Sprintf("field %s: %s", e.Path, e.Reason)
}

// Unwrap makes every Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// ValidateJSON decodes schema and value and validates. An empty schema
// accepts anything. A schema that is not valid JSON is reported as an error.
func ValidateJSON(schema, value []byte) error {
	if len(schema) == 0 {
		return nil
	}
	var s any
	if err := json.Unmarshal(schema, &s); err != nil {
		return fmt.Errorf("schema is not valid JSON: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(value)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &Error{Reason: "not valid JSON: " + err.Error()}
	}
	return Validate(s, v)
}

// Validate checks an already decoded value (numbers may be float64 or
// json.Number) against an already decoded schema.
func Validate(schema, value any) error {
	root, _ := schema.(map[string]any)
	v := validator{root: root, patterns: map[string]*regexp.Regexp{}}
	return v.check(schema, value, "", 0)
}

type validator struct {
	root     map[string]any
	patterns map[string]*regexp.Regexp
}

func (v *validator) check(schema, value any, path string, depth int) error {
	if depth > maxDepth {
		return nil // too deep to check further; accept rather than guess
	}
	switch s := schema.(type) {
	case bool:
		if !s {
			return &Error{Path: path, Reason: "no value is allowed here"}
		}
		return nil
	case map[string]any:
		return v.checkObject(s, value, path, depth)
	default:
		return nil
	}
}

func (v *validator) checkObject(s map[string]any, value any, path string, depth int) error {
	if ref, ok := s["$ref"].(string); ok {
		target, ok := v.resolve(ref)
		if ok {
			if err := v.check(target, value, path, depth+1); err != nil {
				return err
			}
		}
	}
	if t, ok := s["type"]; ok {
		if err := checkType(t, value, path); err != nil {
			return err
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if equal(e, value) {
				found = true
				break
			}
		}
		if !found {
			return &Error{Path: path, Reason: fmt.Sprintf("must be one of %s", compact(enum))}
		}
	}
	if c, ok := s["const"]; ok && !equal(c, value) {
		return &Error{Path: path, Reason: fmt.Sprintf("must be %s", compact(c))}
	}
	if err := v.checkCombinators(s, value, path, depth); err != nil {
		return err
	}
	switch val := value.(type) {
	case map[string]any:
		return v.checkProperties(s, val, path, depth)
	case []any:
		return v.checkItems(s, val, path, depth)
	case string:
		return v.checkString(s, val, path)
	case json.Number, float64:
		return checkNumber(s, toFloat(val), path)
	}
	return nil
}

func (v *validator) checkCombinators(s map[string]any, value any, path string, depth int) error {
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			if err := v.check(sub, value, path, depth+1); err != nil {
				return err
			}
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok && len(anyOf) > 0 {
		var first error
		matched := false
		for _, sub := range anyOf {
			err := v.check(sub, value, path, depth+1)
			if err == nil {
				matched = true
				break
			}
			if first == nil {
				first = err
			}
		}
		if !matched {
			return &Error{Path: path, Reason: "matches none of the allowed forms (" + first.Error() + ")"}
		}
	}
	if oneOf, ok := s["oneOf"].([]any); ok && len(oneOf) > 0 {
		n := 0
		for _, sub := range oneOf {
			if v.check(sub, value, path, depth+1) == nil {
				n++
			}
		}
		if n != 1 {
			return &Error{Path: path, Reason: fmt.Sprintf("must match exactly one allowed form, matches %d", n)}
		}
	}
	if not, ok := s["not"]; ok {
		if v.check(not, value, path, depth+1) == nil {
			return &Error{Path: path, Reason: "matches a form that is not allowed"}
		}
	}
	return nil
}

func (v *validator) checkProperties(s map[string]any, obj map[string]any, path string, depth int) error {
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			name, _ := r.(string)
			if _, ok := obj[name]; !ok {
				return &Error{Path: join(path, name), Reason: "is required"}
			}
		}
	}
	props, _ := s["properties"].(map[string]any)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same field first every time
	for _, k := range keys {
		if sub, ok := props[k]; ok {
			if err := v.check(sub, obj[k], join(path, k), depth+1); err != nil {
				return err
			}
			continue
		}
		if ap, ok := s["additionalProperties"]; ok {
			if b, isBool := ap.(bool); isBool && !b {
				return &Error{Path: join(path, k), Reason: "is not an allowed field"}
			}
			if err := v.check(ap, obj[k], join(path, k), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *validator) checkItems(s map[string]any, arr []any, path string, depth int) error {
	if n, ok := number(s["minItems"]); ok && float64(len(arr)) < n {
		return &Error{Path: path, Reason: fmt.Sprintf("must have at least %v items", n)}
	}
	if n, ok := number(s["maxItems"]); ok && float64(len(arr)) > n {
		return &Error{Path: path, Reason: fmt.Sprintf("must have at most %v items", n)}
	}
	if items, ok := s["items"]; ok {
		for i, e := range arr {
			if err := v.check(items, e, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *validator) checkString(s map[string]any, str, path string) error {
	n := float64(utf8.RuneCountInString(str))
	if m, ok := number(s["minLength"]); ok && n < m {
		return &Error{Path: path, Reason: fmt.Sprintf("must be at least %v characters", m)}
	}
	if m, ok := number(s["maxLength"]); ok && n > m {
		return &Error{Path: path, Reason: fmt.Sprintf("must be at most %v characters", m)}
	}
	if p, ok := s["pattern"].(string); ok {
		re, cached := v.patterns[p]
		if !cached {
			re, _ = regexp.Compile(p) // a pattern Go cannot compile is ignored
			v.patterns[p] = re
		}
		if re != nil && !re.MatchString(str) {
			return &Error{Path: path, Reason: fmt.Sprintf("must match pattern %q", p)}
		}
	}
	return nil
}

func checkNumber(s map[string]any, f float64, path string) error {
	if m, ok := number(s["minimum"]); ok && f < m {
		return &Error{Path: path, Reason: fmt.Sprintf("must be >= %v", m)}
	}
	if m, ok := number(s["maximum"]); ok && f > m {
		return &Error{Path: path, Reason: fmt.Sprintf("must be <= %v", m)}
	}
	if m, ok := number(s["exclusiveMinimum"]); ok && f <= m {
		return &Error{Path: path, Reason: fmt.Sprintf("must be > %v", m)}
	}
	if m, ok := number(s["exclusiveMaximum"]); ok && f >= m {
		return &Error{Path: path, Reason: fmt.Sprintf("must be < %v", m)}
	}
	return nil
}

func (v *validator) resolve(ref string) (any, bool) {
	if v.root == nil || !strings.HasPrefix(ref, "#") {
		return nil, false
	}
	if ref == "#" {
		return v.root, true
	}
	var cur any = v.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func checkType(t, value any, path string) error {
	switch tt := t.(type) {
	case string:
		if hasType(tt, value) {
			return nil
		}
		return &Error{Path: path, Reason: fmt.Sprintf("must be of type %s, got %s", tt, typeName(value))}
	case []any:
		names := make([]string, 0, len(tt))
		for _, x := range tt {
			name, _ := x.(string)
			if hasType(name, value) {
				return nil
			}
			names = append(names, name)
		}
		return &Error{Path: path, Reason: fmt.Sprintf("must be of type %s, got %s", strings.Join(names, " or "), typeName(value))}
	}
	return nil
}

func hasType(name string, value any) bool {
	switch name {
	case "object":
		_, ok := value.(map[string]any)
		return ok
	case "array":
		_, ok := value.([]any)
		return ok
	case "string":
		_, ok := value.(string)
		return ok
	case "boolean":
		_, ok := value.(bool)
		return ok
	case "null":
		return value == nil
	case "number":
		switch value.(type) {
		case json.Number, float64:
			return true
		}
	case "integer":
		switch value.(type) {
		case json.Number, float64:
			f := toFloat(value)
			return f == math.Trunc(f) && !math.IsInf(f, 0)
		}
	default:
		return true // unknown type names are not ours to reject
	}
	return false
}

func typeName(value any) string {
	switch value.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case json.Number, float64:
		return "number"
	}
	return fmt.Sprintf("%T", value)
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return 0
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	}
	return 0, false
}

// equal compares decoded JSON values, treating numbers by value.
func equal(a, b any) bool {
	_, an := number(a)
	_, bn := number(b)
	if an && bn {
		return toFloatAny(a) == toFloatAny(b)
	}
	switch av := a.(type) {
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !equal(av[i], bv[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equal(x, y) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func toFloatAny(v any) float64 {
	f, _ := number(v)
	return f
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
