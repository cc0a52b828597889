package bridge

import "encoding/json"

// toolHints are the annotations of an MCP tool that say whether a call
// may be repeated; a call's Route carries them (responses.Route.ReadOnly,
// Idempotent), for a durable runner (package bridge/bridgetemporal). task
// is set for a tool that runs only as a task (execution.taskSupport
// "required"): its calls ask for one (mcpclient.AsTask). A tool that
// merely allows tasks is called plainly: its result comes back in one
// round trip, with its progress notifications, instead of being polled for.
//
// icon is the tool's icon to show (convert.IconURL of its MCP icons).
type toolHints struct {
	readOnly, idempotent, task bool
	icon                       string
}

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
