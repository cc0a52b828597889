package bridge

import (
	"fmt"

	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/convert"
)

// Large tool sets. By default every function is sent in every request, flat
// and prefixed with its server's name. WithNamespaces groups each server's
// functions in one namespace tool; WithToolSearch keeps most functions out
// of the first request and lets the model find them with a tool_search
// tool, run by the API (hosted) or by the bridge over a local index
// (client, searchindex.go).

// ToolSearchMode says how the functions of a tool set reach the model
// ([WithToolSearch]).
type ToolSearchMode string

// The tool search modes. Without one ("" or "off", the default) every
// function is sent in every request.
const (
	// ToolSearchAuto is ToolSearchClient when the tool set has more than
	// 64 functions, else off. It is decided again on every relist.
	ToolSearchAuto ToolSearchMode = "auto"
	// ToolSearchClient sends only the always-loaded functions and a
	// tool_search tool with execution "client": the bridge answers each
	// search from a local index with the 6 best matches, which the model
	// may call from then on in the run. A call to a function no search of
	// the run loaded gets an error output telling the model to search.
	ToolSearchClient ToolSearchMode = "client"
	// ToolSearchHosted sends every function with defer_loading: true
	// (always-loaded ones excepted) and a tool_search tool with execution
	// "server": the API searches and loads.
	ToolSearchHosted ToolSearchMode = "hosted"
)

// toolSearchOff is the spelled-out default: every function in every request.
const toolSearchOff ToolSearchMode = "off"

const (
	autoSearchThreshold = 64 // functions above which ToolSearchAuto searches
	searchResults       = 6  // functions one client search loads
)

// searchConfig is what the options of this file set.
type searchConfig struct {
	namespaces bool
	mode       ToolSearchMode
	threshold  int // 0: autoSearchThreshold
	results    int // 0: searchResults
}

// WithNamespaces sends each server's functions as one namespace tool named
// after the server, each function keeping its own (sanitized) MCP tool
// name; the model calls them by (namespace, name). The namespace's
// description is [Server].Description, else the instructions the server
// sent. Without it functions are flat and prefixed ("server__tool").
func WithNamespaces() Option {
	return bridgeOption(func(c *config) { c.search.namespaces = true })
}

// WithToolSearch sets how functions reach the model (see [ToolSearchMode];
// off); [Server].AlwaysLoad keeps tools out of the
// search. New refuses a mode it does not know.
func WithToolSearch(mode ToolSearchMode) Option {
	return bridgeOption(func(c *config) { c.search.mode = mode })
}

// checkMode rejects an unknown tool search mode.
func checkMode(m ToolSearchMode) error {
	switch m {
	case "", toolSearchOff, ToolSearchAuto, ToolSearchClient, ToolSearchHosted:
		return nil
	}
	return fmt.Errorf("bridge: tool search mode %q: want off, auto, client or hosted", string(m))
}

// alwaysLoaded reports whether a tool is kept out of tool search.
func (b *Bridge) alwaysLoaded(server, tool string) bool {
	c := b.conns[server]
	if c == nil {
		return false
	}
	for _, t := range c.srv.AlwaysLoad {
		if t == allTools || t == tool {
			return true
		}
	}
	return false
}

// functionKey names a function the way the model calls it.
func functionKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// effectiveMode resolves ToolSearchAuto for a tool set of n functions.
func (b *Bridge) effectiveMode(n int) ToolSearchMode {
	s := b.cfg.search
	if s.mode == "" {
		return toolSearchOff
	}
	if s.mode != ToolSearchAuto {
		return s.mode
	}
	threshold := s.threshold
	if threshold <= 0 {
		threshold = autoSearchThreshold
	}
	if n > threshold {
		return ToolSearchClient
	}
	return toolSearchOff
}

// offer decides, for a new snapshot, what the request carries and how each
// function the model may call is found: ts.params and ts.byKey.
func (b *Bridge) offer(ts *toolSet) {
	set := ts.set
	ts.mode = b.effectiveMode(len(set.Tools))
	ts.byKey = make(map[string]*route, len(set.Tools))
	ts.keys = make([]string, 0, len(set.Tools))
	ts.params = ts.params[:0]
	deferred := func(ft *convert.FunctionTool) bool {
		return ts.mode != toolSearchOff && !b.alwaysLoaded(ft.Server, ft.Tool)
	}
	add := func(r *route) {
		ts.byKey[r.key] = r
		ts.keys = append(ts.keys, r.key)
	}
	if !b.cfg.search.namespaces {
		for i := range set.Tools {
			ft := &set.Tools[i]
			r := ts.byName[ft.Name]
			r.deferred = deferred(ft)
			add(r)
			switch {
			case !r.deferred:
				ts.params = append(ts.params, functionToolParam(ft))
			case ts.mode == ToolSearchHosted:
				p := functionToolParam(ft)
				p.OfFunction.DeferLoading = param.NewOpt(true)
				ts.params = append(ts.params, p)
			}
		}
	} else {
		flat := make(map[[2]string]*route, len(set.Tools))
		for _, r := range ts.byName {
			flat[[2]string{r.fn.Server, r.fn.Tool}] = r
		}
		ts.ns = convert.BuildNamespaces(set, convert.NamespaceOptions{
			Descriptions:        b.namespaceDescriptions(),
			MaxDescriptionBytes: b.cfg.convert.MaxDescriptionBytes,
		})
		set.Diagnostics = append(set.Diagnostics, ts.ns.Diagnostics...)
		for i := range ts.ns.Namespaces {
			n := &ts.ns.Namespaces[i]
			var fns []oai.NamespaceToolToolUnionParam
			for j := range n.Tools {
				ft := &n.Tools[j]
				r := *flat[[2]string{ft.Server, ft.Tool}] // the flat route, sent inside n
				r.sent, r.space, r.key, r.deferred = ft, n, functionKey(n.Name, ft.Name), deferred(ft)
				add(&r)
				switch {
				case !r.deferred:
					fns = append(fns, namespacedParam(ft, false))
				case ts.mode == ToolSearchHosted:
					fns = append(fns, namespacedParam(ft, true))
				}
			}
			if len(fns) > 0 {
				ts.params = append(ts.params, namespaceParam(n, fns))
			}
		}
	}
	switch ts.mode {
	case ToolSearchClient:
		ts.params = append(ts.params, oai.ToolUnionParam{OfToolSearch: &oai.ToolSearchToolParam{
			Execution:   oai.ToolSearchToolExecutionClient,
			Description: param.NewOpt(clientSearchDescription),
			Parameters:  clientSearchParameters,
		}})
	case ToolSearchHosted:
		ts.params = append(ts.params, oai.ToolUnionParam{OfToolSearch: &oai.ToolSearchToolParam{
			Execution: oai.ToolSearchToolExecutionServer,
		}})
	}
}

const clientSearchDescription = "Find the tools for a task among many. Describe what you want to do in a few words; " +
	"the best matching tools are loaded and can be called from then on."

var clientSearchParameters = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"query": map[string]any{"type": "string", "description": "What the tool should do, in a few words."},
	},
	"required":             []any{"query"},
	"additionalProperties": false,
}

// namespaceDescriptions maps each server to Server.Description, or to the
// instructions it sent when it has none.
func (b *Bridge) namespaceDescriptions() map[string]string {
	out := make(map[string]string, len(b.order))
	for _, name := range b.order {
		c := b.conns[name]
		d := c.srv.Description
		if d == "" && c.client != nil {
			d = c.client.Instructions()
		}
		if d != "" {
			out[name] = d
		}
	}
	return out
}

// namespacedParam is a function tool inside a namespace tool.
func namespacedParam(ft *convert.FunctionTool, deferLoading bool) oai.NamespaceToolToolUnionParam {
	fn := &oai.NamespaceToolToolFunctionParam{
		Name:         ft.Name,
		Parameters:   ft.Parameters,
		Strict:       param.NewOpt(ft.Strict),
		OutputSchema: ft.OutputSchema,
	}
	if ft.Description != "" {
		fn.Description = param.NewOpt(ft.Description)
	}
	if deferLoading {
		fn.DeferLoading = param.NewOpt(true)
	}
	return oai.NamespaceToolToolUnionParam{OfFunction: fn}
}

func namespaceParam(n *convert.Namespace, fns []oai.NamespaceToolToolUnionParam) oai.ToolUnionParam {
	return oai.ToolUnionParam{OfNamespace: &oai.NamespaceToolParam{Name: n.Name, Description: n.Description, Tools: fns}}
}
