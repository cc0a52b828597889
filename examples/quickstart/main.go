// Command quickstart runs the whole mcpbridge loop with an MCP server
// embedded in the program:
//
//	go run ./examples/quickstart
//
// Without OPENAI_API_KEY it also embeds a scripted stand-in for the model, so
// it runs offline and shows every step, streamed as it happens: the tool set,
// each function call the "model" makes, each output, and the answer as it is
// written. With OPENAI_API_KEY set it
// asks the real Responses API (model from --model or OPENAI_MODEL).
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func main() {
	model := flag.String("model", envOr("OPENAI_MODEL", "gpt-5-mini"), "model for the real API (env OPENAI_MODEL)")
	prompt := flag.String("prompt", "What is 1234 + 5678, and how many words are in 'the quick brown fox jumps'?", "the question")
	flag.Parse()
	if err := run(context.Background(), *model, *prompt); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// demoServer is the MCP server this example puts in front of the model. Any
// mcp-go server works the same way, in-process or over stdio/HTTP.
func demoServer() *server.MCPServer {
	s := server.NewMCPServer("demo", "1.0.0", server.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("add",
		mcp.WithDescription("Adds two numbers."),
		mcp.WithNumber("a", mcp.Required()),
		mcp.WithNumber("b", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		sum := req.GetFloat("a", 0) + req.GetFloat("b", 0)
		return mcp.NewToolResultText(fmt.Sprint(sum)), nil
	})
	s.AddTool(mcp.NewTool("word_count",
		mcp.WithDescription("Counts the words in a text."),
		mcp.WithString("text", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(fmt.Sprint(len(strings.Fields(req.GetString("text", ""))))), nil
	})
	return s
}

func run(ctx context.Context, model, prompt string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var client openai.Client
	if os.Getenv("OPENAI_API_KEY") == "" {
		// Offline: a scripted model on a local HTTP server that speaks the
		// Responses API. It calls both tools, then answers from their outputs.
		fake := responsestest.New((&responsestest.Model{
			Calls: []responsestest.FunctionCall{
				{Name: "demo__add", Arguments: `{"a":1234,"b":5678}`},
				{Name: "demo__word_count", Arguments: `{"text":"the quick brown fox jumps"}`},
			},
			Answer: func(_ string, results []responsestest.ToolResult) string {
				return fmt.Sprintf("1234 + 5678 = %s, and the sentence has %s words.", results[0].Output, results[1].Output)
			},
		}).Handler())
		defer fake.Close()
		client = fake.Client()
		model = "scripted"
		fmt.Println("mode: offline (embedded scripted model; set OPENAI_API_KEY to use the real API)")
	} else {
		client = openai.NewClient() // reads OPENAI_API_KEY and OPENAI_BASE_URL
		fmt.Println("mode: online, model", model)
	}

	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("demo", demoServer())})
	if err != nil {
		return err
	}
	defer b.Close()
	routes := b.Routes()
	for _, name := range slices.Sorted(maps.Keys(routes)) {
		fmt.Printf("tool: %s (server %q, MCP tool %q)\n", name, routes[name].Server, routes[name].Tool)
	}
	fmt.Println("prompt:", prompt)

	// Stream the run: each event is printed as it happens. The calls start
	// as soon as the model has written them; the answer arrives piece by
	// piece. (b.Run does the same in one call and returns the Result.)
	params := oai.ResponseNewParams{
		Model:        model,
		Instructions: openai.String("Use the tools for arithmetic and counting. Answer in one sentence."),
		Input:        oai.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
	}
	answering := false
	for ev, err := range b.Stream(ctx, &client.Responses, params) {
		switch ev.Kind {
		case bridge.EventFunctionCall:
			fmt.Printf("-> %s %s (server %q, MCP tool %q)\n", ev.Call.Name, ev.Call.Arguments, ev.Call.Route.Server, ev.Call.Route.Tool)
		case bridge.EventCallDone:
			fmt.Printf("<- %s: %s\n", ev.Call.Name, ev.Record.Output.Text)
		case bridge.EventTextDelta:
			if !answering {
				fmt.Print("answer: ")
				answering = true
			}
			fmt.Print(ev.Delta)
		case bridge.EventRunDone:
			if answering {
				fmt.Println()
			}
			if err != nil {
				return err
			}
			fmt.Printf("turns: %d, tokens: %d\n", ev.Result.Iterations, ev.Result.Usage.TotalTokens)
		}
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
