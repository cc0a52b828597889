// Package mcpclient is one connection to one MCP server, over stdio (a
// child process), SSE, streamable HTTP or in-process (an mcp-go
// server.MCPServer), behind a single *Client type. It is built on mcp-go's
// client and adds what a bridge needs from it:
//
//   - Connect offers 2026-07-28 first (server/discover, the stateless
//     protocol) and settles on the newest version the server speaks,
//     without waiting on an older stdio server that ignores the probe; on
//     2026-07-28 it keeps a subscriptions/listen stream open for the list
//     changes and resource updates the program hears of.
//   - ListTools follows pagination and keeps every tool's schemas exactly
//     as the server sent them (mcp-go's typed Tool drops top-level schema
//     keys such as $schema, description or anyOf).
//   - CallTool takes raw JSON arguments, returns the whole result and is
//     safe for concurrent use; WithProgress routes progress notifications.
//     Calls the server runs as tasks (2025-11-25's task-augmented calls,
//     AsTask; 2026-07-28's tasks extension) are waited for with bounded
//     polling and cancelled when the caller gives up (tasks.go).
//   - A stdio server runs in its own process group; Close terminates the
//     group (SIGTERM, SIGKILL after CloseGrace) and reaps it. A crashed
//     server fails the calls in flight with ErrProcessExited (and the
//     stderr tail) and is restarted on the next call, a bounded number of
//     times in a row, with backoff.
//   - An expired streamable HTTP session is re-initialized and the request
//     retried once; a dropped SSE stream is reconnected on the next request.
//     A response the server sends on a GET stream instead of the request's
//     own stream still answers the request (strays.go).
//   - Sessions pools per-user sessions with one HTTP server: the User in
//     a request's context (WithUser) picks that user's session, opened
//     with their headers or token, never shared with another user.
//   - Errors are *Error values naming the server and the failed step;
//     values handed to the server that may carry credentials are scrubbed
//     from them and from the stderr tail (scrub.go).
//   - The client features beyond tools: sampling (Config.OnSampling),
//     roots (Config.Roots, SetRoots), resources and prompts
//     (ListResources, ReadResource, Subscribe, ListPrompts, GetPrompt...)
//     and server log lines, which go to Config.Logger (Config.LogLevel,
//     SetLogLevel). initialize declares exactly the configured capabilities.
//   - Skills over MCP (ListSkills, GetSkill, LoadSkill, ReadSkillFile):
//     skill files are read only when asked for and handed out only once
//     they match the skill's entry (skills.go).
//
// Config holds what every server needs; its Transport (a *Stdio, an *HTTP
// or an *InProcess) holds what reaching this one takes.
//
// Environment of stdio servers: unless Stdio.InheritEnv is set, the child
// gets only the variables listed in InheritedEnv (and LC_*) from this
// process, plus Stdio.Env. Environment and header values are never
// logged.
package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// Client is a connection to one MCP server. Its methods are safe for
// concurrent use.
type Client struct {
	cfg      Config
	stdio    *Stdio // cfg.Transport when it is one (defaults filled in)
	http     *HTTP  // likewise; HTTPClient is the wrapped client in use
	life     context.Context
	stopLife context.CancelFunc
	progress *progressRouter
	tasks    taskWatch // waiters on tasks the server runs (tasks.go)
	queue    *notifyQueue
	ext      extState // roots, log level, subscriptions (roots.go)
	// secrets are the values handed to the server that its echoes must
	// not carry into errors and logs (scrub.go).
	secrets *scrubber
	// strays routes responses that a streamable HTTP server sends on a GET
	// stream (strays.go); nil for other transports.
	strays *strayResponses
	// ownHTTP is the transport of the http.Client made for this Client when
	// HTTP.HTTPClient is nil; Close drops its idle connections.
	ownHTTP *http.Transport

	mu       sync.Mutex
	sess     *session
	closed   bool
	attempt  *attempt // reconnection in progress
	restarts int      // stdio restarts since the last successful request
	// negotiated is the protocol version of the last session, which later
	// dials ask for when it is a handshake version (session.go).
	negotiated string
	dials      sync.WaitGroup
	bg         sync.WaitGroup // tasks/cancel sent in the background (tasks.go)

	closeOnce sync.Once
	closeErr  error
}

// attempt is one reconnection; concurrent requests wait for it.
type attempt struct {
	done chan struct{}
	err  error
}

// Connect starts the server (stdio), or opens the connection, and performs
// the initialize handshake. ctx bounds connecting only. On failure the
// error is an *Error with Op OpSpawn or OpHandshake, and nothing is left
// running.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, life: life, stopLife: stop, progress: newProgressRouter(), secrets: newScrubber(cfg.Transport)}
	c.cfg.Logger = scrubLogger(c.cfg.Logger, c.secrets)
	cfg = c.cfg
	c.ext.init(cfg)
	switch t := cfg.Transport.(type) {
	case *Stdio:
		c.stdio = t
	case *HTTP:
		c.http = t // a copy made by withDefaults
		if !t.SSE {
			c.strays = newStrayResponses()
		}
		c.http.HTTPClient, c.ownHTTP = httpClientFor(cfg.Name, t, cfg.MaxMessageBytes, cfg.Logger, c.secrets, c.strays)
	}
	if cfg.OnNotification != nil || cfg.OnToolsChanged != nil || cfg.OnResourceUpdated != nil {
		c.queue = newNotifyQueue(func(limit int) {
			c.cfg.Logger.Warn("mcp server sends notifications faster than the callbacks take them; dropping the excess",
				"server", c.cfg.Name, "queued", limit)
		})
	}
	s, err := c.dial(ctx)
	if err != nil {
		stop()
		if c.queue != nil {
			c.queue.stop()
		}
		if c.ownHTTP != nil {
			c.ownHTTP.CloseIdleConnections()
		}
		return nil, err
	}
	c.sess = s
	return c, nil
}

// Name returns Config.Name.
func (c *Client) Name() string { return c.cfg.Name }

// Transport returns the transport in use.
func (c *Client) Transport() TransportKind { return c.cfg.Transport.Kind() }

// ServerInfo returns the name and version the server reported in its
// latest handshake.
func (c *Client) ServerInfo() mcp.Implementation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return mcp.Implementation{}
	}
	return c.sess.info.ServerInfo
}

// ProtocolVersion returns the protocol version negotiated in the latest
// handshake.
func (c *Client) ProtocolVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.info.ProtocolVersion
}

// Instructions returns the instructions the server sent in its latest
// handshake, if any.
func (c *Client) Instructions() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.info.Instructions
}

// Pid returns the process id of a stdio server (also its process group
// id), or 0 for other transports or when no process runs.
func (c *Client) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil || c.sess.stdio == nil {
		return 0
	}
	return c.sess.stdio.Pid()
}

// Stderr returns the kept tail of a stdio server's stderr ("" for other
// transports).
func (c *Client) Stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.secrets.scrub(c.sess.stderr())
}

// ListTools lists every tool of the server, following nextCursor until the
// last page. Tool definitions are taken from the raw tools/list JSON, so
// schemas, annotations and _meta are exactly as the server sent them, and
// no tool is filtered out (mcp-go drops tools with invalid x-mcp-header
// annotations on 2026-07-28 HTTP connections; this method does not). A
// repeated cursor is an error. Entries that are not objects with a name,
// and repeats of a name already listed, are skipped, logged and passed to
// the ReportSkipped option.
func (c *Client) ListTools(ctx context.Context, opts ...ListOption) ([]Tool, error) {
	var o listOptions
	for _, opt := range opts {
		opt(&o)
	}
	var tools []Tool
	var skipped []SkippedTool
	var ttl time.Duration
	var hasTTL bool
	err := c.do(ctx, OpList, "", func(ctx context.Context, s *session) error {
		ctx = withListBudget(ctx, c.cfg.MaxMessageBytes)
		tools, skipped = tools[:0], skipped[:0]
		hasTTL = false
		index := 0 // of the next entry, counted over all pages
		seenTool := map[string]bool{}
		seenCursor := map[string]bool{}
		cursor := ""
		for {
			pageCtx, sink := withSink(ctx, string(mcp.MethodToolsList))
			req := mcp.ListToolsRequest{}
			req.Params.Cursor = mcp.Cursor(cursor)
			_, err := s.mc.ListToolsByPage(pageCtx, req)
			raw := sink.get()
			if raw == nil {
				if err == nil {
					err = errors.New("answered without a result")
				}
				return fmt.Errorf("tools/list: %w", err)
			}
			if err != nil {
				// The server answered but mcp-go could not decode it into its
				// types; the raw result is what we use anyway.
				c.cfg.Logger.Debug("mcp-go could not decode a tools/list page; using the raw result", "server", c.cfg.Name, "err", err)
			}
			page, next, bad, err := parseToolsPage(raw, index)
			if err != nil {
				return err
			}
			if d, ok := ttlOf(raw); ok && (!hasTTL || d < ttl) {
				ttl, hasTTL = d, true
			}
			index += len(page) + len(bad)
			for _, b := range bad {
				c.cfg.Logger.Warn("mcp server listed an invalid tool; skipped", "server", c.cfg.Name, "entry", b.Index, "reason", b.Reason)
				skipped = append(skipped, b)
			}
			for _, t := range page {
				if seenTool[t.Name] {
					c.cfg.Logger.Warn("mcp server listed a tool twice; keeping the first", "server", c.cfg.Name, "tool", t.Name)
					skipped = append(skipped, SkippedTool{Index: t.index, Name: t.Name, Reason: "listed twice; the first one is kept"})
					continue
				}
				if reason := c.headerAnnotationFault(s, t.Tool); reason != "" {
					c.cfg.Logger.Warn("mcp server listed a tool with invalid x-mcp-header annotations; skipped", "server", c.cfg.Name, "tool", t.Name, "reason", reason)
					skipped = append(skipped, SkippedTool{Index: t.index, Name: t.Name, Reason: reason})
					continue
				}
				seenTool[t.Name] = true
				tools = append(tools, t.Tool)
			}
			if next == "" {
				return nil
			}
			if seenCursor[next] {
				return fmt.Errorf("tools/list cursor %q repeated", next)
			}
			seenCursor[next] = true
			cursor = next
		}
	})
	if err != nil {
		return nil, err
	}
	if o.skipped != nil {
		for _, sk := range skipped {
			o.skipped(sk)
		}
	}
	if o.ttl != nil && hasTTL {
		o.ttl(ttl)
	}
	return tools, nil
}

// CallTool calls the named tool with args, a JSON object (nil or empty
// means no arguments), sent byte for byte. It returns the server's result
// as is: all content blocks (text, image, audio, resource_link, embedded
// resources), structuredContent and isError. A result with isError is not
// an error of this method; errors are protocol or connection failures
// (*Error with Op OpCall). Content of a type mcp-go does not know becomes
// a text block naming the type instead of failing the call.
//
// A call the server runs as a task (see AsTask, and the tasks extension of
// protocol 2026-07-28) returns the task's outcome the same way: CallTool
// polls it within Config.MaxTaskPoll, passes each change of its status to
// WithProgress's callback (the status and statusMessage as the Message),
// and sends tasks/cancel when ctx ends first.
func (c *Client) CallTool(ctx context.Context, name string, args json.RawMessage, opts ...CallOption) (*mcp.CallToolResult, error) {
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	if len(args) > 0 && !json.Valid(args) {
		return nil, c.newError(OpCall, name, errors.New("arguments are not valid JSON"), nil)
	}
	var meta *mcp.Meta
	var progressToken string
	if o.progress != nil {
		tok, unregister := c.progress.register(o.progress)
		defer unregister()
		meta = &mcp.Meta{ProgressToken: tok}
		progressToken = tok
	}
	var res *mcp.CallToolResult
	var task *taskCall
	var created wireTask
	err := c.do(ctx, OpCall, name, func(ctx context.Context, s *session) error {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Meta = meta
		if len(args) > 0 {
			req.Params.RawArguments = args
		}
		augmented := o.asTask && s.taskAugmentable()
		if augmented {
			req.Params.Task = &mcp.TaskParams{}
		}
		callCtx, sink := withSink(ctx, string(mcp.MethodToolsCall))
		r, err := s.mc.CallTool(callCtx, req)
		raw := sink.get()
		if raw != nil {
			t, ext, ok, terr := createdTask(raw, augmented)
			if ok {
				if terr != nil {
					return terr
				}
				// The task runs on s: its wait keeps s in use, and never
				// retries the call (that would run the tool again).
				s.enter()
				task, created = &taskCall{s: s, tool: name, ext: ext, id: t.TaskID}, t
				return nil
			}
		}
		if err != nil {
			if raw != nil {
				if lenient, lerr := lenientCallResult(raw); lerr == nil {
					c.cfg.Logger.Debug("mcp-go could not decode a tools/call result; decoded leniently", "server", c.cfg.Name, "tool", name, "err", err)
					res = lenient
					return nil
				}
			}
			return err
		}
		res = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if task != nil {
		return c.awaitTask(ctx, task, created, o, progressToken)
	}
	return res, nil
}

// onNotification receives every notification of every session.
func (c *Client) onNotification(n mcp.JSONRPCNotification) {
	switch n.Method {
	case string(mcp.MethodNotificationProgress):
		c.progress.dispatch(n)
	case mcp.MethodNotificationTasksStatus:
		c.tasks.dispatch(n)
	}
	c.routeExtension(n)
	if c.queue == nil {
		return
	}
	if fn := c.cfg.OnNotification; fn != nil {
		c.queue.push(func() { fn(c.cfg.Name, n) })
	}
	if fn := c.cfg.OnToolsChanged; fn != nil && n.Method == string(mcp.MethodNotificationToolsListChanged) {
		c.queue.push(func() { fn(c.cfg.Name) })
	}
}

// Close ends the connection and everything it started: the stdio server's
// whole process group (SIGTERM, then SIGKILL after CloseGrace), HTTP
// streams, goroutines. Calls in flight fail with ErrClosed. It waits for a
// notification callback that is running. Close is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		s := c.sess
		c.mu.Unlock()
		c.stopLife()
		c.dials.Wait()
		if s != nil {
			if err := s.close(); err != nil {
				c.closeErr = c.newError(OpClose, "", err, nil)
			}
		}
		c.bg.Wait()
		if c.queue != nil {
			c.queue.stop()
		}
		if c.ownHTTP != nil {
			c.ownHTTP.CloseIdleConnections()
		}
	})
	return c.closeErr
}

// headerAnnotationFault says why t cannot be called on s: on a 2026-07-28
// streamable HTTP connection, arguments annotated with x-mcp-header travel
// in Mcp-Param headers, and a tool whose annotations break the spec's rules
// (empty, duplicated or non-token names, non-primitive types) must be left
// out so the others stay usable. "" means it can be called.
func (c *Client) headerAnnotationFault(s *session, t Tool) string {
	if c.http == nil || c.http.SSE || !mcp.IsModernProtocol(s.info.ProtocolVersion) {
		return ""
	}
	if err := mcp.ValidateParamHeaderAnnotations(&mcp.Tool{Name: t.Name, RawInputSchema: t.InputSchema}); err != nil {
		return "invalid x-mcp-header annotation: " + err.Error()
	}
	return ""
}
