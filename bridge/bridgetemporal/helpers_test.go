package bridgetemporal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses"
)

// shop is an MCP server whose tools count their calls: charge has side
// effects (no hints), lookup is read-only, restock is idempotent.
type shop struct {
	charges, lookups, restocks atomic.Int64

	mu sync.Mutex
	// onCharge, when set, runs inside charge before it counts (a test
	// blocks there to kill the worker mid-call).
	onCharge func(ctx context.Context) error
	onLookup func(ctx context.Context) error
}

func (s *shop) server() *server.MCPServer {
	srv := server.NewMCPServer("shop", "1.0.0")
	srv.AddTool(mcp.NewTool("charge", mcp.WithDescription("charge a card"),
		mcp.WithNumber("amount", mcp.Required()),
		mcp.WithReadOnlyHintAnnotation(false), mcp.WithIdempotentHintAnnotation(false), mcp.WithDestructiveHintAnnotation(true)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := s.hook(ctx, &s.onCharge); err != nil {
				return nil, err
			}
			n := s.charges.Add(1)
			return mcp.NewToolResultText(fmt.Sprintf("charged %v (charge #%d)", req.GetArguments()["amount"], n)), nil
		})
	srv.AddTool(mcp.NewTool("lookup", mcp.WithDescription("look up a price"),
		mcp.WithString("item", mcp.Required()),
		mcp.WithReadOnlyHintAnnotation(true)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := s.hook(ctx, &s.onLookup); err != nil {
				return nil, err
			}
			s.lookups.Add(1)
			return mcp.NewToolResultText(fmt.Sprintf("%v costs 3", req.GetArguments()["item"])), nil
		})
	srv.AddTool(mcp.NewTool("restock", mcp.WithDescription("set the stock of an item"),
		mcp.WithString("item", mcp.Required()), mcp.WithNumber("count", mcp.Required()),
		mcp.WithReadOnlyHintAnnotation(false), mcp.WithIdempotentHintAnnotation(true)),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			s.restocks.Add(1)
			return mcp.NewToolResultText("stock set"), nil
		})
	return srv
}

// hook runs *h, when set, before a tool counts its call.
func (s *shop) hook(ctx context.Context, h *func(ctx context.Context) error) error {
	s.mu.Lock()
	fn := *h
	s.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(ctx)
}

func newShopBridge(t *testing.T, s *shop, opts ...bridge.Option) *bridge.Bridge {
	t.Helper()
	return newBridge(t, bridge.InProcess("shop", s.server()), opts...)
}

// newBridge connects to srv; the Bridge closes when the test ends.
func newBridge(t *testing.T, srv bridge.Server, opts ...bridge.Option) *bridge.Bridge {
	t.Helper()
	b, err := bridge.New(context.Background(), []bridge.Server{srv}, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func params(prompt string) oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model: "gpt-test",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
	}
}

func input(t *testing.T, p oai.ResponseNewParams, o bridgetemporal.RunOptions) bridgetemporal.RunInput {
	t.Helper()
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	return bridgetemporal.RunInput{Params: raw, Options: o}
}

func bridgeOutput(text string) responses.Output { return responses.Output{Text: text} }
