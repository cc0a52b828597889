// Command multiserver puts two MCP servers on two transports behind one tool
// set: a "clock" server started as a child process over stdio, and a "notes"
// server reached over streamable HTTP on localhost.
//
//	go run ./examples/multiserver
//
// Both servers are part of this program (the stdio one is this same binary
// started with -serve-clock) so the example is self-contained; in real use
// they are any MCP servers, for example from a config file read with
// config.Load. Without OPENAI_API_KEY a scripted model stands in for
// the real one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func main() {
	serveClock := flag.Bool("serve-clock", false, "serve the clock MCP server on stdin/stdout and exit")
	model := flag.String("model", envOr("OPENAI_MODEL", "gpt-5-mini"), "model for the real API")
	flag.Parse()
	if *serveClock {
		if err := server.ServeStdio(clockServer()); err != nil {
			fmt.Fprintln(os.Stderr, "clock:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *model); err != nil {
		fmt.Fprintln(os.Stderr, "multiserver:", err)
		os.Exit(1)
	}
}

func clockServer() *server.MCPServer {
	s := server.NewMCPServer("clock", "1.0.0")
	s.AddTool(mcp.NewTool("now",
		mcp.WithDescription("Current time in a time zone (IANA name, default UTC)."),
		mcp.WithString("zone"),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		loc, err := time.LoadLocation(req.GetString("zone", "UTC"))
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(time.Now().In(loc).Format(time.RFC3339)), nil
	})
	return s
}

// notesServer keeps notes in memory.
func notesServer() *server.MCPServer {
	var (
		mu    sync.Mutex
		notes []string
	)
	s := server.NewMCPServer("notes", "1.0.0")
	s.AddTool(mcp.NewTool("add_note",
		mcp.WithDescription("Stores a note."),
		mcp.WithString("text", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, req.GetString("text", ""))
		return mcp.NewToolResultText(fmt.Sprintf("stored note #%d", len(notes))), nil
	})
	s.AddTool(mcp.NewTool("list_notes", mcp.WithDescription("Lists every note.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			mu.Lock()
			defer mu.Unlock()
			return mcp.NewToolResultText(strings.Join(notes, "\n")), nil
		})
	return s
}

func run(ctx context.Context, model string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	// The notes server, over streamable HTTP on a free local port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: server.NewStreamableHTTPServer(notesServer()), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "notes server:", err)
		}
	}()
	defer httpSrv.Close()
	notesURL := "http://" + ln.Addr().String() + "/mcp"

	self, err := os.Executable()
	if err != nil {
		return err
	}
	servers := []bridge.Server{
		bridge.Stdio("clock", self, "-serve-clock"),
		bridge.HTTP("notes", notesURL),
	}

	var client openai.Client
	if os.Getenv("OPENAI_API_KEY") == "" {
		fake := responsestest.New((&responsestest.Model{
			Calls: []responsestest.FunctionCall{
				{Name: "clock__now", Arguments: `{"zone":"UTC"}`},
				{Name: "notes__add_note", Arguments: `{"text":"standup moved to 10:00"}`},
			},
		}).Handler())
		defer fake.Close()
		client = fake.Client()
		model = "scripted"
		fmt.Println("mode: offline (scripted model)")
	} else {
		client = openai.NewClient()
	}

	b, err := bridge.New(ctx, servers)
	if err != nil {
		return err
	}
	defer b.Close()
	routes := b.Routes()
	for _, name := range slices.Sorted(maps.Keys(routes)) {
		fmt.Printf("tool: %-18s -> server %q tool %q\n", name, routes[name].Server, routes[name].Tool)
	}
	res, err := b.Run(ctx, &client.Responses, oai.ResponseNewParams{
		Model: model,
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Note that standup moved to 10:00 and tell me the time in UTC.")},
	}, bridge.WithAfterCall(func(_ context.Context, r bridge.CallRecord) {
		fmt.Printf("%s(%s) -> %s\n", r.Call.Name, r.Call.Arguments, r.Output.Text)
	}))
	if err != nil {
		return err
	}
	fmt.Println("answer:", res.OutputText)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
