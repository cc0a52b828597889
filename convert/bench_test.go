package convert

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func BenchmarkNames(b *testing.B) {
	servers := syntheticServers(10, 5000, 1)
	var ids []toolID
	for _, s := range servers {
		for _, t := range s.Tools {
			ids = append(ids, toolID{s.Server, t.Name})
		}
	}
	// A share of names that need repair or collide.
	for i := 0; i < len(ids); i += 7 {
		ids[i].tool = fmt.Sprintf("tool.%d with spaces %s", i%300, strings.Repeat("x", i%80))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		assignNames(ids, Options{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/tool")
}

// realisticSchema is a tool schema with nested objects, enums, arrays and refs.
const realisticSchema = `{
 "$schema": "http://json-schema.org/draft-07/schema#",
 "type": "object",
 "properties": {
  "repo": {"type": "string", "description": "owner/name of the repository"},
  "state": {"type": "string", "enum": ["open", "closed", "all"], "default": "open"},
  "labels": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
  "sort": {"$ref": "#/definitions/Sort"},
  "page": {"type": "integer", "minimum": 1},
  "filter": {"type": "object", "properties": {
    "author": {"type": "string"},
    "since": {"type": "string", "format": "date-time"},
    "milestone": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "assignees": {"type": "array", "items": {"$ref": "#/definitions/User"}}
  }, "required": ["author"]}
 },
 "required": ["repo"],
 "definitions": {
  "Sort": {"type": "object", "properties": {"field": {"type": "string", "enum": ["created", "updated", "comments"]}, "direction": {"type": "string", "enum": ["asc", "desc"]}}, "required": ["field"]},
  "User": {"type": "object", "properties": {"login": {"type": "string"}, "id": {"type": "integer"}}, "required": ["login"]}
 }
}`

func BenchmarkSchema(b *testing.B) {
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("strict=%v", strict), func(b *testing.B) {
			raw := json.RawMessage(realisticSchema)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Schema(raw, strict); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResult(b *testing.B) {
	img := base64.StdEncoding.EncodeToString(make([]byte, 32<<10))
	res := &mcp.CallToolResult{Content: []mcp.Content{
		mcp.NewTextContent(strings.Repeat("Line of tool output with some data 12345.\n", 200)),
		mcp.NewImageContent(img, "image/png"),
		mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: "file:///notes.md", MIMEType: "text/markdown", Text: strings.Repeat("# notes\n", 100)}),
		mcp.ResourceLink{Type: "resource_link", URI: "file:///big.bin", Name: "big.bin", MIMEType: "application/octet-stream"},
	}}
	for _, array := range []bool{false, true} {
		b.Run(fmt.Sprintf("array=%v", array), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Result(res, ResultOptions{ArrayOutputs: array})
			}
		})
	}
}

func BenchmarkConvert5000(b *testing.B) {
	servers := syntheticServers(10, 5000, 1)
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("strict=%v", strict), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Convert(servers, Options{Strict: strict, DescriptionPrefix: true}); err != nil {
					b.Fatal(err)
				}
			}
			reportPerTool(b, 5000)
		})
	}
}

func BenchmarkConverterReconvert5000(b *testing.B) {
	servers := syntheticServers(10, 5000, 1)
	c := NewConverter(Options{Strict: true, DescriptionPrefix: true})
	if _, err := c.Convert(servers); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Convert(servers); err != nil {
			b.Fatal(err)
		}
	}
	reportPerTool(b, 5000)
}

// reportPerTool adds ns/tool and allocs/tool metrics.
func reportPerTool(b *testing.B, tools int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tools), "ns/tool")
}
