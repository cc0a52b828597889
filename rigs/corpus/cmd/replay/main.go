// Command replay is a stdio MCP server that serves a tool list recorded by
// cmd/dump, as recorded, and answers tools/call with a short text:
//
//	replay [-name NAME] [-page N] testdata/memory.json
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcpbridge/mcpbridge/rigs/corpus"
)

func main() {
	name := flag.String("name", "", "serverInfo name (default: the dump's base name)")
	page := flag.Int("page", 0, "tools per tools/list page (0: the whole recorded result at once)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: replay [-name NAME] [-page N] DUMP.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(flag.Arg(0)), ".json")
	}
	r := &corpus.Replay{Name: *name, Result: raw, PageSize: *page}
	if err := r.Serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}
