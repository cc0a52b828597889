package responsestest

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The API's hosted mcp tool: a request may carry tools of type "mcp" that
// the API reaches itself. The API lists the server's tools (an
// mcp_list_tools item), then either runs a call at once (an mcp_call item)
// or, when the tool's require_approval asks for it, ends the response with
// an mcp_approval_request item and runs the call once the next request
// approves it with an mcp_approval_response item. HostedModel plays that;
// the server checks that every approval response answers an approval
// request still pending in the conversation (rule mcp-approval-pending).

// HostedServer is a remote MCP server as the fake API reaches it for the
// request's mcp tool with the same server_label.
type HostedServer struct {
	Label string // the server_label of the mcp tool it answers
	Tools []HostedTool
	// ListError, when set, makes the listing fail: the mcp_list_tools item
	// carries it as its error and no tool of the server is called.
	ListError string
}

// HostedTool is one tool of a HostedServer.
type HostedTool struct {
	Name        string
	Description string
	// ReadOnly is the tool's readOnlyHint annotation, which the read_only
	// filters of allowed_tools and require_approval match.
	ReadOnly bool
	// Run answers a call: its output, or the error the mcp_call item
	// carries. Nil answers every call with "ok: " and the arguments.
	Run func(arguments string) (string, error)
}

// MCPCall is a call the scripted model makes on a hosted mcp tool.
type MCPCall struct {
	Server    string // the mcp tool's server_label
	Name      string // the tool
	Arguments string // JSON text; "" is sent as "{}"
}

// HostedModel is a scripted model for requests that carry the API's hosted
// mcp tools, played the way the API plays them. When a conversation starts
// it lists the tools of every mcp tool of the request (an mcp_list_tools
// item each), then makes Calls: a call the tool's require_approval exempts
// runs at once (an mcp_call item with the tool's output); the others end
// the response with an mcp_approval_request item each. Functions are
// function calls made in the same response, for runs that mix hosted and
// client-run tools. When the approvals (mcp_approval_response items) and
// function outputs arrive, it runs the approved calls (mcp_call items
// that name their approval request) and answers with a message listing
// every result, by default "Hosted results: server/name(args) -> output;
// ...". A call to a server the request has no mcp tool for, or to a tool
// its allowed_tools leaves out, is not made: the API would not let the
// model make it.
type HostedModel struct {
	Servers   []HostedServer
	Calls     []MCPCall
	Functions []FunctionCall
	// Answer, when set, writes the final text from the results, one line
	// per call in the form of the default answer.
	Answer func(results []string) string

	once    sync.Once
	ids     atomic.Int64
	mu      sync.Mutex
	pending map[string]MCPCall      // approval request id -> the call
	calls   map[string]FunctionCall // call_id -> function call made
	// carried are the results of calls run at once in a response that
	// also waits for answers, by the id of its first request or call.
	carried map[string][]string
}

// Handler returns the Handler that plays the model.
func (m *HostedModel) Handler() Handler {
	m.once.Do(func() {
		m.pending = make(map[string]MCPCall)
		m.calls = make(map[string]FunctionCall)
		m.carried = make(map[string][]string)
	})
	return m.handle
}

func (m *HostedModel) handle(req *Request) Reply {
	tools := mcpTools(req.Tools)
	var answers []map[string]any
	for i := len(req.Input) - 1; i >= 0; i-- {
		t := req.Input[i]["type"]
		if t != "mcp_approval_response" && t != "function_call_output" {
			break
		}
		answers = append([]map[string]any{req.Input[i]}, answers...)
	}
	if len(answers) == 0 {
		return m.start(tools)
	}
	return m.finish(tools, answers)
}

// start lists the hosted tools and makes the calls.
func (m *HostedModel) start(tools map[string]map[string]any) Reply {
	var out []map[string]any
	var results []string
	labels := make([]string, 0, len(tools))
	for l := range tools {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		out = append(out, m.listItem(l, tools[l]))
	}
	first := "" // the first id the next request answers
	approvals := 0
	for _, c := range m.Calls {
		t, srv := tools[c.Server], m.server(c.Server)
		if t == nil || srv == nil || srv.ListError != "" {
			continue
		}
		tool := srv.tool(c.Name)
		if tool == nil || !toolAllowed(t, tool) {
			continue
		}
		if c.Arguments == "" {
			c.Arguments = "{}"
		}
		if !needsApproval(t, tool) {
			item, line := runHosted(c, tool, "")
			out, results = append(out, item), append(results, line)
			continue
		}
		id := "mcpr_" + strconv.FormatInt(m.ids.Add(1), 10)
		m.mu.Lock()
		m.pending[id] = c
		m.mu.Unlock()
		if first == "" {
			first = id
		}
		out = append(out, map[string]any{"type": "mcp_approval_request", "id": id,
			"server_label": c.Server, "name": c.Name, "arguments": c.Arguments})
		approvals++
	}
	for _, f := range m.Functions {
		f.CallID = "call_h" + strconv.FormatInt(m.ids.Add(1), 10)
		if f.Arguments == "" {
			f.Arguments = "{}"
		}
		m.mu.Lock()
		m.calls[f.CallID] = f
		m.mu.Unlock()
		out = append(out, f.item())
		if first == "" {
			first = f.CallID
		}
	}
	if first == "" {
		out = append(out, messageItem(m.answer(results)))
	} else if len(results) > 0 {
		m.mu.Lock()
		m.carried[first] = results
		m.mu.Unlock()
	}
	return Reply{Output: out}
}

// finish runs the approved calls and answers.
func (m *HostedModel) finish(tools map[string]map[string]any, answers []map[string]any) Reply {
	var out []map[string]any
	var results []string
	for _, a := range answers {
		for _, key := range []string{"call_id", "approval_request_id"} {
			if id, _ := a[key].(string); id != "" {
				m.mu.Lock()
				results = append(results, m.carried[id]...)
				delete(m.carried, id)
				m.mu.Unlock()
			}
		}
		if a["type"] == "function_call_output" {
			id, _ := a["call_id"].(string)
			m.mu.Lock()
			f, ok := m.calls[id]
			delete(m.calls, id)
			m.mu.Unlock()
			if !ok {
				f = FunctionCall{Name: "unknown", CallID: id}
			}
			results = append(results, fmt.Sprintf("%s(%s) -> %s", f.Name, f.Arguments, outputText(a["output"])))
			continue
		}
		id, _ := a["approval_request_id"].(string)
		m.mu.Lock()
		c, ok := m.pending[id]
		delete(m.pending, id)
		m.mu.Unlock()
		if !ok {
			continue // the server refused the request already (rule mcp-approval-pending)
		}
		if a["approve"] != true {
			reason, _ := a["reason"].(string)
			results = append(results, fmt.Sprintf("%s/%s(%s) denied: %s", c.Server, c.Name, c.Arguments, reason))
			continue
		}
		tool := (*HostedTool)(nil)
		if srv := m.server(c.Server); srv != nil && tools[c.Server] != nil {
			tool = srv.tool(c.Name)
		}
		if tool == nil {
			results = append(results, fmt.Sprintf("%s/%s(%s) failed: the request no longer has this mcp tool", c.Server, c.Name, c.Arguments))
			continue
		}
		item, line := runHosted(c, tool, id)
		out, results = append(out, item), append(results, line)
	}
	out = append(out, messageItem(m.answer(results)))
	return Reply{Output: out}
}

func (m *HostedModel) answer(results []string) string {
	if m.Answer != nil {
		return m.Answer(results)
	}
	return "Hosted results: " + strings.Join(results, "; ")
}

func (m *HostedModel) server(label string) *HostedServer {
	for i := range m.Servers {
		if m.Servers[i].Label == label {
			return &m.Servers[i]
		}
	}
	return nil
}

func (s *HostedServer) tool(name string) *HostedTool {
	for i := range s.Tools {
		if s.Tools[i].Name == name {
			return &s.Tools[i]
		}
	}
	return nil
}

// listItem is the mcp_list_tools item of one mcp tool of the request: the
// server's tools its allowed_tools lets through, or the listing's error.
func (m *HostedModel) listItem(label string, t map[string]any) map[string]any {
	item := map[string]any{"type": "mcp_list_tools", "server_label": label, "tools": []any{}}
	srv := m.server(label)
	switch {
	case srv == nil:
		item["error"] = "responsestest: no HostedServer with server_label " + strconv.Quote(label)
	case srv.ListError != "":
		item["error"] = srv.ListError
	default:
		var list []any
		for i := range srv.Tools {
			tool := &srv.Tools[i]
			if !toolAllowed(t, tool) {
				continue
			}
			entry := map[string]any{"name": tool.Name, "input_schema": map[string]any{"type": "object"},
				"annotations": map[string]any{"readOnlyHint": tool.ReadOnly}}
			if tool.Description != "" {
				entry["description"] = tool.Description
			}
			list = append(list, entry)
		}
		if list != nil {
			item["tools"] = list
		}
	}
	return item
}

// runHosted runs one call and returns its mcp_call item and result line.
func runHosted(c MCPCall, tool *HostedTool, approvalID string) (map[string]any, string) {
	out, err := "ok: "+c.Arguments, error(nil)
	if tool.Run != nil {
		out, err = tool.Run(c.Arguments)
	}
	item := map[string]any{"type": "mcp_call", "server_label": c.Server, "name": c.Name,
		"arguments": c.Arguments, "status": "completed", "output": out, "error": nil}
	if approvalID != "" {
		item["approval_request_id"] = approvalID
	}
	line := fmt.Sprintf("%s/%s(%s) -> %s", c.Server, c.Name, c.Arguments, out)
	if err != nil {
		item["status"], item["output"] = "failed", nil
		item["error"] = map[string]any{"type": "mcp_tool_execution_error", "content": []any{
			map[string]any{"type": "input_text", "text": err.Error()}}}
		line = fmt.Sprintf("%s/%s(%s) failed: %v", c.Server, c.Name, c.Arguments, err)
	}
	return item, line
}

// mcpTools maps server_label to the request's mcp tools.
func mcpTools(tools []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, t := range tools {
		if t["type"] == "mcp" {
			if l, _ := t["server_label"].(string); l != "" {
				out[l] = t
			}
		}
	}
	return out
}

// toolAllowed applies an mcp tool's allowed_tools to one of its tools.
func toolAllowed(t map[string]any, tool *HostedTool) bool {
	switch a := t["allowed_tools"].(type) {
	case []any:
		for _, n := range a {
			if n == tool.Name {
				return true
			}
		}
		return false
	case map[string]any:
		return filterMatches(a, tool)
	}
	return true
}

// needsApproval applies an mcp tool's require_approval ("always" when
// absent, as the API's default) to one of its tools: a filter object's
// never list exempts a tool, anything else asks.
func needsApproval(t map[string]any, tool *HostedTool) bool {
	switch r := t["require_approval"].(type) {
	case string:
		return r != "never"
	case map[string]any:
		if never, ok := r["never"].(map[string]any); ok && filterMatches(never, tool) {
			return false
		}
	}
	return true
}

// filterMatches reports whether an MCP tool filter ({tool_names, read_only})
// matches a tool: every criterion it gives must hold; an empty filter
// matches nothing.
func filterMatches(f map[string]any, tool *HostedTool) bool {
	names, hasNames := f["tool_names"].([]any)
	ro, hasRO := f["read_only"].(bool)
	if !hasNames && !hasRO {
		return false
	}
	if hasNames {
		found := false
		for _, n := range names {
			found = found || n == tool.Name
		}
		if !found {
			return false
		}
	}
	return !hasRO || ro == tool.ReadOnly
}

// streamHosted sends the events of a hosted mcp item between its
// output_item.added and output_item.done, as the API does.
func streamHosted(e *sseWriter, i int, id string, item map[string]any) {
	at := func(m map[string]any) map[string]any {
		m["item_id"], m["output_index"] = id, i
		return m
	}
	switch item["type"] {
	case "mcp_list_tools":
		e.send("response.mcp_list_tools.in_progress", at(map[string]any{}))
		if item["error"] != nil {
			e.send("response.mcp_list_tools.failed", at(map[string]any{}))
			return
		}
		e.send("response.mcp_list_tools.completed", at(map[string]any{}))
	case "mcp_call":
		args, _ := item["arguments"].(string)
		for _, d := range chunks(args, 16) {
			e.send("response.mcp_call_arguments.delta", at(map[string]any{"delta": d}))
		}
		e.send("response.mcp_call_arguments.done", at(map[string]any{"arguments": args}))
		e.send("response.mcp_call.in_progress", at(map[string]any{}))
		if item["status"] == "failed" {
			e.send("response.mcp_call.failed", at(map[string]any{}))
			return
		}
		e.send("response.mcp_call.completed", at(map[string]any{}))
	}
}

// fillHostedIDs gives a hosted mcp item of a scripted reply the id the API
// always sends.
func (s *Server) fillHostedIDs(item map[string]any) {
	if item["id"] != nil && item["id"] != "" {
		return
	}
	prefix := map[string]string{"mcp_call": "mcp_", "mcp_list_tools": "mcpl_", "mcp_approval_request": "mcpr_"}[item["type"].(string)]
	item["id"] = s.newID(prefix)
}

// checkHostedRules applies the mcp-* rules to a request.
func checkHostedRules(body map[string]any, p *problems) {
	tools, _ := body["tools"].([]any)
	labels := map[string]int{}
	for i, t := range tools {
		m, _ := t.(map[string]any)
		if m["type"] != "mcp" {
			continue
		}
		path := fmt.Sprintf("/tools/%d", i)
		label, _ := m["server_label"].(string)
		if j, dup := labels[label]; dup { // rule mcp-label-unique
			p.add(path+"/server_label", "server_label %q is also the label of /tools/%d", label, j)
		} else {
			labels[label] = i
		}
		given := 0
		for _, k := range []string{"server_url", "connector_id", "tunnel_id"} {
			if v, ok := m[k].(string); ok && v != "" {
				given++
			}
		}
		if given != 1 { // rule mcp-server
			p.add(path, "an mcp tool takes exactly one of server_url, connector_id or tunnel_id")
		}
	}
	items, _ := body["input"].([]any)
	_, chained := body["previous_response_id"].(string)
	_, conv := body["conversation"]
	requests := map[string]bool{}
	for i, it := range items {
		m, _ := it.(map[string]any)
		switch m["type"] {
		case "mcp_approval_request":
			id, _ := m["id"].(string)
			requests[id] = true
		case "mcp_approval_response":
			id, _ := m["approval_request_id"].(string)
			if !chained && !conv && !requests[id] { // rule mcp-approval-pending
				p.add(fmt.Sprintf("/input/%d/approval_request_id", i), "mcp_approval_response %q answers no mcp_approval_request before it", id)
			}
			delete(requests, id)
		}
	}
}

// errApprovalPending is the rule mcp-approval-pending of a chained request.
var errApprovalPending = errors.New("answers no pending mcp_approval_request of this conversation")
