package convert

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func servers(pairs ...string) []ServerTools {
	var out []ServerTools
	for i := 0; i < len(pairs); i += 2 {
		if len(out) == 0 || out[len(out)-1].Server != pairs[i] {
			out = append(out, ServerTools{Server: pairs[i]})
		}
		s := &out[len(out)-1]
		s.Tools = append(s.Tools, Tool{Name: pairs[i+1]})
	}
	return out
}

// checkNames asserts the naming invariants on a converted set.
func checkNames(t testing.TB, set *ToolSet) {
	t.Helper()
	seen := map[string]bool{}
	for _, ft := range set.Tools {
		if !namePattern.MatchString(ft.Name) {
			t.Errorf("name %q does not match the pattern", ft.Name)
		}
		if seen[ft.Name] {
			t.Errorf("name %q given twice", ft.Name)
		}
		seen[ft.Name] = true
		s, tool, ok := set.Lookup(ft.Name)
		if !ok || s != ft.Server || tool != ft.Tool {
			t.Errorf("Lookup(%q) = %q, %q, %v; want %q, %q", ft.Name, s, tool, ok, ft.Server, ft.Tool)
		}
	}
}

func TestNamesDefault(t *testing.T) {
	set, err := Convert(servers("github", "create_issue", "fs", "read-file"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{set.Tools[0].Name, set.Tools[1].Name}
	want := []string{"github__create_issue", "fs__read-file"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("names %v, want %v", got, want)
	}
	checkNames(t, set)
	if _, _, ok := set.Lookup("nope"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
	var nilSet *ToolSet
	if _, _, ok := nilSet.Lookup("x"); ok {
		t.Error("Lookup on a nil set succeeded")
	}
}

func TestNamesOptions(t *testing.T) {
	in := servers("a", "x", "b", "x", "b", "y")
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"separator", Options{Separator: "-"}, []string{"a-x", "b-x", "b-y"}},
		{"separator sanitized", Options{Separator: "."}, []string{"a_x", "b_x", "b_y"}},
		{"no prefix", Options{NoPrefix: true}, []string{"x", "x" + suffix("b\x00x", 0), "y"}},
		{"name func", Options{NameFunc: func(s, t string) string { return strings.ToUpper(t) + "@" + s }}, []string{"X_a", "X_b", "Y_b"}},
		{"name func empty falls back", Options{NameFunc: func(s, t string) string { return "" }}, []string{"a__x", "b__x", "b__y"}},
		{"name func collides", Options{NameFunc: func(s, t string) string { return "same" }}, []string{"same", "same" + suffix("b\x00x", 0), "same" + suffix("b\x00y", 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := Convert(in, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ft := range set.Tools {
				got = append(got, ft.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("names %v, want %v", got, c.want)
			}
			checkNames(t, set)
		})
	}
}

func TestNamesWeirdInputs(t *testing.T) {
	long := strings.Repeat("very_long_tool_name_", 10)
	in := []ServerTools{
		{Server: "my server.v2", Tools: []Tool{{Name: "get weather!"}, {Name: "get_weather_"}, {Name: "名前"}, {Name: "名前2"}, {Name: "a/b"}, {Name: "a_b"}, {Name: "a.b"}}},
		{Server: "srv", Tools: []Tool{{Name: long + "1"}, {Name: long + "2"}, {Name: "\x00\x01"}, {Name: "\xff\xfe"}, {Name: "🙂"}, {Name: "tab\there"}}},
		{Server: strings.Repeat("s", 80), Tools: []Tool{{Name: "t"}}},
		{Server: "ü", Tools: []Tool{{Name: "x"}}},
	}
	for _, opts := range []Options{{}, {NoPrefix: true}, {Separator: "::"}} {
		set, err := Convert(in, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Tools) != 15 {
			t.Fatalf("%d tools, want 15; diagnostics %v", len(set.Tools), set.Diagnostics)
		}
		checkNames(t, set)
	}
	// Shortened names keep a readable prefix.
	set, _ := Convert(in, Options{})
	for _, ft := range set.Tools {
		if strings.HasPrefix(ft.Tool, long) && !strings.HasPrefix(ft.Name, "srv__very_long_tool_name_") {
			t.Errorf("shortened name %q lost its prefix", ft.Name)
		}
	}
}

func TestNamesExactNameWinsCollision(t *testing.T) {
	// "a.b" sanitizes to "a_b", which another tool has exactly: the exact one
	// keeps the plain name whatever the order.
	for _, in := range [][]ServerTools{
		servers("s", "a.b", "s", "a_b"),
		servers("s", "a_b", "s", "a.b"),
	} {
		set, err := Convert(in, Options{NoPrefix: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, ft := range set.Tools {
			if ft.Tool == "a_b" && ft.Name != "a_b" {
				t.Errorf("exact tool renamed to %q", ft.Name)
			}
		}
		checkNames(t, set)
	}
}

func TestNamesStableWhenToolsAdded(t *testing.T) {
	base := servers("s", "a.b", "s", "a b", "t", "x", "t", strings.Repeat("z", 90))
	set1, _ := Convert(base, Options{NoPrefix: true})
	before := map[string]string{}
	for _, ft := range set1.Tools {
		before[ft.Server+"/"+ft.Tool] = ft.Name
	}
	// Unrelated tools, added before and after.
	more := append(servers("p", "new1", "p", "new2"), base...)
	more = append(more, servers("q", "other")...)
	set2, _ := Convert(more, Options{NoPrefix: true})
	for _, ft := range set2.Tools {
		if want, ok := before[ft.Server+"/"+ft.Tool]; ok && want != ft.Name {
			t.Errorf("%s/%s renamed from %q to %q", ft.Server, ft.Tool, want, ft.Name)
		}
	}
	checkNames(t, set2)
}

func TestNamesHashSuffixCollisionWithLiteralName(t *testing.T) {
	// A tool literally named like the suffixed name of another one.
	taken := "x" + suffix("b\x00x", 0)
	set, err := Convert(servers("a", "x", "b", "x", "c", taken), Options{NoPrefix: true})
	if err != nil {
		t.Fatal(err)
	}
	checkNames(t, set)
	for _, ft := range set.Tools {
		if ft.Tool == taken && ft.Name != taken {
			t.Errorf("literal name %q renamed to %q", taken, ft.Name)
		}
	}
}

func TestNamesDeterministic(t *testing.T) {
	in := syntheticServers(3, 300, 7)
	for i := range in {
		for j := range in[i].Tools {
			in[i].Tools[j].Name = "t" + fmt.Sprint(j%50) + "." + fmt.Sprint(j%3) // many collisions after sanitizing
		}
	}
	first, _ := Convert(in, Options{NoPrefix: true})
	for k := 0; k < 5; k++ {
		again, _ := Convert(in, Options{NoPrefix: true})
		for i := range first.Tools {
			if first.Tools[i].Name != again.Tools[i].Name {
				t.Fatalf("run %d: tool %d named %q then %q", k, i, first.Tools[i].Name, again.Tools[i].Name)
			}
		}
	}
	checkNames(t, first)
}

func TestServerNameErrors(t *testing.T) {
	cases := []struct {
		name   string
		in     []ServerTools
		target error
	}{
		{"empty", servers("", "x"), ErrInvalidServerName},
		{"blank", servers("  ", "x"), ErrInvalidServerName},
		{"punctuation only", servers("!!!", "x"), ErrInvalidServerName},
		{"control", servers("a\nb", "x"), ErrInvalidServerName},
		{"invalid utf8", servers("a\xff", "x"), ErrInvalidServerName},
		{"duplicate", servers("dup", "x", "other", "y", "dup", "z"), ErrDuplicateServerName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Convert(c.in, Options{})
			if !errors.Is(err, c.target) {
				t.Fatalf("error %v, want %v", err, c.target)
			}
			var se *ServerError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *ServerError", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", se.Server)) {
				t.Errorf("error %q does not name the server", err)
			}
		})
	}
}

func TestDuplicateAndEmptyToolNames(t *testing.T) {
	in := []ServerTools{{Server: "s", Tools: []Tool{
		{Name: "t", Description: "first"}, {Name: "t", Description: "second"}, {Name: ""}, {Name: "u"},
	}}}
	set, err := Convert(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Tools) != 2 || set.Tools[0].Description != "first" || set.Tools[1].Tool != "u" {
		t.Fatalf("tools %+v", set.Tools)
	}
	var dropped int
	for _, d := range set.Diagnostics {
		if d.Dropped {
			dropped++
			if d.Field != "name" {
				t.Errorf("diagnostic %v has field %q", d, d.Field)
			}
		}
	}
	if dropped != 2 {
		t.Errorf("%d dropped diagnostics, want 2: %v", dropped, set.Diagnostics)
	}
}

func TestSanitizeName(t *testing.T) {
	cases := map[string]string{
		"ok_name-1": "ok_name-1",
		"a b.c":     "a_b_c",
		"":          "tool",
		"é":         "_",
	}
	for in, want := range cases {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := SanitizeName(strings.Repeat("x", 100))
	if len(long) != 64 || !namePattern.MatchString(long) {
		t.Errorf("long name %q", long)
	}
}
