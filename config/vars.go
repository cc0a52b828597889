package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// resolver expands variable references in config strings. Its messages name
// variables and inputs, never values.
type resolver struct {
	lookupEnv func(string) (string, bool)
	inputs    map[string]string
	declared  map[string]string // VS Code input id -> description
	workspace string
}

func newResolver(doc map[string]json.RawMessage, o Options) (*resolver, error) {
	r := &resolver{lookupEnv: o.LookupEnv, inputs: o.Inputs, workspace: o.WorkspaceFolder, declared: map[string]string{}}
	if r.workspace == "" && o.Dir != "" {
		if base := filepath.Base(o.Dir); base == ".vscode" || base == ".cursor" {
			r.workspace = filepath.Dir(o.Dir)
		}
	}
	if raw, ok := doc["inputs"]; ok && !isNull(raw) {
		var inputs []struct {
			ID          string `json:"id"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &inputs); err != nil {
			return nil, fmt.Errorf("want a list of input objects, got %s", jsonKind(raw))
		}
		for _, in := range inputs {
			r.declared[in.ID] = in.Description
		}
	}
	return r, nil
}

var (
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// A whole value that is a bare $VAR (Gemini CLI) or os.environ/VAR (LiteLLM).
	bareVarPattern   = regexp.MustCompile(`^\$([A-Z_][A-Z0-9_]*)$`)
	osEnvironPattern = regexp.MustCompile(`^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$`)
)

// errBareUnset marks a whole-value $VAR whose variable is not set: it is
// kept as written (it may be a literal that starts with $) with a warning.
var errBareUnset = errors.New("bare variable not set")

// expand replaces every reference in s. fileEnv (a server's envFile) is
// consulted after the process environment.
func (r *resolver) expand(s string, fileEnv map[string]string) (string, error) {
	if !strings.Contains(s, "$") && !strings.HasPrefix(s, "os.environ/") {
		return s, nil
	}
	if m := osEnvironPattern.FindStringSubmatch(s); m != nil {
		return r.env(m[1], fileEnv)
	}
	if m := bareVarPattern.FindStringSubmatch(s); m != nil {
		if v, ok := r.lookup(m[1], fileEnv); ok {
			return v, nil
		}
		return s, errBareUnset
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		end := closingBrace(s, i+2)
		if end < 0 {
			return "", errors.New(`"${" without a closing "}"`)
		}
		v, err := r.resolve(s[i+2:end], fileEnv)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		i = end + 1
	}
	return b.String(), nil
}

// closingBrace finds the "}" that closes a reference opened just before
// start, allowing nested ${...} in defaults.
func closingBrace(s string, start int) int {
	depth := 1
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func (r *resolver) resolve(ref string, fileEnv map[string]string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		return r.env(ref[len("env:"):], fileEnv)
	case strings.HasPrefix(ref, "input:"):
		return r.input(ref[len("input:"):])
	case ref == "userHome":
		for _, k := range []string{"HOME", "USERPROFILE"} {
			if v, ok := r.lookupEnv(k); ok && v != "" {
				return v, nil
			}
		}
		return "", errors.New("${userHome}: neither HOME nor USERPROFILE is set")
	case ref == "workspaceFolder" || ref == "workspaceFolderBasename":
		if r.workspace == "" {
			return "", fmt.Errorf("${%s} needs Options.WorkspaceFolder (the file is not in a .vscode or .cursor directory)", ref)
		}
		if ref == "workspaceFolderBasename" {
			return filepath.Base(r.workspace), nil
		}
		return r.workspace, nil
	case ref == "pathSeparator" || ref == "/":
		return string(filepath.Separator), nil
	}
	name, def, hasDef := strings.Cut(ref, ":-")
	if !identPattern.MatchString(name) {
		if kind, _, ok := strings.Cut(ref, ":"); ok && identPattern.MatchString(kind) {
			return "", fmt.Errorf("unsupported variable kind ${%s:...}", kind)
		}
		return "", errors.New("malformed ${...} reference")
	}
	if v, ok := r.lookup(name, fileEnv); ok && (v != "" || !hasDef) {
		return v, nil
	}
	if hasDef {
		return r.expand(def, fileEnv)
	}
	return "", fmt.Errorf("environment variable %s is not set", name)
}

func (r *resolver) env(name string, fileEnv map[string]string) (string, error) {
	if name == "" {
		return "", errors.New("empty variable name")
	}
	if v, ok := r.lookup(name, fileEnv); ok {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", name)
}

func (r *resolver) lookup(name string, fileEnv map[string]string) (string, bool) {
	if v, ok := r.lookupEnv(name); ok {
		return v, true
	}
	v, ok := fileEnv[name]
	return v, ok
}

func (r *resolver) input(id string) (string, error) {
	if v, ok := r.inputs[id]; ok {
		return v, nil
	}
	what := ""
	if d, ok := r.declared[id]; ok && d != "" {
		what = fmt.Sprintf(" (%q)", d)
	}
	return "", fmt.Errorf("${input:%s}%s is asked of the user by VS Code; a program has to supply it in Options.Inputs", id, what)
}

// maxEnvFileBytes bounds an envFile.
const maxEnvFileBytes = 1 << 20

// readEnvFile reads a dotenv file: KEY=VALUE lines, optional "export ",
// # comments, and values in single quotes (literal) or double quotes (with
// \n, \t, \\ and \" escapes). Errors give line numbers, never content.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnvFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEnvFileBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxEnvFileBytes)
	}
	return parseDotenv(data)
}

func parseDotenv(data []byte) (map[string]string, error) {
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxEnvFileBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !identPattern.MatchString(key) {
			return nil, fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		v, err := dotenvValue(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, key, err)
		}
		env[key] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return env, nil
}

func dotenvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", errors.New("unterminated single quote")
		}
		return v[1 : 1+end], nil
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			if c == '"' {
				return b.String(), nil
			}
			if c == '\\' && i+1 < len(v) {
				i++
				switch v[i] {
				case 'n':
					c = '\n'
				case 't':
					c = '\t'
				case 'r':
					c = '\r'
				default:
					c = v[i]
				}
			}
			b.WriteByte(c)
		}
		return "", errors.New("unterminated double quote")
	}
	// Unquoted: an inline comment starts at " #".
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}
