package toolindex

import "strings"

// stem strips common English inflections so that "creating", "created" and
// "creates" meet "create". It is deliberately light: both the index and the
// query go through it, so it only has to be consistent, not linguistic.
func stem(w string) string {
	if len(w) <= 3 || !isASCII(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w = restoreE(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w = restoreE(w[:len(w)-2])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	if strings.HasSuffix(w, "e") && len(w) > 4 {
		w = w[:len(w)-1]
	}
	return w
}

// restoreE finishes a word whose -ing or -ed was cut: a doubled final
// consonant is undoubled ("stopp" from "stopped" becomes "stop"), and a
// short consonant-vowel-consonant stem gets back the "e" the suffix
// swallowed ("rat" from "rating" becomes "rate"), so that both meet the
// bare word.
func restoreE(w string) string {
	if u := undouble(w); u != w {
		return u
	}
	if measure(w) == 1 && endsCVC(w) {
		return w + "e"
	}
	return w
}

// endsCVC reports whether w ends consonant-vowel-consonant, the last not
// w, x or y ("rat", "hop"; not "list", "creat", "show").
func endsCVC(w string) bool {
	n := len(w)
	if n < 3 {
		return false
	}
	isV := func(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }
	return !isV(w[n-3]) && isV(w[n-2]) && !isV(w[n-1]) && !strings.ContainsRune("wxy", rune(w[n-1]))
}

// undouble turns "stopp" (from "stopped") into "stop".
func undouble(w string) string {
	n := len(w)
	if n >= 4 && w[n-1] == w[n-2] && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// derivational suffixes family strips, longest first among those that share
// an ending, so that "visualization", "visualize" and "visual", or
// "relationship", "relation" and "relate", meet.
var derivational = []string{
	"ization", "isation", "ational", "ation", "ition", "ement", "ment", "ness", "ship",
	"ical", "ally", "ible", "able", "ance", "ence", "ity", "ive", "ize", "ise", "ism",
	"ist", "ous", "ant", "ent", "ion", "al", "ic", "er", "or", "ly", "at", "iz", "y",
}

// family returns the root a stemmed term shares with the other words of its
// family, or "" for terms too short or not ASCII to judge. It strips
// derivational suffixes while what remains has a Porter measure above one
// (two vowel-consonant runs), which keeps short words whole: "user" stays,
// "installation" becomes "install".
func family(t string) string {
	if len(t) < 4 || !isASCII(t) {
		return ""
	}
	for range 3 {
		stripped := false
		for _, suf := range derivational {
			if root, ok := strings.CutSuffix(t, suf); ok && measure(root) > 1 {
				t, stripped = root, true
				break
			}
		}
		if !stripped {
			break
		}
	}
	return t
}

// measure is Porter's m: the number of vowel-to-consonant transitions in w
// ("tree" 0, "trouble" 1, "private" 2), where y after a consonant is a vowel.
func measure(w string) int {
	m := 0
	prevVowel := false
	for i := 0; i < len(w); i++ {
		v := strings.IndexByte("aeiou", w[i]) >= 0 || w[i] == 'y' && i > 0 && !prevVowel
		if prevVowel && !v {
			m++
		}
		prevVowel = v
	}
	return m
}
