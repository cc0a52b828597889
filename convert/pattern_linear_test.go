package convert

import (
	"strings"
	"testing"
)

// Long patterns made of braces or \u{ escapes once made the translation
// quadratic (a minute for 1 MiB; a schema may hold 4 MiB). checkPattern now
// refuses long patterns first, but the translation must still take one
// pass; this test only has to finish.
func TestCheckPatternLongInputs(t *testing.T) {
	for _, unit := range []string{"{", `\u{`, "{1,", "a{1}", "{1,2", "{99999"} {
		p := strings.Repeat(unit, (4<<20)/len(unit))
		_, _ = ecmaToRE2(p)
		_ = checkPattern(p)
	}
}

// Go's regexp parser, which reads every kept pattern, costs more than
// linear time on long patterns (0.4 s for 1 MB of "^"), so a pattern over
// maxSchemaText bytes is removed before it is parsed, like any pattern the
// API could not use. Real servers' patterns are under 300 bytes.
func TestLongPatternsAreRemoved(t *testing.T) {
	kept := "^" + strings.Repeat("a", maxSchemaText-1)
	long := "^" + strings.Repeat("a", maxSchemaText)
	schema := `{"type":"object","properties":{"k":{"type":"string","pattern":"` + kept + `"},"l":{"type":"string","pattern":"` + long + `"}}}`
	set, err := Convert([]ServerTools{{Server: "srv", Tools: []Tool{{Name: "tl", InputSchema: []byte(schema)}}}}, Options{})
	if err != nil || len(set.Tools) != 1 {
		t.Fatalf("convert: %v, %d tools", err, len(set.Tools))
	}
	props := set.Tools[0].Parameters["properties"].(map[string]any)
	if got := props["k"].(map[string]any)["pattern"]; got != kept {
		t.Errorf("a pattern of %d bytes was not kept", len(kept))
	}
	if _, ok := props["l"].(map[string]any)["pattern"]; ok {
		t.Errorf("a pattern of %d bytes was kept", len(long))
	}
	var reason string
	for _, d := range set.Diagnostics {
		if d.Field == "inputSchema/properties/l/pattern" {
			reason = d.Reason
		}
	}
	if !strings.Contains(reason, "longer than 4096 bytes") || !strings.Contains(reason, "removed") {
		t.Errorf("diagnostic for the long pattern: %q", reason)
	}
}
