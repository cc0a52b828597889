package convert

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/responses"
)

func TestResult(t *testing.T) {
	img := base64.StdEncoding.EncodeToString(make([]byte, 1234))
	size := int64(99)
	cases := []struct {
		name  string
		res   *mcp.CallToolResult
		opts  ResultOptions
		text  string
		parts []responses.Part
		isErr bool
		trunc bool
	}{
		{name: "nil", res: nil, text: "error: the server returned no result", isErr: true},
		{name: "texts joined", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("a"), mcp.NewTextContent("b")}}, text: "a\nb"},
		{name: "pointer content", res: &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Type: "text", Text: "p"}}}, text: "p"},
		{name: "empty", res: &mcp.CallToolResult{}, text: ""},
		{name: "error", res: &mcp.CallToolResult{IsError: true, Content: []mcp.Content{mcp.NewTextContent("disk full")}}, text: "error: disk full", isErr: true},
		{name: "error without content", res: &mcp.CallToolResult{IsError: true}, text: "error: (no details)", isErr: true},
		{name: "image as text", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("chart:"), mcp.NewImageContent(img, "image/png")}}, text: "chart:\n[image: image/png, 1234 bytes]"},
		{name: "image as part", opts: ResultOptions{ArrayOutputs: true},
			res:   &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("chart:"), mcp.NewImageContent(img, "image/png"), mcp.NewTextContent("done")}},
			text:  "chart:\n[image: image/png, 1234 bytes]\ndone",
			parts: []responses.Part{{Type: responses.PartText, Text: "chart:"}, {Type: responses.PartImage, ImageURL: "data:image/png;base64," + img}, {Type: responses.PartText, Text: "done"}}},
		{name: "bad image data", opts: ResultOptions{ArrayOutputs: true},
			res:   &mcp.CallToolResult{Content: []mcp.Content{mcp.NewImageContent("%%%", "image/png")}},
			text:  "[image: image/png, data is not valid base64]",
			parts: []responses.Part{{Type: responses.PartText, Text: "[image: image/png, data is not valid base64]"}}},
		{name: "audio", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewAudioContent("AAAA", "audio/wav")}}, text: "[audio: audio/wav, 3 bytes]"},
		{name: "resource link", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.ResourceLink{Type: "resource_link", URI: "file:///r.txt", Name: "r.txt", MIMEType: "text/plain", Size: &size, Description: "A report."}}},
			text: `{"type":"resource_link","uri":"file:///r.txt","name":"r.txt","mimeType":"text/plain","size":99,"description":"A report."}`},
		{name: "resource link image by URL", opts: ResultOptions{ArrayOutputs: true},
			res:  &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("see"), mcp.ResourceLink{Type: "resource_link", URI: "https://cdn.example.com/c.png", Name: "c.png", MIMEType: "image/png"}}},
			text: "see\n" + `{"type":"resource_link","uri":"https://cdn.example.com/c.png","name":"c.png","mimeType":"image/png"}`,
			parts: []responses.Part{{Type: responses.PartText, Text: "see\n" + `{"type":"resource_link","uri":"https://cdn.example.com/c.png","name":"c.png","mimeType":"image/png"}`},
				{Type: responses.PartImage, ImageURL: "https://cdn.example.com/c.png"}}},
		{name: "resource link pdf by URL", opts: ResultOptions{ArrayOutputs: true},
			res:  &mcp.CallToolResult{Content: []mcp.Content{mcp.ResourceLink{Type: "resource_link", URI: "https://docs.example.com/r.pdf", Name: "r.pdf", MIMEType: "application/pdf"}}},
			text: `{"type":"resource_link","uri":"https://docs.example.com/r.pdf","name":"r.pdf","mimeType":"application/pdf"}`,
			parts: []responses.Part{{Type: responses.PartText, Text: `{"type":"resource_link","uri":"https://docs.example.com/r.pdf","name":"r.pdf","mimeType":"application/pdf"}`},
				{Type: responses.PartFile, FileURL: "https://docs.example.com/r.pdf", Filename: "r.pdf"}}},
		{name: "resource link the API cannot fetch", opts: ResultOptions{ArrayOutputs: true},
			res:   &mcp.CallToolResult{Content: []mcp.Content{mcp.ResourceLink{Type: "resource_link", URI: "https://10.0.0.7/c.png", Name: "c", MIMEType: "image/png"}}},
			text:  `{"type":"resource_link","uri":"https://10.0.0.7/c.png","name":"c","mimeType":"image/png"}`,
			parts: []responses.Part{{Type: responses.PartText, Text: `{"type":"resource_link","uri":"https://10.0.0.7/c.png","name":"c","mimeType":"image/png"}`}}},
		{name: "embedded text", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: "mem://a", MIMEType: "text/markdown", Text: "# A"})}},
			text: "[resource: <mem://a>, text/markdown]\n# A"},
		{name: "embedded blob", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewEmbeddedResource(mcp.BlobResourceContents{URI: "mem://b", MIMEType: "application/octet-stream", Blob: "AAAAAA=="})}},
			text: "[resource: <mem://b>, application/octet-stream, 4 bytes]"},
		{name: "embedded pdf as file", opts: ResultOptions{ArrayOutputs: true},
			res:   &mcp.CallToolResult{Content: []mcp.Content{mcp.NewEmbeddedResource(mcp.BlobResourceContents{URI: "file:///x/report.pdf", MIMEType: "application/pdf", Blob: "AAAA"})}},
			text:  "[resource: <file:///x/report.pdf>, application/pdf, 3 bytes]",
			parts: []responses.Part{{Type: responses.PartFile, FileData: "data:application/pdf;base64,AAAA", Filename: "report.pdf"}}},
		{name: "structured only", res: &mcp.CallToolResult{StructuredContent: map[string]any{"temp": 21}}, text: `{"temp":21}`},
		{name: "structured raw", res: &mcp.CallToolResult{RawStructuredContent: []byte(`{"b":1,"a":2}`)}, text: `{"b":1,"a":2}`},
		{name: "structured ignored with text", res: &mcp.CallToolResult{StructuredContent: map[string]any{"x": 1}, Content: []mcp.Content{mcp.NewTextContent("x is 1")}}, text: "x is 1"},
		{name: "structured unencodable", res: &mcp.CallToolResult{StructuredContent: map[string]any{"f": func() {}}}, text: "[structured content could not be encoded: json: unsupported type: func()]"},
		{name: "invalid utf8 and controls", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("a\xffb\x00c\x1b[0m\r\n")}}, text: "a\uFFFDbc[0m\r\n"},
		{name: "truncated", opts: ResultOptions{MaxBytes: 50}, res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(strings.Repeat("é", 100))}},
			text: strings.Repeat("é", 14) + "\n…[output truncated]", trunc: true},
		{name: "truncated tight", opts: ResultOptions{MaxBytes: 9}, res: &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(strings.Repeat("é", 100))}},
			text: strings.Repeat("é", 4), trunc: true},
		{name: "truncated parts drop image", opts: ResultOptions{ArrayOutputs: true, MaxBytes: 200},
			res:   &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("see"), mcp.NewImageContent(img, "image/png")}},
			text:  "see\n[image: image/png, 1234 bytes]",
			parts: []responses.Part{{Type: responses.PartText, Text: "see\n[image: image/png, 1234 bytes]"}}, trunc: true},
		{name: "unknown content", res: &mcp.CallToolResult{Content: []mcp.Content{mcp.ToolUseContent{}}}, text: "[unsupported content: mcp.ToolUseContent]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Result(c.res, c.opts)
			if out.Text != c.text {
				t.Errorf("text %q, want %q", out.Text, c.text)
			}
			if out.IsError != c.isErr || out.Truncated != c.trunc {
				t.Errorf("IsError %v Truncated %v, want %v %v", out.IsError, out.Truncated, c.isErr, c.trunc)
			}
			if c.opts.ArrayOutputs {
				want := c.parts
				if want == nil {
					want = []responses.Part{{Type: responses.PartText, Text: c.text}}
				}
				if len(out.Parts) != len(want) {
					t.Fatalf("parts %+v, want %+v", out.Parts, want)
				}
				for i := range want {
					if out.Parts[i] != want[i] {
						t.Errorf("part %d = %+v, want %+v", i, out.Parts[i], want[i])
					}
				}
			} else if out.Parts != nil {
				t.Errorf("parts without ArrayOutputs: %+v", out.Parts)
			}
			checkOutput(t, out, c.opts.MaxBytes, c.opts.ArrayOutputs)
		})
	}
}

func TestResultDefaultCapAndHugeInput(t *testing.T) {
	huge := strings.Repeat("x\xff", 5<<20)
	out := Result(&mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(huge), mcp.NewTextContent(huge)}}, ResultOptions{ArrayOutputs: true})
	if !out.Truncated || len(out.Text) > DefaultMaxResultBytes || !utf8.ValidString(out.Text) {
		t.Fatalf("truncated %v, %d bytes", out.Truncated, len(out.Text))
	}
	if !strings.HasSuffix(out.Text, truncatedMarker) {
		t.Errorf("no visible marker at the end")
	}
	checkOutput(t, out, 0, true)
	// No cap.
	out = Result(&mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(strings.Repeat("y", 100000))}}, ResultOptions{MaxBytes: -1})
	if out.Truncated || len(out.Text) != 100000 {
		t.Errorf("uncapped output cut: %d bytes", len(out.Text))
	}
}

func TestResultTinyCaps(t *testing.T) {
	res := &mcp.CallToolResult{IsError: true, Content: []mcp.Content{mcp.NewTextContent("ééééé"), mcp.NewImageContent("AAAA", "image/png")}}
	for max := 1; max < 60; max++ {
		for _, array := range []bool{false, true} {
			checkOutput(t, Result(res, ResultOptions{MaxBytes: max, ArrayOutputs: array}), max, array)
		}
	}
}

// TestResultCapMarkedAfterCleaning: text made mostly of control characters
// shrinks when cleaned; a cut must still be marked.
func TestResultCapMarkedAfterCleaning(t *testing.T) {
	junk := make([]byte, 3<<20)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	for _, text := range []string{string(junk), strings.ToValidUTF8(string(junk), "\uFFFD")} {
		out := Result(mcp.NewToolResultText(text), ResultOptions{MaxBytes: 32 << 10})
		if !out.Truncated || !strings.Contains(out.Text, "truncated") {
			t.Fatalf("cut output not marked: truncated=%v len=%d", out.Truncated, len(out.Text))
		}
		if len(out.Text) > 32<<10 {
			t.Fatalf("over the cap: %d", len(out.Text))
		}
	}
}
