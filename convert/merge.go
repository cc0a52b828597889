package convert

import (
	"reflect"
)

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

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
