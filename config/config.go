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
		return nil, nil, &Error{Path: path, Err: err}
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
//	VS Code:
//	  {"inputs": [...], "servers": {"wiki": {"type": "http", "url": "https://...", "headers": {...}}}}
//	LiteLLM (YAML, or the same shape in JSON):
//	  mcp_servers: {wiki: {url: "https://...", transport: http, auth_type: bearer_token, auth_value: os.environ/TOKEN}}
//
// Other top-level keys (the rest of a settings file) are ignored. A server
// with "command" is started over stdio; one with "url", "httpUrl" (always
// streamable HTTP) or "serverUrl" is reached over streamable HTTP, or over
// SSE when "type"/"transport" says "sse" or, with no type, the URL path ends
// in /sse. The README's "Config files" section lists every key understood.
//
// Strings may use ${VAR}, ${VAR:-default}, ${env:VAR}, ${input:ID},
// ${userHome}, ${workspaceFolder}, and as a whole value $VAR or
// os.environ/VAR. A variable that is not set (and has no default) is an
// error naming the server and the key; nothing is ever sent with an
// unresolved reference in it. A key that is not understood, or has no
// effect, is returned as a Warning; a value of the wrong type is an error.
// Every problem found is reported, joined, as *Error values. Servers
// are returned sorted by name; disabled ones are left out.
func Parse(data []byte) ([]bridge.Server, []Warning, error) { return Options{}.Parse(data) }

// Parse is [Parse] with these options.
func (o Options) Parse(data []byte) ([]bridge.Server, []Warning, error) {
	return parse(data, !looksLikeJSON(data), "", o)
}

// serverMapKeys are the top-level keys that hold servers, by format.
var serverMapKeys = []string{"mcpServers", "servers", "mcp_servers"}

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
	for _, key := range serverMapKeys {
		raw, ok := doc[key]
		if !ok || raw == nil {
			continue
		}
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
		return fail("", errors.New(`no "mcpServers", "servers" or "mcp_servers" object`))
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
