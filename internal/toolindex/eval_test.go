package toolindex

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/convert"
)

// corpusDir holds real servers' tools/list dumps (package internal/corpus).
// TOOLINDEX_CORPUS_DIR points elsewhere while that package is not merged.
func corpusDir() string {
	if d := os.Getenv("TOOLINDEX_CORPUS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "corpus", "testdata")
}

type corpusServer struct {
	name  string
	tools []convert.Tool
}

// loadCorpus reads every server dump of the corpus, in file name order, or
// skips the test when the corpus is not there.
func loadCorpus(tb testing.TB) []corpusServer {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir(), "*.json"))
	var out []corpusServer
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(tb, err)
		var doc struct {
			Tools []struct {
				Name        string          `json:"name"`
				Title       string          `json:"title"`
				Description string          `json:"description"`
				InputSchema json.RawMessage `json:"inputSchema"`
				Annotations struct {
					Title string `json:"title"`
				} `json:"annotations"`
			} `json:"tools"`
		}
		require.NoError(tb, json.Unmarshal(b, &doc), f)
		if len(doc.Tools) == 0 {
			continue // manifest.json
		}
		s := corpusServer{name: strings.TrimSuffix(filepath.Base(f), ".json")}
		for _, t := range doc.Tools {
			title := t.Title
			if title == "" {
				title = t.Annotations.Title
			}
			s.tools = append(s.tools, convert.Tool{Name: t.Name, Title: title, Description: t.Description, InputSchema: t.InputSchema})
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		tb.Skipf("no tool corpus in %s (internal/corpus/testdata is added by the corpus branch; set TOOLINDEX_CORPUS_DIR to use another copy)", corpusDir())
	}
	return out
}

// scale replicates small servers, under new names, until there are n
// servers: the smallest servers are copied in turn, as many of them as
// keeps the total nearest 1,000 tools.
func scale(servers []corpusServer, n int) []corpusServer {
	bySize := slices.Clone(servers)
	sort.SliceStable(bySize, func(i, j int) bool { return len(bySize[i].tools) < len(bySize[j].tools) })
	build := func(k int) ([]corpusServer, int) {
		out := slices.Clone(servers)
		for i := 0; len(out) < n; i++ {
			src := bySize[i%k]
			out = append(out, corpusServer{name: fmt.Sprintf("%s-%d", src.name, i/k+2), tools: src.tools})
		}
		total := 0
		for _, s := range out {
			total += len(s.tools)
		}
		return out, total
	}
	best, bestDiff := []corpusServer(nil), -1
	for k := 1; k <= len(bySize); k++ {
		out, total := build(k)
		diff := max(total-1000, 1000-total)
		if bestDiff < 0 || diff < bestDiff {
			best, bestDiff = out, diff
		}
	}
	return best
}

// docsOf turns servers into index documents with the IDs a bridge would
// use ("server__tool").
func docsOf(servers []corpusServer) []Doc {
	var docs []Doc
	for _, s := range servers {
		for _, t := range s.tools {
			docs = append(docs, DocOf(s.name, s.name+"__"+t.Name, t))
		}
	}
	return docs
}

type evalQuery struct {
	Query, Server, Tool string
}

func loadQueries(tb testing.TB) []evalQuery {
	b, err := os.ReadFile("testdata/queries.json")
	require.NoError(tb, err)
	var doc struct{ Queries []evalQuery }
	require.NoError(tb, json.Unmarshal(b, &doc))
	return doc.Queries
}

// recall returns top-1 and top-5 recall. A hit counts when it is the
// intended tool on its server or on a replica of that server.
func recall(ix *Index, docs []Doc, qs []evalQuery, misses func(q evalQuery, got []Hit)) (top1, top5 float64) {
	for _, q := range qs {
		hits := ix.Search(q.Query, 5)
		for rank, h := range hits {
			d := docs[h.Doc]
			if d.Name == q.Tool && (d.Server == q.Server || strings.HasPrefix(d.Server, q.Server+"-") && !strings.Contains(d.Server[len(q.Server)+1:], "-")) {
				if rank == 0 {
					top1++
				}
				top5++
				hits = nil
				break
			}
		}
		if hits != nil && misses != nil {
			misses(q, hits)
		}
	}
	return top1 / float64(len(qs)), top5 / float64(len(qs))
}

// TestSearchQuality is the tool search eval: 50 paraphrased queries over the
// real tool lists (every tool once), and over 1,000 tools on 50 servers.
func TestSearchQuality(t *testing.T) {
	servers := loadCorpus(t)
	qs := loadQueries(t)
	require.Len(t, qs, 50)
	real := docsOf(servers)
	ix := New(real)
	top1, top5 := recall(ix, real, qs, func(q evalQuery, got []Hit) {
		ids := make([]string, len(got))
		for i, h := range got {
			ids[i] = h.ID
		}
		t.Logf("miss: %q wants %s__%s, got %v", q.Query, q.Server, q.Tool, ids)
	})
	t.Logf("real corpus: %d servers, %d tools: top-1 %.0f%%, top-5 %.0f%%", len(servers), len(real), 100*top1, 100*top5)

	big := docsOf(scale(servers, 50))
	bigTop1, bigTop5 := recall(New(big), big, qs, nil)
	t.Logf("50 servers, %d tools: top-1 %.0f%%, top-5 %.0f%%", len(big), 100*bigTop1, 100*bigTop5)

	// Floors at what the index reaches today (real corpus: top-1 40%, top-5
	// 80%; 998 tools: top-5 68%), so a change that makes search worse fails
	// here. The target, top-5 >= 90%, is not met yet.
	require.GreaterOrEqual(t, top5, 0.80)
	require.GreaterOrEqual(t, top1, 0.40)
	require.GreaterOrEqual(t, bigTop5, 0.68)
}

// TestSearchLatencyReport logs the latency distribution over 1,000 tools
// (no assertion: timings on a shared machine only inform).
func TestSearchLatencyReport(t *testing.T) {
	if testing.Short() {
		t.Skip("report only")
	}
	docs := docsOf(scale(loadCorpus(t), 50))
	start := time.Now()
	ix := New(docs)
	build := time.Since(start)
	qs := loadQueries(t)
	var d []time.Duration
	for range 20 {
		for _, q := range qs {
			s := time.Now()
			ix.Search(q.Query, 5)
			d = append(d, time.Since(s))
		}
	}
	slices.Sort(d)
	t.Logf("%d tools: build %v; search p50 %v, p99 %v over %d searches", len(docs), build, d[len(d)/2], d[len(d)*99/100], len(d))
}

func BenchmarkIndexBuildCorpus1000(b *testing.B) {
	docs := docsOf(scale(loadCorpus(b), 50))
	b.ReportAllocs()
	for b.Loop() {
		New(docs)
	}
	b.ReportMetric(float64(len(docs)), "tools")
}

func BenchmarkSearchCorpus1000(b *testing.B) {
	ix := New(docsOf(scale(loadCorpus(b), 50)))
	qs := loadQueries(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ix.Search(qs[i%len(qs)].Query, 5)
		i++
	}
}
