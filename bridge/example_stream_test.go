package bridge_test

import (
	"context"
	"fmt"
	"log"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
)

// Stream prints the answer as the model writes it and each call with the
// MCP server and tool it goes to; the last event carries the Result.
func ExampleBridge_Stream() {
	fake, client := scriptedAPI() // streams when the request asks to
	defer fake.Close()
	ctx := context.Background()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("text", upperServer())})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	params := oai.ResponseNewParams{
		Model: "gpt-5-mini",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
	}
	for ev, err := range b.Stream(ctx, &client.Responses, params) {
		switch ev.Kind {
		case bridge.EventTextDelta:
			fmt.Print(ev.Delta)
		case bridge.EventFunctionCall:
			fmt.Printf("-> %s on server %q (MCP tool %q) %s\n", ev.Call.Name, ev.Call.Route.Server, ev.Call.Route.Tool, ev.Call.Arguments)
		case bridge.EventCallDone:
			fmt.Println("<-", ev.Record.Output.Text)
		case bridge.EventRunDone:
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println()
			fmt.Println("turns:", ev.Result.Iterations)
		}
	}
	// Output:
	// -> text__upper on server "text" (MCP tool "upper") {"text":"hello"}
	// <- HELLO
	// The tool said HELLO
	// turns: 2
}
