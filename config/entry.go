package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Keys read from a server entry, by what they do. Where tools disagree on a
// name, every spelling is accepted.
var (
	urlKeys       = []string{"url", "httpUrl", "serverUrl"}                 // Cursor/Claude, Gemini CLI, Windsurf
	allowToolKeys = []string{"allowTools", "includeTools", "allowed_tools"} // ours, Gemini CLI, LiteLLM
	denyToolKeys  = []string{"denyTools", "excludeTools", "disallowed_tools"}
	approveKeys   = []string{"alwaysAllow", "autoApprove"}       // Roo Code, Cline
	stdioOnlyKeys = []string{"args", "env", "cwd", "inheritEnv"} // envFile also resolves references, so it is never unused
	httpOnlyKeys  = []string{"headers", "static_headers", "auth", "auth_type", "auth_value", "oauth"}
	// Informational keys that change nothing here.
	quietKeys = map[string]bool{"description": true, "alias": true, "name": true, "version": true, "gallery": true}
	// Keys other tools act on that the bridge does not.
	unsupportedKeys = map[string]string{
		"headersHelper":        "running a command to produce headers is not supported; put the headers in \"headers\" or \"auth\"",
		"authProviderType":     "Google credential providers are not supported; use \"auth\" or \"headers\"",
		"targetAudience":       "Google credential providers are not supported",
		"targetServiceAccount": "Google credential providers are not supported",
		"dev":                  "VS Code development mode is not supported",
		"sandbox":              "VS Code sandboxing is not supported",
		"sandboxEnabled":       "VS Code sandboxing is not supported",
		"extra_headers":        "forwarding a caller's headers is a gateway feature; put the headers in \"headers\"",
		"spec_path":            "OpenAPI-generated servers are not supported",
	}
)

// entryParser reads one server entry, collecting every error and warning.
type entryParser struct {
	name, path string
	dir        string
	vars       *resolver
	fileEnv    map[string]string
	raw        map[string]any
	used       map[string]bool
	errs       []error
	warns      []Warning
}

func newEntryParser(name, path string, vars *resolver, dir string) *entryParser {
	return &entryParser{name: name, path: path, vars: vars, dir: dir, used: map[string]bool{}}
}

func (p *entryParser) fail(key, format string, args ...any) {
	p.errs = append(p.errs, &Error{Path: p.path, Server: p.name, Key: key, Err: fmt.Errorf(format, args...)})
}

func (p *entryParser) warn(key, format string, args ...any) {
	p.warns = append(p.warns, Warning{Server: p.name, Key: key, Message: fmt.Sprintf(format, args...)})
}

// parse returns the server and whether it is disabled.
func (p *entryParser) parse(raw any) (bridge.Server, bool) {
	if p.name == "" {
		p.fail("", "empty server name")
		return bridge.Server{}, false
	}
	m, ok := raw.(map[string]any)
	if !ok {
		p.fail("", "want an object, got %s", kindOf(raw))
		return bridge.Server{}, false
	}
	p.raw = m
	if disabled, _ := p.boolean("disabled"); disabled {
		return bridge.Server{}, true
	}
	s := bridge.Server{}
	s.Name = p.name
	if envFile, ok := p.str("envFile"); ok && envFile != "" {
		p.loadEnvFile(envFile)
	}

	kind := p.transportKind()
	command, hasCommand := p.str("command")
	urlKey, rawURL := p.url()
	switch {
	case hasCommand && urlKey != "":
		p.fail("command", "has both \"command\" and %q", urlKey)
	case hasCommand:
		if kind != "" && kind != mcpclient.TransportStdio {
			p.fail("type", "%q does not go with \"command\"", kind)
		}
		s.Transport = p.stdio(p.expand("command", command))
		p.ignore(httpOnlyKeys, "applies only to servers reached by URL; ignored")
	case urlKey != "":
		switch {
		case kind == mcpclient.TransportStdio:
			p.fail("type", "\"stdio\" does not go with %q", urlKey)
		case urlKey == "httpUrl" && kind == mcpclient.TransportSSE:
			p.fail("type", "\"sse\" does not go with \"httpUrl\" (always streamable HTTP); use \"url\"")
		case kind == "" && urlKey != "httpUrl" && ssePath(rawURL):
			kind = mcpclient.TransportSSE
		case kind == "":
			kind = mcpclient.TransportHTTP
		}
		endpoint := p.expand(urlKey, rawURL)
		if !p.failedOn(urlKey) {
			p.checkURL(urlKey, endpoint)
		}
		s.Transport = p.remote(endpoint, kind == mcpclient.TransportSSE)
		p.ignore(stdioOnlyKeys, "applies only to servers started with \"command\"; ignored")
	default:
		p.fail("", "needs \"command\" or \"url\"")
	}
	if hosted, _ := p.boolean("hosted"); hosted {
		// The Responses API reaches it (bridge.Server, Hosted): only a
		// streamable HTTP server can be.
		switch {
		case hasCommand:
			p.fail("hosted", "a hosted server is reached by the Responses API at its \"url\"; it cannot have a \"command\"")
		case kind == mcpclient.TransportSSE:
			p.fail("hosted", "the Responses API reaches hosted servers over streamable HTTP, not SSE")
		}
		s.Hosted = true
	}
	p.tools(&s)
	p.timeout(&s)
	p.features(&s)
	p.toolSearch(&s)
	p.leftovers()
	return s, false
}

// transportKind reads "type" (Claude Code, VS Code, Copilot) or "transport"
// (LiteLLM).
func (p *entryParser) transportKind() mcpclient.TransportKind {
	key := "type"
	v, ok := p.str("type")
	if t, ok2 := p.str("transport"); ok2 {
		if ok && !strings.EqualFold(t, v) {
			p.fail("transport", "disagrees with \"type\"")
		}
		key, v, ok = "transport", t, true
	}
	if !ok {
		return ""
	}
	switch strings.ToLower(v) {
	case "":
		return ""
	case "stdio", "local":
		return mcpclient.TransportStdio
	case "http", "streamable-http", "streamable_http", "streamablehttp":
		return mcpclient.TransportHTTP
	case "sse":
		return mcpclient.TransportSSE
	}
	p.fail(key, "unknown transport %q (want \"stdio\", \"http\" or \"sse\")", v)
	return ""
}

// url returns the one URL key present and its raw value.
func (p *entryParser) url() (string, string) {
	var key, value string
	for _, k := range urlKeys {
		v, ok := p.str(k)
		if !ok {
			continue
		}
		if key != "" {
			p.fail(k, "has both %q and %q", key, k)
			continue
		}
		key, value = k, v
	}
	return key, value
}

// ssePath reports whether a URL written without a transport looks like an
// SSE endpoint; Gemini CLI's "url" and older Cursor configs point there.
func ssePath(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/sse")
}

// checkURL refuses what no HTTP client can reach, before anything starts.
// The URL itself stays out of the message: it may carry a key.
func (p *entryParser) checkURL(key, raw string) {
	const want = "want an absolute http:// or https:// URL"
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		p.fail(key, "not a URL")
	case u.Scheme == "":
		p.fail(key, "%s, got one with no scheme", want)
	case u.Scheme != "http" && u.Scheme != "https" && u.Opaque != "" && u.Opaque[0] >= '0' && u.Opaque[0] <= '9':
		p.fail(key, "%s, got a host and port with no scheme", want) // "localhost:8080/mcp"
	case u.Scheme != "http" && u.Scheme != "https":
		p.fail(key, "%s, got scheme %q", want, u.Scheme)
	case u.Host == "":
		p.fail(key, "%s, got one with no host", want)
	}
}

// stdio reads the keys of a server started with command.
func (p *entryParser) stdio(command string) *mcpclient.Stdio {
	st := &mcpclient.Stdio{Command: command}
	for i, a := range p.strList("args") {
		st.Args = append(st.Args, p.expand(fmt.Sprintf("args[%d]", i), a))
	}
	env := p.objectOf("env")
	if len(p.fileEnv) > 0 || len(env) > 0 {
		st.Env = make(map[string]string, len(p.fileEnv)+len(env))
		for k, v := range p.fileEnv {
			if err := p.vars.charge(len(k) + len(v)); err != nil {
				p.overBudget("envFile")
				break
			}
			st.Env[k] = v
		}
		for k, raw := range env {
			if v, ok := p.envValue("env."+k, raw); ok {
				st.Env[k] = p.expand("env."+k, v)
			}
		}
		if len(st.Env) == 0 {
			st.Env = nil
		}
	}
	if cwd, ok := p.str("cwd"); ok {
		st.Dir = p.expand("cwd", cwd)
	}
	st.InheritEnv, _ = p.boolean("inheritEnv")
	return st
}

// remote reads the keys of a server reached at endpoint.
func (p *entryParser) remote(endpoint string, sse bool) *mcpclient.HTTP {
	h := &mcpclient.HTTP{URL: endpoint, SSE: sse}
	headers := p.strMap("headers")
	for k, v := range p.strMap("static_headers") {
		if _, dup := headers[k]; dup {
			p.fail("static_headers."+k, "also set in \"headers\"")
		}
		headers[k] = v
	}
	if len(headers) > 0 {
		h.Headers = make(map[string]string, len(headers))
		for k, v := range headers {
			h.Headers[k] = p.expand("headers."+k, v)
		}
	}
	p.auth(h)
	return h
}

func (p *entryParser) loadEnvFile(path string) {
	path = p.expand("envFile", path)
	if path == "" {
		return
	}
	if !filepath.IsAbs(path) && p.dir != "" {
		path = filepath.Join(p.dir, path)
	}
	env, err := p.vars.envFile(path)
	if errors.Is(err, errExpansionBudget) {
		p.overBudget("envFile")
		return
	}
	if err != nil {
		p.fail("envFile", "%w", err)
		return
	}
	p.fileEnv = env
}

func (p *entryParser) tools(s *bridge.Server) {
	for _, k := range allowToolKeys {
		s.AllowTools = append(s.AllowTools, p.strList(k)...)
	}
	// Copilot's "tools": ["*"] exposes everything; a list names the tools.
	for _, t := range p.strList("tools") {
		if t != "*" {
			s.AllowTools = append(s.AllowTools, t)
		}
	}
	for _, k := range denyToolKeys {
		s.DenyTools = append(s.DenyTools, p.strList(k)...)
	}
	for _, k := range approveKeys {
		s.AutoApprove = append(s.AutoApprove, p.strList(k)...)
	}
	// Gemini CLI's "trust" skips every confirmation for the server.
	if trust, _ := p.boolean("trust"); trust {
		s.AutoApprove = append(s.AutoApprove, "*")
	}
}

// timeout reads a per-call timeout: a number of milliseconds (Gemini CLI) or
// a Go duration string such as "30s".
func (p *entryParser) timeout(s *bridge.Server) {
	raw, ok := p.take("timeout")
	if !ok {
		return
	}
	var d time.Duration
	switch v := raw.(type) {
	case json.Number:
		ms, err := v.Float64()
		if err != nil {
			p.fail("timeout", "want a number of milliseconds")
			return
		}
		d = time.Duration(ms * float64(time.Millisecond))
		if ms > 0 && ms < 1000 {
			p.warn("timeout", "%v is read as milliseconds (Gemini CLI's unit); write \"%vs\" for seconds", ms, ms)
		}
	case string:
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			p.fail("timeout", "want milliseconds or a duration such as \"30s\"")
			return
		}
	default:
		p.fail("timeout", "want a number of milliseconds or a duration string, got %s", kindOf(raw))
		return
	}
	if d < 0 {
		p.fail("timeout", "must not be negative")
		return
	}
	s.CallTimeout = d
}

// ignore warns about keys that are present but have no effect on this
// kind of server.
func (p *entryParser) ignore(keys []string, why string) {
	for _, k := range keys {
		if _, ok := p.take(k); ok {
			p.warn(k, "%s", why)
		}
	}
}

// leftovers warns about every key nothing read.
func (p *entryParser) leftovers() {
	for _, k := range sortedKeys(p.raw) {
		if p.used[k] || quietKeys[k] {
			continue
		}
		if why, ok := unsupportedKeys[k]; ok {
			p.warn(k, "%s; ignored", why)
			continue
		}
		p.warn(k, "unknown key; ignored")
	}
}

// expand resolves variables in a value, recording an error that names the
// key (and the variable), never the value.
func (p *entryParser) expand(key, s string) string {
	v, err := p.vars.expand(s, p.fileEnv)
	if errors.Is(err, errBareUnset) {
		p.warn(key, "the value looks like a $VARIABLE reference but that variable is not set; it is used as written (write ${VAR} to make a missing variable an error)")
		return v
	}
	if errors.Is(err, errExpansionBudget) {
		p.overBudget(key)
		return ""
	}
	if err != nil {
		p.fail(key, "%w", err)
		return ""
	}
	return v
}

// overBudget reports, once per file, that variables spent the expansion
// budget at key; parsing stops after this entry.
func (p *entryParser) overBudget(key string) {
	if !p.vars.overReported {
		p.vars.overReported = true
		p.fail(key, "%w", errExpansionBudget)
	}
}

// take marks key as read and returns its raw value; null counts as absent.
func (p *entryParser) take(key string) (any, bool) {
	raw, ok := p.raw[key]
	if !ok {
		return nil, false
	}
	p.used[key] = true
	if raw == nil {
		return nil, false
	}
	return raw, true
}

func (p *entryParser) str(key string) (string, bool) {
	raw, ok := p.take(key)
	if !ok {
		return "", false
	}
	s, ok := raw.(string)
	if !ok {
		p.fail(key, "want a string, got %s", kindOf(raw))
		return "", false
	}
	return s, true
}

func (p *entryParser) boolean(key string) (bool, bool) {
	raw, ok := p.take(key)
	if !ok {
		return false, false
	}
	b, ok := raw.(bool)
	if !ok {
		p.fail(key, "want true or false, got %s", kindOf(raw))
		return false, false
	}
	return b, true
}

func (p *entryParser) strList(key string) []string {
	raw, ok := p.take(key)
	if !ok {
		return nil
	}
	return decodeStrList(raw, func(sub, format string, args ...any) { p.fail(key+sub, format, args...) })
}

func decodeStrList(raw any, fail func(sub, format string, args ...any)) []string {
	items, ok := raw.([]any)
	if !ok {
		fail("", "want a list of strings, got %s", kindOf(raw))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok := asString(it)
		if !ok {
			fail(fmt.Sprintf("[%d]", i), "want a string, got %s", kindOf(it))
			continue
		}
		out = append(out, s)
	}
	return out
}

// strMap reads an object of strings, such as "headers".
func (p *entryParser) strMap(key string) map[string]string {
	out := map[string]string{}
	for k, raw := range p.objectOf(key) {
		s, ok := asString(raw)
		if !ok {
			p.fail(key+"."+k, "want a string, got %s", kindOf(raw))
			continue
		}
		out[k] = s
	}
	return out
}

// envValue reads a value of "env": a string, or a number or boolean taken
// as written (VS Code allows them); null leaves the variable out.
func (p *entryParser) envValue(key string, raw any) (string, bool) {
	switch v := raw.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case nil:
	default:
		p.fail(key, "want a string, got %s", kindOf(raw))
	}
	return "", false
}

func (p *entryParser) objectOf(key string) map[string]any {
	raw, ok := p.take(key)
	if !ok {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		p.fail(key, "want an object, got %s", kindOf(raw))
		return nil
	}
	return m
}
