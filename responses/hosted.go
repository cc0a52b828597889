package responses

import (
	"encoding/json"
	"fmt"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
)

// Hosted tools. A request may carry tools the API runs itself, such as the
// API's mcp tool, which reaches a remote server from the API's side. The
// loop runs none of their calls; it reports what the API did (mcp_call and
// mcp_list_tools items: [HostedCall], in Turn.Hosted, [EventHostedCall]
// and the [Observer]'s EndTurn) and answers the API's approval requests
// (mcp_approval_request items) through the run's approval policy: each
// becomes a [Call] with Hosted set that passes the hooks and the approval
// like a function call and is answered by an mcp_approval_response item in
// the next request (chained with previous_response_id, or with the whole
// conversation resent for store: false, as any output).

// HostedCall is one item of a hosted tool that the API ran itself in a
// response: a call (Type "mcp_call") or the listing of a hosted server's
// tools (Type "mcp_list_tools"). The loop only reports it.
type HostedCall struct {
	Type      string // the output item's type: "mcp_call" or "mcp_list_tools"
	ItemID    string // the output item's id
	Server    string // the hosted tool's server_label
	Name      string // mcp_call: the tool called
	Arguments string // mcp_call: the arguments as the model wrote them
	Output    string // mcp_call: what the tool returned
	// Error says why the call or the listing failed (the item's error, as
	// text); empty when it did not.
	Error string
	// Tools are the names of the tools listed (mcp_list_tools).
	Tools []string
	// ApprovalRequestID is the approval request the call ran after
	// (mcp_call); empty when it needed none.
	ApprovalRequestID string
	Status            string // the item's status, when it has one
}

// hostedTypes are the output items of hosted tools that HostedCall reports.
var hostedTypes = map[string]bool{"mcp_call": true, "mcp_list_tools": true}

// approvalType is the output item by which the API asks for the approval of
// a hosted call.
const approvalType = "mcp_approval_request"

// maxApprovals bounds the approval requests of one response that reach the
// approval policy; the ones past it are denied without asking, so a model
// (or an API) that floods a response with them cannot flood the person
// approving or the hooks.
const maxApprovals = 16

// hostedCalls collects the hosted call items of a response, in order.
func hostedCalls(resp *oai.Response) []HostedCall {
	var out []HostedCall
	for _, item := range resp.Output {
		if hostedTypes[item.Type] {
			if h, ok := hostedItem(item); ok {
				out = append(out, h)
			}
		}
	}
	return out
}

// hostedItem reads one mcp_call or mcp_list_tools item from its JSON.
func hostedItem(item oai.ResponseOutputItemUnion) (HostedCall, bool) {
	raw := item.RawJSON()
	if raw == "" {
		b, err := json.Marshal(item)
		if err != nil {
			return HostedCall{}, false
		}
		raw = string(b)
	}
	var w struct {
		Type              string          `json:"type"`
		ID                string          `json:"id"`
		ServerLabel       string          `json:"server_label"`
		Name              string          `json:"name"`
		Arguments         json.RawMessage `json:"arguments"`
		Output            json.RawMessage `json:"output"`
		Error             json.RawMessage `json:"error"`
		ApprovalRequestID json.RawMessage `json:"approval_request_id"`
		Status            json.RawMessage `json:"status"`
		Tools             []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if json.Unmarshal([]byte(raw), &w) != nil {
		// A field of an unexpected shape: keep what is plainly there.
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &m) != nil {
			return HostedCall{}, false
		}
		w.Type, w.ID, w.ServerLabel, w.Name = rawString(m["type"]), rawString(m["id"]), rawString(m["server_label"]), rawString(m["name"])
		w.Arguments, w.Output, w.Error, w.Status = m["arguments"], m["output"], m["error"], m["status"]
	}
	h := HostedCall{
		Type: w.Type, ItemID: w.ID, Server: w.ServerLabel, Name: w.Name,
		Arguments: rawString(w.Arguments), Output: rawString(w.Output), Error: errorText(w.Error),
		ApprovalRequestID: rawString(w.ApprovalRequestID), Status: rawString(w.Status),
	}
	for _, t := range w.Tools {
		h.Tools = append(h.Tools, t.Name)
	}
	return h, true
}

// errorText renders a hosted item's error: a string, or an error object's
// message (with its code when it has one).
func errorText(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return s
	}
	var e struct {
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &e) != nil {
		return ""
	}
	switch {
	case e.Message != "" && len(e.Code) > 0 && string(e.Code) != "null":
		return fmt.Sprintf("%s (%s %s)", e.Message, e.Type, e.Code)
	case e.Message != "":
		return e.Message
	}
	return e.Type
}

// approvalCall reads an mcp_approval_request item as the Call the approval
// policy sees. It has no call_id: its id pairs it with its answer.
func approvalCall(item map[string]json.RawMessage, i int, seen map[string]bool) (Call, error) {
	id, ok := jsonString(item["id"])
	if !ok || id == "" {
		return Call{}, fmt.Errorf("mcp_approval_request item %d has no id string", i)
	}
	if seen != nil {
		key := approvalType + " " + id // apart from the call ids
		if seen[key] {
			return Call{}, fmt.Errorf("mcp_approval_request item %d: id %q used twice", i, id)
		}
		seen[key] = true
	}
	c := Call{CallID: id, ItemID: id}
	c.Hosted, _ = jsonString(item["server_label"])
	c.Name, _ = jsonString(item["name"])
	switch {
	case c.Hosted == "":
		c.Hosted = "(no server_label)"
		c.malformed = "the approval request names no hosted server (server_label)"
	case c.Name == "":
		c.malformed = "the approval request names no tool"
	default:
		if c.Arguments, ok = jsonString(item["arguments"]); !ok {
			c.malformed = fmt.Sprintf("the arguments of %s were not a JSON-encoded string (got %s)", c.Name, kindOf(item["arguments"]))
		}
	}
	return c, nil
}

// boundApprovals marks the approval requests of one response past
// maxApprovals: they are denied without reaching the policy.
func boundApprovals(calls []Call) {
	n := 0
	for i := range calls {
		if calls[i].Hosted == "" {
			continue
		}
		if n++; n > maxApprovals && calls[i].malformed == "" {
			calls[i].malformed = fmt.Sprintf("more than %d approval requests in one response; this one was not considered", maxApprovals)
		}
	}
}

// approvalItem builds the mcp_approval_response answering a hosted call's
// approval request: approved only for a record that ran clean (the
// policy approved it); a denial, a refusal or an interruption says no,
// with the text the model would have read as the reason.
func approvalItem(rec CallRecord) oai.ResponseInputItemUnionParam {
	approve := !rec.Denied && rec.Err == nil && !rec.Output.IsError
	item := oai.ResponseInputItemParamOfMcpApprovalResponse(rec.Call.CallID, approve)
	if !approve && rec.Output.Text != "" {
		item.OfMcpApprovalResponse.Reason = openai.String(rec.Output.Text)
	}
	return item
}

// refusedHosted is Refused for a hosted call's approval request: the ones
// the loop denies without asking the policy.
func (l *Loop) refusedHosted(c Call) (CallRecord, bool) {
	switch {
	case c.malformed != "":
		return l.Denied(c, c.malformed), true
	case c.Route.Server == "":
		return l.Denied(c, fmt.Sprintf("%q of the hosted server %q is not a tool this run offers", c.Name, c.Hosted)), true
	case c.Arguments != "" && !jsonValid(c.Arguments):
		return l.Denied(c, "its arguments are not valid JSON"), true
	}
	return CallRecord{}, false
}
