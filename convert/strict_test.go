package convert

import (
	"fmt"
	"sort"
	"strings"
)

// isStrictShape reports whether every object in a strict schema lists all
// its properties as required and forbids other keys, and no unsupported
// keyword is left.
func isStrictShape(v any) error {
	var walk func(v any, path string) error
	walk = func(v any, path string) error {
		x, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: schema is a %T", path, v)
		}
		for k := range x {
			if strictUnsupported[k] {
				return fmt.Errorf("%s: unsupported keyword %s", path, k)
			}
		}
		props, _ := x["properties"].(map[string]any)
		if hasType(x["type"], "object") {
			if x["additionalProperties"] != false {
				return fmt.Errorf("%s: object without additionalProperties false", path)
			}
			req, _ := x["required"].([]any)
			got := make([]string, 0, len(req))
			for _, r := range req {
				rs, _ := r.(string)
				got = append(got, rs)
			}
			sort.Strings(got)
			if strings.Join(got, "\x00") != strings.Join(sortedKeys(props), "\x00") {
				return fmt.Errorf("%s: required %v does not match properties", path, got)
			}
		}
		for _, k := range []string{"properties", "$defs"} {
			sub, _ := x[k].(map[string]any)
			for _, name := range sortedKeys(sub) {
				if err := walk(sub[name], path+"/"+k+"/"+escapePointer(name)); err != nil {
					return err
				}
			}
		}
		if it, ok := x["items"]; ok {
			if err := walk(it, path+"/items"); err != nil {
				return err
			}
		}
		alts, _ := x["anyOf"].([]any)
		for i, a := range alts {
			if err := walk(a, fmt.Sprintf("%s/anyOf/%d", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(v, "")
}
