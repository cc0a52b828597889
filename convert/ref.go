package convert

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

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

// lookupDef returns the normalized def a kept reference points to.
func (n *normalizer) lookupDef(ref string) (map[string]any, bool) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, false
	}
	d, ok := n.defs[name].(map[string]any)
	return d, ok
}
