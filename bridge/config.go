package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// ErrConfig is wrapped by every error ParseConfig and LoadConfig return.
var ErrConfig = errors.New("invalid MCP server config")

// serverEntry is one server in the "mcpServers" config format used by
// desktop MCP clients, plus the bridge's own allowTools/denyTools.
type serverEntry struct {
	Command    string            `json:"command"`
	Args       []string          `json:"args"`
	Env        map[string]string `json:"env"`
	Cwd        string            `json:"cwd"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers"`
	Type       string            `json:"type"`
	Transport  string            `json:"transport"`
	Disabled   bool              `json:"disabled"`
	InheritEnv bool              `json:"inheritEnv"`
	AllowTools []string          `json:"allowTools"`
	DenyTools  []string          `json:"denyTools"`
	// Client features beyond tools (config_features.go).
	Roots     []json.RawMessage `json:"roots"`
	Resources bool              `json:"resources"`
	Prompts   bool              `json:"prompts"`
	LogLevel  string            `json:"logLevel"`
}

// LoadConfig reads a config file in the "mcpServers" format; see ParseConfig.
func LoadConfig(path string, lookup func(string) (string, bool)) ([]Server, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	servers, err := ParseConfig(data, lookup)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return servers, nil
}

// ParseConfig parses the JSON server list used by desktop MCP clients:
//
//	{"mcpServers": {
//	  "files":  {"command": "npx", "args": ["-y", "some-server", "${HOME}/docs"], "env": {"TOKEN": "${TOKEN}"}, "cwd": "/tmp"},
//	  "remote": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ${API_TOKEN}"}, "type": "http"}
//	}}
//
// A server with "command" is started over stdio; one with "url" is reached
// over streamable HTTP, or over SSE when "type" (or "transport") is "sse".
// "${VAR}" and "${env:VAR}" in commands, arguments, env values, cwd, URLs
// and header values are replaced using lookup (os.LookupEnv when nil); a
// variable that is not set is an error naming the server and the field.
// "disabled": true skips a server. The bridge's own keys: "allowTools" and
// "denyTools" (lists of MCP tool names) and "inheritEnv" (pass the whole
// parent environment to a stdio server). Servers are returned sorted by name.
func ParseConfig(data []byte, lookup func(string) (string, bool)) ([]Server, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var doc struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if doc.MCPServers == nil {
		return nil, fmt.Errorf("%w: no \"mcpServers\" object", ErrConfig)
	}
	names := make([]string, 0, len(doc.MCPServers))
	for name := range doc.MCPServers {
		names = append(names, name)
	}
	sort.Strings(names)
	servers := make([]Server, 0, len(names))
	for _, name := range names {
		s, skip, err := parseEntry(name, doc.MCPServers[name], lookup)
		if err != nil {
			return nil, err
		}
		if !skip {
			servers = append(servers, s)
		}
	}
	return servers, nil
}

func parseEntry(name string, raw json.RawMessage, lookup func(string) (string, bool)) (Server, bool, error) {
	fail := func(field, format string, args ...any) (Server, bool, error) {
		return Server{}, false, fmt.Errorf("%w: server %q: %s: %s", ErrConfig, name, field, fmt.Sprintf(format, args...))
	}
	if name == "" {
		return fail("name", "empty server name")
	}
	var e serverEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&e); err != nil {
		return fail("entry", "%v", err)
	}
	if e.Disabled {
		return Server{}, true, nil
	}
	x := expander{lookup: lookup}
	s := Server{AllowTools: e.AllowTools, DenyTools: e.DenyTools}
	s.Name = name
	if field, err := applyFeatures(&s, &e, &x); err != nil {
		return fail(field, "%v", err)
	}
	kind := strings.ToLower(e.Type)
	if kind == "" {
		kind = strings.ToLower(e.Transport)
	}
	switch {
	case e.Command != "" && e.URL != "":
		return fail("command", "has both \"command\" and \"url\"")
	case e.Command != "":
		if kind != "" && kind != "stdio" {
			return fail("type", "%q does not go with \"command\"", kind)
		}
		s.Transport = mcpclient.TransportStdio
		s.Command = x.expand("command", e.Command)
		for i, a := range e.Args {
			s.Args = append(s.Args, x.expand(fmt.Sprintf("args[%d]", i), a))
		}
		if len(e.Env) > 0 {
			s.Env = make(map[string]string, len(e.Env))
			for k, v := range e.Env {
				s.Env[k] = x.expand("env."+k, v)
			}
		}
		s.Dir = x.expand("cwd", e.Cwd)
		s.InheritEnv = e.InheritEnv
	case e.URL != "":
		switch kind {
		case "", "http", "streamable-http", "streamablehttp", "streamable_http":
			s.Transport = mcpclient.TransportHTTP
		case "sse":
			s.Transport = mcpclient.TransportSSE
		default:
			return fail("type", "unknown transport %q (want \"http\" or \"sse\")", kind)
		}
		s.URL = x.expand("url", e.URL)
		if len(e.Headers) > 0 {
			s.Headers = make(map[string]string, len(e.Headers))
			for k, v := range e.Headers {
				s.Headers[k] = x.expand("headers."+k, v)
			}
		}
	default:
		return fail("entry", "needs \"command\" or \"url\"")
	}
	if x.err != nil {
		return Server{}, false, fmt.Errorf("%w: server %q: %w", ErrConfig, name, x.err)
	}
	return s, false, nil
}

var varPattern = regexp.MustCompile(`\$\{(env:)?([A-Za-z_][A-Za-z0-9_]*)\}`)

// expander replaces ${VAR} references and remembers the first missing one.
type expander struct {
	lookup func(string) (string, bool)
	err    error
}

func (x *expander) expand(field, s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return varPattern.ReplaceAllStringFunc(s, func(m string) string {
		name := varPattern.FindStringSubmatch(m)[2]
		v, ok := x.lookup(name)
		if !ok && x.err == nil {
			// The value is never echoed: only the variable's name.
			x.err = fmt.Errorf("%s: environment variable %s is not set", field, name)
		}
		return v
	})
}
