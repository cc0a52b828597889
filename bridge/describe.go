package bridge

import (
	"encoding/json"

	"github.com/mcpbridge/mcpbridge/responses"
)

// ToolInfo is what the tool set of a turn knows of the tool a call names,
// before the call runs: where it goes, whether its server says running it
// again is harmless, and whether the server's config approves it. A
// durable runner (package bridge/bridgetemporal) decides from it whether a
// call may be retried.
type ToolInfo struct {
	// Function is the function as the model calls it ("namespace/name"
	// inside a namespace); Server and Tool are where it goes.
	Function, Server, Tool string
	// ReadOnly and Idempotent are the tool's readOnlyHint and
	// idempotentHint annotations as its server listed them: hints, which
	// a server can get wrong, so a caller that retries on them trusts the
	// server.
	ReadOnly, Idempotent bool
	// Preapproved: the server's config auto-approves the tool (see
	// Server.AutoApprove).
	Preapproved bool
}

// toolHints are the annotations of an MCP tool that say whether a call
// may be repeated.
type toolHints struct{ readOnly, idempotent bool }

func hintsOf(raw json.RawMessage) toolHints {
	var a struct {
		ReadOnly   *bool `json:"readOnlyHint"`
		Idempotent *bool `json:"idempotentHint"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &a) != nil {
		return toolHints{}
	}
	return toolHints{readOnly: a.ReadOnly != nil && *a.ReadOnly, idempotent: a.Idempotent != nil && *a.Idempotent}
}

// Describe returns what box, a Toolbox of a Bridge ([Bridge.Toolbox]),
// knows of the tool call names, found as the call would be routed; false
// when box is not a Bridge's or names no tool of its set.
func Describe(box responses.Toolbox, call Call) (ToolInfo, bool) {
	e, ok := box.Exec.(*turnExec)
	if !ok {
		return ToolInfo{}, false
	}
	r := e.ts.find(call)
	if r == nil {
		return ToolInfo{}, false
	}
	return ToolInfo{
		Function: r.key, Server: r.fn.Server, Tool: r.fn.Tool,
		ReadOnly: r.hints.readOnly, Idempotent: r.hints.idempotent,
		Preapproved: autoApproved(r.conn.srv.AutoApprove, r.fn.Tool),
	}, true
}
