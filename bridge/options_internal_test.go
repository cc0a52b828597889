package bridge

import (
	"github.com/mcpbridge/mcpbridge/convert"
)

// Settings the tests reach that programs do not: they tune what the
// public options leave at their defaults.

func withoutPrefix() Option {
	return WithNames(func(_, tool string) string { return tool })
}

func withSeparator(sep string) Option {
	return WithNames(func(server, tool string) string { return server + sep + tool })
}

func withSearchThreshold(n int) Option {
	return bridgeOption(func(c *config) { c.search.threshold = n })
}

func withSearchResults(k int) Option {
	return bridgeOption(func(c *config) { c.search.results = k })
}

func withMaxConcurrency(n int) RunOption {
	return runOption(func(r *runConfig) { r.loop.MaxConcurrency = n })
}

// functionTools are the converted tools of the current tool set.
func functionTools(b *Bridge) []convert.FunctionTool {
	return append([]convert.FunctionTool(nil), b.current.Load().set.Tools...)
}

// strictIf is WithStrict when on, else no option.
func strictIf(on bool) Option {
	if on {
		return WithStrict()
	}
	return nil
}
