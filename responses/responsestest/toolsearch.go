package responsestest

import (
	"fmt"
)

// Tool search and namespaces: the request rules (namespace tools,
// tool_search tools, deferred functions, search items) and the conversation
// state the server keeps to check that a scripted model only calls deferred
// functions it has loaded.

// checkToolSearchRules applies the namespace-*, tool-search-*,
// defer-needs-search and search-* rules to a request.
func checkToolSearchRules(body map[string]any, p *problems) {
	tools, _ := body["tools"].([]any)
	searchTools, deferred := 0, ""
	topNames := map[string]bool{}
	for _, t := range tools {
		if m, ok := t.(map[string]any); ok && m["type"] == "function" {
			name, _ := m["name"].(string)
			topNames[name] = true
		}
	}
	namespaces := map[string]int{}
	for i, t := range tools {
		m, _ := t.(map[string]any)
		path := fmt.Sprintf("/tools/%d", i)
		switch m["type"] {
		case "function":
			if m["defer_loading"] == true && deferred == "" {
				deferred = path
			}
		case "mcp":
			if m["defer_loading"] == true && deferred == "" {
				deferred = path
			}
		case "tool_search":
			searchTools++
			if searchTools > 1 { // rule tool-search-single
				p.add(path, "a request takes at most one tool_search tool")
			}
		case "namespace":
			name, _ := m["name"].(string)
			if j, dup := namespaces[name]; dup { // rule namespace-name-unique
				p.add(path+"/name", "namespace %q is also the name of /tools/%d", name, j)
			} else {
				namespaces[name] = i
			}
			if topNames[name] { // rule namespace-name-unique
				p.add(path+"/name", "namespace %q has the name of a function tool", name)
			}
			if d := checkNamespaceTools(m, path, p); d != "" && deferred == "" {
				deferred = d
			}
		}
	}
	if deferred != "" && searchTools == 0 { // rule defer-needs-search
		p.add(deferred+"/defer_loading", "deferred tools need a tool_search tool in the same request")
	}
	checkSearchItems(body, p)
}

// checkNamespaceTools checks the functions of one namespace tool like
// top-level ones and returns the path of the first deferred one.
func checkNamespaceTools(ns map[string]any, path string, p *problems) string {
	list, _ := ns["tools"].([]any)
	names := map[string]int{}
	deferred := ""
	for j, t := range list {
		m, _ := t.(map[string]any)
		if m["type"] != "function" {
			continue
		}
		tp := fmt.Sprintf("%s/tools/%d", path, j)
		if _, ok := m["strict"].(bool); !ok { // rule namespace-tools (strict-explicit)
			p.add(tp+"/strict", "function tool without an explicit boolean strict")
		}
		name, _ := m["name"].(string)
		if !functionNameRE.MatchString(name) { // rule namespace-tools (name-pattern)
			p.add(tp+"/name", "%q does not match ^[a-zA-Z0-9_-]{1,64}$", name)
		}
		if k, dup := names[name]; dup { // rule namespace-name-unique
			p.add(tp+"/name", "%q is also the name of %s/tools/%d", name, path, k)
		} else {
			names[name] = j
		}
		if m["defer_loading"] == true && deferred == "" {
			deferred = tp
		}
		params, ok := m["parameters"].(map[string]any)
		if !ok {
			p.add(tp+"/parameters", "function tool parameters must be a JSON Schema object")
			continue
		}
		checkParameters(params, m["strict"] == true, tp+"/parameters", p)
	}
	return deferred
}

// checkSearchItems checks the tool search items of the input. Without
// previous_response_id or conversation the whole conversation is in the
// input, so every tool_search_output must answer a tool_search_call before
// it; a chained request is checked by the server against what it answered
// (Server.checkChain).
func checkSearchItems(body map[string]any, p *problems) {
	items, _ := body["input"].([]any)
	_, chained := body["previous_response_id"].(string)
	_, conv := body["conversation"]
	calls := map[string]bool{}
	for i, it := range items {
		m, _ := it.(map[string]any)
		switch m["type"] {
		case "tool_search_call", "tool_search_output":
		default:
			continue
		}
		id, _ := m["call_id"].(string)
		path := fmt.Sprintf("/input/%d/call_id", i)
		if m["execution"] == "client" { // rule search-call-id
			switch {
			case id == "":
				p.add(path, "client %s without call_id", m["type"])
				continue
			case len(id) > maxCallIDLen:
				p.add(path, "call_id of %d characters, more than %d", len(id), maxCallIDLen)
			}
		}
		if m["type"] == "tool_search_call" {
			calls[id] = true
			continue
		}
		if id != "" && !calls[id] && !chained && !conv { // rule search-output-call
			p.add(path, "tool_search_output %q answers no tool_search_call before it", id)
		}
	}
}

// chainState is what a conversation has done with tool search so far.
type chainState struct {
	searchCalls map[string]bool // call_ids of tool_search_call items
	loaded      map[string]bool // toolKey of every function a search loaded
	approvals   map[string]bool // ids of mcp_approval_request items not yet answered (hostedmcp.go)
}

// toolKey names a function for the loaded set: "namespace/name" or "name".
func toolKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func (c *chainState) clone() *chainState {
	n := &chainState{searchCalls: map[string]bool{}, loaded: map[string]bool{}, approvals: map[string]bool{}}
	if c != nil {
		for k := range c.approvals {
			n.approvals[k] = true
		}
		for k := range c.searchCalls {
			n.searchCalls[k] = true
		}
		for k := range c.loaded {
			n.loaded[k] = true
		}
	}
	return n
}

func (c *chainState) empty() bool {
	return len(c.searchCalls) == 0 && len(c.loaded) == 0 && len(c.approvals) == 0
}

// load adds the functions of a tool_search_output's tools.
func (c *chainState) load(tools []any) {
	for _, lt := range loadedTools(tools) {
		c.loaded[toolKey(lt.Namespace, lt.Name)] = true
	}
}

// deferredTools lists the functions a request sends with defer_loading.
func deferredTools(tools []map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, m := range tools {
		name, _ := m["name"].(string)
		switch m["type"] {
		case "function":
			if m["defer_loading"] == true {
				out[toolKey("", name)] = true
			}
		case "namespace":
			inner, _ := m["tools"].([]any)
			for _, f := range inner {
				fm, _ := f.(map[string]any)
				fn, _ := fm["name"].(string)
				if fm["defer_loading"] == true {
					out[toolKey(name, fn)] = true
				}
			}
		}
	}
	return out
}

// requestState is the conversation state a request starts from: its
// previous response's, plus the search items of its input. It reports a
// tool_search_output that answers no known tool_search_call.
func (s *Server) requestState(req *Request) (*chainState, error) {
	var prev *chainState
	if req.PreviousResponseID != "" {
		s.chainMu.Lock()
		prev = s.chains[req.PreviousResponseID]
		s.chainMu.Unlock()
	}
	st := prev.clone()
	for i, it := range req.Input {
		id, _ := it["call_id"].(string)
		switch it["type"] {
		case "tool_search_call":
			st.searchCalls[id] = true
		case "tool_search_output":
			if id != "" && !st.searchCalls[id] && req.PreviousResponseID != "" { // rule search-output-call
				return nil, fmt.Errorf("input/%d: tool_search_output %q answers no tool_search_call of this conversation", i, id)
			}
			tools, _ := it["tools"].([]any)
			st.load(tools)
		case "mcp_approval_request": // resent by a store: false client
			rid, _ := it["id"].(string)
			st.approvals[rid] = true
		case "mcp_approval_response":
			rid, _ := it["approval_request_id"].(string)
			if !st.approvals[rid] && req.Body["conversation"] == nil { // rule mcp-approval-pending
				return nil, fmt.Errorf("input/%d: mcp_approval_response %q %w", i, rid, errApprovalPending)
			}
			delete(st.approvals, rid)
		}
	}
	return st, nil
}

// checkOutput plays a response's output against the state: hosted search
// outputs load tools, client search calls are remembered, and a function
// call to a deferred tool that no search loaded is an error of the scripted
// model (the API never emits one).
func checkOutput(st *chainState, deferred map[string]bool, output []map[string]any) error {
	for i, it := range output {
		switch it["type"] {
		case "tool_search_call":
			id, _ := it["call_id"].(string)
			st.searchCalls[id] = true
		case "tool_search_output":
			tools, _ := it["tools"].([]any)
			st.load(tools)
		case "mcp_approval_request":
			id, _ := it["id"].(string)
			st.approvals[id] = true
		case "function_call":
			ns, _ := it["namespace"].(string)
			name, _ := it["name"].(string)
			k := toolKey(ns, name)
			if ns == name && deferred[name] {
				k = name // a top-level function a hosted search loaded
			}
			if deferred[k] && !st.loaded[k] {
				return fmt.Errorf("output/%d: the scripted model called the deferred tool %q before a tool search loaded it", i, k)
			}
		}
	}
	return nil
}

// remember keeps the state of a response that others may chain to; states
// with no tool search are not kept, so plain runs cost no memory.
func (s *Server) remember(responseID string, st *chainState) {
	if st == nil || st.empty() {
		return
	}
	s.chainMu.Lock()
	if s.chains == nil {
		s.chains = map[string]*chainState{}
	}
	s.chains[responseID] = st
	s.chainMu.Unlock()
}

// playSearch checks a response's output against the conversation state and
// keeps the state for requests chained to it.
func (s *Server) playSearch(resp wireResponse, req *Request, st *chainState) error {
	if st == nil {
		st = (*chainState)(nil).clone()
	}
	if err := checkOutput(st, deferredTools(req.Tools), resp.Output); err != nil {
		return err
	}
	s.remember(resp.ID, st)
	return nil
}

// fillSearchIDs gives a tool search item of a scripted reply the fields the
// API always sends.
func (s *Server) fillSearchIDs(item map[string]any) {
	if item["id"] == nil || item["id"] == "" {
		prefix := "tsc_"
		if item["type"] == "tool_search_output" {
			prefix = "tso_"
		}
		item["id"] = s.newID(prefix)
	}
	if item["call_id"] == nil || item["call_id"] == "" {
		if item["execution"] == "client" {
			item["call_id"] = s.newID("call_")
		} else {
			item["call_id"] = nil
		}
	}
	if item["status"] == nil {
		item["status"] = "completed"
	}
	if item["execution"] == nil {
		item["execution"] = "server"
	}
	if item["type"] == "tool_search_call" && item["arguments"] == nil {
		item["arguments"] = map[string]any{}
	}
	if item["type"] == "tool_search_output" && item["tools"] == nil {
		item["tools"] = []any{}
	}
}
