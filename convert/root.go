package convert

import (
	"fmt"
	"reflect"
	"strings"
)

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
