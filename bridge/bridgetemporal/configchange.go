package bridgetemporal

import (
	"fmt"

	"github.com/mcpbridge/mcpbridge/responses"
)

// rerouted checks a call that reaches a worker whose tool set is not the
// one the call was made from (the worker's config, or its servers' tools,
// changed since: a redeploy between a worker's death and the retry). The
// call runs only when this worker routes it to the same server and tool
// as the run's tool set did; otherwise the error, which the model reads,
// names what is missing, and the call is not run.
func (a *Activities) rerouted(tb *toolBox, c responses.Call) error {
	want := c.Route
	if want.Server == "" {
		return nil // routed nowhere when made: Execute answers it as unknown
	}
	var got responses.Route
	if router, ok := tb.box.Exec.(responses.Router); ok {
		got = router.Route(c)
	}
	if got.Server == want.Server && got.Tool == want.Tool {
		return nil
	}
	fn := c.Name
	if c.Namespace != "" {
		fn = c.Namespace + "/" + c.Name
	}
	const changed = "this worker's config or its servers' tools changed since the call was made; the call was not run"
	switch {
	case got.Server != "":
		return fmt.Errorf("%s: made for tool %q of MCP server %q, but this worker sends it to tool %q of MCP server %q: %s",
			fn, want.Tool, want.Server, got.Tool, got.Server, changed)
	case a.hasServer(want.Server):
		return fmt.Errorf("%s: MCP server %q offers no tool %q on this worker: %s", fn, want.Server, want.Tool, changed)
	default:
		return fmt.Errorf("%s: this worker has no MCP server %q connected: %s", fn, want.Server, changed)
	}
}

// hasServer reports whether the worker's Bridge has a server of that name
// with tools.
func (a *Activities) hasServer(name string) bool {
	for _, r := range a.b.Routes() {
		if r.Server == name {
			return true
		}
	}
	return false
}
