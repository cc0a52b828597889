package bridge

import (
	"errors"
	"fmt"
	"strings"

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

// ToolSearchMode says how the functions of a tool set reach the model.
type ToolSearchMode int

const (
	// ToolSearchOff sends every function in every request (the default).
	ToolSearchOff ToolSearchMode = iota
	// ToolSearchAuto is ToolSearchClient when the tool set has more
	// functions than the threshold (WithToolSearchThreshold), else
	// ToolSearchOff. It is decided again on every relist.
	ToolSearchAuto
	// ToolSearchClient sends only the always-loaded functions and a
	// tool_search tool with execution "client": the bridge answers each
	// search from a local index with the best matches, which the model
	// may call from then on in the run. A call to a function no search of
	// the run loaded gets an error output telling the model to search.
	ToolSearchClient
	// ToolSearchHosted sends every function with defer_loading: true
	// (always-loaded ones excepted) and a tool_search tool with execution
	// "server": the API searches and loads.
	ToolSearchHosted
)

// DefaultToolSearchThreshold is the number of functions above which
// ToolSearchAuto turns client tool search on.
const DefaultToolSearchThreshold = 64

// DefaultToolSearchResults is how many functions one client search loads.
const DefaultToolSearchResults = 6

// ErrNotLoaded: the model called a function that is deferred and that no
// client tool search of the run has loaded. The model reads this text.
var ErrNotLoaded = errors.New("function not loaded: find it with the tool_search tool first, then call it")

// String returns the mode's flag spelling: off, auto, client or hosted.
func (m ToolSearchMode) String() string {
	switch m {
	case ToolSearchAuto:
		return "auto"
	case ToolSearchClient:
		return "client"
	case ToolSearchHosted:
		return "hosted"
	}
	return "off"
}

// ParseToolSearchMode reads off, auto, client or hosted.
func ParseToolSearchMode(s string) (ToolSearchMode, error) {
	for _, m := range []ToolSearchMode{ToolSearchOff, ToolSearchAuto, ToolSearchClient, ToolSearchHosted} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return ToolSearchOff, fmt.Errorf("bridge: tool search mode %q: want off, auto, client or hosted", s)
}

// searchConfig is what the options of this file set.
type searchConfig struct {
	namespaces bool
	mode       ToolSearchMode
	threshold  int                        // 0: DefaultToolSearchThreshold
	results    int                        // 0: DefaultToolSearchResults
	always     map[string]map[string]bool // server -> MCP tool names ("*": all)
}

// WithNamespaces sends each server's functions as one namespace tool named
// after the server, each function keeping its own (sanitized) MCP tool
// name; the model calls them by (namespace, name). The namespace's
// description is Server.Description, else the instructions the server
// sent. Off by default: functions are flat and prefixed ("server__tool").
func WithNamespaces(on bool) Option {
	return bridgeOption(func(c *config) { c.search.namespaces = on })
}

// WithToolSearch sets how functions reach the model (see ToolSearchMode;
// default ToolSearchOff).
func WithToolSearch(mode ToolSearchMode) Option {
	return bridgeOption(func(c *config) { c.search.mode = mode })
}

// WithToolSearchThreshold sets the number of functions above which
// ToolSearchAuto turns client search on (default
// DefaultToolSearchThreshold).
func WithToolSearchThreshold(n int) Option {
	return bridgeOption(func(c *config) { c.search.threshold = n })
}

// WithToolSearchResults sets how many functions one client search loads
// (default DefaultToolSearchResults).
func WithToolSearchResults(k int) Option {
	return bridgeOption(func(c *config) { c.search.results = k })
}

// WithAlwaysLoaded keeps tools of server out of tool search: they are sent
// in every request as usual. No tool names (or AlwaysLoadAll) means every
// tool of the server. Server.AlwaysLoad does the same per server entry.
func WithAlwaysLoaded(server string, tools ...string) Option {
	return bridgeOption(func(c *config) {
		if c.search.always == nil {
			c.search.always = map[string]map[string]bool{}
		}
		set := c.search.always[server]
		if set == nil {
			set = map[string]bool{}
			c.search.always[server] = set
		}
		if len(tools) == 0 {
			set[AlwaysLoadAll] = true
		}
		for _, t := range tools {
			set[t] = true
		}
	})
}

// AlwaysLoadAll in Server.AlwaysLoad keeps every tool of the server loaded.
const AlwaysLoadAll = "*"

// alwaysLoaded reports whether a tool is kept out of tool search.
func (b *Bridge) alwaysLoaded(server, tool string) bool {
	if set := b.cfg.search.always[server]; set[AlwaysLoadAll] || set[tool] {
		return true
	}
	c := b.conns[server]
	if c == nil {
		return false
	}
	for _, t := range c.srv.AlwaysLoad {
		if t == AlwaysLoadAll || t == tool {
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
	if s.mode != ToolSearchAuto {
		return s.mode
	}
	threshold := s.threshold
	if threshold <= 0 {
		threshold = DefaultToolSearchThreshold
	}
	if n > threshold {
		return ToolSearchClient
	}
	return ToolSearchOff
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
		return ts.mode != ToolSearchOff && !b.alwaysLoaded(ft.Server, ft.Tool)
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
