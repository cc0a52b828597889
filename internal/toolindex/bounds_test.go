package toolindex

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Text past a tool's bounds is not indexed: a server cannot make one tool's
// document as large as it likes.
func TestIndexTextIsBoundedPerTool(t *testing.T) {
	filler := strings.Repeat("lorem ipsum ", 100_000) // 1.2 MB per field
	docs := []Doc{
		{ID: "d", Server: "s", Name: "read_records", Description: "Reads alpha records. " + filler + " zebraword"},
		{ID: "t", Server: "s", Name: "other", Title: "beta " + filler + " quagga"},
		{ID: "p", Server: "s", Name: "third", Params: []Param{{Name: "gamma", Description: filler + " yakword"}}},
	}
	ix := New(docs)
	for _, q := range []string{"zebraword", "quagga", "yakword"} {
		assert.Empty(t, ix.Search(q, 5), "%s is past the bound", q)
	}
	for q, id := range map[string]string{"alpha": "d", "beta": "t", "gamma": "p"} {
		hits := ix.Search(q, 5)
		require.NotEmpty(t, hits, q)
		assert.Equal(t, id, hits[0].ID, q)
	}
}

// Building the index costs memory in proportion to the bounded text, not
// to what servers send: 64 tools with 256 KiB descriptions cost about what
// the same tools cost with the first 16 KiB of them.
func TestIndexMemoryFollowsTheBound(t *testing.T) {
	docs := func(descBytes int) []Doc {
		out := make([]Doc, 64)
		for i := range out {
			var b strings.Builder
			for w := 0; b.Len() < descBytes; w++ {
				fmt.Fprintf(&b, "word%dx%d ", w, i%4) // many distinct terms, as a hostile list would send
			}
			out[i] = Doc{ID: fmt.Sprint("t", i), Server: "s", Name: fmt.Sprint("tool_", i), Description: b.String()[:descBytes]}
		}
		return out
	}
	small, big := docs(16<<10), docs(256<<10)
	allocs := func(d []Doc) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ix := New(d)
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(ix)
		return after.TotalAlloc - before.TotalAlloc
	}
	a16, a256 := allocs(small), allocs(big)
	t.Logf("index build: %d KiB allocated for 16 KiB descriptions, %d KiB for 256 KiB (ratio %.1f)", a16>>10, a256>>10, float64(a256)/float64(a16))
	assert.Less(t, a256, 2*a16, "allocation follows the bound, not the input")
}

// Tools of one server shaped like the query take most places, not all:
// the best tool of another server keeps one. Alone, a server fills all.
func TestSearchAcrossServersKeepsOtherServersInView(t *testing.T) {
	// Decoys copy the real tool's name in other spellings and its
	// description, and add the words of the query.
	var docs []Doc
	for _, n := range []string{"create_issue", "issue_create", "createIssue", "create_issue_v2", "new_issue", "open_issue", "create_new_issue", "project_issue", "create_project_issue", "issue_new"} {
		docs = append(docs, Doc{ID: "decoy_" + n, Server: "decoy", Name: n,
			Description: "Opens a new issue in the project's tracker. Create a new issue in the project."})
	}
	docs = append(docs, Doc{ID: "real", Server: "tracker", Name: "create_issue", Description: "Opens a new issue in the project's tracker."},
		Doc{ID: "other", Server: "tracker", Name: "list_labels", Description: "Lists labels."})
	ix := New(docs)
	const q = "create a new issue in the project"
	plain := hitIDs(ix.Search(q, 11))
	require.Len(t, plain, 11)
	assert.NotContains(t, plain[:6], "real", "ranked by score alone, the decoys take the first places: %v", plain)
	// The real tool is the only other match: it takes the one place
	// reserved for other servers and the decoys the rest.
	for k, decoys := range map[int]int{6: 5, 5: 4, 3: 2, 1: 1} {
		hits := ix.SearchAcrossServers(q, k)
		require.Len(t, hits, k)
		n := 0
		for i, h := range hits {
			if strings.HasPrefix(h.ID, "decoy") {
				n++
			}
			if i > 0 {
				assert.LessOrEqual(t, h.Score, hits[i-1].Score, "score order")
			}
		}
		if k > 1 {
			assert.Equal(t, decoys, n, "k=%d", k)
			assert.Contains(t, hitIDs(hits), "real", "k=%d", k)
		}
	}
	solo := New(docs[:10])
	assert.Len(t, solo.SearchAcrossServers(q, 6), 6)
}

func hitIDs(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}

// BenchmarkIndexBuild48MiB builds an index over 200 tools with 240 KiB
// descriptions each (48 MiB), as a hostile or careless server lists them.
func BenchmarkIndexBuild48MiB(b *testing.B) {
	docs := make([]Doc, 200)
	for i := range docs {
		var d strings.Builder
		for w := 0; d.Len() < 240<<10; w++ {
			fmt.Fprintf(&d, "term%d part%d ", w, i)
		}
		docs[i] = Doc{ID: fmt.Sprint("t", i), Server: "s", Name: fmt.Sprint("op_", i), Description: d.String()}
	}
	b.ReportAllocs()
	for b.Loop() {
		New(docs)
	}
}
