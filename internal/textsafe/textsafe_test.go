package textsafe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestIsBidiControlMatchesUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if IsBidiControl(r) != unicode.Is(unicode.Bidi_Control, r) {
			t.Fatalf("%U: IsBidiControl %v", r, IsBidiControl(r))
		}
	}
}

func TestClean(t *testing.T) {
	cases := map[string]string{
		"plain text\n\tok":              "plain text\n\tok",
		"a\x00b\x1b[31mc\x7f":           "ab[31mc",
		"C1 \u0085 and \u009b gone":     "C1  and  gone",
		"evil\u202eexe.txt\u2066\u200f": "evilexe.txt",
		"bad \xff byte":                 "bad \ufffd byte",
		"cr\r\n":                        "cr\n",
		"emoji 👩‍💻 and עברית stay":      "emoji 👩‍💻 and עברית stay",
	}
	for in, want := range cases {
		if got := Clean(in, false); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Clean("a\r\nb", true); got != "a\r\nb" {
		t.Errorf("keepCR: %q", got)
	}
}

func TestCleanCapBoundsAndMarks(t *testing.T) {
	huge := strings.Repeat("\x00\u202e", 1<<20) + strings.Repeat("x", 100)
	got, cut := CleanCap(huge, 50, true)
	if got != strings.Repeat("x", 50-len(Marker))+Marker || !cut {
		t.Fatalf("got %q cut %v", got, cut)
	}
	for _, limit := range []int{0, 1, 5, 30, 100} {
		s, _ := CleanCap(strings.Repeat("é\x1b", 200), limit, false)
		if len(s) > limit || !utf8.ValidString(s) {
			t.Fatalf("limit %d: %q", limit, s)
		}
	}
	if s, cut := CleanCap("short", 100, false); s != "short" || cut {
		t.Fatalf("%q %v", s, cut)
	}
	if s, cut := CleanCap(strings.Repeat("y", 1000), -1, false); len(s) != 1000 || cut {
		t.Fatal("negative limit caps")
	}
}

// FuzzCleanCap checks the promises of CleanCap for any input and limit:
// within the cap, valid UTF-8, nothing unsafe left, unchanged when clean
// and short, and marked when cut.
func FuzzCleanCap(f *testing.F) {
	f.Add("plain", 10, false)
	f.Add("a\x00\u202e\xffb\r\n", 3, true)
	f.Add(strings.Repeat("\x1b", 100)+"tail", 30, false)
	f.Fuzz(func(t *testing.T, s string, limit int, keepCR bool) {
		limit %= 1 << 16
		got, cut := CleanCap(s, limit, keepCR)
		if limit >= 0 && len(got) > limit {
			t.Fatalf("%d bytes over cap %d", len(got), limit)
		}
		if !utf8.ValidString(got) || firstUnsafe(got, keepCR) >= 0 {
			t.Fatalf("unsafe output %q", got)
		}
		clean := Clean(s, keepCR)
		if cut != (limit >= 0 && len(clean) > limit) {
			t.Fatalf("cut=%v for %d clean bytes, cap %d", cut, len(clean), limit)
		}
		if !cut && got != clean {
			t.Fatalf("uncut output %q differs from Clean %q", got, clean)
		}
		if cut && limit >= 2*len(Marker) && !strings.HasSuffix(got, Marker) {
			t.Fatalf("cut without marker: %q", got)
		}
	})
}
