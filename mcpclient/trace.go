package mcpclient

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
)

// traceMeta adapts Config.TraceMeta to mcp-go's tracing.MetaPropagator.
type traceMeta func(ctx context.Context) map[string]string

// InjectMeta adds the trace context of ctx to meta, on a copy: the request's
// own _meta (a progress token, say) is kept.
func (f traceMeta) InjectMeta(ctx context.Context, meta *mcp.Meta) *mcp.Meta {
	fields := f(ctx)
	if len(fields) == 0 {
		return meta
	}
	out := &mcp.Meta{}
	if meta != nil {
		out.ProgressToken = meta.ProgressToken
		for k, v := range meta.AdditionalFields {
			out.SetMetaField(k, v)
		}
	}
	for k, v := range fields {
		out.SetMetaField(k, v)
	}
	return out
}

// ExtractMeta is for servers; a client has nothing to extract.
func (f traceMeta) ExtractMeta(ctx context.Context, _ *mcp.Meta) context.Context { return ctx }
