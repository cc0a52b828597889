package mcpclient

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// ListPrompts lists every prompt of the server, following nextCursor until
// the last page (a repeated cursor is an error).
func (c *Client) ListPrompts(ctx context.Context) ([]mcp.Prompt, error) {
	var out []mcp.Prompt
	err := c.do(ctx, OpPrompts, "", func(ctx context.Context, s *session) error {
		if s.info.Capabilities.Prompts == nil {
			return ErrNotSupported
		}
		res, err := s.mc.ListPrompts(withListBudget(ctx, c.cfg.MaxMessageBytes), mcp.ListPromptsRequest{})
		if err != nil {
			return fmt.Errorf("prompts/list: %w", err)
		}
		out = res.Prompts
		return nil
	})
	return out, err
}

// GetPrompt renders the named prompt with args and returns its messages.
func (c *Client) GetPrompt(ctx context.Context, name string, args map[string]string) (*mcp.GetPromptResult, error) {
	var out *mcp.GetPromptResult
	err := c.do(ctx, OpPrompts, "", func(ctx context.Context, s *session) error {
		if s.info.Capabilities.Prompts == nil {
			return ErrNotSupported
		}
		req := mcp.GetPromptRequest{}
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := s.mc.GetPrompt(ctx, req)
		if err != nil {
			return fmt.Errorf("prompts/get %q: %w", name, err)
		}
		out = res
		return nil
	})
	return out, err
}
