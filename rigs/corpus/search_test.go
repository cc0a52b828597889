package corpus_test

import (
	"fmt"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/corpus"
)

// TestCorpusClientToolSearch runs the loop over every recorded server with
// client tool search, flat and namespaced, against the validating fake: the
// first request carries only the tool_search tool, the model searches in
// its own words, calls the GitHub tool it was after from what the search
// loaded, and every request of the run is valid.
func TestCorpusClientToolSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts every recorded server at once; skipped in -short")
	}
	bin := corpus.BuildReplay(t)
	var servers []bridge.Server
	for _, d := range loadCorpus(t) {
		servers = append(servers, replayServer(bin, d))
	}
	for _, namespaces := range []bool{false, true} {
		t.Run(fmt.Sprintf("namespaces=%v", namespaces), func(t *testing.T) {
			want := responsestest.LoadedTool{Name: "github__create_pull_request"}
			if namespaces {
				want = responsestest.LoadedTool{Namespace: "github", Name: "create_pull_request"}
			}
			m := &responsestest.SearchModel{
				Query: func(string) string { return "propose merging my feature branch into main for review" },
				Pick: func(l []responsestest.LoadedTool) (responsestest.LoadedTool, bool) {
					for _, lt := range l {
						if lt == want {
							return lt, true
						}
					}
					return responsestest.LoadedTool{}, false
				},
			}
			srv := responsestest.New(m.Handler())
			srv.SetValidation(true)
			t.Cleanup(srv.Close)
			b := newBridge(t, servers, append([]bridge.Option{bridge.WithToolSearch(bridge.ToolSearchAuto)}, namespacesIf(namespaces)...)...)
			client := srv.Client()
			res, err := b.Run(t.Context(), &client.Responses, oai.ResponseNewParams{
				Model: "corpus-model",
				Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("open a pull request for my branch")},
			})
			reqs := srv.Requests()
			for _, r := range reqs {
				if r.ValidationErr != nil {
					t.Errorf("request #%d rejected by the fake API: %v", r.Index, r.ValidationErr)
				}
			}
			if err != nil {
				t.Fatalf("run over %d servers: %v", len(servers), err)
			}
			if len(reqs) != 3 {
				t.Fatalf("want 3 requests (search, call, answer), got %d; final: %s", len(reqs), res.OutputText)
			}
			validateOnWire(t, reqs[0].Raw)
			if len(reqs[0].Tools) != 1 || reqs[0].Tools[0]["type"] != "tool_search" {
				t.Errorf("first request tools: %v, want the tool_search tool alone", reqs[0].Tools)
			}
			call := res.Turns[1].Calls[0]
			if call.Err != nil {
				t.Errorf("call to %v: %v", want, call.Err)
			}
			plain := newBridge(t, servers, namespacesIf(namespaces)...)
			flat := len(request(t, plain.RequestTools()))
			t.Logf("%d servers, %d functions: first request %d bytes with client search; %d tools loaded by the search; the flat tool list alone is %d bytes",
				len(servers), len(b.Routes()), len(reqs[0].Raw), len(res.Turns[0].Searches[0].Tools), flat)
		})
	}
}

// namespacesIf is WithNamespaces when on.
func namespacesIf(on bool) []bridge.Option {
	if on {
		return []bridge.Option{bridge.WithNamespaces()}
	}
	return nil
}
