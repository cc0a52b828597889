package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrConfig is wrapped by every error ParseConfig and LoadConfig return.
var ErrConfig = errors.New("invalid MCP server config")

// ConfigOptions supplies what a config file may refer to but not contain.
// The zero value reads variables from the process environment.
type ConfigOptions struct {
	// LookupEnv resolves ${VAR}, ${env:VAR}, $VAR and os.environ/VAR
	// (default os.LookupEnv).
	LookupEnv func(name string) (string, bool)
	// Inputs answers ${input:ID} references (VS Code prompts the user for
	// them; a program has to supply them). A reference with no value here
	// is an error naming the server, the key and the input.
	Inputs map[string]string
	// WorkspaceFolder answers ${workspaceFolder}. When empty, a config file
	// inside a .vscode or .cursor directory uses that directory's parent.
	WorkspaceFolder string
	// Dir is the directory that relative envFile paths start from.
	// LoadConfig sets it to the config file's directory when empty.
	Dir string
}

// Warning reports something in a config file that was not used: a key the
// bridge does not understand, or one that has no effect on this kind of
// server. It never contains a value from the file.
type Warning struct {
	Server  string // the server entry, empty for the file as a whole
	Key     string // the key, as a path: "headers", "auth.scope", "oauth.tokenParamName"
	Message string
}

// String renders the warning on one line, naming the server and the key.
func (w Warning) String() string {
	if w.Server == "" {
		return fmt.Sprintf("%s: %s", w.Key, w.Message)
	}
	return fmt.Sprintf("server %q: %s: %s", w.Server, w.Key, w.Message)
}

// ConfigError reports one problem in a config file, naming the server and
// the key. It never contains a value from the file (tokens, passwords and
// headers stay out of errors), only names. errors.Is(err, ErrConfig) holds
// for every ConfigError.
type ConfigError struct {
	Path   string // the file, when read by LoadConfig
	Server string // the server entry, empty for the file as a whole
	Key    string // the key, as a path: "headers.Authorization", "args[2]", "auth.token"
	Err    error
}

// Error names the file, the server and the key, never a value.
func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	if e.Server == "" && e.Key == "" {
		b.WriteString(ErrConfig.Error() + ": ")
	}
	if e.Server != "" {
		fmt.Fprintf(&b, "server %q: ", e.Server)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns ErrConfig and the cause.
func (e *ConfigError) Unwrap() []error { return []error{ErrConfig, e.Err} }

// maxConfigBytes bounds a config file; settings files of desktop clients
// hold history too, but not this much.
const maxConfigBytes = 32 << 20

// LoadConfig reads the MCP servers of a config file written for a desktop MCP
// client, an editor or a gateway; see ParseConfig. A file whose name ends in
// .yaml or .yml is read as YAML (LiteLLM's config.yaml), any other as JSON
// with comments and trailing commas allowed.
func LoadConfig(path string, o ConfigOptions) ([]Server, []Warning, error) {
	st, err := os.Stat(path)
	if err == nil && st.Size() > maxConfigBytes {
		err = fmt.Errorf("larger than %d bytes", maxConfigBytes)
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, nil, &ConfigError{Path: path, Err: err}
	}
	if o.Dir == "" {
		o.Dir = filepath.Dir(path)
	}
	ext := strings.ToLower(filepath.Ext(path))
	return parseConfig(data, ext == ".yaml" || ext == ".yml", path, o)
}

// ParseConfig reads the MCP servers of a config file in any of the formats
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
// Every problem found is reported, joined, as *ConfigError values. Servers
// are returned sorted by name; disabled ones are left out.
func ParseConfig(data []byte, o ConfigOptions) ([]Server, []Warning, error) {
	trimmed := bytes.TrimLeft(stripJSONC(data), " \t\r\n")
	return parseConfig(data, len(trimmed) > 0 && trimmed[0] != '{', "", o)
}

// serverMapKeys are the top-level keys that hold servers, by format.
var serverMapKeys = []string{"mcpServers", "servers", "mcp_servers"}

func parseConfig(data []byte, isYAML bool, path string, o ConfigOptions) ([]Server, []Warning, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	fail := func(key string, err error) ([]Server, []Warning, error) {
		return nil, nil, &ConfigError{Path: path, Key: key, Err: err}
	}
	doc, err := decodeDocument(data, isYAML)
	if err != nil {
		return fail("", err)
	}
	entries := map[string]json.RawMessage{}
	found := false
	for _, key := range serverMapKeys {
		raw, ok := doc[key]
		if !ok || isNull(raw) {
			continue
		}
		found = true
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return fail(key, fmt.Errorf("want an object of servers, got %s", jsonKind(raw)))
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
		servers []Server
		errs    []error
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
	}
	if len(errs) > 0 {
		return nil, warns, errors.Join(errs...)
	}
	return servers, warns, nil
}

// decodeDocument returns the top-level object of a JSON (with comments and
// trailing commas) or YAML document.
func decodeDocument(data []byte, isYAML bool) (map[string]json.RawMessage, error) {
	if isYAML {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		// Through JSON, so both formats share one parser and its errors.
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("YAML document cannot be read as JSON: %w", err)
		}
		data = j
	} else {
		data = stripJSONC(data)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("want a JSON object at the top, got %s", typeErr.Value)
		}
		return nil, err
	}
	return doc, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonKind names the JSON type of raw, for error messages that must not
// quote the value itself.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
