package responsestest

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// LoadedTool is a function a tool_search_output loaded.
type LoadedTool struct {
	Namespace string // "" for a top-level function
	Name      string
}

// SearchModel is a scripted model that finds its tools with client tool
// search: a new conversation gets a tool_search_call (execution "client")
// with the arguments {"query": Query(prompt)}; when the client's
// tool_search_output arrives the model calls Pick(loaded tools) with
// Arguments (a namespaced tool is called with the function_call's namespace
// field); when that output arrives it answers with DefaultAnswer. It reads
// the state of a conversation from the trailing items of each request, so
// it works chained with previous_response_id and resent whole (store:
// false), and many conversations may run at once.
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
			return Text("The tool search found nothing I can use.")
		}
		id := "call_s" + strconv.FormatInt(m.ids.Add(1), 10)
		m.names.Store(id, lt)
		item := FunctionCall{Name: lt.Name, Arguments: m.args(), CallID: id}.item()
		if lt.Namespace != "" {
			item["namespace"] = lt.Namespace
		}
		return Reply{Output: []map[string]any{item}}
	}
	q := req.Prompt()
	if m.Query != nil {
		q = m.Query(q)
	}
	return ToolSearch(q)
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
