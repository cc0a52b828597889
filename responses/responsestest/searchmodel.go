package responsestest

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// LoadedTool is a function a tool_search_output loaded.
type LoadedTool struct {
	Namespace string // "" for a top-level function
	Name      string
}

// SearchModel is a scripted model that finds its tools with tool search.
// With a client tool_search tool, a new conversation gets a
// tool_search_call (execution "client") with the arguments
// {"query": Query(prompt)}; when the client's tool_search_output arrives
// the model calls Pick(loaded tools) with Arguments. With a hosted one
// (execution "server"), the model searches the request's deferred tools
// itself, as the API does, and answers in one response with the
// tool_search_call, the tool_search_output holding the matches and the
// call to Pick(matches). A namespaced function is called with the
// function_call's namespace field; a deferred top-level function the
// hosted search loaded is called with namespace set to its own name, the
// shape the API uses for it. When the call's output arrives the model
// answers with DefaultAnswer. It reads the state of a conversation from
// the trailing items of each request, so it works chained with
// previous_response_id and resent whole (store: false), and many
// conversations may run at once.
type SearchModel struct {
	Query     func(prompt string) string                   // default: the prompt itself
	Pick      func(loaded []LoadedTool) (LoadedTool, bool) // default: the first loaded tool
	Arguments string                                       // JSON text; default "{}"

	ids   atomic.Int64
	names sync.Map // call id -> LoadedTool, until its output arrives
}

// Handler returns the Handler that plays the model.
func (m *SearchModel) Handler() Handler { return m.handle }

func (m *SearchModel) handle(req *Request) Reply {
	var trailing []map[string]any
	for i := len(req.Input) - 1; i >= 0; i-- {
		t := req.Input[i]["type"]
		if t != "function_call_output" && t != "tool_search_output" {
			break
		}
		trailing = append([]map[string]any{req.Input[i]}, trailing...)
	}
	var results []ToolResult
	var loaded []LoadedTool
	for _, it := range trailing {
		id, _ := it["call_id"].(string)
		if it["type"] == "function_call_output" {
			name := id
			if v, ok := m.names.LoadAndDelete(id); ok {
				lt := v.(LoadedTool)
				name = toolKey(lt.Namespace, lt.Name)
			}
			results = append(results, ToolResult{Name: name, Arguments: m.args(), CallID: id, Output: outputText(it["output"])})
			continue
		}
		tools, _ := it["tools"].([]any)
		loaded = append(loaded, loadedTools(tools)...)
	}
	switch {
	case len(results) > 0:
		return Text(DefaultAnswer(results))
	case len(trailing) > 0:
		item, ok := m.call(loaded, false)
		if !ok {
			return Text("The tool search found nothing I can use.")
		}
		return Reply{Output: []map[string]any{item}}
	}
	q := req.Prompt()
	if m.Query != nil {
		q = m.Query(q)
	}
	if hostedSearch(req.Tools) {
		return m.hosted(req.Tools, q)
	}
	return ToolSearch(q)
}

// call is the function_call of the tool Pick chooses among loaded; hosted
// says a hosted search loaded it.
func (m *SearchModel) call(loaded []LoadedTool, hosted bool) (map[string]any, bool) {
	pick := m.Pick
	if pick == nil {
		pick = func(l []LoadedTool) (LoadedTool, bool) {
			if len(l) == 0 {
				return LoadedTool{}, false
			}
			return l[0], true
		}
	}
	lt, ok := pick(loaded)
	if !ok {
		return nil, false
	}
	id := "call_s" + strconv.FormatInt(m.ids.Add(1), 10)
	m.names.Store(id, lt)
	item := FunctionCall{Name: lt.Name, Arguments: m.args(), CallID: id}.item()
	switch {
	case lt.Namespace != "":
		item["namespace"] = lt.Namespace
	case hosted:
		item["namespace"] = lt.Name
	}
	return item, true
}

// hosted plays the API's own tool search over the request's deferred
// tools: the search items and the call, in one response.
func (m *SearchModel) hosted(tools []map[string]any, query string) Reply {
	found := searchDeferred(tools, query)
	out := []map[string]any{
		{"type": "tool_search_call", "execution": "server", "arguments": map[string]any{"query": query}, "status": "completed"},
		{"type": "tool_search_output", "execution": "server", "tools": found, "status": "completed"},
	}
	item, ok := m.call(loadedTools(found), true)
	if !ok {
		return Reply{Output: out}.WithText("The tool search found nothing I can use.")
	}
	return Reply{Output: append(out, item)}
}

// hostedSearch reports whether tools hold a tool_search tool the API runs.
func hostedSearch(tools []map[string]any) bool {
	for _, t := range tools {
		if t["type"] == "tool_search" && t["execution"] != "client" {
			return true
		}
	}
	return false
}

// maxHostedResults bounds the tools one hosted search loads.
const maxHostedResults = 5

// searchDeferred returns the deferred tools of a request that match query,
// best first, as the tool_search_output of a hosted search lists them: a
// top-level function as it was sent, a namespace with only its matching
// functions. A tool matches by the query words found in its name and
// description; with no match at all, the first deferred tools are loaded.
func searchDeferred(tools []map[string]any, query string) []any {
	words := strings.Fields(strings.ToLower(query))
	type hit struct {
		space map[string]any // the namespace tool, or nil
		fn    map[string]any
		score int
	}
	var hits []hit
	for _, t := range tools {
		switch t["type"] {
		case "function":
			if t["defer_loading"] == true {
				hits = append(hits, hit{fn: t, score: matchScore(t, words)})
			}
		case "namespace":
			inner, _ := t["tools"].([]any)
			for _, f := range inner {
				if fm, _ := f.(map[string]any); fm["defer_loading"] == true {
					hits = append(hits, hit{space: t, fn: fm, score: matchScore(fm, words)})
				}
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	if len(hits) > maxHostedResults {
		hits = hits[:maxHostedResults]
	}
	var out []any
	spaces := map[string]map[string]any{}
	for _, h := range hits {
		if h.space == nil {
			out = append(out, h.fn)
			continue
		}
		name, _ := h.space["name"].(string)
		ns := spaces[name]
		if ns == nil {
			ns = map[string]any{"type": "namespace", "name": name, "description": h.space["description"], "tools": []any{}}
			spaces[name] = ns
			out = append(out, ns)
		}
		ns["tools"] = append(ns["tools"].([]any), h.fn)
	}
	return out
}

func matchScore(fn map[string]any, words []string) int {
	name, _ := fn["name"].(string)
	desc, _ := fn["description"].(string)
	text := strings.ToLower(name + " " + desc)
	n := 0
	for _, w := range words {
		if strings.Contains(text, w) {
			n++
		}
	}
	return n
}

func (m *SearchModel) args() string {
	if m.Arguments == "" {
		return "{}"
	}
	return m.Arguments
}

// ToolSearch is a completed response whose output is one client
// tool_search_call with the arguments {"query": query}.
func ToolSearch(query string) Reply {
	return Reply{Output: []map[string]any{{
		"type":      "tool_search_call",
		"execution": "client",
		"arguments": map[string]any{"query": query},
		"status":    "completed",
	}}}
}

// loadedTools lists the functions of a tool_search_output's tools.
func loadedTools(tools []any) []LoadedTool {
	var out []LoadedTool
	for _, t := range tools {
		m, _ := t.(map[string]any)
		name, _ := m["name"].(string)
		switch m["type"] {
		case "function":
			out = append(out, LoadedTool{Name: name})
		case "namespace":
			inner, _ := m["tools"].([]any)
			for _, f := range inner {
				fm, _ := f.(map[string]any)
				fn, _ := fm["name"].(string)
				out = append(out, LoadedTool{Namespace: name, Name: fn})
			}
		}
	}
	return out
}
