// Package textsafe makes untrusted text safe to hand to a model or print:
// valid UTF-8, no control characters other than newline and tab (and
// optionally carriage return), no bidirectional formatting characters, and
// a byte cap with a visible marker. Package convert uses it for tool results
// and descriptions, package responses for every output sent to the model,
// so both clean and cap the same way.
package textsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Marker ends an output that was cut to fit its cap.
const Marker = "\n…[output truncated]"

// Clean makes s valid UTF-8 (invalid bytes become U+FFFD) and removes
// control characters (C0, DEL, C1) other than newline and tab, and the
// bidirectional formatting characters (U+061C, U+200E, U+200F,
// U+202A..U+202E, U+2066..U+2069) that reorder what a reader sees.
// keepCR also keeps carriage returns. Clean input is returned without
// copying.
func Clean(s string, keepCR bool) string {
	i := firstUnsafe(s, keepCR)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case unsafeRune(r, keepCR):
			// dropped
		default:
			b.WriteString(s[i-size : i])
		}
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte Clean would change, or -1.
func firstUnsafe(s string, keepCR bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' && !(keepCR && c == '\r') || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r, keepCR) {
			return i
		}
		i += size
	}
	return -1
}

func unsafeRune(r rune, keepCR bool) bool {
	switch {
	case r == '\n' || r == '\t' || keepCR && r == '\r':
		return false
	case unicode.IsControl(r):
		return true
	}
	return IsBidiControl(r)
}

// IsBidiControl reports the characters of the Unicode Bidi_Control property.
func IsBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// Cut returns the longest prefix of s that is at most n bytes and does not
// split a character.
func Cut(s string, n int) string {
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

// Cap cuts s to at most limit bytes, ending it with marker when cut; a
// negative limit means no cap. If the limit is under twice the marker's
// length, s is just cut. It reports whether s was cut.
func Cap(s string, limit int, marker string) (string, bool) {
	if limit < 0 || len(s) <= limit {
		return s, false
	}
	if 2*len(marker) > limit {
		return Cut(s, limit), true // too tight for a marker
	}
	return Cut(s, limit-len(marker)) + marker, true
}

// Clip cleans s, looking at no more of it than needed to fill budget bytes
// plus a marker of markerLen bytes: a huge input costs little. The result
// is longer than budget exactly when the cleaned s is, so a later Cap to
// budget marks the cut.
//
// Cleaning can shrink a window (characters are removed), so the window
// grows until its cleaned text is still over the budget or the whole input
// is used: a cut input never comes back short enough to pass the cap
// unmarked.
func Clip(s string, budget, markerLen int, keepCR bool) string {
	if budget < 0 {
		budget = 0
	}
	want := budget + markerLen + 4
	for window := want; ; window *= 2 {
		if len(s) <= window {
			return Clean(s, keepCR)
		}
		if c := Clean(Cut(s, window), keepCR); len(c) >= want {
			return c
		}
	}
}

// CleanCap cleans s and caps it at limit bytes with Marker (negative: no
// cap). It reports whether s was cut.
func CleanCap(s string, limit int, keepCR bool) (string, bool) {
	if limit < 0 {
		return Clean(s, keepCR), false
	}
	return Cap(Clip(s, limit, len(Marker), keepCR), limit, Marker)
}
