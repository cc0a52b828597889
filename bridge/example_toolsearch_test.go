package bridge_test

import (
	"context"
	"fmt"
	"log"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// With client tool search the first request carries only a tool_search
// tool: the model searches, the bridge answers from its index, and the
// model calls what the search loaded. Here the model is scripted; with a
// real one nothing changes but the client. ToolSearchAuto does this only
// for tool sets larger than the threshold.
func ExampleWithToolSearch() {
	model := &responsestest.SearchModel{
		Query:     func(string) string { return "make text upper case" },
		Arguments: `{"text":"hello"}`,
	}
	fake := responsestest.New(model.Handler())
	defer fake.Close()
	client := fake.Client()

	b, err := bridge.New(context.Background(),
		[]bridge.Server{bridge.InProcess("text", upperServer())},
		bridge.WithToolSearch(bridge.ToolSearchClient), bridge.WithNamespaces())
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	fmt.Println("first request tools:", len(b.RequestTools()), "- the search tool:", b.RequestTools()[0].OfToolSearch != nil)

	res, err := b.Run(context.Background(), &client.Responses, oai.ResponseNewParams{
		Model: "gpt-5-mini",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Shout hello")},
	})
	if err != nil {
		log.Fatal(err)
	}
	s := res.Turns[0].Searches[0]
	fmt.Printf("searched %q, loaded namespace %s\n", s.Call.Query, s.Tools[0].OfNamespace.Name)
	c := res.Turns[1].Calls[0].Call
	fmt.Println("called", c.Namespace+"/"+c.Name)
	fmt.Println(res.OutputText)
	// Output:
	// first request tools: 1 - the search tool: true
	// searched "make text upper case", loaded namespace text
	// called text/upper
	// Tool results: text/upper({"text":"hello"}) -> HELLO
}
