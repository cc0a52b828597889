package interop_test

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// BenchmarkConnectVersions measures Connect (not Close) against the version
// servers, over stdio (spawn included) and streamable HTTP, offering
// 2025-11-25 (the default before 2026-07-28 was, no probe) and with the
// default (2026-07-28 first, the server/discover probe, and the handshake
// after it for an older server). Compare the two offers of one server and
// transport as a ratio:
//
//	go test ./rigs/interop -run '^$' -bench ConnectVersions -benchtime 20x
func BenchmarkConnectVersions(b *testing.B) {
	offers := []struct{ name, version string }{
		{"offer=2025-11-25", mcp.LATEST_LEGACY_PROTOCOL_VERSION},
		{"offer=default", ""},
	}
	for _, v := range interop.VersionServers() {
		for _, mode := range []string{"stdio", "http"} {
			var cfg mcpclient.Config
			if mode == "stdio" {
				cfg = v.Stdio(b, nil)
			} else {
				cfg = mcpclient.Config{Name: v.Name, Transport: &mcpclient.HTTP{URL: v.StartHTTP(b, nil)}}
			}
			for _, o := range offers {
				cfg.ProtocolVersion = o.version
				b.Run(v.Name+"/"+mode+"/"+o.name, func(b *testing.B) {
					ctx := context.Background()
					for b.Loop() {
						c, err := mcpclient.Connect(ctx, cfg)
						if err != nil {
							b.Fatal(err)
						}
						b.StopTimer()
						_ = c.Close()
						b.StartTimer()
					}
				})
			}
		}
	}
}
