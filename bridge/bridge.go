// Package bridge puts a set of MCP servers behind one tool set for a model
// served by the OpenAI Responses API, and runs the tool calls the model makes
// against the right server.
//
// Most programs need two calls: New (connect to every server and build the
// tool set) and Bridge.Run (drive the Responses loop until the model stops
// calling tools), or the one-shot Run that does both and closes. Programs
// that run their own loop use Bridge.Tools for the request and Bridge.Call
// (or Bridge.Execute) for each function call the model makes.
//
// In Bridge.Run a call is routed through the tool set sent in the request
// that produced it: the model can call only what it was offered. When a
// server announces that its tools changed, the bridge relists it before the
// next request (WithRefreshOnListChanged).
package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/internal/jsonschema"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// ErrUnknownFunction is returned (and reported to the model) when a function
// call names a function that is not in the bridge's tool set.
var ErrUnknownFunction = errors.New("unknown function")

// ErrInvalidArguments is returned (and reported to the model) when a call's
// arguments are not a JSON object or, with WithValidateArguments, do not
// match the tool's input schema.
var ErrInvalidArguments = errors.New("invalid arguments")

// ErrNoServers is returned by New when no server could be used.
var ErrNoServers = errors.New("no MCP server available")

// ErrClosed is returned by calls on a closed Bridge.
var ErrClosed = errors.New("bridge closed")

// Server describes one MCP server behind the bridge: how to reach it
// (the embedded mcpclient.Config) and which of its tools to expose.
type Server struct {
	mcpclient.Config
	// AllowTools, when not empty, lists the only MCP tool names exposed.
	AllowTools []string
	// DenyTools lists MCP tool names never exposed, even if allowed.
	DenyTools []string
	// Resources gives the model two function tools for the server's
	// resources, server__list_resources and server__read_resource, when
	// the server declares resources (see resources.go). Off by default.
	Resources bool
	// Prompts gives the model server__list_prompts and server__get_prompt
	// when the server declares prompts. Off by default.
	Prompts bool
}

// Stdio describes a server started as a local process speaking MCP on
// stdin/stdout.
func Stdio(name, command string, args ...string) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: mcpclient.TransportStdio, Command: command, Args: args}}
}

// HTTP describes a server reached over MCP streamable HTTP at url.
func HTTP(name, url string) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: mcpclient.TransportHTTP, URL: url}}
}

// SSE describes a server reached over the MCP HTTP+SSE transport at url.
func SSE(name, url string) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: mcpclient.TransportSSE, URL: url}}
}

// InProcess describes a server running in this process.
func InProcess(name string, s *server.MCPServer) Server {
	return Server{Config: mcpclient.Config{Name: name, Transport: mcpclient.TransportInProcess, InProcess: s}}
}

// ServerError reports a server that New could not use.
type ServerError struct {
	Server string
	Err    error
}

func (e *ServerError) Error() string { return fmt.Sprintf("mcp server %q: %v", e.Server, e.Err) }

// Unwrap returns the cause.
func (e *ServerError) Unwrap() error { return e.Err }

// CallError reports a failed tool call, naming the function, the server and
// the MCP tool it was routed to.
type CallError struct {
	Function string
	Server   string
	Tool     string
	Err      error
}

func (e *CallError) Error() string {
	if e.Server == "" {
		return fmt.Sprintf("function %q: %v", e.Function, e.Err)
	}
	return fmt.Sprintf("server %q tool %q: %v", e.Server, e.Tool, e.Err)
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }

// conn is one connected server.
type conn struct {
	srv    Server
	client *mcpclient.Client
	sem    chan struct{}
	allow  map[string]bool
	deny   map[string]bool
	stale  atomic.Bool

	mu    sync.Mutex
	tools []convert.Tool // filtered, as last listed
	// raw input schemas by tool name, for argument validation.
	schemas map[string]json.RawMessage
}

func (c *conn) exposes(tool string) bool {
	if c.deny[tool] {
		return false
	}
	return len(c.allow) == 0 || c.allow[tool]
}

// toolSet is an immutable snapshot of the converted tools.
type toolSet struct {
	set    *convert.ToolSet
	params []oai.ToolUnionParam
	byName map[string]*convert.FunctionTool
	extra  map[string]map[string]bool // server -> built-in tools added (resources.go)
}

// Bridge is a set of connected MCP servers behind one tool set. It is safe
// for concurrent use: many runs may share one Bridge.
type Bridge struct {
	opts    options
	sampler *sampler // nil without WithSampling (sampling.go)
	conv    *convert.Converter
	log     *slog.Logger
	conns   map[string]*conn
	order   []string

	failedMu sync.Mutex
	failed   map[string]error

	refreshMu sync.Mutex // serializes refreshes
	current   atomic.Pointer[toolSet]

	closeOnce sync.Once
	closed    atomic.Bool
	closeErr  error
}

// New connects to every server at the same time, lists their tools and
// builds one tool set. A server that fails is left out and reported by
// Failed and Diagnostics (unless WithSkipFailedServers(false)); New fails
// only when no server could be used. Close releases everything New started.
func New(ctx context.Context, servers []Server, opts ...Option) (*Bridge, error) {
	o := buildOptions(defaultOptions(), opts)
	log := o.logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := checkServers(servers); err != nil {
		return nil, err
	}
	b := &Bridge{
		opts:   o,
		conv:   convert.NewConverter(o.convert),
		log:    log,
		conns:  make(map[string]*conn, len(servers)),
		failed: map[string]error{},
	}
	if o.sampling != nil {
		s, err := newSampler(b, *o.sampling)
		if err != nil {
			return nil, err
		}
		b.sampler = s
	}

	type connected struct {
		c   *conn
		err error
	}
	results := make([]connected, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := b.connect(ctx, s)
			results[i] = connected{c, err}
		}()
	}
	wg.Wait()

	var errs []error
	for i, r := range results {
		name := servers[i].Name
		if r.err != nil {
			errs = append(errs, &ServerError{Server: name, Err: r.err})
			b.failed[name] = r.err
			log.Warn("mcp server left out", "server", name, "error", r.err)
			continue
		}
		b.conns[name] = r.c
		b.order = append(b.order, name)
	}
	if len(errs) > 0 && (!o.skipFailed || len(b.conns) == 0) {
		_ = b.Close()
		if len(b.conns) == 0 && len(servers) > 0 {
			errs = append([]error{ErrNoServers}, errs...)
		}
		return nil, errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := b.rebuild(); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// checkServers rejects empty and duplicate server names before anything is
// started.
func checkServers(servers []Server) error {
	seen := make(map[string]bool, len(servers))
	for i, s := range servers {
		if s.Name == "" {
			return fmt.Errorf("bridge: server #%d has no name", i)
		}
		if seen[s.Name] {
			return fmt.Errorf("bridge: server name %q used twice", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

func (b *Bridge) connect(ctx context.Context, s Server) (*conn, error) {
	cfg := s.Config
	c := &conn{srv: s, sem: make(chan struct{}, max(1, b.opts.serverConcurrency))}
	if len(s.AllowTools) > 0 {
		c.allow = toSet(s.AllowTools)
	}
	c.deny = toSet(s.DenyTools)
	userChanged := cfg.OnToolsChanged
	cfg.OnToolsChanged = func(server string) {
		c.stale.Store(true)
		if userChanged != nil {
			userChanged(server)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = b.log
	}
	b.extendConfig(&cfg)
	if d := b.opts.connectTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	client, err := mcpclient.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.client = client
	if err := b.list(ctx, c); err != nil {
		_ = client.Close()
		return nil, err
	}
	return c, nil
}

func toSet(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// list relists one server's tools and stores the exposed ones.
func (b *Bridge) list(ctx context.Context, c *conn) error {
	c.stale.Store(false)
	var listed []mcpclient.Tool
	var err error
	if c.client.Capabilities().Tools != nil {
		listed, err = c.client.ListTools(ctx)
	} // else a server with only resources or prompts: no tools to list
	if err != nil {
		c.stale.Store(true)
		return err
	}
	tools := make([]convert.Tool, 0, len(listed))
	schemas := make(map[string]json.RawMessage, len(listed))
	for _, t := range listed {
		if !c.exposes(t.Name) {
			continue
		}
		tools = append(tools, convert.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema})
		schemas[t.Name] = t.InputSchema
	}
	c.mu.Lock()
	c.tools = tools
	c.schemas = schemas
	c.mu.Unlock()
	return nil
}

// rebuild converts the current tool lists of all servers into a new snapshot.
func (b *Bridge) rebuild() error {
	in := make([]convert.ServerTools, 0, len(b.order))
	for _, name := range b.order {
		c := b.conns[name]
		c.mu.Lock()
		in = append(in, convert.ServerTools{Server: name, Tools: c.tools})
		c.mu.Unlock()
	}
	in, extra, extraDiags := b.withExtraTools(in)
	set, err := b.conv.Convert(in)
	if err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	set.Diagnostics = append(set.Diagnostics, extraDiags...)
	ts := &toolSet{
		extra:  extra,
		set:    set,
		params: make([]oai.ToolUnionParam, len(set.Tools)),
		byName: make(map[string]*convert.FunctionTool, len(set.Tools)),
	}
	for i := range set.Tools {
		ft := &set.Tools[i]
		ts.params[i] = functionToolParam(ft)
		ts.byName[ft.Name] = ft
	}
	for _, d := range set.Diagnostics {
		b.log.Debug("tool diagnostic", "server", d.Server, "tool", d.Tool, "field", d.Field, "reason", d.Reason, "dropped", d.Dropped)
	}
	b.current.Store(ts)
	return nil
}

// functionToolParam turns a converted tool into the Responses API form.
// strict is always sent: leaving it out makes the API treat the schema as
// strict and invent values for optional arguments.
func functionToolParam(ft *convert.FunctionTool) oai.ToolUnionParam {
	fn := &oai.FunctionToolParam{
		Name:       ft.Name,
		Parameters: ft.Parameters,
		Strict:     param.NewOpt(ft.Strict),
	}
	if ft.Description != "" {
		fn.Description = param.NewOpt(ft.Description)
	}
	return oai.ToolUnionParam{OfFunction: fn}
}

// Tools returns the function tools to put in a Responses request. The slice
// is a fresh copy; the schemas inside are shared and must not be modified.
func (b *Bridge) Tools() []oai.ToolUnionParam {
	return append([]oai.ToolUnionParam(nil), b.current.Load().params...)
}

// FunctionTools returns the converted tools with their origin (server and
// MCP tool name) and the strict-mode decision for each.
func (b *Bridge) FunctionTools() []convert.FunctionTool {
	return append([]convert.FunctionTool(nil), b.current.Load().set.Tools...)
}

// Lookup returns the server and MCP tool a function name routes to.
func (b *Bridge) Lookup(functionName string) (server, tool string, ok bool) {
	return b.current.Load().set.Lookup(functionName)
}

// Diagnostics reports what the conversion repaired or dropped, and the
// servers New left out, sorted by server and tool.
func (b *Bridge) Diagnostics() []convert.Diagnostic {
	ds := append([]convert.Diagnostic(nil), b.current.Load().set.Diagnostics...)
	b.failedMu.Lock()
	for name, err := range b.failed {
		ds = append(ds, convert.Diagnostic{Server: name, Reason: "server left out: " + err.Error(), Dropped: true})
	}
	b.failedMu.Unlock()
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Server != ds[j].Server {
			return ds[i].Server < ds[j].Server
		}
		return ds[i].Tool < ds[j].Tool
	})
	return ds
}

// Failed returns the servers New could not use, with their errors.
func (b *Bridge) Failed() map[string]error {
	b.failedMu.Lock()
	defer b.failedMu.Unlock()
	m := make(map[string]error, len(b.failed))
	for k, v := range b.failed {
		m[k] = v
	}
	return m
}

// Servers returns the names of the connected servers, in the order given to New.
func (b *Bridge) Servers() []string { return append([]string(nil), b.order...) }

// Refresh relists every server's tools and rebuilds the tool set. Tools that
// did not change are not converted again.
func (b *Bridge) Refresh(ctx context.Context) error {
	return b.refresh(ctx, false)
}

// refreshStale relists only the servers that announced a change.
func (b *Bridge) refreshStale(ctx context.Context) error {
	return b.refresh(ctx, true)
}

func (b *Bridge) refresh(ctx context.Context, onlyStale bool) error {
	if b.closed.Load() {
		return ErrClosed
	}
	b.refreshMu.Lock()
	defer b.refreshMu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		any  bool
	)
	for _, name := range b.order {
		c := b.conns[name]
		if onlyStale && !c.stale.Load() {
			continue
		}
		any = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.list(ctx, c); err != nil {
				mu.Lock()
				errs = append(errs, &ServerError{Server: name, Err: err})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if !any {
		return nil
	}
	if err := b.rebuild(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Execute runs one function call of the model. It implements
// responses.Executor, so a Bridge can drive responses.Run directly.
func (b *Bridge) Execute(ctx context.Context, call responses.Call) (responses.Output, error) {
	return b.Call(ctx, call.Name, call.Arguments)
}

// Call routes a function call to its server by the exact reverse name map and
// returns the tool's output. A tool that reports an error (isError) is not a
// Go error: its output is marked IsError. Errors are *CallError values that
// name the function, the server and the tool.
func (b *Bridge) Call(ctx context.Context, functionName, arguments string) (responses.Output, error) {
	return b.call(ctx, b.current.Load(), functionName, arguments, &b.opts)
}

// runExecutor executes the calls of one run with that run's options. It
// routes each call through the tool set offered to the model in the run's
// latest turn: the model can call only what it was given, and a relist in
// the middle of a turn cannot reroute a name it was given.
type runExecutor struct {
	b       *Bridge
	o       *options
	offered atomic.Pointer[toolSet]
}

func (e *runExecutor) Execute(ctx context.Context, call responses.Call) (responses.Output, error) {
	ts := e.offered.Load()
	if ts == nil { // calls resumed before this run offered anything
		ts = e.b.current.Load()
	}
	return e.b.call(ctx, ts, call.Name, call.Arguments, e.o)
}

func (b *Bridge) call(ctx context.Context, ts *toolSet, functionName, arguments string, o *options) (responses.Output, error) {
	if b.closed.Load() {
		return responses.Output{}, ErrClosed
	}
	ft, ok := ts.byName[functionName]
	if !ok {
		return responses.Output{}, &CallError{Function: functionName, Err: ErrUnknownFunction}
	}
	c := b.conns[ft.Server]
	fail := func(err error) (responses.Output, error) {
		return responses.Output{}, &CallError{Function: functionName, Server: ft.Server, Tool: ft.Tool, Err: err}
	}
	args, err := normalizeArguments(arguments)
	if err != nil {
		return fail(err)
	}
	// In strict form the model sends null for arguments it leaves out;
	// the server gets the call as its own schema describes it.
	args = ft.StripAddedNulls(args)
	if out, ok, err := b.callExtra(ctx, ts, ft, args, o); ok {
		if err != nil {
			return fail(err)
		}
		return out, nil
	}
	if o.validateArgs {
		c.mu.Lock()
		schema := c.schemas[ft.Tool]
		c.mu.Unlock()
		if err := jsonschema.ValidateJSON(schema, args); err != nil {
			return fail(fmt.Errorf("%w: %w", ErrInvalidArguments, err))
		}
	}

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	defer func() { <-c.sem }()

	var callOpts []mcpclient.CallOption
	if o.progress != nil {
		progress, server, tool := o.progress, ft.Server, ft.Tool
		callOpts = append(callOpts, mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) {
			progress(server, tool, p)
		}))
	}
	start := time.Now()
	res, err := c.client.CallTool(ctx, ft.Tool, args, callOpts...)
	b.log.Debug("tool call", "server", ft.Server, "tool", ft.Tool, "duration", time.Since(start), "ok", err == nil)
	if err != nil {
		return fail(err)
	}
	out := convert.Result(res, convert.ResultOptions{ArrayOutputs: o.arrayOutputs, MaxBytes: o.maxOutputBytes})
	return toOutput(out), nil
}

// normalizeArguments checks that the model's arguments are one JSON object;
// an empty string counts as {}.
func normalizeArguments(arguments string) (json.RawMessage, error) {
	if len(arguments) == 0 {
		return json.RawMessage("{}"), nil
	}
	raw := json.RawMessage(arguments)
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%w: not valid JSON", ErrInvalidArguments)
	}
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidArguments)
	}
	return raw, nil
}

// toOutput converts a tool result to the loop's output form.
func toOutput(o convert.Output) responses.Output {
	out := responses.Output{Text: o.Text, IsError: o.IsError}
	if len(o.Parts) > 0 {
		out.Parts = make([]responses.Part, len(o.Parts))
		for i, p := range o.Parts {
			out.Parts[i] = responses.Part{
				Type:     responses.PartType(p.Type),
				Text:     p.Text,
				ImageURL: p.ImageURL,
				FileData: p.FileData,
				Filename: p.Filename,
			}
		}
	}
	return out
}

// Close disconnects every server and stops every process New started. It is
// safe to call more than once.
func (b *Bridge) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for _, c := range b.conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.client.Close(); err != nil {
					mu.Lock()
					errs = append(errs, &ServerError{Server: c.srv.Name, Err: err})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}
