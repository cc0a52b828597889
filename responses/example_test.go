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

// ExampleRun runs the loop offline against the scripted model of fakeapi:
// the model calls "shout", the executor runs it, and the model answers
// with the tool's output.
func ExampleRun() {
	srv := responsestest.New(responsestest.ToolCaller(responsestest.FunctionCall{Name: "shout", Arguments: `{"text":"hello"}`}))
	defer srv.Close()
	client := srv.Client() // with a real key: openai.NewClient()

	params := oai.ResponseNewParams{
		Model:        "gpt-5-mini",
		Instructions: openai.String("Use the tools."),
		Input:        oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
		Tools: []oai.ToolUnionParam{oai.ToolParamOfFunction("shout", map[string]any{
			"type":       "object",
			"properties": map[string]any{"text": map[string]any{"type": "string"}},
		}, false)},
	}
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		return responses.Output{Text: strings.ToUpper(c.Arguments)}, nil
	})
	opts := responses.Options{
		BeforeCall: func(_ context.Context, c responses.Call) { fmt.Println("->", c.Name, c.Arguments) },
	}

	res, err := responses.Run(context.Background(), &client.Responses, params, responses.Static(exec), opts)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("answer:", res.OutputText)
	fmt.Println("iterations:", res.Iterations)
	// Output:
	// -> shout {"text":"hello"}
	// answer: Tool results: shout({"text":"hello"}) -> {"TEXT":"HELLO"}
	// iterations: 2
}
