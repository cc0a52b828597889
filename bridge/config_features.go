package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// applyFeatures sets the client features of a config entry on s:
// "resources" and "prompts" (booleans), "logLevel" (an MCP level) and
// "roots", a list of file:// URIs or absolute paths, or of objects
// {"uri", "name"}; ${VAR} is expanded in them. An entry without "roots"
// declares no roots capability; "roots": [] declares it with none. It
// returns the offending field with an error.
func applyFeatures(s *Server, e *serverEntry, x *expander) (string, error) {
	s.Resources, s.Prompts = e.Resources, e.Prompts
	if e.LogLevel != "" {
		level := mcp.LoggingLevel(strings.ToLower(e.LogLevel))
		switch level {
		case mcp.LoggingLevelDebug, mcp.LoggingLevelInfo, mcp.LoggingLevelNotice, mcp.LoggingLevelWarning,
			mcp.LoggingLevelError, mcp.LoggingLevelCritical, mcp.LoggingLevelAlert, mcp.LoggingLevelEmergency:
			s.LogLevel = level
		default:
			return "logLevel", fmt.Errorf("unknown level %q", e.LogLevel)
		}
	}
	if e.Roots == nil {
		return "", nil
	}
	s.Roots = make([]mcp.Root, 0, len(e.Roots))
	for i, raw := range e.Roots {
		field := fmt.Sprintf("roots[%d]", i)
		var r mcp.Root
		if err := json.Unmarshal(raw, &r.URI); err != nil {
			if err := json.Unmarshal(raw, &r); err != nil {
				return field, errors.New("want a URI or path string, or {\"uri\", \"name\"}")
			}
		}
		uri, err := rootURI(x.expand(field, r.URI))
		if err != nil {
			return field, err
		}
		r.URI = uri
		s.Roots = append(s.Roots, r)
	}
	return "", nil
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
