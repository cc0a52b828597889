package convert

import "strconv"

// Handlers for keywords whose values hold subschemas. See keywordHandlers.

// repairProperties normalizes each property schema. A property whose
// schema is false can never be given: it is removed, and object drops it
// from required without a second note.
func (n *normalizer) repairProperties(out map[string]any, k string, v any, path string, depth int) {
	props, ok := v.(map[string]any)
	if !ok {
		n.add(keyPath(path, k), "properties is not an object; replaced by {}")
		out[k] = map[string]any{}
		return
	}
	np := make(map[string]any, len(props))
	for _, name := range sortedKeys(props) {
		pp := keyPath(path, k) + "/" + escapePointer(name)
		s, never := n.schema(props[name], pp, depth+1)
		if never {
			n.add(pp, "property schema is false; property removed")
			if n.obj.removed == nil {
				n.obj.removed = map[string]bool{}
			}
			n.obj.removed[name] = true
			continue
		}
		np[name] = s
	}
	out[k] = np
}

// repairPatternProperties normalizes the schema under each pattern and
// drops the patterns the API cannot read (badPattern).
func (n *normalizer) repairPatternProperties(out map[string]any, k string, v any, path string, depth int) {
	n.schemaMap(out, k, v, path, depth, n.badPattern)
}

// repairSchemaMap normalizes a keyword holding an object of subschemas
// (dependentSchemas).
func (n *normalizer) repairSchemaMap(out map[string]any, k string, v any, path string, depth int) {
	n.schemaMap(out, k, v, path, depth, nil)
}

// schemaMap normalizes every subschema of an object of subschemas; dropKey,
// when set, leaves out an entry by its key (with the key's path).
func (n *normalizer) schemaMap(out map[string]any, k string, v any, path string, depth int, dropKey func(path, key string) bool) {
	sm, ok := v.(map[string]any)
	if !ok {
		n.add(keyPath(path, k), k+" is not an object; dropped")
		return
	}
	ns := make(map[string]any, len(sm))
	for _, name := range sortedKeys(sm) {
		at := keyPath(path, k) + "/" + escapePointer(name)
		if dropKey != nil && dropKey(at, name) {
			continue
		}
		ns[name] = n.sub(sm[name], at, depth+1)
	}
	out[k] = ns
}

// repairSubschemaOrBool keeps a boolean as it is (additionalProperties:
// false is meaningful and strict mode needs it) and normalizes a schema.
func (n *normalizer) repairSubschemaOrBool(out map[string]any, k string, v any, path string, depth int) {
	if b, ok := v.(bool); ok {
		out[k] = b
		return
	}
	out[k] = n.sub(v, keyPath(path, k), depth+1)
}

// repairSubschema normalizes a keyword holding one subschema.
func (n *normalizer) repairSubschema(out map[string]any, k string, v any, path string, depth int) {
	out[k] = n.sub(v, keyPath(path, k), depth+1)
}

// repairNot normalizes "not"; not:false constrains nothing and is dropped.
func (n *normalizer) repairNot(out map[string]any, k string, v any, path string, depth int) {
	if b, ok := v.(bool); ok && !b {
		n.add(keyPath(path, k), "not:false matches everything; dropped")
		return
	}
	out[k] = n.sub(v, keyPath(path, k), depth+1)
}

// repairItems normalizes "items". items:false becomes maxItems 0, and the
// draft-04 tuple form becomes one schema (the API has no tuples).
func (n *normalizer) repairItems(out map[string]any, k string, v any, path string, depth int) {
	switch it := v.(type) {
	case bool:
		if it {
			out[k] = map[string]any{}
		} else {
			n.add(keyPath(path, k), "items:false replaced by maxItems 0")
			out[k] = map[string]any{}
			out["maxItems"] = number("0")
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
}

// repairPrefixItems normalizes each schema of "prefixItems".
func (n *normalizer) repairPrefixItems(out map[string]any, k string, v any, path string, depth int) {
	arr, ok := v.([]any)
	if !ok {
		n.add(keyPath(path, k), "prefixItems is not an array; dropped")
		return
	}
	na := make([]any, len(arr))
	for i, e := range arr {
		na[i] = n.sub(e, keyPath(path, k)+"/"+strconv.Itoa(i), depth+1)
	}
	out[k] = na
}

// repairCombinator normalizes anyOf, oneOf and allOf. A false alternative
// of anyOf/oneOf is removed; a false part of allOf makes the schema match
// nothing. object later merges what can be merged (mergeCombinators).
func (n *normalizer) repairCombinator(out map[string]any, k string, v any, path string, depth int) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		n.add(keyPath(path, k), k+" is not a non-empty array; dropped")
		return
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
		return
	}
	out[k] = alts
}

// repairDependencies normalizes draft-07 "dependencies": each entry is a
// schema or a list of property names.
func (n *normalizer) repairDependencies(out map[string]any, k string, v any, path string, depth int) {
	dm, ok := v.(map[string]any)
	if !ok {
		n.add(keyPath(path, k), "dependencies is not an object; dropped")
		return
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
}
