package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Limits that keep the work on hostile schemas bounded.
const (
	// MaxSchemaBytes is the largest raw input schema accepted; a larger one
	// makes the tool unusable.
	MaxSchemaBytes = 4 << 20
	// MaxSchemaDepth is how deeply schemas may nest (counting every
	// subschema and every inlined reference). Deeper parts become {}.
	MaxSchemaDepth = 32
	// inlineBudget is the number of schema nodes inlining may produce before
	// the conversion falls back to keeping every reference in $defs.
	inlineBudget = 20000
	// hoistBudget is the number of schema nodes a schema may have at all.
	hoistBudget = 200000
	// maxSchemaText caps description and title strings inside a schema.
	maxSchemaText = 4096
	// maxNotes is how many notes one schema reports before summarizing.
	maxNotes = 20
)

// ErrUnusableSchema is wrapped by the error Schema returns when a schema
// cannot be turned into function parameters at all.
var ErrUnusableSchema = errors.New("unusable input schema")

// SchemaResult is a converted input schema.
type SchemaResult struct {
	Parameters map[string]any // "type":"object" at the top, safe to send
	Strict     bool           // Parameters is in strict form
	Notes      []string       // what was repaired, one "<json pointer>: <reason>" per line

	optional *optionalTree
}

// note is one repair made to a schema.
type note struct{ path, reason string }

// field is the Diagnostic.Field of a note.
func (n note) field() string { return "inputSchema" + n.path }

// String renders the note as "<path>: <reason>", using "/" for the root.
func (n note) String() string {
	p := n.path
	if p == "" {
		p = "/"
	}
	return p + ": " + n.reason
}

// Schema converts an MCP input schema into function parameters.
//
// A missing, null or empty schema becomes {"type":"object","properties":{}}.
// The result always has "type":"object" and "properties" at the top, and no
// top-level $schema, $id, anyOf, oneOf, allOf, enum, const, not or
// if/then/else: top-level anyOf/oneOf alternatives that are objects are
// merged into one object (a property is required only if every alternative
// requires it, and the alternatives are spelled out in the description),
// allOf parts are merged, the other keywords are dropped. Below the top,
// arrays get "items", objects get "properties", boolean subschemas become
// {} (true) or are removed or replaced by {"not":{}} (false), misspelled
// types ("int", "float", "bool", ...) are corrected, type lists are
// de-duplicated, draft-04 exclusive bounds are rewritten, ill-typed keyword
// values are dropped, and local $ref pointers are resolved (see the package
// documentation for the cycle policy).
//
// With strict set, a compatible schema is also rewritten to strict form and
// SchemaResult.Strict is true; an incompatible one is returned non-strict with
// a note saying why.
//
// The error wraps ErrUnusableSchema: the schema is not JSON, is too large, or
// describes something other than an object (MCP arguments are always one).
func Schema(raw json.RawMessage, strict bool) (SchemaResult, error) {
	res, notes, err := convertSchema(raw, strict)
	if len(notes) > 0 {
		res.Notes = make([]string, len(notes))
		for i, n := range notes {
			res.Notes[i] = n.String()
		}
	}
	return res, err
}

func emptyObject() map[string]any {
	return map[string]any{"type": "object", "properties": map[string]any{}}
}

func unusable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnusableSchema, fmt.Sprintf(format, args...))
}

// convertSchema does the work of Schema.
func convertSchema(raw json.RawMessage, strict bool) (SchemaResult, []note, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || bytes.Equal(trimmed, []byte("{}")) {
		return finish(emptyObject(), nil, strict)
	}
	if len(trimmed) > MaxSchemaBytes {
		return SchemaResult{}, nil, unusable("schema is %d bytes, more than the %d allowed", len(trimmed), MaxSchemaBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return SchemaResult{}, nil, unusable("not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err == nil {
		return SchemaResult{}, nil, unusable("not valid JSON: data after the schema")
	}
	switch d := doc.(type) {
	case bool:
		if !d {
			return SchemaResult{}, nil, unusable("schema is false, which accepts no arguments at all")
		}
		return finish(emptyObject(), []note{{"", "schema true replaced by an empty object schema"}}, strict)
	case map[string]any:
	default:
		return SchemaResult{}, nil, unusable("schema is a JSON %s, not an object", jsonKind(doc))
	}

	n := newNormalizer(doc, false)
	out, err := n.run()
	if n.over {
		n = newNormalizer(doc, true)
		out, err = n.run()
		if n.over {
			return SchemaResult{}, nil, unusable("schema has more than %d subschemas", hoistBudget)
		}
		n.add("", "references fan out too much to inline; kept them under $defs")
	}
	if err != nil {
		return SchemaResult{}, n.notes(), err
	}
	return finish(out, n.notes(), strict)
}

// finish applies strict mode when asked and packs the result.
func finish(params map[string]any, notes []note, strict bool) (SchemaResult, []note, error) {
	res := SchemaResult{Parameters: params}
	if !strict {
		return res, notes, nil
	}
	s := &strictifier{}
	out := s.run(params)
	if s.reason != "" {
		notes = append(notes, note{s.where, "strict mode not applied: " + s.reason})
		return res, notes, nil
	}
	if len(s.dropped) > 0 {
		kw := make([]string, 0, len(s.dropped))
		for k := range s.dropped {
			kw = append(kw, k)
		}
		sort.Strings(kw)
		notes = append(notes, note{"", "strict mode: dropped keywords it does not support: " + strings.Join(kw, ", ")})
	}
	res.optional = buildOptionalTree(params, 0)
	res.Parameters = out
	res.Strict = true
	return res, notes, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case Number, json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// normalizer repairs one schema document.
type normalizer struct {
	root   any
	hoist  bool // keep every reference in $defs instead of inlining
	nodes  int
	budget int
	over   bool

	list    []note
	skipped int

	stack    []string          // pointers being inlined, for cycle detection
	defName  map[string]string // pointer -> name under $defs
	defTaken map[string]bool
	defs     map[string]any // name -> normalized schema
}

func newNormalizer(root any, hoist bool) *normalizer {
	b := inlineBudget
	if hoist {
		b = hoistBudget
	}
	return &normalizer{root: root, hoist: hoist, budget: b, stack: []string{""}}
}

func (n *normalizer) add(path, reason string) {
	if len(n.list) >= maxNotes {
		n.skipped++
		return
	}
	n.list = append(n.list, note{path, reason})
}

func (n *normalizer) notes() []note {
	if n.skipped > 0 {
		return append(n.list, note{"", fmt.Sprintf("and %d more repairs not listed", n.skipped)})
	}
	return n.list
}

// neverSchema matches nothing; it stands in for the boolean schema false.
func neverSchema() map[string]any { return map[string]any{"not": map[string]any{}} }

// run normalizes the whole document, then fixes the top level.
func (n *normalizer) run() (map[string]any, error) {
	m, _ := n.schema(n.root, "", 0)
	if n.over {
		return nil, nil
	}
	return n.fixRoot(m)
}

// schema normalizes one subschema. never is true for the schema false.
func (n *normalizer) schema(v any, path string, depth int) (m map[string]any, never bool) {
	n.nodes++
	if n.nodes > n.budget {
		n.over = true
		return map[string]any{}, false
	}
	if depth > MaxSchemaDepth {
		n.add(path, fmt.Sprintf("nested more than %d levels deep; replaced by an empty schema", MaxSchemaDepth))
		return map[string]any{}, false
	}
	switch x := v.(type) {
	case bool:
		if x {
			return map[string]any{}, false
		}
		return nil, true
	case map[string]any:
		if ref, ok := x["$ref"]; ok {
			return n.ref(x, ref, path, depth)
		}
		return n.object(x, path, depth), false
	}
	n.add(path, "schema is a JSON "+jsonKind(v)+"; replaced by an empty schema")
	return map[string]any{}, false
}

// sub normalizes a subschema where false becomes {"not":{}}.
func (n *normalizer) sub(v any, path string, depth int) map[string]any {
	m, never := n.schema(v, path, depth)
	if never {
		n.add(path, "schema false replaced by a schema that matches nothing")
		return neverSchema()
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// keyPath is the JSON pointer of keyword k below path. It is built only
// where needed (a note or a subschema), never for every keyword.
func keyPath(path, k string) string {
	return path + "/" + escapePointer(k)
}

// escapePointer escapes one JSON pointer segment.
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
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

// hasType reports whether the type value t includes name.
func hasType(t any, name string) bool {
	switch x := t.(type) {
	case string:
		return x == name
	case []any:
		for _, e := range x {
			if e == name {
				return true
			}
		}
	}
	return false
}

func addNullType(t any) any {
	switch x := t.(type) {
	case string:
		if x == "null" {
			return x
		}
		return []any{x, "null"}
	case []any:
		if hasType(x, "null") {
			return x
		}
		return append(append(make([]any, 0, len(x)+1), x...), "null")
	}
	return t
}

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
				if k == "patternProperties" && n.badPattern(keyPath(path, k)+"/"+escapePointer(name), name) {
					continue
				}
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
			if p, ok := v.(string); ok && k == "pattern" && n.badPattern(keyPath(path, k), p) {
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

// mergeCombinators folds allOf, and anyOf/oneOf with a single alternative,
// into the schema when that loses nothing.
func (n *normalizer) mergeCombinators(out map[string]any, path string) {
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		alts, ok := out[k].([]any)
		if !ok || k != "allOf" && len(alts) != 1 {
			continue
		}
		merged := make(map[string]any, len(out))
		for kk, vv := range out {
			if kk != k {
				merged[kk] = vv
			}
		}
		good := true
		for _, a := range alts {
			am, ok := a.(map[string]any)
			if !ok || !mergeInto(merged, am, false) {
				good = false
				break
			}
		}
		if good {
			clear(out)
			for kk, vv := range merged {
				out[kk] = vv
			}
		}
	}
}

// mergeInto merges src into dst as if both had to hold. dst keeps its
// description and title. With force, conflicts are settled in favour of dst
// (properties that differ become an allOf); without, a conflict makes
// mergeInto return false and leave dst unchanged.
func mergeInto(dst, src map[string]any, force bool) bool {
	if !force {
		for k, v := range src {
			switch k {
			case "properties", "required", "description", "title":
				continue
			}
			if dv, ok := dst[k]; ok && !reflect.DeepEqual(dv, v) {
				return false
			}
		}
		if sp, ok := src["properties"].(map[string]any); ok {
			if dp, ok := dst["properties"].(map[string]any); ok {
				for name, s := range sp {
					if d, ok := dp[name]; ok && !reflect.DeepEqual(d, s) {
						return false
					}
				}
			}
		}
	}
	for k, v := range src {
		switch k {
		case "description", "title":
			if _, ok := dst[k]; !ok {
				dst[k] = v
			}
		case "properties":
			sp, _ := v.(map[string]any)
			dp, _ := dst[k].(map[string]any)
			np := make(map[string]any, len(dp)+len(sp))
			for name, s := range dp {
				np[name] = s
			}
			for name, s := range sp {
				if d, ok := np[name]; ok && !reflect.DeepEqual(d, s) {
					np[name] = map[string]any{"allOf": []any{d, s}}
					continue
				}
				np[name] = s
			}
			dst[k] = np
		case "required":
			dr, _ := dst[k].([]any)
			sr, _ := v.([]any)
			nr := append([]any(nil), dr...)
			for _, r := range sr {
				if !containsValue(nr, r) {
					nr = append(nr, r)
				}
			}
			dst[k] = nr
		default:
			if _, ok := dst[k]; !ok {
				dst[k] = v
			}
		}
	}
	return true
}

func containsValue(list []any, v any) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

func containsSchema(list []any, v any) bool {
	for _, e := range list {
		if reflect.DeepEqual(e, v) {
			return true
		}
	}
	return false
}

// resolvePointer finds the value a JSON pointer (fragment form) names.
func resolvePointer(root any, ptr string) (any, bool) {
	if ptr == "" {
		return root, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	cur := root
	for _, seg := range strings.Split(ptr[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// ref resolves a schema with a $ref.
func (n *normalizer) ref(in map[string]any, refVal any, path string, depth int) (map[string]any, bool) {
	siblings := make(map[string]any, len(in))
	for k, v := range in {
		if k != "$ref" {
			siblings[k] = v
		}
	}
	rp := path + "/$ref"
	s, ok := refVal.(string)
	if !ok {
		n.add(rp, "$ref is not a string; dropped")
		return n.object(siblings, path, depth), false
	}
	if !strings.HasPrefix(s, "#") {
		n.add(rp, fmt.Sprintf("reference %q is not local; replaced by an empty schema", cutUTF8(s, 128)))
		return n.object(siblings, path, depth), false
	}
	ptr := s[1:]
	if u, err := url.PathUnescape(ptr); err == nil {
		ptr = u
	}
	target, ok := resolvePointer(n.root, ptr)
	if !ok {
		n.add(rp, fmt.Sprintf("reference %q does not resolve; replaced by an empty schema", cutUTF8(s, 128)))
		return n.object(siblings, path, depth), false
	}
	cyclic := false
	for _, p := range n.stack {
		if p == ptr {
			cyclic = true
			break
		}
	}
	if n.hoist || cyclic {
		out := map[string]any{"$ref": n.hoistDef(ptr, target)}
		for k, v := range siblings {
			switch k {
			case "description":
				if d, ok := v.(string); ok {
					out[k], _ = capText(cleanText(cutUTF8(d, 4*maxSchemaText), false), maxSchemaText, truncMarker)
				}
			case "$defs", "definitions", "$schema", "$id", "$comment", "title":
			default:
				n.add(path, fmt.Sprintf("keyword %q next to a kept $ref dropped", cutUTF8(k, 64)))
			}
		}
		return out, false
	}
	n.stack = append(n.stack, ptr)
	m, never := n.schema(target, path, depth+1)
	n.stack = n.stack[:len(n.stack)-1]
	if never {
		return nil, true
	}
	delete(siblings, "$defs")
	delete(siblings, "definitions")
	if len(siblings) > 0 {
		sib := n.object(siblings, path, depth)
		for k, v := range sib {
			m[k] = v
		}
	}
	return m, false
}

// hoistDef makes sure the target of ptr is normalized under $defs and
// returns the reference to use.
func (n *normalizer) hoistDef(ptr string, target any) string {
	if ptr == "" {
		return "#"
	}
	if name, ok := n.defName[ptr]; ok {
		return "#/$defs/" + name
	}
	if n.defName == nil {
		n.defName = map[string]string{}
		n.defTaken = map[string]bool{}
		n.defs = map[string]any{}
	}
	base := ptr
	segs := strings.Split(ptr, "/")
	if len(segs) == 3 && (segs[1] == "$defs" || segs[1] == "definitions") {
		base = strings.ReplaceAll(strings.ReplaceAll(segs[2], "~1", "/"), "~0", "~")
	}
	b := []byte(cutUTF8(base, 48))
	for i, c := range b {
		if !validNameByte(c) && c != '.' {
			b[i] = '_'
		}
	}
	name := strings.Trim(string(b), "_")
	if name == "" {
		name = "def"
	}
	for i := 2; n.defTaken[name]; i++ {
		name = fmt.Sprintf("%s_%d", strings.TrimRight(string(b), "_"), i)
		if strings.Trim(name, "_") == "" {
			name = fmt.Sprintf("def_%d", i)
		}
	}
	n.defTaken[name] = true
	n.defName[ptr] = name
	saved := n.stack
	n.stack = []string{"", ptr}
	m, never := n.schema(target, "/$defs/"+name, 1)
	n.stack = saved
	if never {
		m = neverSchema()
	}
	n.defs[name] = m
	return "#/$defs/" + name
}

// topForbidden are keywords the API rejects at the top of the parameters.
var topForbidden = []string{"enum", "const", "not", "if", "then", "else"}

// fixRoot makes the top level an object schema the API accepts.
func (n *normalizer) fixRoot(m map[string]any) (map[string]any, error) {
	if len(n.defs) > 0 {
		m["$defs"] = n.defs
	}
	// A top-level $ref that was kept (recursion to the root's own def).
	if r, ok := m["$ref"].(string); ok {
		delete(m, "$ref")
		if def, ok := n.lookupDef(r); ok {
			mergeInto(m, copyMap(def), true)
			n.add("", "top-level $ref replaced by its target")
		} else {
			n.add("/$ref", "top-level $ref to the schema itself dropped")
		}
	}
	if alts, ok := m["allOf"].([]any); ok {
		delete(m, "allOf")
		for _, a := range alts {
			if am, ok := n.objectLike(a); ok {
				mergeInto(m, am, true)
			}
		}
		n.add("/allOf", "top-level allOf merged into one object")
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if _, ok := m[k]; ok {
			if err := n.flattenAlternatives(m, k); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range topForbidden {
		if _, ok := m[k]; ok {
			delete(m, k)
			n.add("/"+k, "top-level "+k+" is not allowed by the API; dropped")
		}
	}
	switch t := m["type"].(type) {
	case nil:
		m["type"] = "object"
	case string:
		if t != "object" {
			return nil, unusable("top-level type is %q, but tool arguments are always an object", t)
		}
	case []any:
		if !hasType(t, "object") {
			return nil, unusable("top-level type is %v, but tool arguments are always an object", t)
		}
		m["type"] = "object"
		n.add("/type", "top-level type list narrowed to \"object\"")
	}
	if _, ok := m["properties"].(map[string]any); !ok {
		m["properties"] = map[string]any{}
	}
	n.fixRequired(m, nil, "")
	return m, nil
}

// lookupDef returns the normalized def a kept reference points to.
func (n *normalizer) lookupDef(ref string) (map[string]any, bool) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, false
	}
	d, ok := n.defs[name].(map[string]any)
	return d, ok
}

// objectLike returns the object schema an alternative stands for.
func (n *normalizer) objectLike(a any) (map[string]any, bool) {
	am, ok := a.(map[string]any)
	if !ok {
		return nil, false
	}
	if r, ok := am["$ref"].(string); ok {
		if d, ok := n.lookupDef(r); ok {
			am = d
		}
	}
	if t, ok := am["type"]; ok {
		return am, hasType(t, "object")
	}
	_, hasProps := am["properties"]
	return am, hasProps || len(am) == 0 || onlyAnnotations(am)
}

func onlyAnnotations(m map[string]any) bool {
	for k := range m {
		switch k {
		case "description", "title", "required", "additionalProperties":
		default:
			return false
		}
	}
	return true
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// flattenAlternatives merges top-level anyOf/oneOf object alternatives into
// one object schema.
func (n *normalizer) flattenAlternatives(m map[string]any, k string) error {
	alts := m[k].([]any)
	delete(m, k)
	var objs []map[string]any
	dropped := 0
	for _, a := range alts {
		if am, ok := n.objectLike(a); ok {
			objs = append(objs, am)
		} else {
			dropped++
		}
	}
	if len(objs) == 0 {
		if _, ok := m["properties"]; ok {
			n.add("/"+k, "top-level "+k+" has no object alternative; dropped")
			return nil
		}
		return unusable("top-level %s has no object alternative, but tool arguments are always an object", k)
	}
	if dropped > 0 {
		n.add("/"+k, fmt.Sprintf("%d non-object alternatives of top-level %s dropped", dropped, k))
	}
	props, _ := m["properties"].(map[string]any)
	np := make(map[string]any, len(props))
	for name, s := range props {
		np[name] = s
	}
	// A property is required if the top level requires it, or every
	// alternative does.
	var common []any
	for i, o := range objs {
		req, _ := o["required"].([]any)
		if i == 0 {
			common = append(common, req...)
			continue
		}
		kept := common[:0:0]
		for _, r := range common {
			if containsValue(req, r) {
				kept = append(kept, r)
			}
		}
		common = kept
	}
	var sets []string
	for _, o := range objs {
		op, _ := o["properties"].(map[string]any)
		req, _ := o["required"].([]any)
		names := sortedKeys(op)
		for i, name := range names {
			s := op[name]
			if d, ok := np[name]; ok && !reflect.DeepEqual(d, s) {
				if da, ok := d.(map[string]any)["anyOf"].([]any); ok && len(d.(map[string]any)) == 1 {
					if !containsSchema(da, s) {
						np[name] = map[string]any{"anyOf": append(append([]any(nil), da...), s)}
					}
				} else {
					np[name] = map[string]any{"anyOf": []any{d, s}}
				}
			} else {
				np[name] = s
			}
			if containsValue(req, name) {
				names[i] = name + " (required)"
			}
		}
		// An alternative that only lists required names (properties
		// declared at the top level) is described by those names.
		for _, r := range req {
			if name, ok := r.(string); ok && op[name] == nil {
				names = append(names, name+" (required)")
			}
		}
		if len(names) == 0 {
			sets = append(sets, "no arguments")
		} else {
			sets = append(sets, strings.Join(names, ", "))
		}
	}
	m["properties"] = np
	req, _ := m["required"].([]any)
	for _, r := range common {
		if !containsValue(req, r) {
			req = append(req, r)
		}
	}
	if len(req) > 0 {
		m["required"] = req
	}
	var b strings.Builder
	if d, ok := m["description"].(string); ok && d != "" {
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	b.WriteString("Accepts one of these argument sets:")
	for i, s := range sets {
		fmt.Fprintf(&b, "\n%d) %s", i+1, s)
	}
	m["description"], _ = capText(b.String(), maxSchemaText, truncMarker)
	n.add("/"+k, fmt.Sprintf("top-level %s of %d objects merged into one object", k, len(objs)))
	return nil
}
