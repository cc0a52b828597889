package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mcpbridge/mcpbridge/bridge"
)

// Large tool sets: --namespaces groups each server's tools in one namespace;
// --tool-search decides whether the model gets every tool up front (off),
// finds them with a search the agent answers from a local index (client),
// or with the API's own search (hosted); auto (the default) turns client
// search on above 64 tools.

// searchMode is the --tool-search flag.
type searchMode struct{ mode bridge.ToolSearchMode }

func (m *searchMode) String() string { return string(m.mode) }

func (m *searchMode) Set(s string) error {
	switch mode := bridge.ToolSearchMode(strings.ToLower(s)); mode {
	case bridge.ToolSearchAuto, bridge.ToolSearchClient, bridge.ToolSearchHosted, "off":
		m.mode = mode
		return nil
	}
	return fmt.Errorf("want auto, client, hosted or off")
}

// toolSearchFlags registers --namespaces and --tool-search on fs; the
// returned function gives the bridge options they select once fs is parsed.
func toolSearchFlags(fs *flag.FlagSet) func() []bridge.Option {
	namespaces := fs.Bool("namespaces", false, "send each server's tools as one namespace, calling them by their own names")
	mode := &searchMode{mode: bridge.ToolSearchAuto}
	fs.Var(mode, "tool-search", "how the model finds tools: auto (client search above 64 tools), client, hosted or off")
	return func() []bridge.Option {
		opts := []bridge.Option{bridge.WithToolSearch(mode.mode)}
		if *namespaces {
			opts = append(opts, bridge.WithNamespaces())
		}
		return opts
	}
}

// callName is how the call log names a function: namespace/name when the
// function is in a namespace.
func callName(c bridge.Call) string {
	if c.Hosted != "" { // the approval of a call the API runs: hosted.go
		return c.Hosted + "/" + c.Name + " (hosted)"
	}
	if c.Namespace != "" {
		return c.Namespace + "/" + c.Name
	}
	return c.Name
}

// logSearches writes the client tool searches of a run to the log: the
// query and what it loaded.
func logSearches(w io.Writer, res *bridge.Result) {
	for _, turn := range res.Turns {
		for _, s := range turn.Searches {
			var names []string
			for _, t := range s.Tools {
				switch {
				case t.OfFunction != nil:
					names = append(names, t.OfFunction.Name)
				case t.OfNamespace != nil:
					for _, f := range t.OfNamespace.Tools {
						if f.OfFunction != nil {
							names = append(names, t.OfNamespace.Name+"/"+f.OfFunction.Name)
						}
					}
				}
			}
			fmt.Fprintf(w, "?? %s -> %s\n", clip(s.Call.Query, 100), clip(strings.Join(names, ", "), 300))
		}
	}
}
