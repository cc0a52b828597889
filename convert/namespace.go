package convert

import "strings"

// Namespace is the tools of one server as one Responses API namespace tool:
// the model calls a function by (namespace, name).
type Namespace struct {
	Name        string // namespace name, matches ^[a-zA-Z0-9_-]{1,64}$, unique in the set
	Server      string // exact server name
	Description string // cleaned and capped; never empty (the API requires one)
	// Tools are the server's function tools. Each Name is the sanitized MCP
	// tool name, unique within the namespace (no server prefix); the other
	// fields are those of the ToolSet the namespace was built from.
	Tools []FunctionTool
}

// NamespaceOptions controls BuildNamespaces.
type NamespaceOptions struct {
	// Descriptions maps an exact server name to its namespace description
	// (from the configuration, or the server's instructions). A server
	// without one is described as "Tools of the <server> server.".
	Descriptions map[string]string
	// MaxDescriptionBytes caps descriptions like Options.MaxDescriptionBytes:
	// 0 means DefaultMaxDescriptionBytes, a negative value means no cap.
	MaxDescriptionBytes int
}

// NamespaceSet is a ToolSet regrouped by server.
type NamespaceSet struct {
	Namespaces  []Namespace  // in the ToolSet's server order; servers with no tool are left out
	Diagnostics []Diagnostic // descriptions that were cut
	index       map[nsKey]nsRef
}

type nsKey struct{ namespace, name string }
type nsRef struct{ ns, tool int }

// BuildNamespaces regroups the tools of set into one namespace per server.
// Namespace names are the sanitized server names, made unique with the same
// rules as function names (a name that needed no repair wins, then input
// order; the others get a hash suffix of the exact server name), so adding a
// server never renames another. Function names inside a namespace are the
// sanitized MCP tool names, made unique within the namespace the same way.
// NamespaceSet.Lookup maps a (namespace, name) pair back exactly.
func BuildNamespaces(set *ToolSet, opts NamespaceOptions) *NamespaceSet {
	out := &NamespaceSet{index: map[nsKey]nsRef{}}
	if set == nil {
		return out
	}
	byServer := map[string]int{}
	var servers []string
	var groups [][]FunctionTool
	for _, t := range set.Tools {
		i, ok := byServer[t.Server]
		if !ok {
			i = len(servers)
			byServer[t.Server] = i
			servers = append(servers, t.Server)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], t)
	}
	nsIDs := make([]toolID, len(servers))
	for i, s := range servers {
		nsIDs[i] = toolID{tool: s}
	}
	nsNames := assignNames(nsIDs, Options{NoPrefix: true})
	for i, server := range servers {
		ids := make([]toolID, len(groups[i]))
		for j, t := range groups[i] {
			ids[j] = toolID{server: server, tool: t.Tool}
		}
		names := assignNames(ids, Options{NoPrefix: true})
		tools := make([]FunctionTool, len(groups[i]))
		for j, t := range groups[i] {
			t.Name = names[j]
			tools[j] = t
			out.index[nsKey{nsNames[i], names[j]}] = nsRef{ns: i, tool: j}
		}
		desc, cut := namespaceDescription(server, opts)
		if cut != "" {
			out.Diagnostics = append(out.Diagnostics, Diagnostic{Server: server, Field: "description", Reason: "namespace " + cut})
		}
		out.Namespaces = append(out.Namespaces, Namespace{Name: nsNames[i], Server: server, Description: desc, Tools: tools})
	}
	return out
}

// namespaceDescription cleans and caps the description of a server's
// namespace. It returns a note when the text had to be cut.
func namespaceDescription(server string, opts NamespaceOptions) (string, string) {
	d := strings.TrimSpace(opts.Descriptions[server])
	if d == "" {
		d = "Tools of the " + strings.TrimSpace(cleanText(server, false)) + " server."
	}
	return describe(server, &Tool{Description: d}, Options{MaxDescriptionBytes: opts.MaxDescriptionBytes})
}

// Lookup returns the exact server and MCP tool name behind a function name
// in a namespace. Both names must match exactly.
func (s *NamespaceSet) Lookup(namespace, name string) (server, tool string, ok bool) {
	t, ok := s.Tool(namespace, name)
	if !ok {
		return "", "", false
	}
	return t.Server, t.Tool, true
}

// Tool returns the function tool called name in namespace (for
// FunctionTool.StripAddedNulls before a call).
func (s *NamespaceSet) Tool(namespace, name string) (*FunctionTool, bool) {
	if s == nil {
		return nil, false
	}
	r, ok := s.index[nsKey{namespace, name}]
	if !ok {
		return nil, false
	}
	return &s.Namespaces[r.ns].Tools[r.tool], true
}
