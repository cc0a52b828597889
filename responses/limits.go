package responses

import (
	"github.com/mcpbridge/mcpbridge/internal/textsafe"
)

// DefaultMaxOutputBytes is the output cap when Options.MaxOutputBytes is 0.
const DefaultMaxOutputBytes = 64 << 10

// APIMaxOutputBytes is the largest function_call_output string the
// Responses API accepts (10 MiB); no cap goes above it.
const APIMaxOutputBytes = 10 << 20

// outputLimit is the cap applied to every output of a run whose
// Options.MaxOutputBytes is n.
func outputLimit(n int) int {
	switch {
	case n == 0:
		return DefaultMaxOutputBytes
	case n < 0 || n > APIMaxOutputBytes:
		return APIMaxOutputBytes
	default:
		return n
	}
}

// deliverable is the one place every output passes before the model (and
// the CallRecord, and AfterCall) sees it: texts are cleaned of control and
// bidirectional formatting characters and made valid UTF-8 (package
// textsafe, shared with package convert), Text is capped, and the parts
// together are capped at the same limit, media included. Output that is
// already clean and within the cap is returned as it is.
func (l *Loop) deliverable(out Output) Output {
	limit := l.limit
	out.Text, _ = textsafe.CleanCap(out.Text, limit, true)
	if len(out.Parts) > 0 {
		out.Parts = capParts(out.Parts, limit)
	}
	return out
}

// capParts cleans the text of each part and keeps the parts, in order,
// within limit bytes in total (text, URL, data and file name bytes). Media
// that does not fit is replaced by a short note when there is room; the
// first text that does not fit is cut with the marker and ends the list.
func capParts(parts []Part, limit int) []Part {
	out := make([]Part, 0, len(parts))
	used := 0
	for _, p := range parts {
		room := limit - used
		switch p.Type {
		case PartImage, PartFile:
			p.Filename = textsafe.Clean(p.Filename, false)
			size := len(p.ImageURL) + len(p.FileData) + len(p.Filename)
			if size <= room {
				out = append(out, p)
				used += size
				continue
			}
			note, _ := textsafe.Cap("["+string(p.Type)+" left out: larger than the output cap]", room, "")
			if note != "" {
				out = append(out, Part{Type: PartText, Text: note})
				used += len(note)
			}
		default:
			text, cut := textsafe.CleanCap(p.Text, room, true)
			out = append(out, Part{Type: PartText, Text: text})
			used += len(text)
			if cut {
				return out
			}
		}
	}
	if len(out) == 0 {
		out = append(out, Part{Type: PartText})
	}
	return out
}
