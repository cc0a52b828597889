package convert

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/responses"
)

// FuzzNames checks the naming invariants on a small set built from the
// fuzzed names: every name valid, no two alike, the reverse map exact.
func FuzzNames(f *testing.F) {
	f.Add("github", "create_issue", "x", "a.b", "__", false)
	f.Add("my server", "a b", "a_b", "a b", ".", true)
	f.Add("ü", "名前", "名前", strings.Repeat("long", 20), "", false)
	f.Add("s", "x_1234abcd", "x", "x", "", true)
	f.Fuzz(func(t *testing.T, server, t1, t2, t3, sep string, noPrefix bool) {
		if checkServerName(server) != nil {
			server = "s"
		}
		in := []ServerTools{
			{Server: server, Tools: []Tool{{Name: t1}, {Name: t2}, {Name: t3}}},
			{Server: server + "2", Tools: []Tool{{Name: t1}, {Name: t2 + t3}, {Name: t3}}},
		}
		set, err := Convert(in, Options{Separator: sep, NoPrefix: noPrefix})
		if err != nil {
			t.Fatal(err)
		}
		checkNames(t, set)
		// Every distinct non-empty tool of each server is present.
		want := 0
		for _, s := range in {
			seen := map[string]bool{}
			for _, tl := range s.Tools {
				if tl.Name != "" && !seen[tl.Name] {
					seen[tl.Name] = true
					want++
				}
			}
		}
		if len(set.Tools) != want {
			t.Fatalf("%d tools, want %d", len(set.Tools), want)
		}
	})
}

// FuzzSchema checks that any input converts without panicking into an
// object schema without forbidden top-level keywords, and that a strict
// result follows the strict rules.
func FuzzSchema(f *testing.F) {
	for _, c := range schemaCases {
		f.Add([]byte(c.in), true)
	}
	f.Add([]byte(`{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/b"},"b":{"anyOf":[{"$ref":"#"},{"type":"null"}]}}}`), true)
	f.Add([]byte(`{"allOf":[{"$ref":"#"}],"oneOf":[true,false]}`), false)
	f.Fuzz(func(t *testing.T, raw []byte, strict bool) {
		res, err := Schema(raw, strict)
		if err != nil {
			return
		}
		if p := strayNumber(res.Parameters, ""); p != "" {
			t.Fatalf("number at %s would not keep its literal on the wire", p)
		}
		b := wireParameters(t, res.Parameters)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("parameters are not a JSON object: %v", err)
		}
		if doc["type"] != "object" {
			t.Fatalf("top-level type %v", doc["type"])
		}
		if _, ok := doc["properties"].(map[string]any); !ok {
			t.Fatalf("top-level properties missing")
		}
		for _, k := range []string{"$schema", "$id", "anyOf", "oneOf", "allOf", "enum", "not", "const", "if", "then", "else", "$ref"} {
			if _, ok := doc[k]; ok {
				t.Fatalf("top-level %s left in %s", k, b)
			}
		}
		if res.Strict {
			if !strict {
				t.Fatal("strict result without strict mode")
			}
			if err := isStrictShape(doc); err != nil {
				t.Fatalf("strict rules broken: %v\n%s", err, b)
			}
		}
		if err := compileSchema(doc); err != nil {
			t.Fatalf("not a valid JSON Schema: %v\n%s", err, b)
		}
	})
}

// FuzzResult checks that any result renders without panicking, as valid
// UTF-8, within the cap.
func FuzzResult(f *testing.F) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG fake image"))
	f.Add("hello", "image/png", png, "file:///a.txt", "text", false, true, 100)
	f.Add("\xff\xfe\x00bad", "image/png", "not base64!", "", "", true, false, 5)
	f.Add(strings.Repeat("é", 100), "application/pdf", png, "file:///doc.pdf", "", false, true, 37)
	f.Add("", "", "", "", `{"a":1}`, true, true, 0)
	f.Fuzz(func(t *testing.T, text, mime, data, uri, extra string, isErr, array bool, max int) {
		if max > 1<<20 || max < -1 {
			max %= 1 << 20
		}
		res := &mcp.CallToolResult{
			Content: []mcp.Content{
				mcp.TextContent{Type: "text", Text: text},
				mcp.ImageContent{Type: "image", MIMEType: mime, Data: data},
				mcp.AudioContent{Type: "audio", MIMEType: mime, Data: data},
				mcp.ResourceLink{Type: "resource_link", URI: uri, Name: extra, Description: text, MIMEType: mime},
				mcp.EmbeddedResource{Type: "resource", Resource: mcp.TextResourceContents{URI: uri, MIMEType: mime, Text: extra}},
				mcp.EmbeddedResource{Type: "resource", Resource: mcp.BlobResourceContents{URI: uri, MIMEType: mime, Blob: data}},
				&mcp.TextContent{Type: "text", Text: extra},
				nil,
			},
			IsError: isErr,
		}
		if json.Valid([]byte(extra)) {
			res.RawStructuredContent = json.RawMessage(extra)
		}
		for _, r := range []*mcp.CallToolResult{res, {StructuredContent: map[string]any{"t": text}}, nil} {
			out := Result(r, ResultOptions{ArrayOutputs: array, MaxBytes: max})
			checkOutput(t, out, max, array)
		}
	})
}

// checkOutput asserts the Result invariants.
func checkOutput(t testing.TB, out responses.Output, max int, array bool) {
	t.Helper()
	limit := max
	if limit == 0 {
		limit = DefaultMaxResultBytes
	}
	if !utf8.ValidString(out.Text) {
		t.Fatalf("text is not valid UTF-8: %q", out.Text)
	}
	if limit >= 0 && len(out.Text) > limit {
		t.Fatalf("text of %d bytes, cap %d", len(out.Text), limit)
	}
	if array != (len(out.Parts) > 0) {
		t.Fatalf("array %v but %d parts", array, len(out.Parts))
	}
	total := 0
	for _, p := range out.Parts {
		if !utf8.ValidString(p.Text) || !utf8.ValidString(p.Filename) {
			t.Fatalf("part is not valid UTF-8: %+v", p)
		}
		switch p.Type {
		case responses.PartText:
		case responses.PartImage:
			// Data, or a resource link's URL the API can fetch.
			if !strings.HasPrefix(p.ImageURL, "data:image/") && !fetchableURL(p.ImageURL) {
				t.Fatalf("image part with URL %.40q", p.ImageURL)
			}
		case responses.PartFile:
			if (!strings.HasPrefix(p.FileData, "data:") && !fetchableURL(p.FileURL)) || p.Filename == "" {
				t.Fatalf("file part %+v", p)
			}
		default:
			t.Fatalf("part type %q", p.Type)
		}
		total += len(p.Text) + len(p.ImageURL) + len(p.FileData) + len(p.FileURL) + len(p.Filename)
	}
	if limit >= 0 && total > limit {
		t.Fatalf("parts total %d bytes, cap %d", total, limit)
	}
	if out.IsError && limit > len(responses.ErrorPrefix) && !strings.HasPrefix(out.Text, responses.ErrorPrefix) {
		t.Fatalf("error output %q lacks the prefix", out.Text)
	}
}
