package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestConvertDropsBrokenToolsKeepsRest(t *testing.T) {
	in := []ServerTools{{Server: "s", Tools: []Tool{
		{Name: "ok", InputSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)},
		{Name: "broken", InputSchema: json.RawMessage(`{"type":`)},
		{Name: "stringy", InputSchema: json.RawMessage(`{"type":"string"}`)},
		{Name: "none"},
	}}}
	set, err := Convert(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Tools) != 2 || set.Tools[0].Tool != "ok" || set.Tools[1].Tool != "none" {
		t.Fatalf("tools %+v", set.Tools)
	}
	dropped := map[string]Diagnostic{}
	for _, d := range set.Diagnostics {
		if d.Dropped {
			dropped[d.Tool] = d
		}
	}
	for _, name := range []string{"broken", "stringy"} {
		d, ok := dropped[name]
		if !ok || d.Server != "s" || d.Field != "inputSchema" || d.Reason == "" {
			t.Errorf("no proper diagnostic for %s: %+v", name, d)
		}
	}
	if s := dropped["broken"].String(); !strings.Contains(s, `server "s" tool "broken" inputSchema: `) || !strings.HasSuffix(s, "(tool dropped)") {
		t.Errorf("String() = %q", s)
	}
	golden(t, "convert_mixed", set)
}

func TestConvertDiagnosticsCarryFieldPaths(t *testing.T) {
	in := []ServerTools{{Server: "s", Tools: []Tool{{Name: "t", InputSchema: json.RawMessage(`{"type":"object","properties":{"list":{"type":"array"}}}`)}}}}
	set, _ := Convert(in, Options{})
	if len(set.Diagnostics) != 1 {
		t.Fatalf("diagnostics %v", set.Diagnostics)
	}
	d := set.Diagnostics[0]
	if d.Field != "inputSchema/properties/list" || d.Dropped || d.Tool != "t" {
		t.Errorf("diagnostic %+v", d)
	}
}

func TestConvertStrictPerTool(t *testing.T) {
	in := []ServerTools{{Server: "s", Tools: []Tool{
		{Name: "fits", InputSchema: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"},"n":{"type":"integer"}},"required":["q"]}`)},
		{Name: "map", InputSchema: json.RawMessage(`{"type":"object","properties":{"env":{"type":"object","additionalProperties":{"type":"string"}}}}`)},
	}}}
	set, err := Convert(in, Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if !set.Tools[0].Strict || set.Tools[1].Strict {
		t.Fatalf("strict decisions %v %v", set.Tools[0].Strict, set.Tools[1].Strict)
	}
	found := false
	for _, d := range set.Diagnostics {
		if d.Tool == "map" && strings.Contains(d.Reason, "strict mode not applied") && !d.Dropped {
			found = true
		}
	}
	if !found {
		t.Errorf("no diagnostic for the incompatible tool: %v", set.Diagnostics)
	}
	set, _ = Convert(in, Options{})
	if set.Tools[0].Strict || set.Tools[1].Strict {
		t.Error("strict without Options.Strict")
	}
}

func TestDescriptions(t *testing.T) {
	long := strings.Repeat("é", 2000)
	cases := []struct {
		name string
		tool Tool
		opts Options
		want string
	}{
		{"plain", Tool{Name: "t", Description: " Reads a file. "}, Options{}, "Reads a file."},
		{"title fallback", Tool{Name: "t", Title: "Read file"}, Options{}, "Read file"},
		{"prefix", Tool{Name: "t", Description: "Reads."}, Options{DescriptionPrefix: true}, "[srv] Reads."},
		{"prefix only", Tool{Name: "t"}, Options{DescriptionPrefix: true}, "[srv]"},
		{"controls", Tool{Name: "t", Description: "a\x00b\x1b[1m\r\nc\td\u200b\xff"}, Options{}, "ab[1m\nc\td\u200b\uFFFD"},
		{"cap", Tool{Name: "t", Description: long}, Options{MaxDescriptionBytes: 40}, strings.Repeat("é", 12) + truncMarker},
		{"default cap", Tool{Name: "t", Description: long}, Options{}, strings.Repeat("é", (1024-len(truncMarker))/2) + truncMarker},
		{"no cap", Tool{Name: "t", Description: long}, Options{MaxDescriptionBytes: -1}, long},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := Convert([]ServerTools{{Server: "srv", Tools: []Tool{c.tool}}}, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := set.Tools[0].Description; got != c.want {
				t.Errorf("description %q, want %q", got, c.want)
			}
		})
	}
}

// cached returns how many tools the cache holds.
func (c *Converter) cached() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.cache {
		n += len(m)
	}
	return n
}

func TestConverterCache(t *testing.T) {
	in := syntheticServers(3, 60, 1)
	c := NewConverter(Options{Strict: true})
	first, err := c.Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	if c.misses.Load() != 60 || c.hits.Load() != 0 {
		t.Fatalf("first run: %d misses %d hits", c.misses.Load(), c.hits.Load())
	}
	second, _ := c.Convert(in)
	if c.misses.Load() != 60 || c.hits.Load() != 60 {
		t.Fatalf("second run: %d misses %d hits", c.misses.Load(), c.hits.Load())
	}
	plain, _ := Convert(in, Options{Strict: true})
	a, _ := json.Marshal(second)
	b, _ := json.Marshal(plain)
	f, _ := json.Marshal(first)
	if string(a) != string(b) || string(a) != string(f) {
		t.Error("cached result differs from a fresh conversion")
	}
	for i := range second.Tools {
		if _, _, ok := second.Lookup(second.Tools[i].Name); !ok {
			t.Errorf("lookup of %q fails on cached set", second.Tools[i].Name)
		}
	}

	// Change one tool's schema and drop another: one miss, and the cache
	// forgets the dropped one.
	changed := syntheticServers(3, 60, 1)
	changed[0].Tools[0].InputSchema = json.RawMessage(`{"type":"object","properties":{"new":{"type":"string"}}}`)
	changed[1].Tools = changed[1].Tools[1:]
	if _, err := c.Convert(changed); err != nil {
		t.Fatal(err)
	}
	if c.misses.Load() != 61 {
		t.Errorf("after change: %d misses, want 61", c.misses.Load())
	}
	if n := c.cached(); n != 59 {
		t.Errorf("cache holds %d tools, want 59", n)
	}
}

func TestConverterConcurrent(t *testing.T) {
	c := NewConverter(Options{})
	sets := [][]ServerTools{syntheticServers(2, 40, 1), syntheticServers(2, 40, 2), syntheticServers(3, 30, 3)}
	want := make([]string, len(sets))
	for i, s := range sets {
		ts, _ := Convert(s, Options{})
		b, _ := json.Marshal(ts)
		want[i] = string(b)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 10; k++ {
				i := (g + k) % len(sets)
				ts, err := c.Convert(sets[i])
				if err != nil {
					errs <- err
					return
				}
				b, _ := json.Marshal(ts)
				if string(b) != want[i] {
					errs <- fmt.Errorf("goroutine %d run %d: result differs", g, k)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestParametersAcceptedAsFunctionTool checks converted tools against the
// FunctionTool schema of the OpenAI OpenAPI document (copied into testdata)
// and checks that the parameters are themselves valid JSON Schema.
func TestParametersAcceptedAsFunctionTool(t *testing.T) {
	raw, err := os.ReadFile("testdata/openai-functiontool.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("mem://functiontool.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := comp.Compile("mem://functiontool.json")
	if err != nil {
		t.Fatal(err)
	}
	var in []ServerTools
	for i, c := range schemaCases {
		in = append(in, ServerTools{Server: fmt.Sprintf("case%d", i), Tools: []Tool{{Name: c.name, Description: c.name, InputSchema: json.RawMessage(c.in)}}})
	}
	in = append(in, syntheticServers(2, 50, 9)...)
	for _, strict := range []bool{false, true} {
		set, err := Convert(in, Options{Strict: strict, DescriptionPrefix: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, ft := range set.Tools {
			// The wire form the bridge sends: strict always explicit.
			body, _ := json.Marshal(map[string]any{"type": "function", "name": ft.Name, "description": ft.Description, "parameters": ft.Parameters, "strict": ft.Strict})
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s: not a valid FunctionTool: %v", ft.Name, err)
			}
			checkParameters(t, ft.Parameters, ft.Strict)
		}
	}
}

func TestSyntheticTools(t *testing.T) {
	a, b := syntheticTools(200, 5), syntheticTools(200, 5)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("same seed, different tools")
	}
	names := map[string]bool{}
	for _, tl := range a {
		if names[tl.Name] {
			t.Fatalf("name %q repeated", tl.Name)
		}
		names[tl.Name] = true
	}
	set, err := Convert(syntheticServers(4, 200, 5), Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Tools) != 200 {
		t.Fatalf("%d tools converted", len(set.Tools))
	}
	for _, ft := range set.Tools {
		if !ft.Strict {
			t.Errorf("synthetic tool %s not strict-compatible", ft.Name)
		}
	}
	for _, d := range set.Diagnostics {
		if d.Dropped {
			t.Errorf("dropped: %v", d)
		}
	}
}
