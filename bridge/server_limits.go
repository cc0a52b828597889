package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// callTool calls a tool bounded by the server's own CallTimeout. Running
// past it is reported as responses.ErrCallTimeout, as WithCallTimeout is,
// and not as a cancelled context, which Resume would run again.
func (c *conn) callTool(ctx context.Context, client *mcpclient.Client, tool string, args json.RawMessage, opts []mcpclient.CallOption) (*mcp.CallToolResult, error) {
	d := c.srv.CallTimeout
	if d <= 0 {
		return client.CallTool(ctx, tool, args, opts...)
	}
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	res, err := client.CallTool(cctx, tool, args, opts...)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w after %s (the server's call timeout: Server.CallTimeout, or \"timeout\" in its config file)", responses.ErrCallTimeout, d)
	}
	return res, err
}

func autoApproved(list []string, tool string) bool {
	return slices.Contains(list, allTools) || slices.Contains(list, tool)
}
