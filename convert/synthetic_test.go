package convert

import "github.com/mcpbridge/mcpbridge/rigs/schemagen"

// syntheticTools returns schemagen.Tools as convert tools.
func syntheticTools(n int, seed int64) []Tool {
	gen := schemagen.Tools(n, seed)
	out := make([]Tool, len(gen))
	for i, t := range gen {
		out[i] = Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema}
	}
	return out
}

// syntheticServers returns schemagen.Servers as convert server tool lists.
func syntheticServers(servers, n int, seed int64) []ServerTools {
	gen := schemagen.Servers(servers, n, seed)
	out := make([]ServerTools, len(gen))
	for i, s := range gen {
		out[i].Server = s.Name
		for _, t := range s.Tools {
			out[i].Tools = append(out[i].Tools, Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema})
		}
	}
	return out
}
