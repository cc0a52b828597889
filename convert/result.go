package convert

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
	"github.com/mcpbridge/mcpbridge/responses"
)

// DefaultMaxResultBytes is the output cap used when ResultOptions.MaxBytes
// is 0.
const DefaultMaxResultBytes = responses.DefaultMaxOutputBytes

// A rendered result is the loop's own responses.Output: it goes to the
// model unchanged.
type (
	output = responses.Output
	part   = responses.Part
)

const (
	partText  = responses.PartText
	partImage = responses.PartImage
	partFile  = responses.PartFile
	// errorPrefix starts the text of a result whose isError flag is set,
	// like every other error output the model reads.
	errorPrefix = responses.ErrorPrefix
)

// ResultOptions controls how a tool result is rendered.
type ResultOptions struct {
	// ArrayOutputs fills Output.Parts, passing images (and PDF files)
	// through instead of describing them.
	ArrayOutputs bool
	// MaxBytes caps Output.Text, and separately the total size of
	// Output.Parts (text bytes plus image and file data URLs). 0 means the
	// default of 64 KiB; a negative value means no cap.
	MaxBytes int
	// StructuredJSON sends a successful result's structuredContent as its
	// compact JSON text, alone, instead of rendering the content blocks.
	// Set it for tools with an output schema (FunctionTool.OutputSchema):
	// the function's output_schema promises that JSON, and MCP servers send
	// the same JSON as a text block only for older clients. Results with
	// media or resources, error results, results without structuredContent
	// and JSON longer than MaxBytes are rendered as usual.
	StructuredJSON bool
}

// truncatedMarker ends output that was cut; the loop uses the same one.
const truncatedMarker = textsafe.Marker

// segment is one rendered content item.
type segment struct {
	text string // text, or the stand-in for media
	part *part  // media part for array outputs, nil for text
	// keepText sends text before the part too: it says what the part is
	// (a resource link's description; links.go), not a stand-in for it.
	keepText bool
}

// Result renders an MCP tool result for the model.
//
// Text contents are joined with newlines. Images become input_image parts
// (with ArrayOutputs) and are described as "[image: image/png, 1234 bytes]"
// in Text; audio and embedded resources are described, with embedded text
// inlined below its URI. A resource link is a JSON object naming it
// ({"type":"resource_link","uri",...}), followed with ArrayOutputs by the
// image or PDF itself (input_image with image_url, input_file with
// file_url) when its URI is a public https URL the API can fetch. structuredContent is rendered as JSON
// when there is no text content. An isError result starts with responses.ErrorPrefix
// and sets IsError; a nil result is an error output. Text is made valid
// UTF-8 and stripped of control characters other than newline, carriage
// return and tab and of bidi formatting characters (package textsafe, the
// cleaning the loop applies to every output), then capped at MaxBytes with
// a visible marker.
func Result(res *mcp.CallToolResult, opts ResultOptions) responses.Output {
	limit := opts.MaxBytes
	if limit == 0 {
		limit = DefaultMaxResultBytes
	}
	if res == nil {
		out := output{Text: errorPrefix + "the server returned no result", IsError: true}
		out.Text, out.Truncated = capText(out.Text, limit, truncatedMarker)
		if opts.ArrayOutputs {
			out.Parts = []part{{Type: partText, Text: out.Text}}
		}
		return out
	}
	if opts.StructuredJSON {
		if out, ok := structuredOutput(res, limit); ok {
			return out
		}
	}
	// Content beyond what could ever be shown is only counted.
	budget := limit
	if budget < 0 {
		budget = int(^uint(0) >> 2)
	}
	segs := make([]segment, 0, len(res.Content)+1)
	hasText := false
	used := 0
	for _, c := range res.Content {
		seg, isText := renderContent(c, opts.ArrayOutputs, budget-used)
		hasText = hasText || isText
		used += len(seg.text) + 1
		segs = append(segs, seg)
	}
	if !hasText && (res.StructuredContent != nil || len(res.RawStructuredContent) > 0) {
		segs = append(segs, segment{text: structuredText(res, budget)})
	}
	if res.IsError {
		if len(segs) == 0 {
			segs = append(segs, segment{text: "(no details)"})
		}
		segs = append([]segment{{text: strings.TrimSuffix(errorPrefix, " ")}}, segs...)
	}
	out := output{IsError: res.IsError}
	out.Text, out.Truncated = joinText(segs, limit, res.IsError)
	if opts.ArrayOutputs {
		var cut bool
		out.Parts, cut = buildParts(segs, limit, res.IsError)
		out.Truncated = out.Truncated || cut
	}
	return out
}

// joinText renders all segments as one string within limit bytes.
func joinText(segs []segment, limit int, isErr bool) (string, bool) {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			if isErr && i == 1 {
				b.WriteString(" ")
			} else {
				b.WriteString("\n")
			}
		}
		b.WriteString(s.text)
		if limit >= 0 && b.Len() > limit {
			break
		}
	}
	return capText(b.String(), limit, truncatedMarker)
}

// buildParts renders the segments as parts within limit bytes in total:
// adjacent texts merge into one input_text part; media that does not fit is
// replaced by its description.
func buildParts(segs []segment, limit int, isErr bool) ([]part, bool) {
	var parts []part
	var text strings.Builder
	pending := false
	used := 0
	cut, dropped := false, false
	room := func() int {
		if limit < 0 {
			return int(^uint(0) >> 2)
		}
		return limit - used
	}
	flush := func() {
		if !pending {
			return
		}
		s, c := capText(text.String(), room(), truncatedMarker)
		cut = cut || c
		used += len(s)
		if s != "" {
			parts = append(parts, part{Type: partText, Text: s})
		}
		text.Reset()
		pending = false
	}
	for i, s := range segs {
		if cut {
			break
		}
		size := 0
		if s.part != nil {
			size = len(s.part.ImageURL) + len(s.part.FileData) + len(s.part.FileURL) + len(s.part.Filename)
			if s.keepText {
				size += len(s.text) + 1
			}
		}
		if s.part != nil && size <= room()-text.Len() {
			if s.keepText {
				if pending {
					text.WriteString("\n")
				}
				text.WriteString(s.text)
				pending = true
			}
			flush()
			if cut {
				break
			}
			parts = append(parts, *s.part)
			used += len(s.part.ImageURL) + len(s.part.FileData) + len(s.part.FileURL) + len(s.part.Filename)
			continue
		}
		if s.part != nil {
			dropped = true // media did not fit; its description stays
		}
		if pending {
			if isErr && i == 1 {
				text.WriteString(" ")
			} else {
				text.WriteString("\n")
			}
		}
		text.WriteString(s.text)
		pending = true
		if text.Len() > room() {
			flush()
		}
	}
	flush()
	if len(parts) == 0 {
		parts = []part{{Type: partText, Text: ""}}
	}
	return parts, cut || dropped
}

// renderContent renders one content item. budget is how many more bytes of
// text can still be shown; longer text is cut early (the final cap adds the
// marker). isText reports text content.
func renderContent(c mcp.Content, array bool, budget int) (seg segment, isText bool) {
	switch v := c.(type) {
	case mcp.TextContent:
		return segment{text: clip(v.Text, budget)}, true
	case *mcp.TextContent:
		return segment{text: clip(v.Text, budget)}, true
	case mcp.ImageContent:
		return mediaSegment("image", v.MIMEType, v.Data, array), false
	case *mcp.ImageContent:
		return mediaSegment("image", v.MIMEType, v.Data, array), false
	case mcp.AudioContent:
		return mediaSegment("audio", v.MIMEType, v.Data, false), false
	case *mcp.AudioContent:
		return mediaSegment("audio", v.MIMEType, v.Data, false), false
	case mcp.ResourceLink:
		return linkSegment(&v, array, budget), false
	case *mcp.ResourceLink:
		return linkSegment(v, array, budget), false
	case mcp.EmbeddedResource:
		return embedded(v.Resource, array, budget)
	case *mcp.EmbeddedResource:
		return embedded(v.Resource, array, budget)
	case nil:
		return segment{text: "[empty content item]"}, false
	}
	return segment{text: fmt.Sprintf("[unsupported content: %s]", cleanText(fmt.Sprintf("%T", c), false))}, false
}

// clip cleans s and cuts it to at most budget+len(marker) bytes, enough for
// the final cap to notice it was cut (see textsafe.Clip).
func clip(s string, budget int) string {
	return textsafe.Clip(s, budget, len(truncatedMarker), true)
}

// label cleans a short metadata string (MIME type, URI, name).
func label(s string, max int) string {
	return cleanText(cutUTF8(strings.ReplaceAll(s, "\n", " "), max), false)
}

// base64Size returns the decoded size of standard base64 data, or -1 if the
// data is not base64.
func base64Size(data string) int {
	n := 0
	pad := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			if pad > 0 {
				return -1
			}
			n++
		case c == '=':
			pad++
		case c == '\n' || c == '\r':
		default:
			return -1
		}
	}
	if pad > 2 || (n+pad)%4 != 0 {
		return -1
	}
	return n * 3 / 4
}

// mediaSegment describes image or audio data and, for images in array
// mode, makes an input_image part.
func mediaSegment(kind, mime, data string, asPart bool) segment {
	mime = label(mime, 100)
	if mime == "" {
		mime = "unknown type"
	}
	size := base64Size(data)
	if size < 0 {
		return segment{text: fmt.Sprintf("[%s: %s, data is not valid base64]", kind, mime)}
	}
	seg := segment{text: fmt.Sprintf("[%s: %s, %d bytes]", kind, mime, size)}
	if asPart && validMediaType(mime) && strings.HasPrefix(mime, "image/") {
		seg.part = &part{Type: partImage, ImageURL: "data:" + mime + ";base64," + stripNewlines(data)}
	}
	return seg
}

func validMediaType(m string) bool {
	if len(m) < 3 || len(m) > 100 {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(validNameByte(c) || c == '/' || c == '.' || c == '+') {
			return false
		}
	}
	return strings.Count(m, "/") == 1
}

func stripNewlines(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\n", "", "\r", "").Replace(s)
}

// embedded renders an embedded resource.
func embedded(r mcp.ResourceContents, array bool, budget int) (segment, bool) {
	var uri, mime string
	switch v := r.(type) {
	case mcp.TextResourceContents:
		uri, mime = v.URI, v.MIMEType
		return segment{text: clip(resourceHead(uri, mime, -1)+"\n"+v.Text, budget)}, true
	case *mcp.TextResourceContents:
		uri, mime = v.URI, v.MIMEType
		return segment{text: clip(resourceHead(uri, mime, -1)+"\n"+v.Text, budget)}, true
	case mcp.BlobResourceContents:
		return blobSegment(v.URI, v.MIMEType, v.Blob, array), false
	case *mcp.BlobResourceContents:
		return blobSegment(v.URI, v.MIMEType, v.Blob, array), false
	}
	return segment{text: "[embedded resource of unknown kind]"}, false
}

func resourceHead(uri, mime string, size int) string {
	s := "[resource: <" + label(uri, 2048) + ">"
	if mime != "" {
		s += ", " + label(mime, 100)
	}
	if size >= 0 {
		s += ", " + strconv.Itoa(size) + " bytes"
	}
	return s + "]"
}

// blobSegment describes a binary resource; images and PDFs become parts in
// array mode.
func blobSegment(uri, mime, blob string, array bool) segment {
	size := base64Size(blob)
	if size < 0 {
		return segment{text: resourceHead(uri, mime, -1) + " (data is not valid base64)"}
	}
	seg := segment{text: resourceHead(uri, mime, size)}
	mime = label(mime, 100)
	if !array || !validMediaType(mime) {
		return seg
	}
	url := "data:" + mime + ";base64," + stripNewlines(blob)
	switch {
	case strings.HasPrefix(mime, "image/"):
		seg.part = &part{Type: partImage, ImageURL: url}
	case mime == "application/pdf":
		name := label(path.Base(uri), 200)
		if name == "" || name == "." || name == "/" {
			name = "resource.pdf"
		}
		seg.part = &part{Type: partFile, FileData: url, Filename: name}
	}
	return seg
}

// structuredText renders structuredContent as JSON.
func structuredText(res *mcp.CallToolResult, budget int) string {
	raw := []byte(res.RawStructuredContent)
	if len(raw) == 0 || !json.Valid(raw) {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return "[structured content could not be encoded: " + label(err.Error(), 200) + "]"
		}
		raw = b
	}
	return clip(string(raw), budget)
}
