package config

import (
	"github.com/mcpbridge/mcpbridge/bridge"
)

// toolSearch reads the keys of a config entry for large tool sets:
// "description" (the namespace's description, WithNamespaces) and
// "alwaysLoad" (true, or a list of MCP tool names, kept out of tool search).
func (p *entryParser) toolSearch(s *bridge.Server) {
	if d, ok := p.str("description"); ok {
		s.Description = p.expand("description", d)
	}
	raw, ok := p.take("alwaysLoad")
	if !ok {
		return
	}
	if all, ok := raw.(bool); ok {
		if all {
			s.AlwaysLoad = []string{"*"}
		}
		return
	}
	s.AlwaysLoad = decodeStrList(raw, func(sub, format string, args ...any) { p.fail("alwaysLoad"+sub, format, args...) })
}
