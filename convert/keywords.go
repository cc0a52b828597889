package convert

import "fmt"

// A keywordHandler repairs the value v of keyword k of the schema object
// at path, and writes what it keeps into out (usually out[k]; nothing, to
// drop the keyword). A handler that meets a subschema normalizes it at
// depth+1 with n.schema or n.sub. Handlers run in sorted keyword order, so
// one may also set a later keyword (items:false sets maxItems) that the
// schema's own value for that keyword then overrides.
type keywordHandler func(n *normalizer, out map[string]any, k string, v any, path string, depth int)

// keywordHandlers maps every keyword that needs a repair to its handler.
// Any other keyword (const, default, extensions) is kept as it is by
// keepValue. Adding support for a keyword means adding one handler here.
// It is filled in init because the handlers recurse into object, which
// reads the table.
var keywordHandlers map[string]keywordHandler

func init() {
	keywordHandlers = map[string]keywordHandler{
		// Identifiers and comments only confuse consumers.
		"$schema": dropKeyword, "$id": dropKeyword, "$anchor": dropKeyword,
		"$dynamicAnchor": dropKeyword, "$recursiveAnchor": dropKeyword,
		"$comment": dropKeyword, "$vocabulary": dropKeyword,
		// Definitions are reached through $ref only; see ref.
		"$defs": dropKeyword, "definitions": dropKeyword,

		// Keywords holding subschemas (keywords_subschema.go).
		"properties":            (*normalizer).repairProperties,
		"patternProperties":     (*normalizer).repairPatternProperties,
		"dependentSchemas":      (*normalizer).repairSchemaMap,
		"additionalProperties":  (*normalizer).repairSubschemaOrBool,
		"unevaluatedProperties": (*normalizer).repairSubschemaOrBool,
		"unevaluatedItems":      (*normalizer).repairSubschemaOrBool,
		"additionalItems":       (*normalizer).repairSubschemaOrBool,
		"not":                   (*normalizer).repairNot,
		"if":                    (*normalizer).repairSubschema,
		"then":                  (*normalizer).repairSubschema,
		"else":                  (*normalizer).repairSubschema,
		"contains":              (*normalizer).repairSubschema,
		"propertyNames":         (*normalizer).repairSubschema,
		"contentSchema":         (*normalizer).repairSubschema,
		"items":                 (*normalizer).repairItems,
		"prefixItems":           (*normalizer).repairPrefixItems,
		"anyOf":                 (*normalizer).repairCombinator,
		"oneOf":                 (*normalizer).repairCombinator,
		"allOf":                 (*normalizer).repairCombinator,
		"dependencies":          (*normalizer).repairDependencies,

		// Keywords holding values (keywords_value.go).
		"type":              (*normalizer).repairType,
		"required":          (*normalizer).repairRequired,
		"enum":              (*normalizer).repairEnum,
		"description":       (*normalizer).repairText,
		"title":             (*normalizer).repairText,
		"nullable":          (*normalizer).repairNullable,
		"exclusiveMinimum":  (*normalizer).repairExclusiveBound,
		"exclusiveMaximum":  (*normalizer).repairExclusiveBound,
		"minLength":         (*normalizer).repairCount,
		"maxLength":         (*normalizer).repairCount,
		"minItems":          (*normalizer).repairCount,
		"maxItems":          (*normalizer).repairCount,
		"minProperties":     (*normalizer).repairCount,
		"maxProperties":     (*normalizer).repairCount,
		"minContains":       (*normalizer).repairCount,
		"maxContains":       (*normalizer).repairCount,
		"minimum":           (*normalizer).repairNumber,
		"maximum":           (*normalizer).repairNumber,
		"multipleOf":        (*normalizer).repairNumber,
		"dependentRequired": (*normalizer).repairDependentRequired,
		"pattern":           (*normalizer).repairPattern,
		"format":            requireKind("string"),
		"contentEncoding":   requireKind("string"),
		"contentMediaType":  requireKind("string"),
		"$dynamicRef":       requireKind("string"),
		"$recursiveRef":     requireKind("string"),
		"examples":          requireKind("array"),
		"deprecated":        requireKind("boolean"),
		"readOnly":          requireKind("boolean"),
		"writeOnly":         requireKind("boolean"),
		"uniqueItems":       requireKind("boolean"),
	}
}

// objectState is what the handlers of one schema object tell object
// beyond out. object saves and restores it around its own work, so a
// nested object's handlers never see their parent's state.
type objectState struct {
	removed  map[string]bool // properties removed because their schema is false
	nullable bool            // OpenAPI "nullable": true
}

// object normalizes a schema object that has no $ref: every keyword goes
// through its handler, then the keywords that depend on each other are
// settled.
func (n *normalizer) object(in map[string]any, path string, depth int) map[string]any {
	out := make(map[string]any, len(in)+1)
	outer := n.obj
	n.obj = objectState{}
	for _, k := range sortedKeys(in) {
		h, ok := keywordHandlers[k]
		if !ok {
			h = keepValue
		}
		h(n, out, k, in[k], path, depth)
	}
	st := n.obj
	n.obj = outer
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
	if st.nullable {
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
	n.fixRequired(out, st.removed, path)
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
