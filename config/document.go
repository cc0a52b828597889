package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// maxConfigBytes bounds a config file; settings files of desktop clients
// hold history too (Claude Code's ~/.claude.json), but not this much.
const maxConfigBytes = 32 << 20

// maxYAMLBytes bounds a YAML file, which costs about 25 times its size in
// memory to parse (yaml.v3's nodes); LiteLLM's config.yaml is kilobytes.
const maxYAMLBytes = 4 << 20

// errTooLarge names the bound a file is over.
func errTooLarge(limit int, what string) error {
	return fmt.Errorf("larger than %d MiB, the most %s may be", limit>>20, what)
}

// readKeys are the top-level keys the parser reads; the rest of a settings
// file is neither decoded nor checked.
var readKeys = map[string]bool{
	"mcpServers": true, "servers": true, "mcp_servers": true, "inputs": true,
	"mcp": true, "mcp.servers": true, "mcp.inputs": true, // VS Code's user settings
}

// decodeDocument returns the keys of a JSON (with comments and trailing
// commas) or YAML document's top-level object that the parser reads,
// decoded (see value.go), and the keys given twice in them, as paths.
func decodeDocument(data []byte, isYAML bool) (map[string]any, [][]string, error) {
	if isYAML {
		if len(data) > maxYAMLBytes {
			return nil, nil, errTooLarge(maxYAMLBytes, "a YAML config file")
		}
		return decodeYAML(data, yamlBudget(len(data)))
	}
	if len(data) > maxConfigBytes {
		return nil, nil, errTooLarge(maxConfigBytes, "a config file")
	}
	data = stripJSONC(data)
	// The top level as raw values first: the rest of a large settings file
	// is only validated, never decoded into values.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			kind := map[string]string{"array": "a list", "string": "a string", "number": "a number", "bool": "a boolean"}[typeErr.Value]
			return nil, nil, fmt.Errorf("want an object at the top, got %s", kind)
		}
		return nil, nil, err
	}
	doc := map[string]any{}
	for key, raw := range top {
		if !readKeys[key] {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, nil, err
		}
		doc[key] = v
	}
	return doc, duplicateKeys(data, doc), nil
}

// looksLikeJSON reports whether data starts, after blanks and comments,
// with "{" (the rest is read as YAML).
func looksLikeJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for {
		data = bytes.TrimLeft(data, " \t\r\n")
		switch {
		case bytes.HasPrefix(data, []byte("//")):
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				return false
			}
			data = data[i:]
		case bytes.HasPrefix(data, []byte("/*")):
			i := bytes.Index(data[2:], []byte("*/"))
			if i < 0 {
				return false
			}
			data = data[i+4:]
		default:
			return len(data) > 0 && data[0] == '{'
		}
	}
}

// duplicateKeys returns the keys given twice in an object under one of
// readKeys (or among readKeys themselves) of data, which is valid JSON. The
// standard decoder keeps the last of them silently; for a config file that
// choice could send a credential, or start a command, the user did not
// mean.
//
// Every duplicate leaves the decoded tree one key short, so a first pass
// only counts the keys the text holds: when the tree has as many, there is
// none, and no key has to be remembered.
func duplicateKeys(data []byte, doc map[string]any) [][]string {
	counter := &dupScanner{data: data, countOnly: true}
	counter.object(false, true)
	if counter.keys == countKeys(doc) {
		return nil
	}
	s := &dupScanner{data: data}
	s.object(false, true)
	return s.dups
}

// countKeys counts the keys of the objects in v, v's own included.
func countKeys(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := len(v)
		for _, c := range v {
			n += countKeys(c)
		}
		return n
	case []any:
		n := 0
		for _, c := range v {
			n += countKeys(c)
		}
		return n
	}
	return 0
}

type dupScanner struct {
	data      []byte
	i         int
	countOnly bool // count the tracked keys (in keys) instead of finding duplicates
	keys      int
	path      keyPath // where the scanner is, while tracking
	dups      [][]string
}

func (s *dupScanner) blanks() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// value skips a value, recording duplicate keys in its objects if track.
func (s *dupScanner) value(track bool) {
	s.blanks()
	if s.i >= len(s.data) {
		return
	}
	switch s.data[s.i] {
	case '{':
		s.object(track, false)
	case '[':
		s.array(track)
	case '"':
		s.str(false)
	default: // a number, true, false or null
		for s.i < len(s.data) && !strings.ContainsRune(",]} \t\r\n", rune(s.data[s.i])) {
			s.i++
		}
	}
}

// object reads an object. At the top only the keys of readKeys, and what
// is under them, are tracked.
func (s *dupScanner) object(track, top bool) {
	s.blanks()
	s.i++ // {
	var seen keySet
	for {
		s.blanks()
		if s.i >= len(s.data) || s.data[s.i] == '}' {
			s.i++
			return
		}
		if s.data[s.i] == ',' {
			s.i++
			continue
		}
		key := s.str(top || track && !s.countOnly)
		keyTracked := track || top && readKeys[key]
		switch {
		case !keyTracked:
		case s.countOnly:
			s.keys++
		case !seen.add(key):
			s.dups = append(s.dups, s.path.with(key))
		}
		s.blanks()
		s.i++ // :
		if keyTracked {
			s.path.push(key, -1)
		}
		s.value(keyTracked)
		if keyTracked {
			s.path.pop()
		}
	}
}

func (s *dupScanner) array(track bool) {
	s.i++ // [
	for n := 0; ; n++ {
		s.blanks()
		if s.i >= len(s.data) || s.data[s.i] == ']' {
			s.i++
			return
		}
		if s.data[s.i] == ',' {
			s.i++
			n--
			continue
		}
		if track {
			s.path.push("", n)
		}
		s.value(track)
		if track {
			s.path.pop()
		}
	}
}

// str reads a string, returning its text if want.
func (s *dupScanner) str(want bool) string {
	start := s.i
	escaped := false
	for s.i++; s.i < len(s.data) && s.data[s.i] != '"'; s.i++ {
		if s.data[s.i] == '\\' {
			escaped = true
			s.i++
		}
	}
	s.i++
	if !want {
		return ""
	}
	lit := s.data[start:min(s.i, len(s.data))]
	if !escaped {
		return string(lit[1 : len(lit)-1])
	}
	var text string
	_ = json.Unmarshal(lit, &text)
	return text
}

// keySet is the keys of one object seen so far: a list while the object is
// small (most are), a map beyond.
type keySet struct {
	list []string
	m    map[string]bool
}

// add adds key and reports whether it was new.
func (k *keySet) add(key string) bool {
	if k.m == nil {
		if slices.Contains(k.list, key) {
			return false
		}
		if k.list = append(k.list, key); len(k.list) > 16 {
			k.m = make(map[string]bool, 32)
			for _, s := range k.list {
				k.m[s] = true
			}
		}
		return true
	}
	if k.m[key] {
		return false
	}
	k.m[key] = true
	return true
}

// keyPath is where a decoder is in a document, kept as one stack; a path
// of its own is made only for a duplicate key.
type keyPath []pathStep

// pathStep is an object key, or a list index when index >= 0.
type pathStep struct {
	key   string
	index int
}

func (p *keyPath) push(key string, index int) { *p = append(*p, pathStep{key, index}) }
func (p *keyPath) pop()                       { *p = (*p)[:len(*p)-1] }

// with returns the path to key, as names: "headers", "roots", "[0]", "uri".
func (p keyPath) with(key string) []string {
	out := make([]string, 0, len(p)+1)
	for _, step := range p {
		if step.index >= 0 {
			out = append(out, "["+strconv.Itoa(step.index)+"]")
		} else {
			out = append(out, step.key)
		}
	}
	return append(out, key)
}

// dupError turns the path of a key given twice into an error naming the
// server and the key.
func dupError(path []string, file string) *Error {
	mapName, n := serverMapOf(path)
	switch {
	case n > 0 && len(path) == n:
		return &Error{Path: file, Key: mapName, Err: errors.New("defined twice")}
	case n > 0 && len(path) == n+1:
		return &Error{Path: file, Key: mapName, Err: fmt.Errorf("server %q is defined twice", path[n])}
	case n > 0:
		return &Error{Path: file, Server: path[n], Key: joinPath(path[n+1:]), Err: errors.New("defined twice")}
	}
	return &Error{Path: file, Key: joinPath(path), Err: errors.New("defined twice")}
}

// serverMapOf returns the name of the server map a path goes through and
// how many of its steps lead there (0 for a path outside the servers).
func serverMapOf(path []string) (string, int) {
	switch {
	case len(path) == 0:
		return "", 0
	case slices.Contains(serverMapKeys, path[0]):
		return path[0], 1
	case len(path) > 1 && path[0] == "mcp" && path[1] == "servers":
		return "mcp.servers", 2
	}
	return "", 0
}

// joinPath writes a path as errors name keys: "headers.K", "roots[0].uri".
func joinPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if i > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// readBounded reads at most limit bytes from r, failing past them.
func readBounded(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err == nil && len(data) > limit {
		err = errTooLarge(limit, "a config file")
	}
	return data, err
}
