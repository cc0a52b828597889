package mcptest

import (
	"context"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// ElicitFormSchema is the form the "ask" tool (WithElicitTools) requests:
// one field of each kind a terminal prompt has to handle.
const ElicitFormSchema = `{"type":"object","properties":{` +
	`"name":{"type":"string","title":"Name","description":"Who is asking"},` +
	`"color":{"type":"string","enum":["red","green","blue"],"default":"green"},` +
	`"count":{"type":"integer","minimum":1,"maximum":9,"default":2},` +
	`"subscribe":{"type":"boolean","default":false}},` +
	`"required":["name"]}`

// ElicitURL is the URL the "ask_url" tool (WithElicitTools) asks the user
// to open.
const ElicitURL = "https://auth.example.test/connect?session=s-1"

// WithElicitTools adds two tools that ask the user through the client
// (elicitation/create) and answer what the client replied:
//
//   - ask{why}: a form (ElicitFormSchema); answers "accept {content JSON}",
//     "decline" or "cancel"
//   - ask_url: URL mode (ElicitURL, elicitation id "el-1"); answers
//     "url accept", "url decline" or "url cancel"
//
// A client without elicitation makes them fail with the server's error.
func WithElicitTools() Option { return func(o *options) { o.elicit = true } }

// The tools ask with multi round-trip results (SEP-2322): a 2026-07-28
// client answers the input requests and calls again; for an older client
// mcp-go sends elicitation/create itself and calls the handler again with
// the answer. So the same tools serve both eras.
func addElicitTools(s *server.MCPServer) {
	s.AddTool(mcp.NewTool("ask",
		mcp.WithDescription("Asks the user to fill in a form and answers what they gave."),
		mcp.WithString("why"),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res := server.ElicitationResponse(req.Params.InputResponses, "form")
		if res == nil {
			msg := req.GetString("why", "Please fill in the form")
			return server.NewInputRequestBuilder("ask").
				Elicit("form", mcp.ElicitationParams{Message: msg, RequestedSchema: json.RawMessage(ElicitFormSchema)}).
				ToolResult(), nil
		}
		if res.Action != mcp.ElicitationResponseActionAccept {
			return text(string(res.Action)), nil
		}
		content, _ := json.Marshal(res.Content)
		return text("accept " + string(content)), nil
	})
	s.AddTool(mcp.NewTool("ask_url",
		mcp.WithDescription("Asks the user to open a URL and answers whether they did."),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res := server.ElicitationResponse(req.Params.InputResponses, "url")
		if res == nil {
			return server.NewInputRequestBuilder("ask_url").
				Elicit("url", mcp.ElicitationParams{Mode: mcp.ElicitationModeURL, ElicitationID: "el-1",
					URL: ElicitURL, Message: "Connect your account"}).
				ToolResult(), nil
		}
		return text("url " + string(res.Action)), nil
	})
}
