package convert

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Resource links and icons: what a server points to rather than sends.
//
// A resource_link in a tool result reaches the model as a JSON object
// naming it (uri, name, title, mimeType, size, description), which the
// model can read and ask for by URI (server__read_resource). With
// ArrayOutputs, a link the Responses API can fetch itself also goes as the
// thing: an image (input_image with image_url) or a PDF (input_file with
// file_url), when its URI is a public https URL (fetchableURL): a URL the
// API cannot reach would fail the whole request.

// linkImageTypes are the image types the API takes by URL.
var linkImageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// maxLinkURL bounds a URI sent for the API to fetch.
const maxLinkURL = 2048

// linkSegment renders a resource link: its JSON description, and in array
// mode the image or file the API fetches, after the description.
func linkSegment(l *mcp.ResourceLink, array bool, budget int) segment {
	seg := segment{text: clip(linkJSON(l), budget), keepText: true}
	if !array {
		return seg
	}
	mime := strings.ToLower(label(l.MIMEType, 100))
	if !fetchableURL(l.URI) {
		return seg
	}
	switch {
	case linkImageTypes[mime]:
		seg.part = &part{Type: partImage, ImageURL: l.URI}
	case mime == "application/pdf":
		name := label(l.Name, 200)
		if name == "" {
			name = "resource.pdf"
		}
		seg.part = &part{Type: partFile, FileURL: l.URI, Filename: name}
	}
	return seg
}

// linkJSON is the description of a resource link the model reads: the
// link's own fields, cleaned, as one JSON object.
func linkJSON(l *mcp.ResourceLink) string {
	v := struct {
		Type        string `json:"type"`
		URI         string `json:"uri"`
		Name        string `json:"name,omitempty"`
		Title       string `json:"title,omitempty"`
		MIMEType    string `json:"mimeType,omitempty"`
		Size        *int64 `json:"size,omitempty"`
		Description string `json:"description,omitempty"`
	}{"resource_link", label(l.URI, maxLinkURL), label(l.Name, 200), label(l.Title, 200), label(l.MIMEType, 100), l.Size,
		cleanText(cutUTF8(strings.TrimSpace(l.Description), 4096), true)}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return "[resource link]"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// fetchableURL reports whether the Responses API could fetch u: an
// absolute https URL of at most maxLinkURL bytes, without user info, whose
// host is a public name or address (not localhost, a single label, a
// .local, .internal or .localhost name, or a private, loopback,
// link-local or unspecified address). Anything else stays a description.
func fetchableURL(u string) bool {
	if len(u) > maxLinkURL || strings.ContainsAny(u, " \t\r\n") {
		return false
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.User != nil || p.Opaque != "" {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(p.Hostname(), "."))
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
			ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast())
	}
	if !strings.Contains(host, ".") {
		return false
	}
	for _, suffix := range []string{".local", ".internal", ".localhost", ".lan", ".home.arpa"} {
		if strings.HasSuffix(host, suffix) {
			return false
		}
	}
	return true
}

// maxIconDataURL bounds a data: icon kept for the program.
const maxIconDataURL = 64 << 10

// iconTypes are the image types of an icon a program can show.
var iconTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/svg+xml": true}

// IconURL picks the icon of a tool, server, prompt or resource (its MCP
// icons) to show a person: the first whose src is an https URL, or a
// data: URL of an image type no larger than 64 KiB; a light-theme or
// theme-less icon before a dark-theme one. "" when none is usable. The
// URL is the server's: a program fetching it reaches the server's choice
// of host.
func IconURL(icons []mcp.Icon) string {
	best := ""
	for _, ic := range icons {
		src := strings.TrimSpace(ic.Src)
		if !usableIcon(src) {
			continue
		}
		if ic.Theme != mcp.IconThemeDark {
			return src
		}
		if best == "" {
			best = src
		}
	}
	return best
}

func usableIcon(src string) bool {
	lower := strings.ToLower(src)
	switch {
	case strings.HasPrefix(lower, "https://"):
		p, err := url.Parse(src)
		return err == nil && p.Host != "" && p.User == nil && len(src) <= maxLinkURL && !strings.ContainsAny(src, " \t\r\n")
	case strings.HasPrefix(lower, "data:"):
		mime, _, _ := strings.Cut(lower[len("data:"):], ";")
		return len(src) <= maxIconDataURL && iconTypes[mime] && strings.Contains(lower, ";base64,")
	}
	return false
}
