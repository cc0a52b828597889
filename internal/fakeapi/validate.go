package fakeapi

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// requestSchemaJSON is CreateResponse and every schema it references, taken
// from the OpenAI OpenAPI document (MIT License, see
// testdata/LICENSE-openai-openapi) by testdata/extract_schema.py.
//
//go:embed testdata/responses_request_schema.json
var requestSchemaJSON []byte

// ErrInvalidRequest is wrapped by every error Validate returns.
var ErrInvalidRequest = errors.New("fakeapi: request does not match the Responses API request schema")

// ValidationError lists the problems Validate found in one request.
type ValidationError struct {
	Problems []string // one line each: a JSON path and what is wrong there
}

// Error lists the first problems found.
func (e *ValidationError) Error() string {
	const show = 5
	var b strings.Builder
	b.WriteString("invalid Responses request: ")
	for i, p := range e.Problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidRequest) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidRequest }

// Validate checks a recorded request body against the Responses API request
// schema (CreateResponse from the OpenAPI document, embedded from testdata)
// and against rules the API enforces that the document leaves out:
//
//   - every function_call_output input item carries a non-empty call_id;
//   - every function tool sends strict explicitly as a boolean (the API
//     treats a missing strict as strict mode);
//   - every function tool's parameters is a schema whose top-level type is
//     "object", and its name matches ^[a-zA-Z0-9_-]{1,64}$.
//
// The schema check understands type, properties, required, enum, const,
// anyOf, oneOf, allOf, items, $ref, additionalProperties, min/max length,
// items and values, and pattern. oneOf with a discriminator is satisfied by
// any branch whose discriminator value matches, because the document's
// branches overlap; a discriminator value no branch accepts (an unknown
// input item or tool type) is reported as such. Other keywords are ignored.
func Validate(req *Request) error {
	if req == nil {
		return fmt.Errorf("%w: nil request", ErrInvalidRequest)
	}
	body := req.Body
	if body == nil {
		if err := json.Unmarshal(req.Raw, &body); err != nil {
			return &ValidationError{Problems: []string{"body is not a JSON object: " + err.Error()}}
		}
	}
	return ValidateBody(body)
}

// ValidateBody is Validate for a decoded request body.
func ValidateBody(body map[string]any) error {
	root, err := loadSchema()
	if err != nil {
		return err
	}
	v := &validator{schemas: root.schemas}
	problems := v.check(root.root, body, "", 0)
	problems = append(problems, extraRules(body)...)
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

type compiledSchema struct {
	root    any
	schemas map[string]any
}

var (
	schemaOnce sync.Once
	schemaVal  *compiledSchema
	schemaErr  error
	patterns   sync.Map // pattern string -> *regexp.Regexp or nil when Go cannot compile it
)

func loadSchema() (*compiledSchema, error) {
	schemaOnce.Do(func() {
		var doc struct {
			Root       string `json:"root"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(requestSchemaJSON, &doc); err != nil {
			schemaErr = fmt.Errorf("fakeapi: embedded schema: %w", err)
			return
		}
		schemaVal = &compiledSchema{
			root:    map[string]any{"$ref": doc.Root},
			schemas: doc.Components.Schemas,
		}
	})
	return schemaVal, schemaErr
}

const maxDepth = 200

type validator struct {
	schemas map[string]any
}

func (v *validator) resolve(ref string) (any, bool) {
	const prefix = "#/components/schemas/"
	if !strings.HasPrefix(ref, prefix) {
		return nil, false
	}
	s, ok := v.schemas[strings.TrimPrefix(ref, prefix)]
	return s, ok
}

func at(path, key string) string { return path + "/" + key }

func idx(path string, i int) string { return fmt.Sprintf("%s/%d", path, i) }

func show(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// check returns the problems found in x against schema s.
func (v *validator) check(s any, x any, path string, depth int) []string {
	if depth > maxDepth {
		return []string{show(path) + ": schema nesting too deep"}
	}
	switch sv := s.(type) {
	case bool:
		if !sv {
			return []string{show(path) + ": no value is allowed here"}
		}
		return nil
	case map[string]any:
		return v.checkObject(sv, x, path, depth)
	default:
		return nil
	}
}

func (v *validator) checkObject(s map[string]any, x any, path string, depth int) []string {
	var out []string
	if ref, ok := s["$ref"].(string); ok {
		target, found := v.resolve(ref)
		if !found {
			return []string{show(path) + ": schema reference " + ref + " not found"}
		}
		out = append(out, v.check(target, x, path, depth+1)...)
	}
	// $recursiveRef is only used for nested filter schemas; accept anything.

	if t, ok := s["type"]; ok {
		if !typeMatches(t, x) {
			return append(out, fmt.Sprintf("%s: got %s, want %v", show(path), jsonType(x), t))
		}
	}
	if enum, ok := s["enum"].([]any); ok && !inEnum(enum, x) {
		out = append(out, fmt.Sprintf("%s: %s is not one of %s", show(path), short(x), short(enum)))
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, x) {
		out = append(out, fmt.Sprintf("%s: %s must be %s", show(path), short(x), short(c)))
	}

	switch xv := x.(type) {
	case map[string]any:
		out = append(out, v.checkProperties(s, xv, path, depth)...)
	case []any:
		if items, ok := s["items"]; ok {
			for i, e := range xv {
				out = append(out, v.check(items, e, idx(path, i), depth+1)...)
			}
		}
		if n, ok := num(s["minItems"]); ok && float64(len(xv)) < n {
			out = append(out, fmt.Sprintf("%s: %d items, want at least %v", show(path), len(xv), n))
		}
		if n, ok := num(s["maxItems"]); ok && float64(len(xv)) > n {
			out = append(out, fmt.Sprintf("%s: %d items, want at most %v", show(path), len(xv), n))
		}
	case string:
		l := float64(utf8.RuneCountInString(xv))
		if n, ok := num(s["minLength"]); ok && l < n {
			out = append(out, fmt.Sprintf("%s: string shorter than %v", show(path), n))
		}
		if n, ok := num(s["maxLength"]); ok && l > n {
			out = append(out, fmt.Sprintf("%s: string longer than %v", show(path), n))
		}
		if p, ok := s["pattern"].(string); ok {
			if re := compilePattern(p); re != nil && !re.MatchString(xv) {
				out = append(out, fmt.Sprintf("%s: %q does not match %s", show(path), xv, p))
			}
		}
	case float64:
		if n, ok := num(s["minimum"]); ok && xv < n {
			out = append(out, fmt.Sprintf("%s: %v is below the minimum %v", show(path), xv, n))
		}
		if n, ok := num(s["maximum"]); ok && xv > n {
			out = append(out, fmt.Sprintf("%s: %v is above the maximum %v", show(path), xv, n))
		}
	}

	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			out = append(out, v.check(sub, x, path, depth+1)...)
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		out = append(out, v.checkAlternatives(s, anyOf, x, path, depth, false)...)
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		out = append(out, v.checkAlternatives(s, oneOf, x, path, depth, true)...)
	}
	return out
}

func (v *validator) checkProperties(s map[string]any, x map[string]any, path string, depth int) []string {
	var out []string
	props, _ := s["properties"].(map[string]any)
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			name, _ := r.(string)
			if _, present := x[name]; !present {
				out = append(out, fmt.Sprintf("%s: missing required property %q", show(path), name))
			}
		}
	}
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	addl, hasAddl := s["additionalProperties"]
	for _, k := range keys {
		if ps, ok := props[k]; ok {
			out = append(out, v.check(ps, x[k], at(path, k), depth+1)...)
			continue
		}
		if !hasAddl {
			continue
		}
		if b, ok := addl.(bool); ok && !b {
			out = append(out, fmt.Sprintf("%s: unknown property %q", show(path), k))
			continue
		}
		out = append(out, v.check(addl, x[k], at(path, k), depth+1)...)
	}
	return out
}

// checkAlternatives handles anyOf and oneOf.
func (v *validator) checkAlternatives(parent map[string]any, alts []any, x any, path string, depth int, exactlyOne bool) []string {
	candidates := alts
	discriminated := false
	if d, ok := parent["discriminator"].(map[string]any); ok {
		prop, _ := d["propertyName"].(string)
		if obj, isObj := x.(map[string]any); isObj && prop != "" {
			if val, has := obj[prop]; has {
				discriminated = true
				var picked []any
				var known []string
				for _, a := range alts {
					accepts, values := v.discriminatorAccepts(a, prop, val, depth)
					known = append(known, values...)
					if accepts {
						picked = append(picked, a)
					}
				}
				if len(picked) == 0 {
					sort.Strings(known)
					return []string{fmt.Sprintf("%s: unknown %s %s (known: %s)", show(path), prop, short(val), strings.Join(dedupe(known), ", "))}
				}
				candidates = picked
			}
		}
	}
	matched := 0
	var best []string
	bestTyped := false
	typedCount := 0
	for _, a := range candidates {
		errs := v.check(a, x, path, depth+1)
		if len(errs) == 0 {
			matched++
			continue
		}
		// Prefer the errors of a branch of the right JSON type: they say
		// what is wrong inside the value, not that it is another type.
		typed := v.typeCompatible(a, x, depth)
		if typed {
			typedCount++
		}
		if best == nil || (typed && !bestTyped) || (typed == bestTyped && len(errs) < len(best)) {
			best, bestTyped = errs, typed
		}
	}
	switch {
	case matched == 0:
		if len(candidates) == 1 || (bestTyped && typedCount == 1) {
			return best
		}
		return append([]string{fmt.Sprintf("%s: matches none of %d alternatives; closest:", show(path), len(candidates))}, best...)
	case exactlyOne && matched > 1 && !discriminated:
		return []string{fmt.Sprintf("%s: matches %d alternatives of a oneOf, want exactly one", show(path), matched)}
	}
	return nil
}

// typeCompatible reports whether x has the JSON type schema s asks for
// (looking through $ref); a schema without a type is compatible.
func (v *validator) typeCompatible(s any, x any, depth int) bool {
	m, ok := s.(map[string]any)
	if !ok || depth > maxDepth {
		return true
	}
	if t, ok := m["type"]; ok {
		return typeMatches(t, x)
	}
	if ref, ok := m["$ref"].(string); ok {
		if target, found := v.resolve(ref); found {
			return v.typeCompatible(target, x, depth+1)
		}
	}
	return true
}

// discriminatorAccepts reports whether branch s allows val for prop, and the
// values it names. A branch that does not constrain prop accepts anything.
func (v *validator) discriminatorAccepts(s any, prop string, val any, depth int) (bool, []string) {
	if depth > maxDepth {
		return true, nil
	}
	m, ok := s.(map[string]any)
	if !ok {
		return true, nil
	}
	if ref, ok := m["$ref"].(string); ok {
		if t, found := v.resolve(ref); found {
			if acc, vals := v.discriminatorAccepts(t, prop, val, depth+1); !acc || len(vals) > 0 {
				return acc, vals
			}
		}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if alts, ok := m[key].([]any); ok {
			var all []string
			accepted := false
			constrained := true
			for _, a := range alts {
				acc, vals := v.discriminatorAccepts(a, prop, val, depth+1)
				if len(vals) == 0 {
					constrained = false
				}
				all = append(all, vals...)
				accepted = accepted || acc
			}
			if constrained {
				return accepted, all
			}
		}
	}
	props, _ := m["properties"].(map[string]any)
	ps, ok := props[prop]
	if !ok {
		return true, nil
	}
	vals := enumValues(ps, v, depth)
	if len(vals) == 0 {
		return true, nil
	}
	s2, isStr := val.(string)
	for _, e := range vals {
		if isStr && e == s2 {
			return true, vals
		}
	}
	return false, vals
}

// enumValues collects string enum/const values of a property schema,
// looking through anyOf/oneOf (e.g. a string enum or null).
func enumValues(s any, v *validator, depth int) []string {
	m, ok := s.(map[string]any)
	if !ok || depth > maxDepth {
		return nil
	}
	var out []string
	if ref, ok := m["$ref"].(string); ok {
		if t, found := v.resolve(ref); found {
			out = append(out, enumValues(t, v, depth+1)...)
		}
	}
	if e, ok := m["enum"].([]any); ok {
		for _, x := range e {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
	}
	if c, ok := m["const"].(string); ok {
		out = append(out, c)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := m[key].([]any); ok {
			for _, a := range alts {
				out = append(out, enumValues(a, v, depth+1)...)
			}
		}
	}
	return out
}

var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// extraRules checks what the API enforces beyond the published schema.
func extraRules(body map[string]any) []string {
	var out []string
	if items, ok := body["input"].([]any); ok {
		for i, it := range items {
			m, ok := it.(map[string]any)
			if !ok || m["type"] != "function_call_output" {
				continue
			}
			if id, _ := m["call_id"].(string); id == "" {
				out = append(out, fmt.Sprintf("/input/%d: function_call_output without call_id", i))
			}
		}
	}
	if tools, ok := body["tools"].([]any); ok {
		for i, t := range tools {
			m, ok := t.(map[string]any)
			if !ok || m["type"] != "function" {
				continue
			}
			p := fmt.Sprintf("/tools/%d", i)
			if _, ok := m["strict"].(bool); !ok {
				out = append(out, p+": function tool without an explicit boolean strict")
			}
			params, ok := m["parameters"].(map[string]any)
			if !ok {
				out = append(out, p+": function tool parameters must be a JSON Schema object")
			} else if params["type"] != "object" {
				out = append(out, fmt.Sprintf("%s/parameters: top-level type must be \"object\", got %s", p, short(params["type"])))
			}
			if name, _ := m["name"].(string); !functionNameRE.MatchString(name) {
				out = append(out, fmt.Sprintf("%s/name: %q does not match ^[a-zA-Z0-9_-]{1,64}$", p, name))
			}
		}
	}
	return out
}

func typeMatches(t any, x any) bool {
	switch tv := t.(type) {
	case string:
		return oneType(tv, x)
	case []any:
		for _, e := range tv {
			if s, ok := e.(string); ok && oneType(s, x) {
				return true
			}
		}
		return false
	}
	return true
}

func oneType(t string, x any) bool {
	switch t {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "null":
		return x == nil
	case "number":
		_, ok := x.(float64)
		return ok
	case "integer":
		f, ok := x.(float64)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return true
}

func jsonType(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	}
	return fmt.Sprintf("%T", x)
}

func inEnum(enum []any, x any) bool {
	for _, e := range enum {
		if reflect.DeepEqual(e, x) {
			return true
		}
	}
	return false
}

func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func compilePattern(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		r, _ := re.(*regexp.Regexp)
		return r
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil // an ECMA-only pattern: skip it rather than reject valid values
	}
	patterns.Store(p, re)
	return re
}

func short(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
