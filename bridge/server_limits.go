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
func (c *conn) callTool(ctx context.Context, tool string, args json.RawMessage, opts []mcpclient.CallOption) (*mcp.CallToolResult, error) {
	d := c.srv.CallTimeout
	if d <= 0 {
		return c.client.CallTool(ctx, tool, args, opts...)
	}
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	res, err := c.client.CallTool(cctx, tool, args, opts...)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w after %s (the server's timeout)", responses.ErrCallTimeout, d)
	}
	return res, err
}

// approveHook wraps the approval hook of a run so that calls to tools the
// server's config auto-approves skip it.
func (b *Bridge) approveHook(ex *runExecutor, approve func(context.Context, responses.Call) (bool, string)) func(context.Context, responses.Call) (bool, string) {
	if approve == nil {
		return nil
	}
	return func(ctx context.Context, call responses.Call) (bool, string) {
		ts := ex.offered.Load()
		if ts == nil {
			ts = b.current.Load()
		}
		if ft, ok := ts.byName[call.Name]; ok {
			if c := b.conns[ft.Server]; c != nil && autoApproved(c.srv.AutoApprove, ft.Tool) {
				return true, ""
			}
		}
		return approve(ctx, call)
	}
}

func autoApproved(list []string, tool string) bool {
	return slices.Contains(list, AutoApproveAll) || slices.Contains(list, tool)
}
