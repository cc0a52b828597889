package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// maxExpandedBytes bounds what variables add to a file, in all: the values
// substituted for references and the envFile variables given to servers.
// Real files add kilobytes; without a bound a few bytes of "${BIG}" repeated
// could ask for gigabytes.
const maxExpandedBytes = 16 << 20

// errExpansionBudget is returned once the file's variables have added
// maxExpandedBytes; parsing stops there.
var errExpansionBudget = fmt.Errorf("variables expand to more than %d MiB in all; a config file does not need that", maxExpandedBytes>>20)

// resolver expands variable references in config strings. Its messages name
// variables and inputs, never values.
type resolver struct {
	lookupEnv func(string) (string, bool)
	inputs    map[string]string
	declared  map[string]string // VS Code input id -> description
	workspace string
	// budget is what variables may still add (maxExpandedBytes at first).
	budget       int
	overReported bool // the error for a spent budget has been given
	// work counts the bytes expand examined, so a test can check that
	// expansion is linear in the string.
	work int
	// envFiles holds each envFile read, by path, so servers sharing one
	// read it once.
	envFiles map[string]envFileResult
}

type envFileResult struct {
	env map[string]string
	err error
}

func newResolver(doc map[string]any, o Options) (*resolver, error) {
	r := &resolver{
		lookupEnv: o.LookupEnv, inputs: o.Inputs, workspace: o.WorkspaceFolder,
		declared: map[string]string{}, budget: maxExpandedBytes, envFiles: map[string]envFileResult{},
	}
	// ${workspaceFolder} is absolute whatever path the file was given by
	// ("mcp.json" from inside .vscode has the directory ".").
	if r.workspace == "" && o.Dir != "" {
		dir, err := filepath.Abs(o.Dir)
		if base := filepath.Base(dir); err == nil && (base == ".vscode" || base == ".cursor") {
			r.workspace = filepath.Dir(dir)
		}
	} else if r.workspace != "" {
		if abs, err := filepath.Abs(r.workspace); err == nil {
			r.workspace = abs
		}
	}
	sources := []any{doc["inputs"], doc["mcp.inputs"]}
	if mcp, ok := doc["mcp"].(map[string]any); ok {
		sources = append(sources, mcp["inputs"]) // VS Code's user settings
	}
	for _, raw := range sources {
		if raw == nil {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("want a list of input objects, got %s", kindOf(raw))
		}
		for _, item := range list {
			in, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("want a list of input objects, got a list with %s", kindOf(item))
			}
			id, _ := in["id"].(string)
			desc, _ := in["description"].(string)
			r.declared[id] = desc
		}
	}
	return r, nil
}

// charge takes n bytes from the expansion budget.
func (r *resolver) charge(n int) error {
	if r.budget -= n; r.budget < 0 {
		return errExpansionBudget
	}
	return nil
}

// exhausted reports whether the expansion budget is spent.
func (r *resolver) exhausted() bool { return r.budget < 0 }

var (
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// A whole value that is a bare $VAR (Gemini CLI) or os.environ/VAR (LiteLLM).
	bareVarPattern   = regexp.MustCompile(`^\$([A-Z_][A-Z0-9_]*)$`)
	osEnvironPattern = regexp.MustCompile(`^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$`)
)

// errBareUnset marks a whole-value $VAR whose variable is not set: it is
// kept as written (it may be a literal that starts with $) with a warning.
var errBareUnset = errors.New("bare variable not set")

// errUnclosed is a "${" with no "}" to end it.
var errUnclosed = errors.New(`"${" without a closing "}"`)

// expand replaces every reference in s. fileEnv (a server's envFile) is
// consulted after the process environment.
func (r *resolver) expand(s string, fileEnv map[string]string) (string, error) {
	if !strings.Contains(s, "$") && !strings.HasPrefix(s, "os.environ/") {
		return s, nil
	}
	if m := osEnvironPattern.FindStringSubmatch(s); m != nil {
		return r.value(r.env(m[1], fileEnv))
	}
	if m := bareVarPattern.FindStringSubmatch(s); m != nil {
		if v, ok := r.lookup(m[1], fileEnv); ok {
			return r.value(v, nil)
		}
		return s, errBareUnset
	}
	return r.expandRefs(s, fileEnv)
}

// value charges a resolved value to the budget.
func (r *resolver) value(v string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if err := r.charge(len(v)); err != nil {
		return "", err
	}
	return v, nil
}

// expandRefs expands the ${...} references of s in one pass, so nested
// defaults cost what their text does: each byte is examined once, either
// copied, skipped (the default of a variable that is set) or read as part
// of a reference. The defaults being expanded are a stack: a "}" closes
// the innermost one once the plain braces opened inside it are closed.
func (r *resolver) expandRefs(s string, fileEnv map[string]string) (string, error) {
	var b strings.Builder
	var open []int // per default being expanded, the plain "{" opened in it
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			r.work += 2
			next, isDefault, err := r.reference(s, i+2, fileEnv, &b)
			if err != nil {
				return "", err
			}
			if isDefault {
				open = append(open, 0)
			}
			i = next
			continue
		case c == '{' && len(open) > 0:
			open[len(open)-1]++
		case c == '}' && len(open) > 0:
			if open[len(open)-1] == 0 {
				open = open[:len(open)-1] // the end of a default
				r.work++
				i++
				continue
			}
			open[len(open)-1]--
		}
		b.WriteByte(c)
		r.work++
		i++
	}
	if len(open) > 0 {
		return "", errUnclosed
	}
	return b.String(), nil
}

// reference reads the reference whose body starts at s[start] (just after
// "${") and writes its value to b. It returns where to go on from, and
// whether that is inside a default the caller has to expand: the default
// of a variable that is not set (or empty).
func (r *resolver) reference(s string, start int, fileEnv map[string]string, b *strings.Builder) (int, bool, error) {
	end := start
	for end < len(s) && isIdentByte(s[end]) {
		end++
	}
	r.work += end - start
	name := s[start:end]
	if strings.HasPrefix(s[end:], ":-") && identPattern.MatchString(name) {
		r.work += 2
		if v, ok := r.lookup(name, fileEnv); ok && v != "" {
			if _, err := r.value(v, nil); err != nil {
				return 0, false, err
			}
			b.WriteString(v)
			close := r.closingBrace(s, end+2)
			if close < 0 {
				return 0, false, errUnclosed
			}
			return close + 1, false, nil
		}
		return end + 2, true, nil
	}
	close := end
	if close >= len(s) || s[close] != '}' {
		close = r.closingBrace(s, end)
	}
	if close < 0 {
		return 0, false, errUnclosed
	}
	v, err := r.value(r.resolve(s[start:close], fileEnv))
	if err != nil {
		return 0, false, err
	}
	b.WriteString(v)
	return close + 1, false, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// closingBrace finds the "}" that closes a reference whose body goes on at
// start, counting nested braces.
func (r *resolver) closingBrace(s string, start int) int {
	depth := 1
	for i := start; i < len(s); i++ {
		r.work++
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

// resolve returns the value of a reference other than ${VAR:-default}.
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
	if !identPattern.MatchString(ref) {
		if kind, _, ok := strings.Cut(ref, ":"); ok && identPattern.MatchString(kind) {
			return "", fmt.Errorf("unsupported variable kind ${%s:...}", kind)
		}
		return "", errors.New("malformed ${...} reference")
	}
	if v, ok := r.lookup(ref, fileEnv); ok {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", ref)
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

// envFile reads a dotenv file once per parse, charging its size to the
// budget the first time.
func (r *resolver) envFile(path string) (map[string]string, error) {
	if res, ok := r.envFiles[path]; ok {
		return res.env, res.err
	}
	env, n, err := readEnvFile(path)
	if err == nil {
		err = r.charge(n)
	}
	r.envFiles[path] = envFileResult{env, err}
	return env, err
}

// missingFile is the error for a file that does not exist, in those
// words; errors.Is(err, fs.ErrNotExist) holds.
type missingFile string

func (m missingFile) Error() string      { return string(m) + " does not exist" }
func (missingFile) Is(target error) bool { return target == fs.ErrNotExist }

// maxEnvFileBytes bounds an envFile.
const maxEnvFileBytes = 1 << 20

// readEnvFile reads a dotenv file: KEY=VALUE lines, optional "export ",
// # comments, and values in single quotes (literal) or double quotes (with
// \n, \t, \\ and \" escapes). Errors give line numbers, never content.
// It returns the bytes read. Only regular files are read: a device or a
// pipe could be read forever, or block.
func readEnvFile(path string) (map[string]string, int, error) {
	if st, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, 0, missingFile(path)
	} else if err != nil {
		return nil, 0, err
	} else if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnvFileBytes+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > maxEnvFileBytes {
		return nil, 0, fmt.Errorf("%s is larger than %d MiB", path, maxEnvFileBytes>>20)
	}
	env, err := parseDotenv(data)
	return env, len(data), err
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
