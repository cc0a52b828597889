// Package config reads the MCP servers of the config files people already
// have (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf, Gemini CLI,
// Cline, LiteLLM) into [bridge.Server] values:
//
//	servers, warnings, err := config.Load(".vscode/mcp.json")
//
// [Options] supplies what a file may refer to but not contain (the
// environment, VS Code's inputs, the workspace folder). Keys that are not
// used come back as [Warning] values; problems come back as [*Error] values
// naming the file, the server and the key, never a value from the file.
//
// A config file is trusted input: it names commands to run, and the
// environment variables and files whose contents go to the servers it
// names. Read only files you would run yourself.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcpbridge/mcpbridge/bridge"
)

// Options supplies what a config file may refer to but not contain.
// The zero value reads variables from the process environment.
type Options struct {
	// LookupEnv resolves ${VAR}, ${env:VAR}, $VAR and os.environ/VAR
	// (default os.LookupEnv).
	LookupEnv func(name string) (string, bool)
	// Inputs answers ${input:ID} references (VS Code prompts the user for
	// them; a program has to supply them). A reference with no value here
	// is an error naming the server, the key and the input.
	Inputs map[string]string
	// WorkspaceFolder answers ${workspaceFolder}, made absolute. When
	// empty, a config file inside a .vscode or .cursor directory uses that
	// directory's parent.
	WorkspaceFolder string
	// Dir is the directory that relative envFile paths start from.
	// Load sets it to the config file's directory when empty.
	Dir string
}

// Load reads the MCP servers of a config file written for a desktop MCP
// client, an editor or a gateway; see Parse. A file whose name ends in
// .yaml or .yml is read as YAML (LiteLLM's config.yaml), any other as JSON
// with comments and trailing commas allowed.
func Load(path string) ([]bridge.Server, []Warning, error) { return Options{}.Load(path) }

// Load is [Load] with these options.
func (o Options) Load(path string) ([]bridge.Server, []Warning, error) {
	f, err := os.Open(path)
	var data []byte
	if err == nil {
		// Bounded whatever the path is: a pipe or a device has no size to
		// check first.
		data, err = readBounded(f, maxConfigBytes)
		f.Close()
	}
	if err != nil {
		return nil, nil, &Error{Path: path, Err: newReadError(err)}
	}
	if o.Dir == "" {
		o.Dir = filepath.Dir(path)
	}
	ext := strings.ToLower(filepath.Ext(path))
	return parse(data, ext == ".yaml" || ext == ".yml", path, o)
}

// Parse reads the MCP servers of a config file in any of the formats
// people already have:
//
//	Claude Desktop, Claude Code, Cursor, Windsurf, Gemini CLI, Cline:
//	  {"mcpServers": {"files": {"command": "npx", "args": ["-y", "fs-server"]}}}
//	VS Code (.vscode/mcp.json; user settings.json holds the same under "mcp" or as "mcp.servers"):
//	  {"inputs": [...], "servers": {"wiki": {"type": "http", "url": "https://...", "headers": {...}}}}
//	LiteLLM (YAML, or the same shape in JSON):
//	  mcp_servers: {wiki: {url: "https://...", transport: http, auth_type: bearer_token, auth_value: os.environ/TOKEN}}
//
// Other top-level keys (the rest of a settings file) are ignored. A server
// with "command" is started over stdio; one with "url", "httpUrl" (always
// streamable HTTP) or "serverUrl" is reached over streamable HTTP, or over
// SSE when "type"/"transport" says "sse" or, with no type, the URL path ends
// in /sse. docs/servers.md ("Config files") lists every key understood.
//
// Strings may use ${VAR}, ${VAR:-default}, ${env:VAR}, ${input:ID},
// ${userHome}, ${workspaceFolder}, and as a whole value $VAR or
// os.environ/VAR. A variable that is not set (and has no default) is an
// error naming the server and the key; nothing is ever sent with an
// unresolved reference in it. A key that is not understood, or has no
// effect, is returned as a [Warning]; a value of the wrong type, a key
// given twice or a URL that is not http(s) is an error. Every problem
// found is reported, joined, as [*Error] values. Servers are returned
// sorted by name; disabled ones are left out.
//
// Parsing is bounded whatever data holds: at most 32 MiB (4 MiB of YAML),
// YAML aliases may expand a file to 4 times its size plus 1 MiB, and
// variables and env files may add 16 MiB in all.
func Parse(data []byte) ([]bridge.Server, []Warning, error) { return Options{}.Parse(data) }

// Parse is [Parse] with these options.
func (o Options) Parse(data []byte) ([]bridge.Server, []Warning, error) {
	return parse(data, !looksLikeJSON(data), "", o)
}

// serverMapKeys are the top-level keys that hold servers, by format. VS
// Code's user settings hold them under "mcp.servers" (see serverMaps).
var serverMapKeys = []string{"mcpServers", "servers", "mcp_servers", "mcp.servers"}

type serverMap struct {
	key   string // as errors name it
	value any
}

// serverMaps returns the objects of servers a document holds, in the
// order of serverMapKeys; VS Code's {"mcp": {"servers": ...}} counts as
// "mcp.servers".
func serverMaps(doc map[string]any) []serverMap {
	var out []serverMap
	for _, key := range serverMapKeys {
		if v, ok := doc[key]; ok && v != nil {
			out = append(out, serverMap{key, v})
		}
	}
	if mcp, ok := doc["mcp"].(map[string]any); ok && mcp["servers"] != nil {
		out = append(out, serverMap{"mcp.servers", mcp["servers"]})
	}
	return out
}

func parse(data []byte, isYAML bool, path string, o Options) ([]bridge.Server, []Warning, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	fail := func(key string, err error) ([]bridge.Server, []Warning, error) {
		return nil, nil, &Error{Path: path, Key: key, Err: err}
	}
	doc, dups, err := decodeDocument(data, isYAML)
	if err != nil {
		return fail("", err)
	}
	var errs []error
	for _, d := range dups {
		errs = append(errs, dupError(d, path))
	}
	entries := map[string]any{}
	found := false
	for _, src := range serverMaps(doc) {
		key, raw := src.key, src.value
		found = true
		m, ok := raw.(map[string]any)
		if !ok {
			return fail(key, fmt.Errorf("want an object of servers, got %s", kindOf(raw)))
		}
		for name, e := range m {
			if _, dup := entries[name]; dup {
				return fail(key, fmt.Errorf("server %q is defined twice", name))
			}
			entries[name] = e
		}
	}
	if !found {
		return fail("", errors.New(`no servers: want an object "mcpServers", "servers", "mcp_servers" or "mcp.servers"`))
	}
	vars, err := newResolver(doc, o)
	if err != nil {
		return fail("inputs", err)
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)

	var (
		servers []bridge.Server
		warns   []Warning
	)
	for _, name := range names {
		p := newEntryParser(name, path, vars, o.Dir)
		s, skip := p.parse(entries[name])
		errs = append(errs, p.errs...)
		warns = append(warns, p.warns...)
		if !skip && len(p.errs) == 0 {
			servers = append(servers, s)
		}
		if vars.exhausted() {
			break // reported once, by the entry that spent the budget
		}
	}
	if len(errs) > 0 {
		return nil, warns, errors.Join(errs...)
	}
	return servers, warns, nil
}
