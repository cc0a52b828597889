package bridge

// The tool set: listing each server's tools, converting them into one
// immutable snapshot per change, and what it offers and reports.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/internal/jsonschema"
	"github.com/mcpbridge/mcpbridge/internal/toolindex"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// toolSet is an immutable snapshot of the converted tools: what one turn
// offers and how its calls are routed and checked.
type toolSet struct {
	set    *convert.ToolSet
	params []oai.ToolUnionParam
	byName map[string]*route // by flat function name (Bridge.Call)

	// What the model is offered and calls by (toolsearch.go).
	mode      ToolSearchMode // resolved: never ToolSearchAuto
	ns        *convert.NamespaceSet
	byKey     map[string]*route // by functionKey(namespace, name)
	keys      []string          // byKey's keys in tool set order
	indexOnce sync.Once
	ix        *toolindex.Index // client search index, built on first search
	docs      *searchDocs      // the Bridge's analyses, shared by its tool sets (searchindex.go)
}

// A server's tools/list ttlMs (2026-07-28) is kept within these bounds: a
// listing is not fetched again more than once a second per server, however
// short the server says it keeps, nor kept longer than an hour.
const (
	minToolsTTL = time.Second
	maxToolsTTL = time.Hour
)

// list relists one server's tools and stores the exposed ones.
func (b *Bridge) list(ctx context.Context, c *conn) error {
	c.stale.Store(false)
	var skipped []convert.Diagnostic
	var listed []mcpclient.Tool
	var err error
	ttl := time.Duration(-1)
	if c.client.Capabilities().Tools != nil {
		listed, err = c.client.ListTools(ctx, mcpclient.ReportSkipped(func(s mcpclient.SkippedTool) {
			skipped = append(skipped, convert.Diagnostic{Server: c.srv.Name, Tool: s.Name, Field: "name", Reason: s.Reason, Dropped: true})
		}), mcpclient.ReportTTL(func(d time.Duration) { ttl = d }))
	} // else a server with only resources or prompts: no tools to list
	if ttl >= 0 {
		c.expires.Store(time.Now().Add(min(max(ttl, minToolsTTL), maxToolsTTL)).UnixNano())
	} else {
		c.expires.Store(0)
	}
	if err != nil {
		c.stale.Store(true)
		return err
	}
	tools := make([]convert.Tool, 0, len(listed))
	hints := make(map[string]toolHints)
	for _, t := range listed {
		if !c.exposes(t.Name) {
			continue
		}
		tools = append(tools, convert.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema, OutputSchema: t.OutputSchema})
		h := hintsOf(t.Annotations)
		h.task = t.TaskSupport == mcp.TaskSupportRequired
		h.icon = convert.IconURL(t.Icons)
		if h != (toolHints{}) {
			hints[t.Name] = h
		}
	}
	c.mu.Lock()
	c.tools = tools
	c.hints = hints
	c.skipped = skipped
	c.mu.Unlock()
	return nil
}

// rebuild converts the current tool lists of all servers into a new
// snapshot. With WithValidateArguments it compiles the input schemas
// while ctx lasts (the rest compile on first use).
func (b *Bridge) rebuild(ctx context.Context) error {
	in := make([]convert.ServerTools, 0, len(b.order))
	hints := make(map[[2]string]toolHints)
	for _, name := range b.order {
		c := b.conns[name]
		c.mu.Lock()
		in = append(in, convert.ServerTools{Server: name, Tools: c.tools})
		for t, h := range c.hints {
			hints[[2]string{name, t}] = h
		}
		c.mu.Unlock()
	}
	in, builtins, extraDiags := b.withBuiltins(in)
	sources := make(map[[2]string]convert.Tool)
	for _, st := range in {
		for _, t := range st.Tools {
			sources[[2]string{st.Server, t.Name}] = t
		}
	}
	set, err := b.conv.Convert(in)
	if err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	set.Diagnostics = append(set.Diagnostics, extraDiags...)
	ts := &toolSet{
		docs:   &b.searchDocs,
		set:    set,
		params: make([]oai.ToolUnionParam, 0, len(set.Tools)),
		byName: make(map[string]*route, len(set.Tools)),
	}
	keep := make([][]byte, 0, len(set.Tools))
	for i := range set.Tools {
		if b.cfg.run.validateArgs {
			// A schema past the compile bounds is never compiled: say so.
			if err := jsonschema.CheckBounds(sources[[2]string{set.Tools[i].Server, set.Tools[i].Tool}].InputSchema); err != nil {
				set.Diagnostics = append(set.Diagnostics, convert.Diagnostic{Server: set.Tools[i].Server, Tool: set.Tools[i].Tool, Field: "inputSchema",
					Reason: err.Error() + "; its arguments are not checked (WithValidateArguments), the server checks them"})
			}
		}
	}
	for i := range set.Tools {
		ft := &set.Tools[i]
		at := [2]string{ft.Server, ft.Tool}
		run := builtins[at]
		if run == nil {
			run = runTool
		}
		ts.byName[ft.Name] = &route{conn: b.conns[ft.Server], fn: ft, sent: ft, key: ft.Name, src: sources[at], run: run, hints: hints[at]}
		keep = append(keep, sources[at].InputSchema)
	}
	b.offer(ts)
	// Compile every input schema once per tool set, not once per call; a
	// run that turns validation on later compiles on first use.
	b.compiled.Retain(keep)
	if b.cfg.run.validateArgs {
		for _, raw := range keep {
			if ctx.Err() != nil {
				break // the rest compile on first use
			}
			if _, err := b.compiled.Get(raw); err != nil {
				b.log.Debug("input schema does not compile; arguments go unchecked", "error", err)
			}
		}
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
		Name:         ft.Name,
		Parameters:   ft.Parameters,
		Strict:       param.NewOpt(ft.Strict),
		OutputSchema: ft.OutputSchema,
	}
	if ft.Description != "" {
		fn.Description = param.NewOpt(ft.Description)
	}
	return oai.ToolUnionParam{OfFunction: fn}
}

// RequestTools returns the tools to put in a Responses request of a
// program that runs its own loop (with [Bridge.Call] for each function call
// the model makes): the function tools, or with [WithNamespaces] one
// namespace tool per server; with tool search, only the functions not
// deferred and the tool_search tool. [Bridge.Run] and [Bridge.Stream] add
// them by themselves. Hosted servers come last, as the API's mcp tools
// (their approval requests are the program's to answer then). The slice
// is a fresh copy; the schemas inside are shared and must not be modified.
func (b *Bridge) RequestTools() []oai.ToolUnionParam {
	ts := b.current.Load()
	return append(append([]oai.ToolUnionParam(nil), ts.params...), b.hostedTools(ts.mode)...)
}

// Routes returns every function the model may call, by the name it calls
// it ("name", or "namespace/name" with [WithNamespaces]), with the server
// and MCP tool it goes to and the icon to show for it (the tool's, else
// its server's): the Route a call to it carries.
func (b *Bridge) Routes() map[string]responses.Route {
	ts := b.current.Load()
	out := make(map[string]responses.Route, len(ts.byKey))
	for k, r := range ts.byKey {
		out[k] = r.route(ts.mode)
	}
	return out
}

// Diagnostics reports what the conversion of the servers' tools repaired
// or dropped, and the servers New left out, sorted by server and tool.
func (b *Bridge) Diagnostics() []Diagnostic {
	ds := append([]convert.Diagnostic(nil), b.current.Load().set.Diagnostics...)
	for _, name := range b.order {
		c := b.conns[name]
		c.mu.Lock()
		ds = append(ds, c.skipped...)
		c.mu.Unlock()
	}
	for _, m := range b.missing {
		ds = append(ds, convert.Diagnostic{Server: m.Server, Reason: "server left out: " + m.Error(), Dropped: true})
	}
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Server != ds[j].Server {
			return ds[i].Server < ds[j].Server
		}
		return ds[i].Tool < ds[j].Tool
	})
	return ds
}

// expired reports whether c's listing outlived the server's ttlMs.
func (c *conn) expired(now time.Time) bool {
	at := c.expires.Load()
	return at != 0 && now.UnixNano() >= at
}

// refreshStale relists only the servers that announced a change, or whose
// listing outlived the ttlMs they gave it.
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
	now := time.Now()
	for _, name := range b.order {
		c := b.conns[name]
		if onlyStale && !c.stale.Load() && !c.expired(now) {
			continue
		}
		any = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.list(ctx, c); err != nil {
				mu.Lock()
				errs = append(errs, asServerError(name, mcpclient.OpList, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if !any {
		return nil
	}
	if err := b.rebuild(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
