package corpus_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/internal/corpus"
	"github.com/mcpbridge/mcpbridge/internal/fakeapi"
)

// maxProblemsShown caps the problems reported per request body, so one bad
// conversion rule does not print a line per tool of the whole corpus.
const maxProblemsShown = 8

var functionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// validateOnWire fails t for everything the Responses API would reject in a
// request body as it leaves the process: the request schema and rules of
// fakeapi.ValidateBody, every function tool's parameters compiled as a JSON
// Schema (draft 2020-12 unless it names another) and checked against its
// meta-schema, and function names that match ^[a-zA-Z0-9_-]{1,64}$ and are
// unique. It returns how many problems it found.
//
// TODO(integrator): once fakeapi.ValidateRequestJSON exists (branch wire),
// this becomes a call to it.
func validateOnWire(t *testing.T, body []byte) int {
	t.Helper()
	problems := wireProblems(body)
	for i, p := range problems {
		if i == maxProblemsShown {
			t.Errorf("... and %d more problems on the wire", len(problems)-maxProblemsShown)
			break
		}
		t.Error(p)
	}
	return len(problems)
}

func wireProblems(body []byte) []string {
	var problems []string
	var decoded map[string]any
	if err := json.Unmarshal(body, &decoded); err != nil {
		return []string{"request body is not a JSON object: " + err.Error()}
	}
	if err := fakeapi.ValidateBody(decoded); err != nil {
		problems = append(problems, err.Error())
	}
	var req struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return append(problems, "tools: "+err.Error())
	}
	seen := map[string]int{}
	for i, raw := range req.Tools {
		var tool struct {
			Type       string          `json:"type"`
			Name       string          `json:"name"`
			Parameters json.RawMessage `json:"parameters"`
		}
		if err := json.Unmarshal(raw, &tool); err != nil {
			problems = append(problems, fmt.Sprintf("tools[%d]: %v", i, err))
			continue
		}
		if tool.Type != "function" {
			continue
		}
		where := fmt.Sprintf("tools[%d] (%s)", i, tool.Name)
		if !functionName.MatchString(tool.Name) {
			problems = append(problems, where+": name does not match ^[a-zA-Z0-9_-]{1,64}$")
		}
		if j, dup := seen[tool.Name]; dup {
			problems = append(problems, fmt.Sprintf("%s: name already used by tools[%d]", where, j))
		}
		seen[tool.Name] = i
		if err := compileParameters(tool.Parameters); err != nil {
			problems = append(problems, where+": parameters: "+schemaErrorLeaves(err))
		}
	}
	return problems
}

// compileParameters compiles a tool's parameters, which validates them
// against the JSON Schema meta-schema.
func compileParameters(raw json.RawMessage) error {
	if len(raw) == 0 {
		return fmt.Errorf("missing")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "mem://parameters.json"
	if err := c.AddResource(url, doc); err != nil {
		return err
	}
	_, err = c.Compile(url)
	return err
}

// schemaErrorLeaves renders a meta-schema failure as its leaf errors
// ("at '/properties/n/minimum': got string, want number"), without the
// chain of allOf and $ref groups above them.
func schemaErrorLeaves(err error) string {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if !errors.As(err, &sve) || !errors.As(sve.Err, &ve) {
		return strings.Join(strings.Fields(err.Error()), " ")
	}
	var leaves []string
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			leaves = append(leaves, v.Error())
		}
		for _, c := range v.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(leaves)
	return "not valid against the meta-schema: " + strings.Join(leaves, "; ")
}

// request builds the Responses request a program using the bridge sends,
// and returns it as openai-go puts it on the wire.
func request(t *testing.T, tools []oai.ToolUnionParam) []byte {
	t.Helper()
	body, err := json.Marshal(oai.ResponseNewParams{
		Model: "corpus-model",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("use the tools")},
		Tools: tools,
	})
	if err != nil {
		t.Fatalf("marshal request: %v", err)
	}
	return body
}

func replayServer(bin string, d corpus.Dump) bridge.Server {
	return bridge.Stdio(d.Name, bin, d.Path)
}

func newBridge(t *testing.T, servers []bridge.Server, opts ...bridge.Option) *bridge.Bridge {
	t.Helper()
	opts = append([]bridge.Option{bridge.WithSkipFailedServers(false)}, opts...)
	b, err := bridge.New(t.Context(), servers, opts...)
	if err != nil {
		t.Fatalf("bridge.New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("bridge.Close: %v", err)
		}
	})
	return b
}

// TestCorpusOnTheWire puts every recorded server behind the bridge, alone,
// non-strict and with WithStrict(true), and checks the request openai-go
// would send: every tool is there (or reported dropped) and nothing on the
// wire would make the API reject the request.
func TestCorpusOnTheWire(t *testing.T) {
	bin := corpus.BuildReplay(t)
	var (
		mu    sync.Mutex
		stats []serverStats
	)
	// The group returns when its parallel subtests are done.
	t.Run("servers", func(t *testing.T) {
		for _, d := range loadCorpus(t) {
			for _, strict := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/strict=%v", d.Name, strict), func(t *testing.T) {
					t.Parallel()
					b := newBridge(t, []bridge.Server{replayServer(bin, d)}, bridge.WithStrict(strict))
					st := summarize(d, b.FunctionTools(), b.Diagnostics())
					if got := len(b.Tools()) + st.dropped; got != d.Tools {
						t.Errorf("server %s: %d tools sent and %d dropped, %d recorded", d.Name, len(b.Tools()), st.dropped, d.Tools)
					}
					st.problems = validateOnWire(t, request(t, b.Tools()))
					if strict {
						mu.Lock()
						stats = append(stats, st)
						mu.Unlock()
					}
				})
			}
		}
	})
	sort.Slice(stats, func(i, j int) bool { return stats[i].Name < stats[j].Name })
	logStats(t, stats)
}

// TestCorpusAllServersInOneRun runs the bridge's whole loop over every
// recorded server at once against the validating fake Responses API: one
// request carries all of their tools (names unique across servers), the
// model calls the first tool of every server, and the results go back.
func TestCorpusAllServersInOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts every recorded server at once; skipped in -short")
	}
	bin := corpus.BuildReplay(t)
	dumps := loadCorpus(t)
	var servers []bridge.Server
	for _, d := range dumps {
		servers = append(servers, replayServer(bin, d))
	}
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			b := newBridge(t, servers, bridge.WithStrict(strict))
			var calls []fakeapi.FunctionCall
			first := map[string]bool{}
			for _, ft := range b.FunctionTools() {
				if !first[ft.Server] {
					first[ft.Server] = true
					calls = append(calls, fakeapi.FunctionCall{Name: ft.Name, Arguments: "{}"})
				}
			}
			srv := fakeapi.New(fakeapi.ToolCaller(calls...))
			srv.SetValidation(true)
			t.Cleanup(srv.Close)
			client := srv.Client()
			res, err := b.Run(t.Context(), &client.Responses, oai.ResponseNewParams{
				Model: "corpus-model",
				Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("call one tool of every server")},
			})
			reqs := srv.Requests()
			for _, r := range reqs {
				if r.ValidationErr != nil {
					t.Errorf("request #%d rejected by the fake API: %v", r.Index, r.ValidationErr)
				}
			}
			if len(reqs) > 0 {
				// Later requests carry the same tools; the first is checked whole.
				validateOnWire(t, reqs[0].Raw)
			}
			if err != nil {
				t.Fatalf("run over %d servers: %v", len(servers), err)
			}
			if len(reqs) != 2 || len(reqs[0].Tools) != len(b.Tools()) {
				t.Fatalf("want 2 requests, the first with %d tools; got %d requests", len(b.Tools()), len(reqs))
			}
			outs := reqs[1].Outputs()
			if len(outs) != len(dumps) {
				t.Errorf("%d function outputs sent back, want one per server (%d)", len(outs), len(dumps))
			}
			t.Logf("%d servers, %d tools in one request (%d bytes); %d calls answered; final: %.80s",
				len(servers), len(reqs[0].Tools), len(reqs[0].Raw), len(outs), res.OutputText)
		})
	}
}

// serverStats is what conversion made of one recorded server in strict mode.
type serverStats struct {
	corpus.Dump
	strict, dropped, cut, problems int
	nonStrict                      map[string]int // reason -> tools
}

const notStrictPrefix = "strict mode not applied: "

func summarize(d corpus.Dump, tools []convert.FunctionTool, diags []convert.Diagnostic) serverStats {
	st := serverStats{Dump: d, nonStrict: map[string]int{}}
	for _, ft := range tools {
		if ft.Strict {
			st.strict++
		}
	}
	reasons := map[string]map[string]bool{} // reason -> tools
	for _, dg := range diags {
		switch {
		case dg.Dropped:
			st.dropped++
		case dg.Field == "description":
			st.cut++
		case strings.HasPrefix(dg.Reason, notStrictPrefix):
			r := reasonKind(strings.TrimPrefix(dg.Reason, notStrictPrefix))
			if reasons[r] == nil {
				reasons[r] = map[string]bool{}
			}
			reasons[r][dg.Tool] = true
		}
	}
	for r, tools := range reasons {
		st.nonStrict[r] = len(tools)
	}
	return st
}

// reasonKind groups reasons that differ only in the numbers they quote.
var digits = regexp.MustCompile(`\d+`)

func reasonKind(r string) string { return digits.ReplaceAllString(r, "N") }

// logStats logs, per server and for the whole corpus, how many tools became
// strict and why the others did not.
func logStats(t *testing.T, stats []serverStats) {
	t.Helper()
	var b strings.Builder
	total, strict, dropped, cut := 0, 0, 0, 0
	all := map[string]int{}
	fmt.Fprintf(&b, "\n%-20s %-45s %-11s %5s %6s %4s %4s  %s\n", "server", "package", "version", "tools", "strict", "cut", "drop", "non-strict reasons (tools)")
	for _, s := range stats {
		total += s.Tools
		strict += s.strict
		dropped += s.dropped
		cut += s.cut
		var rs []string
		for _, r := range slices.Sorted(maps.Keys(s.nonStrict)) {
			rs = append(rs, fmt.Sprintf("%s (%d)", r, s.nonStrict[r]))
			all[r] += s.nonStrict[r]
		}
		fmt.Fprintf(&b, "%-20s %-45s %-11s %5d %6d %4d %4d  %s\n", s.Name, s.Package, s.Version, s.Tools, s.strict, s.cut, s.dropped, strings.Join(rs, "; "))
	}
	fmt.Fprintf(&b, "%-20s %-45s %-11s %5d %6d %4d %4d\n", "total", "", "", total, strict, cut, dropped)
	reasons := slices.Collect(maps.Keys(all))
	sort.Slice(reasons, func(i, j int) bool { return all[reasons[i]] > all[reasons[j]] })
	b.WriteString("non-strict reasons over the corpus (tools):\n")
	for _, r := range reasons {
		fmt.Fprintf(&b, "  %4d  %s\n", all[r], r)
	}
	t.Log(b.String())
}
