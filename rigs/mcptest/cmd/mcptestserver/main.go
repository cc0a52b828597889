// Command mcptestserver is the stdio MCP server used by mcpbridge's tests,
// examples and benchmarks. See mcptest.Main for its flags and modes.
package main

import (
	"os"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func main() {
	os.Exit(mcptest.Main(os.Args[1:]))
}
