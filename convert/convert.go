package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tool is one MCP tool as listed by its server.
type Tool struct {
	Name        string          // exact MCP tool name
	Title       string          // optional display title
	Description string          // optional description
	InputSchema json.RawMessage // input schema exactly as sent, nil if absent
	// OutputSchema is the tool's outputSchema exactly as sent, nil if
	// absent. It becomes FunctionTool.OutputSchema.
	OutputSchema json.RawMessage
}

// ServerTools is the tool list of one MCP server.
type ServerTools struct {
	Server string // server name; must be non-empty and unique within a Convert call
	Tools  []Tool
}

// Options controls naming, strict mode and descriptions.
type Options struct {
	// Separator goes between the server and tool names. Default "__".
	// Characters outside [a-zA-Z0-9_-] are replaced like in any name.
	Separator string
	// NoPrefix makes function names just the tool name. Collisions between
	// servers are still disambiguated.
	NoPrefix bool
	// NameFunc, when set, builds the function name. Its result is still
	// sanitized and made unique; an empty result falls back to the default.
	NameFunc func(server, tool string) string
	// Strict makes schemas that fit the Structured Outputs subset strict.
	Strict bool
	// DescriptionPrefix puts "[server] " in front of every description.
	DescriptionPrefix bool
	// MaxDescriptionBytes caps descriptions (UTF-8 safe, with a visible
	// marker). 0 means the default of 1024; a negative value means no cap.
	MaxDescriptionBytes int
}

// DefaultSeparator is the separator used when Options.Separator is empty.
const DefaultSeparator = "__"

// DefaultMaxDescriptionBytes is the description cap used when
// Options.MaxDescriptionBytes is 0.
const DefaultMaxDescriptionBytes = 1024

// FunctionTool is a converted tool, ready to be sent as a Responses API
// function tool.
type FunctionTool struct {
	Name        string         // function name, matches ^[a-zA-Z0-9_-]{1,64}$
	Server      string         // exact server name
	Tool        string         // exact MCP tool name
	Description string         // cleaned and capped description, may be empty
	Parameters  map[string]any // JSON schema, always "type":"object" at the top; treat as read-only
	Strict      bool           // whether Parameters is in strict form; always send it explicitly
	// OutputSchema is the tool's outputSchema repaired like an input schema
	// (never strict), to send as the function's output_schema; nil when the
	// tool has none or it could not be repaired. Treat as read-only.
	OutputSchema map[string]any

	optional *optionalTree // properties strict mode made nullable; see StripAddedNulls
}

// Diagnostic reports something conversion repaired, gave up on, or dropped.
type Diagnostic struct {
	Server  string // server name
	Tool    string // MCP tool name; empty for server-wide findings
	Field   string // where: "name", "description", "inputSchema[/<json pointer>]" or "outputSchema[/<json pointer>]"
	Reason  string // what happened, in plain words
	Dropped bool   // true when the tool was left out of the ToolSet
}

// String renders the diagnostic on one line.
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server %q", d.Server)
	if d.Tool != "" {
		fmt.Fprintf(&b, " tool %q", d.Tool)
	}
	if d.Field != "" {
		b.WriteString(" ")
		b.WriteString(d.Field)
	}
	b.WriteString(": ")
	b.WriteString(d.Reason)
	if d.Dropped {
		b.WriteString(" (tool dropped)")
	}
	return b.String()
}

// ToolSet is the result of converting the tools of several servers.
type ToolSet struct {
	Tools       []FunctionTool // in input order: servers in order, tools in order
	Diagnostics []Diagnostic   // in input order
	index       map[string]int
}

// Lookup returns the exact server and MCP tool name behind a function name.
func (s *ToolSet) Lookup(functionName string) (server, tool string, ok bool) {
	if s == nil {
		return "", "", false
	}
	i, ok := s.index[functionName]
	if !ok {
		return "", "", false
	}
	return s.Tools[i].Server, s.Tools[i].Tool, true
}

// ErrInvalidServerName is wrapped by the error for an empty or unusable
// server name.
var ErrInvalidServerName = errors.New("invalid server name")

// ErrDuplicateServerName is wrapped by the error for a server name given
// twice.
var ErrDuplicateServerName = errors.New("duplicate server name")

// ServerError is the error Convert returns for a bad server name. It wraps
// ErrInvalidServerName or ErrDuplicateServerName.
type ServerError struct {
	Server string // the offending name, exactly as given
	Err    error
}

// Error names the server and the problem.
func (e *ServerError) Error() string {
	return fmt.Sprintf("convert: server %q: %v", e.Server, e.Err)
}

// Unwrap returns the underlying sentinel.
func (e *ServerError) Unwrap() error { return e.Err }

// checkServers validates the server names of a Convert call.
func checkServers(servers []ServerTools) error {
	seen := make(map[string]struct{}, len(servers))
	for _, s := range servers {
		if err := checkServerName(s.Server); err != nil {
			return &ServerError{Server: s.Server, Err: err}
		}
		if _, dup := seen[s.Server]; dup {
			return &ServerError{Server: s.Server, Err: ErrDuplicateServerName}
		}
		seen[s.Server] = struct{}{}
	}
	return nil
}

// CheckServerName reports why name cannot be a server name in Convert (it
// must be valid UTF-8, have no control characters, and hold at least one
// letter or digit), or nil.
func CheckServerName(name string) error { return checkServerName(name) }

// checkServerName accepts a name that is valid UTF-8, has no control
// characters, and holds at least one letter or digit.
func checkServerName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: empty", ErrInvalidServerName)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidServerName)
	}
	alnum := false
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: contains control characters", ErrInvalidServerName)
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum = true
		}
	}
	if !alnum {
		return fmt.Errorf("%w: has no letter or digit", ErrInvalidServerName)
	}
	return nil
}

// Convert converts the tools of several servers. It fails only when a server
// name is empty, unusable or repeated; every problem with a single tool is
// reported as a Diagnostic and, if the tool cannot be used, the tool is left
// out while the rest still converts.
func Convert(servers []ServerTools, opts Options) (*ToolSet, error) {
	return convertWith(servers, opts, nil)
}

// prepared is the per-tool work that does not depend on the other tools.
type prepared struct {
	params map[string]any
	strict bool
	notes  []note
	err    error         // schema unusable; the tool is dropped
	opt    *optionalTree // for strict schemas, see StripAddedNulls
	out    *preparedOutput
}

// prepareTool converts one tool's schema.
func prepareTool(t *Tool, strict bool) *prepared {
	res, notes, err := convertSchema(t.InputSchema, strict)
	p := &prepared{params: res.Parameters, strict: res.Strict, notes: notes, err: err}
	if res.Strict {
		p.opt = res.optional
	}
	p.out = prepareOutput(t.OutputSchema)
	return p
}

// convertWith runs a conversion, taking per-tool work from cache when given.
func convertWith(servers []ServerTools, opts Options, cache *Converter) (*ToolSet, error) {
	if err := checkServers(servers); err != nil {
		return nil, err
	}
	set := &ToolSet{}
	type pending struct {
		server, tool string
		desc         string
		prep         *prepared
	}
	var live []pending
	for si := range servers {
		srv := &servers[si]
		var preps []*prepared
		if cache != nil {
			preps = cache.prepareServer(srv, opts.Strict)
		}
		seen := make(map[string]struct{}, len(srv.Tools))
		for ti := range srv.Tools {
			t := &srv.Tools[ti]
			if t.Name == "" {
				set.Diagnostics = append(set.Diagnostics, Diagnostic{Server: srv.Server, Field: "name", Reason: "tool has an empty name", Dropped: true})
				continue
			}
			if _, dup := seen[t.Name]; dup {
				set.Diagnostics = append(set.Diagnostics, Diagnostic{Server: srv.Server, Tool: t.Name, Field: "name",
					Reason: "duplicate tool name on this server; the first one is kept", Dropped: true})
				continue
			}
			seen[t.Name] = struct{}{}
			var p *prepared
			if preps != nil {
				p = preps[ti]
			} else {
				p = prepareTool(t, opts.Strict)
			}
			for _, n := range p.notes {
				set.Diagnostics = append(set.Diagnostics, Diagnostic{Server: srv.Server, Tool: t.Name, Field: n.field(), Reason: n.reason})
			}
			if p.err != nil {
				set.Diagnostics = append(set.Diagnostics, Diagnostic{Server: srv.Server, Tool: t.Name, Field: "inputSchema", Reason: p.err.Error(), Dropped: true})
				continue
			}
			set.Diagnostics = append(set.Diagnostics, p.out.diagnostics(srv.Server, t.Name)...)
			desc, dnote := describe(srv.Server, t, opts)
			if dnote != "" {
				set.Diagnostics = append(set.Diagnostics, Diagnostic{Server: srv.Server, Tool: t.Name, Field: "description", Reason: dnote})
			}
			live = append(live, pending{server: srv.Server, tool: t.Name, desc: desc, prep: p})
		}
	}
	ids := make([]toolID, len(live))
	for i, l := range live {
		ids[i] = toolID{server: l.server, tool: l.tool}
	}
	names := assignNames(ids, opts)
	set.Tools = make([]FunctionTool, len(live))
	set.index = make(map[string]int, len(live))
	for i, l := range live {
		set.Tools[i] = FunctionTool{
			Name:         names[i],
			Server:       l.server,
			Tool:         l.tool,
			Description:  l.desc,
			Parameters:   l.prep.params,
			Strict:       l.prep.strict,
			OutputSchema: l.prep.out.schema(),
			optional:     l.prep.opt,
		}
		set.index[names[i]] = i
	}
	return set, nil
}
