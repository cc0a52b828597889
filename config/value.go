package config

import "encoding/json"

// A decoded config file is a tree of the values encoding/json gives an
// any with UseNumber: map[string]any, []any, string, json.Number, bool
// and nil. YAML files are decoded into the same tree (yaml.go), so one
// parser reads both.

// kindOf names the JSON type of v, for error messages that must not quote
// the value itself.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case json.Number:
		return "a number"
	}
	return "nothing"
}

// asString reads a string, taking null as empty (as encoding/json does
// when it decodes null into a string).
func asString(v any) (string, bool) {
	if v == nil {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}
