package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
)

// ErrSamplingTools is returned to a server whose sampling request carries
// tools or a toolChoice when the client does not declare sampling.tools
// ([Config].SamplingTools): the protocol requires such a request to be
// refused.
var ErrSamplingTools = errors.New("sampling request with tools, but the client did not declare sampling.tools")

// samplingFunc adapts Config.OnSampling to mcp-go's handler interface.
type samplingFunc struct {
	server string
	tools  bool // Config.SamplingTools
	fn     func(ctx context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error)
}

func (h samplingFunc) CreateMessage(ctx context.Context, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	if !h.tools && (len(req.Tools) > 0 || req.ToolChoice != nil) {
		return nil, fmt.Errorf("server %q: %w", h.server, ErrSamplingTools)
	}
	// A request that came as a 2026-07-28 input request (multi round-trip)
	// reaches here with its content blocks undecoded (mcp-go types them
	// only for sampling/createMessage requests); decode them alike.
	req.Messages = slices.Clone(req.Messages)
	for i, m := range req.Messages {
		switch m.Content.(type) {
		case map[string]any, []any:
			content, err := mcp.ParseSamplingContent(m.Content)
			if err != nil {
				return nil, fmt.Errorf("server %q: sampling: messages[%d]: %w", h.server, i, err)
			}
			req.Messages[i].Content = content
		}
	}
	res, err := h.fn(ctx, h.server, req)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("server %q: sampling handler returned no result", h.server)
	}
	return res, nil
}
