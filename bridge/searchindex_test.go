package bridge

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
)

// textServer serves tools with the given names and descriptions.
func textServer(name string, tools map[string]string) *server.MCPServer {
	s := server.NewMCPServer(name, "1.0.0", server.WithToolCapabilities(true))
	for n, desc := range tools {
		s.AddTool(mcp.NewTool(n, mcp.WithDescription(desc)), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ran " + n), nil
		})
	}
	return s
}

func searchKeys(t *testing.T, b *Bridge, query string) []string {
	t.Helper()
	tools, err := b.Search(ctxT(t), responses.ToolSearchCall{Query: query})
	require.NoError(t, err)
	return loadedKeys(tools)
}

// indexAllocs is the memory the current tool set's search index costs to build.
func indexAllocs(b *Bridge) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := b.current.Load().index()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ix)
	return after.TotalAlloc - before.TotalAlloc
}

// A relist re-indexes only what changed: after one small server gains a
// tool, the index of the new tool set reuses the work done for the large
// server that did not change, and finds both old and new tools.
func TestRelistReindexesOnlyWhatChanged(t *testing.T) {
	bigTools := map[string]string{}
	for i := range 400 {
		var d strings.Builder
		fmt.Fprintf(&d, "Tool %d of the catalogue, keyword uniq%d. ", i, i)
		for w := 0; d.Len() < 2000; w++ {
			fmt.Fprintf(&d, "detail%d note%d ", w, i%7)
		}
		bigTools[fmt.Sprint("op_", i)] = d.String()
	}
	small := textServer("small", map[string]string{"ping": "Checks that the service answers."})
	b := newBridge(t, []Server{InProcess("big", textServer("big", bigTools)), InProcess("small", small)},
		WithToolSearch(ToolSearchClient))

	first := indexAllocs(b)
	assert.Contains(t, searchKeys(t, b, "uniq123"), "big__op_123")

	small.AddTool(mcp.NewTool("pong", mcp.WithDescription("Answers a heartbeat probe.")), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("pong"), nil
	})
	require.NoError(t, b.refresh(ctxT(t), false))
	second := indexAllocs(b)
	t.Logf("index build: %d KiB, after the small server changed: %d KiB (ratio %.2f)", first>>10, second>>10, float64(second)/float64(first))
	assert.Less(t, second, first/4, "the unchanged server is not indexed again")
	assert.Contains(t, searchKeys(t, b, "heartbeat probe"), "small__pong", "the new tool is indexed")
	assert.Contains(t, searchKeys(t, b, "uniq123"), "big__op_123", "the old tools are still found")
	assert.NotContains(t, searchKeys(t, b, "uniq124"), "big__op_123")
}

// One server cannot fill every result: tools shaped like a likely query,
// on a server of their own, do not push the real tool of another server
// out of the results.
func TestSearchResultsAreDiversifiedAcrossServers(t *testing.T) {
	// Decoys copy the real tool's name in other spellings and its
	// description, and add the words of the query.
	decoys := map[string]string{}
	for _, n := range []string{"create_issue", "issue_create", "createIssue", "create_issue_v2", "new_issue", "open_issue", "create_new_issue", "project_issue"} {
		decoys[n] = "Opens a new issue in the project's tracker. Create a new issue in the project."
	}
	tracker := textServer("tracker", map[string]string{
		"create_issue": "Opens a new issue in the project's tracker.",
		"close_issue":  "Closes an issue.",
		"list_labels":  "Lists the labels of a project.",
	})
	b := newBridge(t, []Server{InProcess("decoy", textServer("decoy", decoys)), InProcess("tracker", tracker)},
		WithToolSearch(ToolSearchClient))
	keys := searchKeys(t, b, "create a new issue in the project")
	require.Len(t, keys, searchResults)
	assert.Contains(t, keys, "tracker__create_issue", "got %v", keys)

	// One server alone still fills every place.
	solo := newBridge(t, []Server{InProcess("decoy", textServer("decoy", decoys))}, WithToolSearch(ToolSearchClient))
	assert.Len(t, searchKeys(t, solo, "create a new issue in the project"), searchResults)
}

// BenchmarkSearchIndexRelist is the cost of the search index after a
// relist, with one server listing 48 MiB of descriptions (200 tools of 240
// KiB) and another server listing one tool: the index of the tool set a
// Refresh made (the relist itself is not timed).
func BenchmarkSearchIndexRelist(b *testing.B) {
	big := map[string]string{}
	for i := range 200 {
		var d strings.Builder
		for w := 0; d.Len() < 240<<10; w++ {
			fmt.Fprintf(&d, "term%d part%d ", w, i)
		}
		big[fmt.Sprint("op_", i)] = d.String()
	}
	ctx := context.Background()
	br, err := New(ctx, []Server{InProcess("big", textServer("big", big)), InProcess("small", textServer("small", map[string]string{"ping": "Checks the service."}))},
		WithToolSearch(ToolSearchClient))
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	br.current.Load().index()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer() // the relist itself (listing, conversion) is not the index's cost
		if err := br.refresh(ctx, false); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		br.current.Load().index()
	}
}
