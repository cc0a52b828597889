// Command dump records the tool list of a real MCP server as test data for
// rigs/corpus. It starts the server command over stdio with mcpclient,
// runs initialize and tools/list (every page), and writes the list as a
// tools/list result, one tool per line:
//
//	dump -name memory -out rigs/corpus/testdata/memory.json \
//	     -env MEMORY_FILE_PATH=/tmp/m.json -- npx mcp-server-memory
//
// Each tool's JSON fields (inputSchema, outputSchema, annotations, _meta)
// are the server's bytes unchanged; name, title and description are
// re-encoded strings. With -manifest, the server's entry in the manifest
// (package, version, license, command, tool count, date) is added or
// replaced.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/corpus"
)

type envFlags map[string]string

func (e envFlags) String() string { return "" }

func (e envFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	e[k] = v
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dump:", err)
		os.Exit(1)
	}
}

func run() error {
	env := envFlags{}
	name := flag.String("name", "", "server name (the dump file's base name)")
	out := flag.String("out", "", "output file (default testdata/<name>.json)")
	manifest := flag.String("manifest", "", "manifest.json to update (optional)")
	pkg := flag.String("package", "", "package or module the server comes from (manifest)")
	version := flag.String("version", "", "its version (manifest)")
	license := flag.String("license", "", "its license (manifest)")
	started := flag.String("started", "", "how it was started, for people (manifest; default: the command line)")
	timeout := flag.Duration("timeout", 2*time.Minute, "time allowed for start and listing")
	flag.Var(env, "env", "KEY=VALUE added to the server's environment (repeatable; dummy values only)")
	flag.Parse()
	if *name == "" || flag.NArg() == 0 {
		return errors.New("usage: dump -name NAME [-out FILE] [-env K=V]... -- command [args...]")
	}
	if *out == "" {
		*out = "testdata/" + *name + ".json"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	c, err := mcpclient.Connect(ctx, mcpclient.Config{
		Name:      *name,
		Transport: &mcpclient.Stdio{Command: flag.Arg(0), Args: flag.Args()[1:], Env: env},
	})
	if err != nil {
		return fmt.Errorf("server %s: connect: %w", *name, err)
	}
	defer func() { _ = c.Close() }()
	tools, err := c.ListTools(ctx)
	if err != nil {
		return fmt.Errorf("server %s: tools/list: %w\nstderr:\n%s", *name, err, c.Stderr())
	}
	body, err := corpus.EncodeToolsList(tools)
	if err != nil {
		return fmt.Errorf("server %s: %w", *name, err)
	}
	if err := os.WriteFile(*out, body, 0o644); err != nil {
		return err
	}
	info := c.ServerInfo()
	fmt.Printf("%s: %d tools (%s %s) -> %s\n", *name, len(tools), info.Name, info.Version, *out)
	if *manifest == "" {
		return nil
	}
	how := *started
	if how == "" {
		how = strings.Join(flag.Args(), " ")
		for k := range env {
			how = k + "=… " + how
		}
	}
	return corpus.UpdateManifest(*manifest, corpus.Entry{
		Name:       *name,
		File:       *name + ".json",
		Package:    *pkg,
		Version:    *version,
		License:    *license,
		ServerInfo: strings.TrimSpace(info.Name + " " + info.Version),
		Started:    how,
		Tools:      len(tools),
		Bytes:      len(body),
		Date:       time.Now().UTC().Format("2006-01-02"),
	})
}
