package convert

import (
	"fmt"
	"sort"
	"strings"
)

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
	stackBuf [1]string         // stack's first backing array
	defName  map[string]string // pointer -> name under $defs
	defTaken map[string]bool
	defs     map[string]any // name -> normalized schema

	obj objectState // the schema object being repaired; see object
}

// reset readies n for a fresh run over n.root, forgetting any earlier run.
// With hoist, every reference is kept in $defs instead of being inlined.
func (n *normalizer) reset(hoist bool) {
	*n = normalizer{root: n.root, hoist: hoist, budget: inlineBudget}
	if hoist {
		n.budget = hoistBudget
	}
	n.stack = append(n.stackBuf[:0], "")
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
