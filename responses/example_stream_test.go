package responses_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// ExampleStream prints the model's text as it is written and each call as
// it starts and finishes. The calls start while the model is still
// writing; the last event carries the Result Run would return.
func ExampleStream() {
	srv := responsestest.New(responsestest.ToolCaller(responsestest.FunctionCall{Name: "shout", Arguments: `{"text":"hello"}`}))
	defer srv.Close()
	client := srv.Client() // with a real key: openai.NewClient()

	params := oai.ResponseNewParams{
		Model: "gpt-5-mini",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
		Tools: []oai.ToolUnionParam{oai.ToolParamOfFunction("shout", map[string]any{
			"type":       "object",
			"properties": map[string]any{"text": map[string]any{"type": "string"}},
		}, false)},
	}
	exec := responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
		responses.ReportProgress(ctx, responses.Progress{Progress: 1, Total: 1, Message: "shouting"})
		return responses.Output{Text: strings.ToUpper(c.Arguments)}, nil
	})

	var res *responses.Result
	for ev, err := range responses.Stream(context.Background(), &client.Responses, params, responses.Static(exec), responses.Options{}) {
		switch ev.Kind {
		case responses.EventTextDelta:
			fmt.Print(ev.Delta)
		case responses.EventFunctionCall:
			fmt.Println("->", ev.Call.Name, ev.Call.Arguments)
		case responses.EventCallProgress:
			fmt.Println("..", ev.Progress.Message)
		case responses.EventCallDone:
			fmt.Println("<-", ev.Record.Output.Text)
		case responses.EventRunDone:
			if err != nil {
				fmt.Println("error:", err)
			}
			res = ev.Result
		}
	}
	fmt.Println()
	fmt.Println("iterations:", res.Iterations)
	// Output:
	// -> shout {"text":"hello"}
	// .. shouting
	// <- {"TEXT":"HELLO"}
	// Tool results: shout({"text":"hello"}) -> {"TEXT":"HELLO"}
	// iterations: 2
}
