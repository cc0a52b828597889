package toolindex

import (
	"encoding/json"
	"sort"

	"github.com/mcpbridge/mcpbridge/convert"
)

// maxParams bounds how many parameters of one tool are indexed, so a
// hostile schema cannot make a tool's document huge.
const maxParams = 64

// DocOf builds the document of an MCP tool: id is what a hit returns (the
// function name, or whatever the caller routes by). Parameters are the
// top-level properties of the input schema, in name order, with their
// descriptions; a schema that is not an object with properties adds none.
func DocOf(server, id string, t convert.Tool) Doc {
	d := Doc{ID: id, Server: server, Name: t.Name, Title: t.Title, Description: t.Description}
	var schema struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	if json.Unmarshal(t.InputSchema, &schema) != nil {
		return d
	}
	names := make([]string, 0, len(schema.Properties))
	for n := range schema.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names[:min(len(names), maxParams)] {
		d.Params = append(d.Params, Param{Name: n, Description: schema.Properties[n].Description})
	}
	return d
}
