package responsestest

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// strictWalk checks one strict tool's parameters against the strict-*
// rules of rules.go. It is hand-written because no JSON Schema library
// knows the Structured Outputs subset.
type strictWalk struct {
	root       map[string]any
	p          *problems
	base       string
	props      int
	enumValues int
	chars      int
}

func checkStrict(params map[string]any, path string, p *problems) {
	w := &strictWalk{root: params, p: p, base: path}
	w.node(params, "", 0, 0)
	if w.props > strictMaxProperties { // rule strict-properties
		p.add(path, "strict schema has %d object properties, more than %d", w.props, strictMaxProperties)
	}
	if w.enumValues > strictMaxEnumValues { // rule strict-enum-values
		p.add(path, "strict schema has %d enum values, more than %d", w.enumValues, strictMaxEnumValues)
	}
	if w.chars > strictMaxStringChars { // rule strict-string-size
		p.add(path, "strict schema names and enum/const values total %d characters, more than %d", w.chars, strictMaxStringChars)
	}
}

func (w *strictWalk) node(v any, path string, objDepth, depth int) {
	if depth > 64 {
		return
	}
	s, ok := v.(map[string]any)
	if !ok {
		if _, isBool := v.(bool); !isBool {
			w.p.add(w.base+path, "schema must be an object")
		}
		return
	}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strictKeywords[k] { // rule strict-keywords
			w.p.add(w.base+path+"/"+escape(k), "keyword %q is not supported in strict mode", k)
		}
	}
	if f, ok := s["format"].(string); ok && !strictFormats[f] { // rule strict-format
		w.p.add(w.base+path+"/format", "format %q is not supported in strict mode", f)
	}
	if ref, ok := s["$ref"].(string); ok && !w.resolves(ref) { // rule strict-ref
		w.p.add(w.base+path+"/$ref", "reference %q does not resolve", ref)
	}
	w.values(s, path)
	props, hasProps := s["properties"].(map[string]any)
	if hasType(s["type"], "object") || hasProps {
		if objDepth+1 > strictMaxDepth { // rule strict-depth
			w.p.add(w.base+path, "objects nested %d levels deep, more than %d", objDepth+1, strictMaxDepth)
		}
		if s["additionalProperties"] != false { // rule strict-object
			w.p.add(w.base+path, "object without \"additionalProperties\": false")
		}
		req, _ := s["required"].([]any)
		listed := make(map[string]bool, len(req))
		for _, r := range req {
			if name, ok := r.(string); ok {
				listed[name] = true
			}
		}
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			w.props++
			w.chars += len(name)
			if !listed[name] { // rule strict-required
				w.p.add(w.base+path+"/required", "property %q is not listed in required", name)
			}
			w.node(props[name], path+"/properties/"+escape(name), objDepth+1, depth+1)
		}
	}
	if it, ok := s["items"]; ok {
		w.node(it, path+"/items", objDepth, depth+1)
	}
	if alts, ok := s["anyOf"].([]any); ok {
		for i, a := range alts {
			w.node(a, path+"/anyOf/"+strconv.Itoa(i), objDepth, depth+1)
		}
	}
	for _, k := range []string{"$defs", "definitions"} {
		defs, _ := s[k].(map[string]any)
		names := make([]string, 0, len(defs))
		for name := range defs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			w.chars += len(name)
			w.node(defs[name], path+"/"+k+"/"+escape(name), objDepth, depth+1)
		}
	}
}

// values counts enum and const values for the size rules.
func (w *strictWalk) values(s map[string]any, path string) {
	if c, ok := s["const"].(string); ok {
		w.chars += len(c)
	}
	e, ok := s["enum"].([]any)
	if !ok {
		return
	}
	w.enumValues += len(e)
	strs, total := 0, 0
	for _, v := range e {
		if str, ok := v.(string); ok {
			strs++
			total += len(str)
		}
	}
	w.chars += total
	if strs > strictBigEnum && total > strictBigEnumChars { // rule strict-big-enum
		w.p.add(w.base+path+"/enum", "enum of %d strings totals %d characters, more than %d", strs, total, strictBigEnumChars)
	}
}

// resolves reports whether a local reference points into the schema.
func (w *strictWalk) resolves(ref string) bool {
	if ref == "#" {
		return true
	}
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = w.root
	for _, seg := range strings.Split(ptr, "/") {
		if u, err := url.PathUnescape(seg); err == nil {
			seg = u
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			if cur, ok = c[seg]; !ok {
				return false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return false
			}
			cur = c[i]
		default:
			return false
		}
	}
	_, ok = cur.(map[string]any)
	return ok
}

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

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
