package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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
	// The document is decoded straight into the normalizer: it is on the
	// heap anyway (the keyword handlers are called through a table), and
	// this way the document needs no allocation of its own.
	n := &normalizer{}
	if err := dec.Decode(&n.root); err != nil {
		return SchemaResult{}, nil, unusable("not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err == nil {
		return SchemaResult{}, nil, unusable("not valid JSON: data after the schema")
	}
	switch d := n.root.(type) {
	case bool:
		if !d {
			return SchemaResult{}, nil, unusable("schema is false, which accepts no arguments at all")
		}
		return finish(emptyObject(), []note{{"", "schema true replaced by an empty object schema"}}, strict)
	case map[string]any:
	default:
		return SchemaResult{}, nil, unusable("schema is a JSON %s, not an object", jsonKind(n.root))
	}

	n.reset(false)
	out, err := n.run()
	if n.over {
		n.reset(true)
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
	case number, json.Number, float64:
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
