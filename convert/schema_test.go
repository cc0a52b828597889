package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaCases are converted both ways and compared with golden files.
var schemaCases = []struct {
	name, in string
}{
	{"missing", ``},
	{"null", `null`},
	{"empty_object", `{}`},
	{"true", `true`},
	{"schema_and_id", `{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"urn:x","type":"object","properties":{"q":{"type":"string"}},"required":["q"]}`},
	{"no_type_with_properties", `{"properties":{"path":{"type":"string","description":"File path."}},"required":["path"]}`},
	{"object_without_properties", `{"type":"object"}`},
	{"top_anyof_objects", `{"anyOf":[{"type":"object","properties":{"id":{"type":"string"},"verbose":{"type":"boolean"}},"required":["id"]},{"type":"object","properties":{"name":{"type":"string"},"verbose":{"type":"boolean"}},"required":["name"]}]}`},
	{"top_oneof_shared_required", `{"description":"Look up a user.","oneOf":[{"properties":{"org":{"type":"string"},"id":{"type":"integer"}},"required":["org","id"]},{"properties":{"org":{"type":"string"},"email":{"type":"string","format":"email"}},"required":["org","email"]}]}`},
	{"top_anyof_conflicting_property", `{"anyOf":[{"type":"object","properties":{"v":{"type":"string"}}},{"type":"object","properties":{"v":{"type":"integer"}}}]}`},
	{"top_anyof_mixed", `{"anyOf":[{"type":"string"},{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}]}`},
	{"top_anyof_no_object", `{"anyOf":[{"type":"string"},{"type":"number"}]}`},
	{"top_allof", `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},{"properties":{"b":{"type":"integer"}},"required":["b"]}]}`},
	{"top_enum_not_if", `{"type":"object","properties":{"a":{"type":"string"}},"enum":[{"a":"x"}],"not":{"required":["b"]},"if":{"required":["a"]},"then":{"required":["a"]}}`},
	{"top_type_list", `{"type":["object","null"],"properties":{"a":{"type":"string"}}}`},
	{"top_type_string", `{"type":"string"}`},
	{"top_array_json", `[{"type":"object"}]`},
	{"top_false", `false`},
	{"invalid_json", `{"type":"object",`},
	{"trailing_data", `{"type":"object"} {"x":1}`},
	{"array_without_items", `{"type":"object","properties":{"tags":{"type":"array"},"matrix":{"type":"array","items":{"type":"array"}}}}`},
	{"nested_object_without_properties", `{"type":"object","properties":{"meta":{"type":"object","description":"Free-form metadata."}}}`},
	{"boolean_subschemas", `{"type":"object","properties":{"any":true,"never":false,"empty":{"type":"array","items":false},"alt":{"anyOf":[false,{"type":"string"}]}},"required":["never","any"]}`},
	{"type_list_with_null", `{"type":"object","properties":{"unit":{"type":["string","null","string"],"enum":["C","F",null]},"count":{"type":["integer"]}}}`},
	{"type_typos", `{"type":"Object","properties":{"n":{"type":"int"},"f":{"type":"float"},"b":{"type":"bool"},"x":{"type":"whatever"},"l":{"type":"list"}}}`},
	{"openapi_nullable", `{"type":"object","properties":{"name":{"type":"string","nullable":true},"kind":{"type":"string","enum":["a","b"],"nullable":true}},"required":["name","kind"]}`},
	{"draft04_exclusive", `{"type":"object","properties":{"n":{"type":"number","minimum":0,"exclusiveMinimum":true,"maximum":10,"exclusiveMaximum":false}}}`},
	{"bad_keyword_values", `{"type":"object","properties":{"s":{"type":"string","minLength":-1,"maxLength":"10","pattern":5,"description":7},"n":{"type":"number","multipleOf":0}},"required":"s"}`},
	{"required_garbage", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a","a",3,"missing"]}`},
	{"tuple_items", `{"type":"object","properties":{"point":{"type":"array","items":[{"type":"number"},{"type":"number"}]},"pair":{"type":"array","items":[{"type":"string"},{"type":"integer"}]}}}`},
	{"refs_inline", `{"type":"object","properties":{"from":{"$ref":"#/definitions/Point"},"to":{"$ref":"#/$defs/Point2","description":"Where to go."}},"required":["from","to"],"definitions":{"Point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]}},"$defs":{"Point2":{"$ref":"#/definitions/Point"}}}`},
	{"refs_escaped_pointer", `{"type":"object","properties":{"a":{"$ref":"#/$defs/a~1b"},"b":{"$ref":"#/$defs/with%20space"}},"$defs":{"a/b":{"type":"string"},"with space":{"type":"integer"}}}`},
	{"refs_cycle", `{"type":"object","properties":{"root":{"$ref":"#/$defs/Node"}},"required":["root"],"$defs":{"Node":{"type":"object","properties":{"value":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/Node"}}},"required":["value"]}}}`},
	{"refs_mutual_cycle", `{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"object","properties":{"b":{"$ref":"#/$defs/B"}}},"B":{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}}}`},
	{"refs_root_recursion", `{"type":"object","properties":{"name":{"type":"string"},"sub":{"$ref":"#"}},"required":["name"]}`},
	{"refs_top_level", `{"$ref":"#/$defs/Args","$defs":{"Args":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}}`},
	{"refs_remote_and_broken", `{"type":"object","properties":{"r":{"$ref":"https://example.com/schema.json"},"b":{"$ref":"#/$defs/Nope"},"n":{"$ref":7}}}`},
	{"nested_allof", `{"type":"object","properties":{"p":{"allOf":[{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},{"properties":{"b":{"type":"string"}}}]},"q":{"allOf":[{"type":"string"},{"type":"integer"}]}}}`},
	{"single_alternative", `{"type":"object","properties":{"p":{"anyOf":[{"type":"string","description":"only"}]},"o":{"oneOf":[{"type":"integer"}],"description":"outer"}}}`},
	{"control_chars_and_unicode", "{\"type\":\"object\",\"description\":\"line\\u0000one\\u0007\\nline two\\ttab\",\"properties\":{\"名前\":{\"type\":\"string\",\"description\":\"\\u001b[31mred\\u001b[0m\"},\"emoji 🙂\":{\"type\":\"integer\"}}}"},
	{"strict_compatible", `{"type":"object","properties":{"city":{"type":"string","description":"City name."},"unit":{"type":"string","enum":["C","F"]},"days":{"type":"integer","minimum":1,"maximum":14,"default":3},"when":{"type":"string","format":"date"},"tags":{"type":"array","items":{"type":"string"},"maxItems":5},"opts":{"type":"object","properties":{"hourly":{"type":"boolean"}}},"mode":{"const":"fast"},"choice":{"anyOf":[{"type":"string"},{"type":"integer"}]}},"required":["city"]}`},
	{"strict_additional_properties_schema", `{"type":"object","properties":{"labels":{"type":"object","additionalProperties":{"type":"string"}}}}`},
	{"strict_pattern_properties", `{"type":"object","properties":{"env":{"type":"object","properties":{"a":{"type":"string"}},"patternProperties":{"^X_":{"type":"string"}}}}}`},
	{"strict_free_form_object", `{"type":"object","properties":{"meta":{"type":"object"}}}`},
	{"strict_untyped_property", `{"type":"object","properties":{"value":{"description":"Anything."}}}`},
	{"strict_multi_type", `{"type":"object","properties":{"v":{"type":["string","number"]}}}`},
	{"strict_dropped_keywords", `{"type":"object","title":"Args","properties":{"s":{"type":"string","minLength":1,"maxLength":9,"format":"uri","examples":["a"],"title":"S"}},"required":["s"]}`},
	{"strict_enum_inferred", `{"type":"object","properties":{"e":{"enum":["a","b"]},"n":{"enum":[1,2.5]},"c":{"const":3}},"required":["e","n","c"]}`},
	{"strict_deep_objects", deepObjects(12)},
	{"strict_oneof_nested", `{"type":"object","properties":{"target":{"oneOf":[{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]},{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}]}},"required":["target"]}`},
	{"strict_additional_properties_true", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true}`},
}

// deepObjects nests n objects, one property each.
func deepObjects(n int) string {
	s := `{"type":"string"}`
	for i := 0; i < n; i++ {
		s = fmt.Sprintf(`{"type":"object","properties":{"p%d":%s}}`, i, s)
	}
	return s
}

type goldenSchema struct {
	Parameters map[string]any `json:"parameters,omitempty"`
	Strict     bool           `json:"strict"`
	Notes      []string       `json:"notes,omitempty"`
	Error      string         `json:"error,omitempty"`
}

func schemaGolden(t *testing.T, raw string, strict bool) goldenSchema {
	t.Helper()
	res, err := Schema(json.RawMessage(raw), strict)
	g := goldenSchema{Parameters: res.Parameters, Strict: res.Strict, Notes: res.Notes}
	if err != nil {
		if !errors.Is(err, ErrUnusableSchema) {
			t.Errorf("error %v does not wrap ErrUnusableSchema", err)
		}
		g.Error = err.Error()
		return g
	}
	checkParameters(t, res.Parameters, res.Strict)
	return g
}

// checkParameters asserts the invariants every converted schema keeps.
func checkParameters(t testing.TB, params map[string]any, strict bool) {
	t.Helper()
	if params == nil {
		t.Fatal("nil parameters without an error")
	}
	doc := roundTrip(t, params).(map[string]any)
	if doc["type"] != "object" {
		t.Errorf("top-level type = %v, want object", doc["type"])
	}
	if _, ok := doc["properties"].(map[string]any); !ok {
		t.Errorf("top-level properties missing: %v", doc)
	}
	for _, k := range []string{"$schema", "$id", "anyOf", "oneOf", "allOf", "enum", "not", "const", "if", "then", "else"} {
		if _, ok := doc[k]; ok {
			t.Errorf("top-level %s left in the schema", k)
		}
	}
	if strict {
		if err := isStrictShape(doc); err != nil {
			t.Errorf("strict schema breaks the strict rules: %v", err)
		}
	}
	if err := compileSchema(doc); err != nil {
		t.Errorf("output is not a valid JSON Schema: %v", err)
	}
}

// compileSchema checks doc against the JSON Schema 2020-12 meta-schema.
func compileSchema(doc any) error {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// Patterns are ECMA-262; read them the way the conversion checks them.
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re2, err := ecmaToRE2(s)
		if err != nil {
			return nil, err
		}
		return regexp.Compile(re2)
	})
	if err := c.AddResource("mem://params.json", doc); err != nil {
		return err
	}
	_, err := c.Compile("mem://params.json")
	return err
}

func TestSchemaGolden(t *testing.T) {
	for _, tc := range schemaCases {
		t.Run(tc.name, func(t *testing.T) {
			var in any
			if err := json.Unmarshal([]byte(tc.in), &in); err != nil {
				in = tc.in // keep broken input readable in the golden file
			}
			golden(t, "schema_"+tc.name, map[string]any{
				"input":     in,
				"nonStrict": schemaGolden(t, tc.in, false),
				"strict":    schemaGolden(t, tc.in, true),
			})
		})
	}
}

func TestSchemaStrictDecisions(t *testing.T) {
	cases := []struct {
		name   string
		strict bool
		reason string // part of the note when not strict
	}{
		{"strict_compatible", true, ""},
		{"refs_cycle", true, ""},
		{"refs_root_recursion", true, ""},
		{"strict_enum_inferred", true, ""},
		{"strict_oneof_nested", true, ""},
		{"strict_additional_properties_true", true, ""},
		{"missing", true, ""},
		{"strict_additional_properties_schema", false, "additionalProperties with a schema"},
		{"strict_pattern_properties", false, "patternProperties"},
		{"strict_free_form_object", false, "object without properties"},
		{"strict_untyped_property", false, "no type"},
		{"strict_multi_type", false, "more than one non-null type"},
		{"strict_deep_objects", false, "nested more than 10"},
		{"nested_allof", false, "allOf"},
		{"array_without_items", false, "no type"},
	}
	byName := map[string]string{}
	for _, c := range schemaCases {
		byName[c.name] = c.in
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Schema(json.RawMessage(byName[c.name]), true)
			if err != nil {
				t.Fatal(err)
			}
			if res.Strict != c.strict {
				t.Fatalf("Strict = %v, want %v; notes %q", res.Strict, c.strict, res.Notes)
			}
			if !c.strict && !strings.Contains(strings.Join(res.Notes, "\n"), c.reason) {
				t.Errorf("notes %q do not mention %q", res.Notes, c.reason)
			}
			if !c.strict {
				// The fallback is the non-strict conversion.
				plain, _ := Schema(json.RawMessage(byName[c.name]), false)
				if fmt.Sprint(roundTrip(t, plain.Parameters)) != fmt.Sprint(roundTrip(t, res.Parameters)) {
					t.Errorf("incompatible schema differs from the non-strict conversion")
				}
			}
		})
	}
}

func TestSchemaStrictOptionalBecomesNullable(t *testing.T) {
	res, err := Schema(json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"},"u":{"type":"string","enum":["x","y"]},"r":{"$ref":"#/$defs/R"},"c":{"anyOf":[{"type":"string"},{"type":"integer"}]}},"required":["a"],"$defs":{"R":{"type":"object","properties":{"z":{"type":"string"}},"required":["z"]}}}`), true)
	if err != nil || !res.Strict {
		t.Fatalf("strict = %v, err = %v, notes %q", res.Strict, err, res.Notes)
	}
	doc := roundTrip(t, res.Parameters).(map[string]any)
	props := doc["properties"].(map[string]any)
	want := map[string]string{
		"a": `{"type":"string"}`,
		"u": `{"enum":["x","y",null],"type":["string","null"]}`,
		"r": `{"additionalProperties":false,"properties":{"z":{"type":"string"}},"required":["z"],"type":["object","null"]}`,
		"c": `{"anyOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]}`,
	}
	for k, w := range want {
		b, _ := json.Marshal(props[k])
		if string(b) != w {
			t.Errorf("property %s = %s, want %s", k, b, w)
		}
	}
}

func TestSchemaFanOutRefsStayBounded(t *testing.T) {
	// Each level refers to the next one twice: inlining would double the
	// schema 30 times. The converter must fall back to $defs.
	defs := map[string]any{"L30": map[string]any{"type": "string"}}
	for i := 29; i >= 0; i-- {
		next := fmt.Sprintf("#/$defs/L%d", i+1)
		defs[fmt.Sprintf("L%d", i)] = map[string]any{"type": "object", "properties": map[string]any{
			"a": map[string]any{"$ref": next}, "b": map[string]any{"$ref": next},
		}, "required": []any{"a", "b"}}
	}
	raw, _ := json.Marshal(map[string]any{"type": "object", "properties": map[string]any{"x": map[string]any{"$ref": "#/$defs/L0"}}, "$defs": defs})
	res, err := Schema(raw, false)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.Parameters)
	if len(out) > 20*len(raw) {
		t.Errorf("output is %d bytes for %d bytes of input", len(out), len(raw))
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "kept them under $defs") {
		t.Errorf("notes %q do not mention the fallback", res.Notes)
	}
	checkParameters(t, res.Parameters, false)
	// Strict works on the hoisted form too (30 nested objects is too deep,
	// which must be a clean decision, not a failure).
	if _, err := Schema(raw, true); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaHostileInputs(t *testing.T) {
	deep := strings.Repeat(`{"type":"array","items":`, 5000) + `{"type":"string"}` + strings.Repeat(`}`, 5000)
	wide := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"type":"object","properties":{`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"p%d":{"type":"array"}`, i)
		}
		b.WriteString(`}}`)
		return b.String()
	}
	cases := map[string]string{
		"deep_array_nesting": `{"type":"object","properties":{"d":` + deep + `}}`,
		"deep_top":           strings.Repeat(`{"properties":{"a":`, 3000) + `{}` + strings.Repeat(`}}`, 3000),
		"megabyte_desc":      `{"type":"object","description":"` + strings.Repeat("é", 600000) + `","properties":{"a":{"type":"string","description":"` + strings.Repeat("x\u0001", 300000) + `"}}}`,
		"many_properties":    wide(30000),
		"huge_over_limit":    `{"type":"object","description":"` + strings.Repeat("a", MaxSchemaBytes) + `"}`,
		"self_ref":           `{"$ref":"#"}`,
		"ref_loop":           `{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"$ref":"#/$defs/B"},"B":{"$ref":"#/$defs/A"}}}`,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				res, err := Schema(json.RawMessage(raw), strict)
				if err != nil {
					if !errors.Is(err, ErrUnusableSchema) {
						t.Fatalf("error %v is not ErrUnusableSchema", err)
					}
					continue
				}
				if len(res.Notes) > maxNotes+2 {
					t.Errorf("%d notes, want at most %d", len(res.Notes), maxNotes+2)
				}
				doc := roundTrip(t, res.Parameters).(map[string]any)
				if doc["type"] != "object" {
					t.Errorf("top-level type %v", doc["type"])
				}
				if strict && res.Strict {
					if err := isStrictShape(doc); err != nil {
						t.Error(err)
					}
				}
				if d, ok := doc["description"].(string); ok && len(d) > maxSchemaText {
					t.Errorf("description of %d bytes kept", len(d))
				}
			}
		})
	}
}
