package responsestest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryRuleIsEnforcedAndSourced keeps the table in rules.go honest:
// each rule has a source and is cited ("rule <id>") where it is enforced.
func TestEveryRuleIsEnforcedAndSourced(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "rules.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(b)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Source == "" || r.Text == "" {
			t.Errorf("rule %s lacks its text or source", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if !strings.Contains(code.String(), "rule "+r.ID) {
			t.Errorf("rule %s is not enforced anywhere (no \"// rule %s\")", r.ID, r.ID)
		}
	}
}
