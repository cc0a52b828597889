// Package schemagen generates realistic, deterministic MCP tool definitions
// for the tests and benchmarks of package convert and for rigs/bench.
// It is not part of the shipped library.
//
// The types mirror convert.Tool and convert.ServerTools field for field, so
// that convert's own (in-package) tests can use this package without an
// import cycle; a caller turns a Tool into a convert.Tool with a plain type
// conversion.
package schemagen

import (
	"encoding/json"
	"fmt"
	"math/rand"
)

// Tool is one generated MCP tool. Its fields match convert.Tool, so
// convert.Tool(t) converts it.
type Tool struct {
	Name        string          // unique within one Tools result
	Title       string          // display title
	Description string          // a few sentences, like real servers write
	InputSchema json.RawMessage // JSON Schema of the arguments
}

// Server is the tool list of one generated server.
type Server struct {
	Name  string // "srv0", "srv1", ...
	Tools []Tool
}

// Tools returns n realistic, deterministic MCP tools. The same seed gives
// the same tools. Schemas mix strings, numbers, enums, arrays, nested
// objects, optional fields and local $ref definitions, the way real MCP
// servers (file systems, issue trackers, databases, browsers) describe their
// tools. Names are unique within the result.
func Tools(n int, seed int64) []Tool {
	r := rand.New(rand.NewSource(seed))
	tools := make([]Tool, n)
	for i := range tools {
		verb := synthVerbs[r.Intn(len(synthVerbs))]
		noun := synthNouns[r.Intn(len(synthNouns))]
		tools[i] = Tool{
			Name:        fmt.Sprintf("%s_%s_%d", verb, noun, i),
			Title:       fmt.Sprintf("%s %s", verb, noun),
			Description: fmt.Sprintf("%s a %s in the workspace. Returns the %s as JSON, or an error when it does not exist. Use this when the user asks to %s %ss.", verb, noun, noun, verb, noun),
			InputSchema: synthSchema(r, noun),
		}
	}
	return tools
}

// Servers spreads the n tools of Tools(n, seed) round-robin over the given
// number of servers named "srv0", "srv1", ...
func Servers(servers, n int, seed int64) []Server {
	if servers < 1 {
		servers = 1
	}
	tools := Tools(n, seed)
	out := make([]Server, servers)
	for i := range out {
		out[i].Name = fmt.Sprintf("srv%d", i)
	}
	for i, t := range tools {
		s := &out[i%servers]
		s.Tools = append(s.Tools, t)
	}
	return out
}

var (
	synthVerbs = []string{"get", "list", "create", "update", "delete", "search", "read", "write", "move", "query"}
	synthNouns = []string{"file", "issue", "record", "page", "user", "commit", "table", "message", "event", "ticket"}
)

func synthSchema(r *rand.Rand, noun string) json.RawMessage {
	props := map[string]any{
		"id": map[string]any{"type": "string", "description": "Identifier of the " + noun + "."},
	}
	required := []any{"id"}
	k := 2 + r.Intn(6)
	for j := 0; j < k; j++ {
		name := fmt.Sprintf("%s_%d", synthFields[r.Intn(len(synthFields))], j)
		var s map[string]any
		switch r.Intn(7) {
		case 0:
			s = map[string]any{"type": "string", "description": "Free text.", "maxLength": 200}
		case 1:
			s = map[string]any{"type": "integer", "minimum": 0, "maximum": 1000, "default": 10}
		case 2:
			s = map[string]any{"type": "string", "enum": []any{"asc", "desc", "relevance"}}
		case 3:
			s = map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "Tags to match."}
		case 4:
			s = map[string]any{"$ref": "#/$defs/filter"}
		case 5:
			s = map[string]any{"type": "object", "properties": map[string]any{
				"path":      map[string]any{"type": "string"},
				"recursive": map[string]any{"type": "boolean"},
				"depth":     map[string]any{"type": "integer"},
			}, "required": []any{"path"}}
		default:
			s = map[string]any{"type": []any{"string", "null"}, "format": "date-time"}
		}
		props[name] = s
		if r.Intn(3) == 0 {
			required = append(required, name)
		}
	}
	schema := map[string]any{
		"$schema":    "http://json-schema.org/draft-07/schema#",
		"type":       "object",
		"properties": props,
		"required":   required,
		"$defs": map[string]any{
			"filter": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"field": map[string]any{"type": "string"},
					"op":    map[string]any{"type": "string", "enum": []any{"eq", "ne", "lt", "gt", "contains"}},
					"value": map[string]any{"type": "string"},
				},
				"required": []any{"field", "op", "value"},
			},
		},
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic(err) // cannot happen: the map holds only JSON values
	}
	return b
}

var synthFields = []string{"query", "limit", "order", "tags", "filter", "options", "since", "path", "owner", "label"}
