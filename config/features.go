package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/bridge"
)

// features reads the client features of a config entry: "resources" and
// "prompts" (booleans), "logLevel" (an MCP level) and "roots", a list of
// file:// URIs or absolute paths, or of objects {"uri", "name"}; variables
// are expanded in them. An entry without "roots" declares no roots
// capability; "roots": [] declares it with none.
func (p *entryParser) features(s *bridge.Server) {
	s.Resources, _ = p.boolean("resources")
	s.Prompts, _ = p.boolean("prompts")
	if lv, ok := p.str("logLevel"); ok && lv != "" {
		level := mcp.LoggingLevel(strings.ToLower(lv))
		switch level {
		case mcp.LoggingLevelDebug, mcp.LoggingLevelInfo, mcp.LoggingLevelNotice, mcp.LoggingLevelWarning,
			mcp.LoggingLevelError, mcp.LoggingLevelCritical, mcp.LoggingLevelAlert, mcp.LoggingLevelEmergency:
			s.LogLevel = level
		default:
			p.fail("logLevel", "unknown level %q", lv)
		}
	}
	raw, ok := p.take("roots")
	if !ok {
		return
	}
	items, ok := raw.([]any)
	if !ok {
		p.fail("roots", "want a list, got %s", kindOf(raw))
		return
	}
	s.Roots = make([]mcp.Root, 0, len(items))
	for i, item := range items {
		key := fmt.Sprintf("roots[%d]", i)
		var r mcp.Root
		var ok bool
		if r.URI, ok = asString(item); !ok {
			// An object is read as MCP's Root type reads it.
			j, err := json.Marshal(item)
			if err != nil || json.Unmarshal(j, &r) != nil {
				p.fail(key, "want a URI or path string, or {\"uri\", \"name\"}")
				continue
			}
		}
		uri, err := rootURI(p.expand(key, r.URI))
		if err != nil {
			p.fail(key, "%v", err)
			continue
		}
		r.URI = uri
		s.Roots = append(s.Roots, r)
	}
}

// rootURI accepts a file:// URI or an absolute path (made a file:// URI).
func rootURI(s string) (string, error) {
	if strings.HasPrefix(s, "file://") {
		if _, err := url.Parse(s); err != nil {
			return "", err
		}
		return s, nil
	}
	if filepath.IsAbs(s) {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(s)}).String(), nil
	}
	return "", fmt.Errorf("%q is neither a file:// URI nor an absolute path", s)
}
