package bridgeotel_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgeotel"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Observer traces a run: one span for the run, one per model request and
// one per tool call, named after the MCP server and tool it reached. Real
// programs set up their exporter (OTLP, say) in the TracerProvider and
// usually make it global with otel.SetTracerProvider.
func ExampleObserver() {
	spans := tracetest.NewSpanRecorder() // an exporter in real programs
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	text := server.NewMCPServer("text", "1.0.0")
	text.AddTool(mcp.NewTool("upper", mcp.WithString("text", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(strings.ToUpper(req.GetString("text", ""))), nil
		})
	// A stand-in for the Responses API; real programs use openai.NewClient().
	fake := responsestest.New(responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "text__upper", Arguments: `{"text":"hi"}`}),
		responsestest.Text("HI"),
	))
	defer fake.Close()
	client := fake.Client()

	ctx := context.Background()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("text", text)})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	obs := bridgeotel.Observer(bridgeotel.WithTracerProvider(tp))
	_, err = b.Run(ctx, &client.Responses, oai.ResponseNewParams{
		Model: "gpt-5-mini",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hi")},
	}, bridge.WithObserver(obs))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range spans.Ended() { // in the order they ended
		fmt.Println(s.Name())
		for _, kv := range s.Attributes() {
			if kv.Key == "mcp.server.name" || kv.Key == "mcp.tool.name" {
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.AsString())
			}
		}
	}
	// Output:
	// execute_tool text__upper
	//   mcp.server.name=text
	//   mcp.tool.name=upper
	// chat gpt-5-mini
	// chat gpt-5-mini
	// invoke_agent gpt-5-mini
}

// Transport sends the trace context to HTTP and SSE MCP servers, so their
// spans join the trace of the tool call that reached them.
func ExampleTransport() {
	// W3C traceparent and tracestate headers.
	otel.SetTextMapPropagator(propagation.TraceContext{})

	docs := bridge.Server{Config: mcpclient.Config{
		Name: "docs",
		Transport: &mcpclient.HTTP{
			URL:        "https://mcp.example.com/mcp",
			HTTPClient: &http.Client{Transport: bridgeotel.Transport(http.DefaultTransport)},
		},
	}}
	fmt.Println(docs.Name)
	// Output: docs
}
