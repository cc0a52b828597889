package bridge

import (
	"bytes"
	"context"
	"sync"

	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/internal/toolindex"
	"github.com/mcpbridge/mcpbridge/responses"
)

// Client tool search: each tool set snapshot has its own index, built on
// the first search. What the searches of a run loaded is the loop's state
// (responses.Route.Deferred): the bridge's searches keep none.

// Search answers a client tool search from the current tool set's index,
// so a Bridge is also a responses.ToolSearcher for programs that call
// responses.Run themselves. It keeps no state: the loop keeps what the
// run's searches loaded.
func (b *Bridge) Search(ctx context.Context, call responses.ToolSearchCall) ([]oai.ToolUnionParam, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.searchTools(b.current.Load(), call.Query), nil
}

// wireSearch gives a run's loop the bridge as its searcher, unless the
// caller set one or tool search is off.
func (b *Bridge) wireSearch(lo *responses.Options) {
	if m := b.cfg.search.mode; lo.ToolSearch != nil || m == "" || m == toolSearchOff || m == ToolSearchHosted {
		return
	}
	lo.ToolSearch = b
}

// index returns the snapshot's search index, built once: the deferred
// functions (every function when none is deferred). Tools whose analysis
// an earlier snapshot made are not analyzed again (searchDocs).
func (ts *toolSet) index() *toolindex.Index {
	ts.indexOnce.Do(func() {
		anyDeferred := false
		for _, k := range ts.keys {
			anyDeferred = anyDeferred || ts.byKey[k].deferred
		}
		docs := ts.docs
		if docs == nil {
			docs = &searchDocs{}
		}
		docs.mu.Lock()
		defer docs.mu.Unlock()
		next := make(map[[2]string]searchDoc, len(ts.keys))
		entries := make([]toolindex.Entry, 0, len(ts.keys))
		for _, k := range ts.keys {
			r := ts.byKey[k]
			if anyDeferred && !r.deferred {
				continue
			}
			key := [2]string{r.fn.Server, r.src.Name}
			d, ok := docs.byTool[key]
			if !ok || !sameSearchText(d.src, r.src) {
				d = searchDoc{src: r.src, a: toolindex.Analyze(toolindex.DocOf(r.fn.Server, k, r.src.Name, r.src.Title, r.src.Description, r.src.InputSchema))}
			}
			next[key] = d
			entries = append(entries, toolindex.Entry{ID: k, Analyzed: d.a})
		}
		docs.byTool = next // tools no longer offered are forgotten
		ts.ix = toolindex.Build(entries)
	})
	return ts.ix
}

// searchDocs keeps the analysis of each tool's search document across tool
// sets: analyzing text is the costly part of indexing, and a relist of one
// server leaves every other server's tools as they were.
type searchDocs struct {
	mu     sync.Mutex
	byTool map[[2]string]searchDoc // (server, MCP tool) -> its latest analysis
}

type searchDoc struct {
	src convert.Tool // what was analyzed
	a   *toolindex.Analyzed
}

// sameSearchText reports whether two versions of a tool have the same
// searchable text (toolindex.DocOf reads these fields).
func sameSearchText(a, b convert.Tool) bool {
	return a.Name == b.Name && a.Title == b.Title && a.Description == b.Description && bytes.Equal(a.InputSchema, b.InputSchema)
}

// searchTools runs one search over ts and returns the tools to load, in
// rank order (a namespace's functions grouped in one namespace tool at its
// best rank).
func (b *Bridge) searchTools(ts *toolSet, query string) []oai.ToolUnionParam {
	k := b.cfg.search.results
	if k <= 0 {
		k = searchResults
	}
	var (
		tools []oai.ToolUnionParam
		at    = map[string]int{} // namespace -> its tool in tools
	)
	for _, h := range ts.index().SearchAcrossServers(query, k) { // one server cannot fill every place
		r := ts.byKey[h.ID]
		if r == nil {
			continue
		}
		if r.space == nil {
			tools = append(tools, functionToolParam(r.sent))
			continue
		}
		i, ok := at[r.space.Name]
		if !ok {
			i = len(tools)
			at[r.space.Name] = i
			tools = append(tools, namespaceParam(r.space, nil))
		}
		ns := tools[i].OfNamespace
		ns.Tools = append(ns.Tools, namespacedParam(r.sent, false))
	}
	return tools
}

// resolve finds the function a call names in ts (see toolSet.find).
func (b *Bridge) resolve(ts *toolSet, call Call) (*route, error) {
	r := ts.find(call)
	if r == nil {
		return nil, b.unknown(functionKey(call.Namespace, call.Name))
	}
	return r, nil
}

// find returns the function a call names in ts: by (namespace, name)
// exactly, or nil. A deferred top-level function that the API's own tool
// search loaded is called with its own name as the namespace.
func (ts *toolSet) find(call Call) *route {
	r := ts.byKey[functionKey(call.Namespace, call.Name)]
	if r == nil && call.Namespace != "" && call.Namespace == call.Name {
		if flat := ts.byKey[call.Name]; flat != nil && flat.space == nil {
			r = flat
		}
	}
	return r
}
