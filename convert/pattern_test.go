package convert

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckPattern(t *testing.T) {
	kept := []string{
		`^[a-z0-9_-]{1,64}$`, `^\d{4}-\d{2}-\d{2}$`, `^[\u0000-\u007F]*$`, `\u{1F600}`,
		`^\cJ$`, `[^]`, `^(?<year>\d{4})$`, `^(?:a|b)+?$`, `\/path\.txt`, `[(?i)]`,
		`\p{L}+`, `^\S+@\S+$`, `a{2,}`, `{literal}`, `\x41`, ``,
	}
	for _, p := range kept {
		assert.NoError(t, checkPattern(p), "%q", p)
	}
	dropped := []string{
		`(00`, `[a-`, `*a`, `a**`, `\`, // invalid in every dialect
		`^(?=.*\d)\w+$`, `(?!x)`, `(?<=a)b`, `(?<!a)b`, `(a)\1`, `(?<n>a)\k<n>`, // lookaround, backreference
		`(?i)abc`, `(?s:.)`, `(?P<n>a)`, `\Aabc\z`, `\Qa.b\E`, `\pL`, `\x{41}`, `a{1001}`, // RE2-only
		`\u12`, `\cé`,
	}
	for _, p := range dropped {
		assert.Error(t, checkPattern(p), "%q", p)
	}
}

// A pattern or patternProperties key that is not a usable regular
// expression is removed, with a diagnostic naming the server, the tool and
// the field; the tool stays, strict when asked.
func TestBadPatternsAreRemovedWithADiagnostic(t *testing.T) {
	schema := `{"type":"object","properties":{
		"a":{"type":"string","pattern":"(00"},
		"b":{"type":"string","pattern":"^(?=.*\\d).+$"},
		"c":{"type":"string","pattern":"^[a-z]+$"},
		"d":{"type":"object","patternProperties":{"(00":{"type":"string"},"^x_":{"type":"integer"}}}
	},"required":["a","b","c","d"],"additionalProperties":false}`
	set, err := Convert([]ServerTools{{Server: "srv", Tools: []Tool{{Name: "tl", InputSchema: json.RawMessage(schema)}}}}, Options{Strict: true})
	require.NoError(t, err)
	require.Len(t, set.Tools, 1)
	b, err := json.Marshal(set.Tools[0].Parameters)
	require.NoError(t, err)
	out := string(b)
	assert.NotContains(t, out, "(00")
	assert.NotContains(t, out, "?=")
	assert.Contains(t, out, `"pattern":"^[a-z]+$"`)
	assert.Contains(t, out, `"^x_"`)
	var doc any
	require.NoError(t, json.Unmarshal(b, &doc))
	require.NoError(t, compileSchema(doc))

	fields := map[string]string{}
	for _, d := range set.Diagnostics {
		assert.Equal(t, "srv", d.Server)
		assert.Equal(t, "tl", d.Tool)
		fields[d.Field] = d.Reason
	}
	for _, f := range []string{
		"inputSchema/properties/a/pattern",
		"inputSchema/properties/b/pattern",
		"inputSchema/properties/d/patternProperties/(00",
	} {
		assert.Contains(t, fields, f)
		assert.True(t, strings.Contains(fields[f], "removed"), fields[f])
	}
}

// FuzzPattern checks that the pattern check never panics and that every
// pattern it keeps is read by the engine our own validation uses.
func FuzzPattern(f *testing.F) {
	for _, p := range []string{`^[a-z]+$`, `(00`, `\u0041[^]\cJ`, `(?=a)`, `[(?i)\]]`, `a{1001}`, `\p{L}`} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkPattern(p) != nil {
			return
		}
		re2, err := ecmaToRE2(p)
		if err != nil {
			t.Fatalf("kept %q but cannot translate it: %v", p, err)
		}
		if _, err := regexp.Compile(re2); err != nil {
			t.Fatalf("kept %q but RE2 rejects %q: %v", p, re2, err)
		}
	})
}
