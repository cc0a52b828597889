package bridge

import "encoding/json"

// toolHints are the annotations of an MCP tool that say whether a call
// may be repeated; a call's Route carries them (responses.Route.ReadOnly,
// Idempotent), for a durable runner (package bridge/bridgetemporal).
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
