package convert

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// truncMarker ends a description that was cut.
const truncMarker = " …[truncated]"

// cleanText makes s valid UTF-8 and removes control characters other than
// newline and tab (keepCR also keeps carriage returns). Unchanged input is
// returned without copying.
func cleanText(s string, keepCR bool) string {
	clean := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' && !(keepCR && c == '\r') || c == 0x7f {
				clean = false
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsControl(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t' || keepCR && r == '\r':
			b.WriteRune(r)
		case unicode.IsControl(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cutUTF8 returns the longest prefix of s that is at most n bytes and does
// not split a character.
func cutUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// capText cuts s to at most limit bytes, ending it with marker when cut. If
// the limit is under twice the marker's length, s is just cut.
func capText(s string, limit int, marker string) (string, bool) {
	if limit < 0 || len(s) <= limit {
		return s, false
	}
	if 2*len(marker) > limit {
		return cutUTF8(s, limit), true // too tight for a marker
	}
	return cutUTF8(s, limit-len(marker)) + marker, true
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
