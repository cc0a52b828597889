package toolindex

import (
	"encoding/json"
	"sort"
)

// maxParams bounds how many parameters of one tool are indexed, so a
// hostile schema cannot make a tool's document huge.
const maxParams = 64

// DocOf builds the document of an MCP tool from its name, title,
// description and raw input schema: id is what a hit returns (the function
// name, or whatever the caller routes by). It takes plain values, not a
// tool type of the packages above, so this shipped helper imports none of
// them. Parameters are the top-level properties of the input schema, in
// name order, with their descriptions; a schema that is not an object with
// properties adds none.
func DocOf(server, id, name, title, description string, inputSchema json.RawMessage) Doc {
	d := Doc{ID: id, Server: server, Name: name, Title: title, Description: description}
	var schema struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	if json.Unmarshal(inputSchema, &schema) != nil {
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
