package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// upperServer is a tiny MCP server with one tool.
func upperServer() *server.MCPServer {
	s := server.NewMCPServer("text", "1.0.0")
	s.AddTool(mcp.NewTool("upper",
		mcp.WithDescription("Upper-cases a text."),
		mcp.WithString("text", mcp.Required()),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(strings.ToUpper(req.GetString("text", ""))), nil
	})
	return s
}

// scriptedAPI stands in for the Responses API: it calls text__upper once,
// then answers with the tool's output. Real programs use openai.NewClient().
func scriptedAPI() (*responsestest.Server, openai.Client) {
	fake := responsestest.New((&responsestest.Model{
		Calls: []responsestest.FunctionCall{{Name: "text__upper", Arguments: `{"text":"hello"}`}},
		Answer: func(_ string, r []responsestest.ToolResult) string {
			return "The tool said " + r[0].Output
		},
	}).Handler())
	return fake, fake.Client()
}

// Run connects, runs the conversation and closes the servers in one call.
func ExampleRun() {
	fake, client := scriptedAPI()
	defer fake.Close()

	res, err := bridge.Run(context.Background(), &client.Responses,
		oai.ResponseNewParams{
			Model: "gpt-5-mini",
			Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
		},
		[]bridge.Server{bridge.InProcess("text", upperServer())},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.OutputText)
	fmt.Println("turns:", res.Iterations)
	// Output:
	// The tool said HELLO
	// turns: 2
}

// New keeps the servers connected for many conversations; Tools and Call
// serve programs that run their own loop.
func ExampleNew() {
	ctx := context.Background()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("text", upperServer())})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	for _, t := range b.RequestTools() {
		fn := t.OfFunction
		fmt.Println(fn.Name, "strict:", fn.Strict.Value)
	}
	out, err := b.Call(ctx, "text__upper", `{"text":"routed by name"}`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Text)
	// Output:
	// text__upper strict: false
	// ROUTED BY NAME
}

// A Bridge drives the loop for many conversations; each Run is independent.
func ExampleBridge_Run() {
	fake, client := scriptedAPI()
	defer fake.Close()
	ctx := context.Background()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("text", upperServer())})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	res, err := b.Run(ctx, &client.Responses, oai.ResponseNewParams{
		Model:        "gpt-5-mini",
		Instructions: openai.String("Use the tools."),
		Input:        oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
	}, bridge.WithMaxIterations(4))
	if err != nil {
		log.Fatal(err)
	}
	for _, turn := range res.Turns {
		for _, c := range turn.Calls {
			fmt.Printf("%s(%s) -> %s\n", c.Call.Name, c.Call.Arguments, c.Output.Text)
		}
	}
	fmt.Println(res.OutputText)
	// Output:
	// text__upper({"text":"hello"}) -> HELLO
	// The tool said HELLO
}

// By default a server that cannot start fails New, naming it and why.
// WithSkipFailedServers leaves it out instead, and says so.
func ExampleWithSkipFailedServers() {
	ctx := context.Background()
	servers := []bridge.Server{
		bridge.InProcess("text", upperServer()),
		bridge.Stdio("weather", "/nonexistent/weather-mcp-server"),
	}
	_, err := bridge.New(ctx, servers)
	var failed *bridge.ServerError
	if errors.As(err, &failed) {
		fmt.Println("failed:", failed.Server, failed.Op)
	}

	b, err := bridge.New(ctx, servers, bridge.WithSkipFailedServers())
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	for _, m := range b.MissingServers() {
		fmt.Println("left out:", m.Server)
	}
	fmt.Println("offered:", len(b.RequestTools()), "tool(s)")
	// Output:
	// failed: weather spawn
	// left out: weather
	// offered: 1 tool(s)
}

// callLogger is a responses.Observer: a tracer would start a span in each
// Start method and end it in the matching End method. Programs that trace
// use package bridgeotel; writing an Observer is what takes package
// responses.
type callLogger struct{ responses.NopObserver }

func (callLogger) StartCall(ctx context.Context, c bridge.Call) context.Context {
	fmt.Println("start", c.Name, "on", c.Route.Server)
	return ctx
}

func (callLogger) EndCall(_ context.Context, r bridge.CallRecord) {
	fmt.Println("end", r.Call.Name, "error:", r.Output.IsError)
}

// WithObserver sees every run, turn and call with its context.
func ExampleWithObserver() {
	fake, client := scriptedAPI()
	defer fake.Close()
	res, err := bridge.Run(context.Background(), &client.Responses,
		oai.ResponseNewParams{
			Model: "gpt-5-mini",
			Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
		},
		[]bridge.Server{bridge.InProcess("text", upperServer())},
		bridge.WithObserver(callLogger{}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.OutputText)
	// Output:
	// start text__upper on text
	// end text__upper error: false
	// The tool said HELLO
}
