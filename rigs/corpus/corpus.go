// Package corpus holds the tool lists of real MCP servers, recorded with
// cmd/dump into testdata/, and a replay server (cmd/replay) that serves one
// recorded list over stdio exactly as it was recorded. Tests put the
// recorded servers behind the bridge and check what would go on the wire to
// the Responses API, so conversion faces the schemas real servers send
// rather than hand-made ones.
//
// testdata/manifest.json names, for every dump, the package and version it
// came from, its license, how it was started and how many tools it listed.
// Only the tool lists are kept here, never the servers' code.
package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Entry describes one recorded server in the manifest.
type Entry struct {
	Name       string `json:"name"`        // server name, the dump's base name
	File       string `json:"file"`        // dump file, relative to the manifest
	Package    string `json:"package"`     // npm package or Go module it came from
	Version    string `json:"version"`     // its version
	License    string `json:"license"`     // its license, from its package.json or LICENSE
	ServerInfo string `json:"server_info"` // serverInfo name and version it reported
	Started    string `json:"started"`     // how it was started for the recording
	Tools      int    `json:"tools"`       // tools listed
	Bytes      int    `json:"bytes"`       // size of the dump
	Date       string `json:"date"`        // day of the recording (UTC)
}

// Manifest is the content of testdata/manifest.json.
type Manifest struct {
	Servers []Entry `json:"servers"`
}

// toolEntry is one tool as written to a dump: the JSON fields are the
// server's raw bytes.
type toolEntry struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"inputSchema,omitempty"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  json.RawMessage `json:"annotations,omitempty"`
	Meta         json.RawMessage `json:"_meta,omitempty"`
}

// EncodeToolsList renders tools as a tools/list result, one tool per line
// so that a re-recording diffs well. Schemas, annotations and _meta keep the
// server's bytes; a title that only repeats annotations.title (mcpclient
// fills it in from there) is left out.
func EncodeToolsList(tools []mcpclient.Tool) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\"tools\":[")
	for i, t := range tools {
		e := toolEntry{Name: t.Name, Title: t.Title, Description: t.Description,
			InputSchema: t.InputSchema, OutputSchema: t.OutputSchema, Annotations: t.Annotations, Meta: t.Meta}
		if e.Title != "" && annotationTitle(t.Annotations) == e.Title {
			e.Title = ""
		}
		line, err := marshalNoEscape(e)
		if err != nil {
			return nil, fmt.Errorf("tool %q: %w", t.Name, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	return b.Bytes(), nil
}

func annotationTitle(raw json.RawMessage) string {
	var a struct {
		Title string `json:"title"`
	}
	if raw != nil {
		_ = json.Unmarshal(raw, &a)
	}
	return a.Title
}

// marshalNoEscape encodes v without HTML escaping. json.RawMessage fields
// are compacted by encoding/json but otherwise kept (numbers, key order and
// string escapes stay as the server sent them).
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// LoadManifest reads a manifest file. A missing file is an empty manifest.
func LoadManifest(path string) (Manifest, error) {
	var m Manifest
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// UpdateManifest adds e to the manifest at path, replacing the entry with
// the same name, and writes it back sorted by name.
func UpdateManifest(path string, e Entry) error {
	m, err := LoadManifest(path)
	if err != nil {
		return err
	}
	kept := m.Servers[:0]
	for _, old := range m.Servers {
		if old.Name != e.Name {
			kept = append(kept, old)
		}
	}
	m.Servers = append(kept, e)
	sort.Slice(m.Servers, func(i, j int) bool { return m.Servers[i].Name < m.Servers[j].Name })
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Dump is one recorded server: its manifest entry and its tools/list result.
type Dump struct {
	Entry
	Path   string          // absolute path of the dump file
	Result json.RawMessage // the recorded tools/list result
}

// Load reads the manifest in dir and every dump it names.
func Load(dir string) ([]Dump, error) {
	m, err := LoadManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	if len(m.Servers) == 0 {
		return nil, fmt.Errorf("corpus: no servers in %s/manifest.json", dir)
	}
	var dumps []Dump
	for _, e := range m.Servers {
		p, err := filepath.Abs(filepath.Join(dir, e.File))
		if err != nil {
			return nil, err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("corpus: server %s: %w", e.Name, err)
		}
		dumps = append(dumps, Dump{Entry: e, Path: p, Result: raw})
	}
	return dumps, nil
}

// Tools splits a tools/list result into its raw tool entries.
func Tools(result json.RawMessage) ([]json.RawMessage, error) {
	var page struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(result, &page); err != nil {
		return nil, fmt.Errorf("corpus: tools/list result: %w", err)
	}
	return page.Tools, nil
}
