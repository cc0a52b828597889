package convert

import (
	"strconv"
	"strings"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
)

// truncMarker ends a description that was cut.
const truncMarker = " …[truncated]"

// cleanText, cutUTF8 and capText are the shared cleaning of package
// textsafe, which the loop also applies to every output it sends.
func cleanText(s string, keepCR bool) string { return textsafe.Clean(s, keepCR) }

func cutUTF8(s string, n int) string { return textsafe.Cut(s, n) }

func capText(s string, limit int, marker string) (string, bool) {
	return textsafe.Cap(s, limit, marker)
}

// describe builds the description of a tool. It returns a note when the
// description had to be cut.
func describe(server string, t *Tool, opts Options) (string, string) {
	d := t.Description
	if strings.TrimSpace(d) == "" {
		d = t.Title
	}
	limit := opts.MaxDescriptionBytes
	if limit == 0 {
		limit = DefaultMaxDescriptionBytes
	}
	// Cap the raw text early so a megabyte description costs little.
	if limit > 0 && len(d) > 4*limit+64 {
		d = cutUTF8(d, 4*limit+64)
	}
	d = strings.TrimSpace(cleanText(d, false))
	if opts.DescriptionPrefix {
		p := "[" + strings.TrimSpace(cleanText(server, false)) + "]"
		if d == "" {
			d = p
		} else {
			d = p + " " + d
		}
	}
	out, cut := capText(d, limit, truncMarker)
	if cut {
		return out, "description cut to " + strconv.Itoa(limit) + " bytes"
	}
	return out, ""
}
