package convert

import (
	"strings"
	"testing"
)

// Long patterns made of braces or \u{ escapes once made the check
// quadratic (a minute for 1 MiB; a schema may hold 4 MiB). They must be
// checked in one pass; this test only has to finish.
func TestCheckPatternLongInputs(t *testing.T) {
	for _, unit := range []string{"{", `\u{`, "{1,", "a{1}", "{1,2", "{99999"} {
		p := strings.Repeat(unit, (4<<20)/len(unit))
		_ = checkPattern(p)
	}
}
