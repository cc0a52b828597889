package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses"
)

// Hosted servers ("hosted": true in the config) are reached by the
// Responses API itself. Their calls show as tool lines like the bridge's
// own: "<= server/tool (hosted) ..." for each call or listing the API
// reports, and the approval the API asks for goes through
// --require-approval like any call (callName marks it hosted).

// hostedLine is the log line of a call (or a listing) the API ran itself.
func hostedLine(h *responses.HostedCall) string {
	if h.Type == "mcp_list_tools" {
		if h.Error != "" {
			return fmt.Sprintf("<= %s (hosted) listing failed: %s", clip(h.Server, 100), clip(h.Error, 200))
		}
		return fmt.Sprintf("<= %s (hosted) lists %d tools: %s", clip(h.Server, 100), len(h.Tools), clip(strings.Join(h.Tools, ", "), 200))
	}
	head := fmt.Sprintf("<= %s/%s (hosted) %s", clip(h.Server, 100), clip(h.Name, 100), clip(h.Arguments, 200))
	if h.Error != "" {
		return head + " error: " + clip(h.Error, 200)
	}
	return head + " ok: " + clip(h.Output, 200)
}

// logHosted writes the hosted calls of a run that was not streamed.
func logHosted(w io.Writer, res *bridge.Result) {
	for _, turn := range res.Turns {
		for i := range turn.Hosted {
			fmt.Fprintln(w, hostedLine(&turn.Hosted[i]))
		}
	}
}
