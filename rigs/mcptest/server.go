// Package mcptest provides MCP servers for tests, examples and benchmarks:
// an mcp-go server with a useful set of tools (NewServer), a way to serve it
// over stdio (ServeStdio, Main and the mcptestserver binary, which also
// offers hand-written misbehaving servers), a helper that builds that binary
// for tests (BuildServer) and HTTP helpers that serve an MCPServer over
// streamable HTTP or SSE on a local listener (NewHTTPServer).
package mcptest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// ServerName is the name the servers of this package report in serverInfo.
const ServerName = "mcptest"

// ServerVersion is the version the servers of this package report.
const ServerVersion = "1.0.0"

// PNG is a 1x1 transparent PNG image, base64 encoded, returned by the
// "image" tool.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// OddSchema is the input schema of the "odd_schema" tool, sent exactly as
// written: it has $schema, a top-level description, a top-level anyOf and
// a $ref into $defs, none of which mcp-go's typed schema keeps.
const OddSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","description":"odd shapes on purpose","type":"object","properties":{"mode":{"type":"string","enum":["a","b"]},"target":{"$ref":"#/$defs/target"}},"anyOf":[{"required":["mode"]},{"required":["target"]}],"$defs":{"target":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],"additionalProperties":false}},"additionalProperties":false}`

// StructuredOutputSchema is the output schema declared by the "structured" tool.
const StructuredOutputSchema = `{"type":"object","properties":{"answer":{"type":"integer"},"items":{"type":"array","items":{"type":"string"}}},"required":["answer","items"]}`

// Option configures NewServer.
type Option func(*options)

type options struct {
	manyTools int
	pageSize  int
	exitTool  bool
	name      string
	instr     string
	elicit    bool
}

// WithManyTools adds n extra tools named tool_0000, tool_0001, ... each of
// which echoes its "text" argument prefixed with its own name.
func WithManyTools(n int) Option { return func(o *options) { o.manyTools = n } }

// WithPageSize makes tools/list return at most n tools per page (mcp-go's
// server.WithPaginationLimit), so clients must follow nextCursor.
func WithPageSize(n int) Option { return func(o *options) { o.pageSize = n } }

// WithExitTool adds the "exit" tool, which writes its message to stderr and
// ends the process with the given code. Only for servers running in a
// process of their own (the mcptestserver binary): in-process it would end
// the test binary.
func WithExitTool() Option { return func(o *options) { o.exitTool = true } }

// WithName sets the server name reported in serverInfo (default ServerName).
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithInstructions sets the instructions returned by initialize.
func WithInstructions(s string) Option { return func(o *options) { o.instr = s } }

// ToolNames lists the tools NewServer always registers, in registration order.
var ToolNames = []string{
	"echo", "echo_args", "add", "sleep", "fail", "image", "structured",
	"resource_link", "embedded_resource", "big", "progress", "odd_schema",
	"env", "pid", "rendezvous", "waiting", "add_tool", "remove_tool",
}

// NewServer builds an mcp-go MCPServer with the test tool set:
//
//   - echo{text}: text content with text
//   - echo_args: text content with the raw arguments JSON as received
//   - add{a,b}: text content with a+b
//   - sleep{ms}: waits ms milliseconds (or until cancelled), then answers "slept"
//   - fail{message}: a result with isError set
//   - image: a text and an image content (PNG)
//   - structured: structuredContent plus a text fallback; declares an output schema
//   - resource_link: a resource_link content
//   - embedded_resource: two embedded resources, one text and one blob
//   - big{bytes}: one text content of exactly bytes bytes
//   - progress{steps,ms}: sends steps notifications/progress for the request's
//     progressToken, ms apart (default 5), then answers "done <steps>"
//   - odd_schema: input schema OddSchema, sent verbatim; echoes its arguments
//   - env{name}: {"set":bool,"value":string} for the server process's variable
//   - pid: the server process id
//   - rendezvous{key,n}: waits until n calls with the same key are in
//     progress at once, proving the client runs calls concurrently
//   - waiting{key}: how many rendezvous calls wait on key right now
//   - add_tool{name} / remove_tool{name}: change the tool list at runtime,
//     which makes the server send notifications/tools/list_changed
//
// Options add more (WithManyTools, WithExitTool, WithElicitTools) or change paging.
func NewServer(opts ...Option) *server.MCPServer {
	o := options{name: ServerName}
	for _, opt := range opts {
		opt(&o)
	}
	sopts := []server.ServerOption{server.WithToolCapabilities(true), server.WithRecovery()}
	if o.pageSize > 0 {
		sopts = append(sopts, server.WithPaginationLimit(o.pageSize))
	}
	if o.instr != "" {
		sopts = append(sopts, server.WithInstructions(o.instr))
	}
	if o.elicit {
		sopts = append(sopts, server.WithElicitation())
	}
	s := server.NewMCPServer(o.name, ServerVersion, sopts...)
	addTools(s, o)
	if o.elicit {
		addElicitTools(s)
	}
	return s
}

func text(s string) *mcp.CallToolResult { return mcp.NewToolResultText(s) }

func addTools(s *server.MCPServer, o options) {
	s.AddTool(mcp.NewTool("echo",
		mcp.WithDescription("Echoes text back."),
		mcp.WithToolTitle("Echo"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithString("text", mcp.Required(), mcp.Description("text to echo")),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return text(req.GetString("text", "")), nil
	})

	s.AddTool(mcp.NewToolWithRawSchema("echo_args", "Echoes the raw arguments JSON.",
		json.RawMessage(`{"type":"object","additionalProperties":true}`),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		raw, err := json.Marshal(req.GetRawArguments())
		if err != nil {
			return nil, err
		}
		return text(string(raw)), nil
	})

	s.AddTool(mcp.NewTool("add",
		mcp.WithDescription("Adds two numbers."),
		mcp.WithNumber("a", mcp.Required()),
		mcp.WithNumber("b", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		a, err := req.RequireFloat("a")
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		b, err := req.RequireFloat("b")
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return text(fmt.Sprint(a + b)), nil
	})

	s.AddTool(mcp.NewTool("sleep",
		mcp.WithDescription("Sleeps for ms milliseconds."),
		mcp.WithNumber("ms", mcp.Required()),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		d := time.Duration(req.GetFloat("ms", 0)) * time.Millisecond
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return text("slept"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})

	s.AddTool(mcp.NewTool("fail",
		mcp.WithDescription("Always fails with isError."),
		mcp.WithString("message"),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError(req.GetString("message", "it failed")), nil
	})

	s.AddTool(mcp.NewTool("image", mcp.WithDescription("Returns a tiny PNG.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultImage("a pixel", PNG, "image/png"), nil
		})

	s.AddTool(mcp.NewTool("structured",
		mcp.WithDescription("Returns structured content."),
		mcp.WithRawOutputSchema(json.RawMessage(StructuredOutputSchema)),
	), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		v := map[string]any{"answer": 42, "items": []string{"a", "b"}}
		return mcp.NewToolResultStructured(v, `{"answer":42,"items":["a","b"]}`), nil
	})

	s.AddTool(mcp.NewTool("resource_link", mcp.WithDescription("Returns a resource link.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{
				mcp.NewResourceLink("file:///tmp/report.txt", "report.txt", "a report", "text/plain"),
			}}, nil
		})

	s.AddTool(mcp.NewTool("embedded_resource", mcp.WithDescription("Returns embedded resources.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{
				mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: "mem://notes.txt", MIMEType: "text/plain", Text: "some notes"}),
				mcp.NewEmbeddedResource(mcp.BlobResourceContents{URI: "mem://data.bin", MIMEType: "application/octet-stream", Blob: base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3})}),
			}}, nil
		})

	s.AddTool(mcp.NewTool("big",
		mcp.WithDescription("Returns bytes bytes of text."),
		mcp.WithNumber("bytes", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		n := req.GetInt("bytes", 0)
		if n < 0 || n > 256<<20 {
			return mcp.NewToolResultError("bytes out of range"), nil
		}
		return text(strings.Repeat("x", n)), nil
	})

	s.AddTool(mcp.NewTool("progress",
		mcp.WithDescription("Reports progress steps times."),
		mcp.WithNumber("steps", mcp.Required()),
		mcp.WithNumber("ms"),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		steps := req.GetInt("steps", 3)
		pause := time.Duration(req.GetInt("ms", 5)) * time.Millisecond
		var token mcp.ProgressToken
		if req.Params.Meta != nil {
			token = req.Params.Meta.ProgressToken
		}
		srv := server.ServerFromContext(ctx)
		for i := 1; i <= steps; i++ {
			if token != nil && srv != nil {
				_ = srv.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), map[string]any{
					"progressToken": token,
					"progress":      i,
					"total":         steps,
					"message":       fmt.Sprintf("step %d", i),
				})
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return text(fmt.Sprintf("done %d", steps)), nil
	})

	s.AddTool(mcp.NewToolWithRawSchema("odd_schema", "A tool whose schema has odd shapes.", json.RawMessage(OddSchema)),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			raw, _ := json.Marshal(req.GetRawArguments())
			return text(string(raw)), nil
		})

	s.AddTool(mcp.NewTool("env",
		mcp.WithDescription("Reports an environment variable of the server process."),
		mcp.WithString("name", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		v, ok := os.LookupEnv(req.GetString("name", ""))
		raw, _ := json.Marshal(map[string]any{"set": ok, "value": v})
		return text(string(raw)), nil
	})

	s.AddTool(mcp.NewTool("pid", mcp.WithDescription("Returns the server process id.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return text(fmt.Sprint(os.Getpid())), nil
		})

	rv := newRendezvous()
	s.AddTool(mcp.NewTool("rendezvous",
		mcp.WithDescription("Waits until n calls with the same key are running at once."),
		mcp.WithString("key", mcp.Required()),
		mcp.WithNumber("n", mcp.Required()),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if err := rv.wait(ctx, req.GetString("key", ""), req.GetInt("n", 1)); err != nil {
			return nil, err
		}
		return text("met"), nil
	})

	s.AddTool(mcp.NewTool("waiting",
		mcp.WithDescription("Reports how many rendezvous calls wait on key."),
		mcp.WithString("key", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return text(fmt.Sprint(rv.waiting(req.GetString("key", "")))), nil
	})

	s.AddTool(mcp.NewTool("add_tool",
		mcp.WithDescription("Registers an echo tool with the given name."),
		mcp.WithString("name", mcp.Required()),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		name := req.GetString("name", "")
		AddEchoTool(server.ServerFromContext(ctx), name)
		return text("added " + name), nil
	})

	s.AddTool(mcp.NewTool("remove_tool",
		mcp.WithDescription("Removes the named tool."),
		mcp.WithString("name", mcp.Required()),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		name := req.GetString("name", "")
		server.ServerFromContext(ctx).DeleteTools(name)
		return text("removed " + name), nil
	})

	if o.exitTool {
		s.AddTool(mcp.NewTool("exit",
			mcp.WithDescription("Writes message to stderr and exits with code."),
			mcp.WithNumber("code"),
			mcp.WithString("message"),
		), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			fmt.Fprintln(os.Stderr, req.GetString("message", "mcptest: exiting on request"))
			os.Exit(req.GetInt("code", 3))
			return nil, nil
		})
	}

	if o.manyTools > 0 {
		tools := make([]server.ServerTool, 0, o.manyTools)
		for i := range o.manyTools {
			tools = append(tools, echoTool(fmt.Sprintf("tool_%04d", i)))
		}
		s.AddTools(tools...)
	}
}

// AddEchoTool registers, on s, a tool called name that echoes its "text"
// argument prefixed with "name: ". mcp-go then sends
// notifications/tools/list_changed to every initialized session.
func AddEchoTool(s *server.MCPServer, name string) {
	s.AddTools(echoTool(name))
}

func echoTool(name string) server.ServerTool {
	return server.ServerTool{
		Tool: mcp.NewTool(name,
			mcp.WithDescription("Echo tool "+name),
			mcp.WithString("text"),
		),
		Handler: func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return text(name + ": " + req.GetString("text", "")), nil
		},
	}
}

// rendezvous lets calls wait for each other.
type rendezvous struct {
	mu     sync.Mutex
	groups map[string]*group
}

type group struct {
	arrived int
	met     chan struct{}
}

func newRendezvous() *rendezvous { return &rendezvous{groups: map[string]*group{}} }

func (r *rendezvous) waiting(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g := r.groups[key]; g != nil {
		return g.arrived
	}
	return 0
}

func (r *rendezvous) wait(ctx context.Context, key string, n int) error {
	r.mu.Lock()
	g := r.groups[key]
	if g == nil {
		g = &group{met: make(chan struct{})}
		r.groups[key] = g
	}
	g.arrived++
	if g.arrived >= n {
		close(g.met)
		delete(r.groups, key)
	}
	r.mu.Unlock()
	select {
	case <-g.met:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
