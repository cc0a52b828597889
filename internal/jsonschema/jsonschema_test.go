package jsonschema

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const issueSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 10},
    "labels": {"type": "array", "items": {"type": "string", "enum": ["bug", "docs"]}, "maxItems": 2},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5},
    "owner": {"$ref": "#/$defs/user"},
    "due": {"type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "kind": {"anyOf": [{"const": "a"}, {"const": "b"}]}
  },
  "required": ["title"],
  "additionalProperties": false,
  "$defs": {"user": {"type": "object", "properties": {"login": {"type": "string"}}, "required": ["login"]}}
}`

func TestValidateJSON(t *testing.T) {
	cases := []struct {
		name, args, path string // path "" and ok means valid
		ok               bool
	}{
		{"minimal", `{"title":"x"}`, "", true},
		{"full", `{"title":"x","labels":["bug"],"priority":3,"owner":{"login":"me"},"due":"2026-01-02","kind":"b"}`, "", true},
		{"null allowed by type list", `{"title":"x","due":null}`, "", true},
		{"missing required", `{}`, "title", false},
		{"wrong type", `{"title":5}`, "title", false},
		{"too long", `{"title":"01234567890"}`, "title", false},
		{"bad enum in array", `{"title":"x","labels":["nope"]}`, "labels[0]", false},
		{"too many items", `{"title":"x","labels":["bug","docs","bug"]}`, "labels", false},
		{"not integer", `{"title":"x","priority":2.5}`, "priority", false},
		{"above maximum", `{"title":"x","priority":6}`, "priority", false},
		{"ref required", `{"title":"x","owner":{}}`, "owner.login", false},
		{"pattern", `{"title":"x","due":"tomorrow"}`, "due", false},
		{"anyOf none", `{"title":"x","kind":"c"}`, "kind", false},
		{"additional property", `{"title":"x","extra":1}`, "extra", false},
		{"not an object", `[1,2]`, "", false},
		{"not JSON", `{"title":`, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateJSON([]byte(issueSchema), []byte(tc.args))
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalid), "error should match ErrInvalid: %v", err)
			var verr *Error
			require.True(t, errors.As(err, &verr))
			require.NotEmpty(t, verr.Violations)
			assert.Equal(t, tc.path, verr.Violations[0].Path, verr.Error())
		})
	}
}

func TestEmptyAndInvalidSchema(t *testing.T) {
	require.NoError(t, ValidateJSON(nil, []byte(`{"anything":1}`)))
	err := ValidateJSON([]byte(`{"type":`), []byte(`{}`))
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrInvalid), "a broken schema is not the caller's fault")
}

func TestCyclicRefTerminates(t *testing.T) {
	// A reference loop that never reaches a schema is reported, not followed.
	schema := `{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}`
	err := ValidateJSON([]byte(schema), []byte(`{}`))
	require.Error(t, err)
	tree := `{"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"child":{"$ref":"#/$defs/node"},"v":{"type":"integer"}}}}}`
	require.NoError(t, ValidateJSON([]byte(tree), []byte(`{"child":{"child":{"v":1}}}`)))
	err = ValidateJSON([]byte(tree), []byte(`{"child":{"child":{"v":"x"}}}`))
	var verr *Error
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, "child.child.v", verr.Violations[0].Path)
}

// TestEveryViolationIsReported: all problems at once, each with its field,
// and the list is bounded.
func TestEveryViolationIsReported(t *testing.T) {
	err := ValidateJSON([]byte(issueSchema), []byte(`{"title":5,"priority":9,"labels":["x"],"extra":1}`))
	var verr *Error
	require.ErrorAs(t, err, &verr)
	var paths []string
	for _, v := range verr.Violations {
		paths = append(paths, v.Path)
	}
	assert.Subset(t, paths, []string{"title", "priority", "labels[0]", "extra"}, verr.Error())
	assert.Contains(t, verr.Error(), "extra")

	var b strings.Builder
	b.WriteString(`{`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"p%d":"x"`, i)
	}
	b.WriteString(`}`)
	err = ValidateJSON([]byte(`{"additionalProperties":{"type":"integer"}}`), []byte(b.String()))
	require.ErrorAs(t, err, &verr)
	assert.Len(t, verr.Violations, MaxViolations)
	assert.Equal(t, 100-MaxViolations, verr.More)
	assert.Contains(t, verr.Error(), "and 80 more")
}

func TestBigNumbersAndLookaroundPatterns(t *testing.T) {
	// 2^64+1 is not below a maximum of 2^64: no float64 rounding.
	require.Error(t, ValidateJSON([]byte(`{"maximum":18446744073709551616}`), []byte(`18446744073709551617`)))
	require.NoError(t, ValidateJSON([]byte(`{"maximum":18446744073709551616}`), []byte(`18446744073709551616`)))
	// A pattern Go cannot compile accepts everything instead of breaking the tool.
	require.NoError(t, ValidateJSON([]byte(`{"type":"string","pattern":"^(?!x)"}`), []byte(`"xy"`)))
	// Formats are annotations.
	require.NoError(t, ValidateJSON([]byte(`{"type":"string","format":"email"}`), []byte(`"nope"`)))
}

func TestRemoteRefDoesNotLoad(t *testing.T) {
	err := ValidateJSON([]byte(`{"$ref":"https://example.com/s.json"}`), []byte(`{}`))
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrInvalid))
}

func TestCacheCompilesOnce(t *testing.T) {
	var c Cache
	a, err := c.Get([]byte(issueSchema))
	require.NoError(t, err)
	b, err := c.Get([]byte(issueSchema))
	require.NoError(t, err)
	assert.Same(t, a, b)
	_, err = c.Get([]byte(`{"type":`))
	require.Error(t, err)
	assert.Equal(t, 2, c.Len())
	c.Retain([][]byte{[]byte(issueSchema)})
	assert.Equal(t, 1, c.Len())
	require.Error(t, a.ValidateJSON([]byte(`{}`)))
}

func TestOneOfAndNot(t *testing.T) {
	schema := `{"oneOf":[{"type":"integer"},{"type":"number"}],"not":{"const":7}}`
	// 3 is both an integer and a number: two matches breaks oneOf.
	require.Error(t, ValidateJSON([]byte(schema), []byte(`3`)))
	require.NoError(t, ValidateJSON([]byte(schema), []byte(`3.5`)))
	require.NoError(t, ValidateJSON([]byte(`{"not":{"const":7}}`), []byte(`8`)))
	require.Error(t, ValidateJSON([]byte(`{"not":{"const":7}}`), []byte(`7`)))
	require.Error(t, ValidateJSON([]byte(`false`), []byte(`7`)))
}

// TestCompileIsBounded: a schema nested past MaxCompileDepth or larger
// than MaxCompileBytes is refused before the library reads it; brackets
// inside strings do not count.
func TestCompileIsBounded(t *testing.T) {
	nest := func(d int) string {
		return strings.Repeat(`{"type":"object","properties":{"a":`, d) + `{"type":"string"}` + strings.Repeat(`}}`, d)
	}
	_, err := Compile([]byte(nest(MaxCompileDepth/2 - 1)))
	require.NoError(t, err)
	_, err = Compile([]byte(nest(1200)))
	require.ErrorIs(t, err, ErrTooComplex)
	assert.Contains(t, err.Error(), "nested more than 100 levels")
	_, err = Compile([]byte(`{"description":"` + strings.Repeat(`{[\"`, 500) + `"}`))
	require.NoError(t, err, "brackets in strings are text")
	_, err = Compile([]byte(`{"description":"` + strings.Repeat("x", MaxCompileBytes) + `"}`))
	require.ErrorIs(t, err, ErrTooComplex)
}
