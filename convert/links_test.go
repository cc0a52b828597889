package convert

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestFetchableURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://cdn.example.com/a.png":         true,
		"https://93.184.216.34/a.png":           true,
		"http://cdn.example.com/a.png":          false,
		"https://user:pw@cdn.example.com/a":     false,
		"https://localhost/a.png":               false,
		"https://intranet/a.png":                false,
		"https://wiki.corp.internal/a.png":      false,
		"https://printer.local/a.png":           false,
		"https://127.0.0.1/a.png":               false,
		"https://10.1.2.3/a.png":                false,
		"https://192.168.0.1/a.png":             false,
		"https://169.254.169.254/latest":        false,
		"https://[::1]/a.png":                   false,
		"https://[fd00::1]/a.png":               false,
		"file:///etc/passwd":                    false,
		"demo://resource/static/document/1":     false,
		"https://cdn.example.com/a b.png":       false,
		"https://cdn.example.com/" + long(3000): false,
	} {
		if got := fetchableURL(u); got != want {
			t.Errorf("fetchableURL(%q) = %v, want %v", u, got, want)
		}
	}
}

func long(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func TestIconURL(t *testing.T) {
	png := "data:image/png;base64,iVBORw0KGgo="
	cases := []struct {
		icons []mcp.Icon
		want  string
	}{
		{nil, ""},
		{[]mcp.Icon{{Src: "javascript:alert(1)"}, {Src: "http://x.example/i.png"}, {Src: "file:///i.png"}}, ""},
		{[]mcp.Icon{{Src: "https://x.example/dark.png", Theme: mcp.IconThemeDark}, {Src: "https://x.example/light.png", Theme: mcp.IconThemeLight}}, "https://x.example/light.png"},
		{[]mcp.Icon{{Src: "https://x.example/dark.png", Theme: mcp.IconThemeDark}}, "https://x.example/dark.png"},
		{[]mcp.Icon{{Src: "data:text/html;base64,PGI+"}, {Src: png}}, png},
		{[]mcp.Icon{{Src: "data:image/png;base64," + long(70000)}}, ""},
	}
	for _, c := range cases {
		if got := IconURL(c.icons); got != c.want {
			t.Errorf("IconURL(%v) = %q, want %q", c.icons, got, c.want)
		}
	}
}
