// Command hello is the program of the README's first screen: one question,
// answered with the tools of one MCP server (the reference filesystem
// server, started with npx). It needs OPENAI_API_KEY and Node.js.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses" // openai-go's responses package

	"github.com/mcpbridge/mcpbridge/bridge"
)

func main() {
	client := openai.NewClient() // reads OPENAI_API_KEY and OPENAI_BASE_URL
	res, err := bridge.Run(context.Background(), &client.Responses,
		oai.ResponseNewParams{Model: "gpt-5-mini", Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("Which Go files are in this folder?")}},
		[]bridge.Server{bridge.Stdio("files", "npx", "-y", "@modelcontextprotocol/server-filesystem", ".")},
	)
	if err != nil {
		log.Fatal(err) // names the server that could not start, or the API's error
	}
	fmt.Println(res.OutputText)
}
