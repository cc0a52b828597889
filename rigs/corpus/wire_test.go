package corpus_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mcpbridge/mcpbridge/rigs/offered"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/corpus"
)

// maxProblemsShown caps the problems reported per request body, so one bad
// conversion rule does not print a line per tool of the whole corpus.
const maxProblemsShown = 8

// validateOnWire fails t for everything the Responses API would reject in a
// request body as it leaves the process, as responsestest.ValidateRequestJSON
// checks it (request schema, every function tool's parameters compiled as
// JSON Schema and checked against the meta-schema, strict subset, names
// and call ids). It returns how many problems it found.
func validateOnWire(t *testing.T, body []byte) int {
	t.Helper()
	err := responsestest.ValidateRequestJSON(body)
	if err == nil {
		return 0
	}
	var ve *responsestest.ValidationError
	if !errors.As(err, &ve) {
		t.Error(err)
		return 1
	}
	for i, p := range ve.Problems {
		if i == maxProblemsShown {
			t.Errorf("... and %d more problems on the wire", len(ve.Problems)-maxProblemsShown+ve.More)
			break
		}
		t.Error(p)
	}
	return len(ve.Problems) + ve.More
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
	opts = append([]bridge.Option{}, opts...)
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
// non-strict and with WithStrict(), and checks the request openai-go
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
					b := newBridge(t, []bridge.Server{replayServer(bin, d)}, strictIf(strict)...)
					st := summarize(d, offered.Functions(b), b.Diagnostics())
					if got := len(b.RequestTools()) + st.dropped; got != d.Tools {
						t.Errorf("server %s: %d tools sent and %d dropped, %d recorded", d.Name, len(b.RequestTools()), st.dropped, d.Tools)
					}
					st.problems = validateOnWire(t, request(t, b.RequestTools()))
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
			b := newBridge(t, servers, strictIf(strict)...)
			var calls []responsestest.FunctionCall
			first := map[string]bool{}
			for _, ft := range offered.Functions(b) {
				if !first[ft.Server] {
					first[ft.Server] = true
					calls = append(calls, responsestest.FunctionCall{Name: ft.Name, Arguments: "{}"})
				}
			}
			srv := responsestest.New(responsestest.ToolCaller(calls...))
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
			if len(reqs) != 2 || len(reqs[0].Tools) != len(b.RequestTools()) {
				t.Fatalf("want 2 requests, the first with %d tools; got %d requests", len(b.RequestTools()), len(reqs))
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

func summarize(d corpus.Dump, tools []offered.Function, diags []bridge.Diagnostic) serverStats {
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

// strictIf is WithStrict when on.
func strictIf(on bool) []bridge.Option {
	if on {
		return []bridge.Option{bridge.WithStrict()}
	}
	return nil
}
