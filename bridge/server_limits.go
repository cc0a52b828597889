package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
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
		return nil, fmt.Errorf("%w after %s (the server's call timeout: Server.CallTimeout, or \"timeout\" in its config file)%s", responses.ErrCallTimeout, d, timeoutDetail(err))
	}
	return res, err
}

// timeoutDetail is what the client knew of a call that timed out beyond
// the deadline itself (a task's id and last status), as ": ...", or "".
func timeoutDetail(err error) string {
	var ce *mcpclient.Error
	if !errors.As(err, &ce) || ce.Err == nil || ce.Err.Error() == context.DeadlineExceeded.Error() {
		return ""
	}
	detail := strings.TrimSuffix(ce.Err.Error(), ": "+context.DeadlineExceeded.Error())
	if len(detail) > maxTimeoutDetail {
		detail = textsafe.Cut(detail, maxTimeoutDetail) + "..."
	}
	return ": " + detail
}

// maxTimeoutDetail bounds timeoutDetail: it is said once, in an error that
// may reach the model.
const maxTimeoutDetail = 512

func autoApproved(list []string, tool string) bool {
	return slices.Contains(list, allTools) || slices.Contains(list, tool)
}
