// Command durable runs one durable run on a Temporal server: it starts a
// worker holding an MCP server, starts a run as a workflow and follows it
// to its answer.
//
//	temporal server start-dev --headless \
//	  --dynamic-config-value history.transferProcessorMaxPollRPS=10000 &   # a local dev server on localhost:7233
//	go run ./examples/durable [--temporal localhost:7233] [--prompt "..."]
//
// Without OPENAI_API_KEY the model is a scripted stand-in on a local
// server, so it runs offline. With the real API, kill it while the run
// goes on and start it again with --attach ID: the run goes on where it
// was, on the new worker (a call with side effects is not run twice).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func main() {
	addr := flag.String("temporal", envOr("TEMPORAL_ADDRESS", "localhost:7233"), "Temporal server HOST:PORT (env TEMPORAL_ADDRESS)")
	model := flag.String("model", envOr("OPENAI_MODEL", "gpt-5-mini"), "model for the real API (env OPENAI_MODEL)")
	prompt := flag.String("prompt", "Look up the price of tea, then order two.", "the question")
	attach := flag.String("attach", "", "follow the run of this workflow id instead of starting one")
	flag.Parse()
	if err := run(context.Background(), *addr, *model, *prompt, *attach); err != nil {
		fmt.Fprintln(os.Stderr, "durable:", err)
		os.Exit(1)
	}
}

// shopServer is the MCP server the worker holds: lookup is read-only
// (retried after a worker's death), order has side effects (never run
// twice: a call its worker died in is answered as interrupted).
func shopServer() *server.MCPServer {
	s := server.NewMCPServer("shop", "1.0.0", server.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("lookup", mcp.WithDescription("Looks up the price of an item."),
		mcp.WithString("item", mcp.Required()), mcp.WithReadOnlyHintAnnotation(true)),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(req.GetString("item", "") + " costs 3"), nil
		})
	s.AddTool(mcp.NewTool("order", mcp.WithDescription("Orders a number of items."),
		mcp.WithString("item", mcp.Required()), mcp.WithNumber("count", mcp.Required()),
		mcp.WithReadOnlyHintAnnotation(false), mcp.WithIdempotentHintAnnotation(false)),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(fmt.Sprintf("ordered %v %s", req.GetFloat("count", 0), req.GetString("item", ""))), nil
		})
	return s
}

func run(ctx context.Context, addr, model, prompt, attach string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()

	var api openai.Client
	if os.Getenv("OPENAI_API_KEY") == "" {
		fake := responsestest.New((&responsestest.Model{Calls: []responsestest.FunctionCall{
			{Name: "shop__lookup", Arguments: `{"item":"tea"}`},
			{Name: "shop__order", Arguments: `{"item":"tea","count":2}`},
		}}).Handler())
		defer fake.Close()
		api = fake.Client()
		model = "scripted"
		fmt.Println("mode: offline (scripted model; set OPENAI_API_KEY to use the real API)")
	} else {
		api = openai.NewClient()
	}

	c, err := bridgetemporal.Dial(ctx, addr, client.Options{Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return fmt.Errorf("%w (start one with: temporal server start-dev --headless)", err)
	}
	defer c.Close()

	// The worker holds the MCP connections; any number of worker processes
	// may poll the same task queue.
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("shop", shopServer())})
	if err != nil {
		return err
	}
	defer b.Close()
	w := bridgetemporal.NewWorker(c, b, &api.Responses, bridgetemporal.WorkerOptions{})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()

	id := attach
	if id == "" {
		wr, err := bridgetemporal.Start(ctx, c, oai.ResponseNewParams{
			Model: model,
			Input: oai.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
		}, bridgetemporal.RunOptions{})
		if err != nil {
			return err
		}
		id = wr.GetID()
	}
	fmt.Println("workflow:", id)
	out, err := bridgetemporal.Follow(ctx, c, id, 0, func(ev bridgetemporal.Event) {
		switch ev.Kind {
		case bridgetemporal.EventCall:
			fmt.Printf("-> %s %s (server %q, tool %q)\n", ev.Call.Function, ev.Call.Arguments, ev.Call.Server, ev.Call.Tool)
		case bridgetemporal.EventCallDone:
			fmt.Printf("<- %s: %s\n", ev.Call.Function, ev.Output.Text)
		}
	})
	if err != nil {
		return err
	}
	fmt.Printf("answer: %s\n(%d turns, %d calls)\n", out.OutputText, out.Iterations, out.Calls)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
