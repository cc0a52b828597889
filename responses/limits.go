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
// the CallRecord, and AfterCall) sees it; see Deliverable.
func (l *Loop) deliverable(out Output) Output { return deliver(out, l.limit) }

// Deliverable returns out exactly as a run whose Options.MaxOutputBytes is
// maxBytes sends it to the model: texts cleaned of control and
// bidirectional formatting characters and made valid UTF-8 (package
// textsafe, shared with package convert), Text capped, and the parts
// together capped at the same limit, media included; Truncated is set when
// anything was cut. Output that is already clean and within the cap is
// returned as it is. The loop applies it to every output; a program that
// runs a call outside the loop applies it to get the same output.
func Deliverable(out Output, maxBytes int) Output { return deliver(out, outputLimit(maxBytes)) }

func deliver(out Output, limit int) Output {
	var cut bool
	out.Text, cut = textsafe.CleanCap(out.Text, limit, true)
	out.Truncated = out.Truncated || cut
	if len(out.Parts) > 0 {
		out.Parts, cut = capParts(out.Parts, limit)
		out.Truncated = out.Truncated || cut
	}
	return out
}

// capParts cleans the text of each part and keeps the parts, in order,
// within limit bytes in total (text, URL, data and file name bytes). Media
// that does not fit is replaced by a short note when there is room; the
// first text that does not fit is cut with the marker and ends the list.
func capParts(parts []Part, limit int) (_ []Part, cut bool) {
	out := make([]Part, 0, len(parts))
	used := 0
	for _, p := range parts {
		room := limit - used
		switch p.Type {
		case PartImage, PartFile:
			p.Filename = textsafe.Clean(p.Filename, false)
			size := len(p.ImageURL) + len(p.FileData) + len(p.FileURL) + len(p.Filename)
			if size <= room {
				out = append(out, p)
				used += size
				continue
			}
			cut = true
			note, _ := textsafe.Cap("["+string(p.Type)+" left out: larger than the output cap]", room, "")
			if note != "" {
				out = append(out, Part{Type: PartText, Text: note})
				used += len(note)
			}
		default:
			text, textCut := textsafe.CleanCap(p.Text, room, true)
			out = append(out, Part{Type: PartText, Text: text})
			used += len(text)
			if textCut {
				return out, true
			}
		}
	}
	if len(out) == 0 {
		out = append(out, Part{Type: PartText})
	}
	return out, cut
}
