package interop_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// TestVersionsNegotiated: with default settings the bridge offers
// 2026-07-28 first and settles on the newest version each server speaks,
// over stdio and streamable HTTP, against servers built on the SDK
// releases whose newest version is 2025-03-26, 2025-06-18, 2025-11-25 and
// 2026-07-28. Tools list and run, a tool added at run time reaches the
// next turn's tools (list changes arrive on every version), and an older
// server receives nothing of a newer version after the server/discover
// probe that tells them apart.
func TestVersionsNegotiated(t *testing.T) {
	for _, v := range interop.VersionServers() {
		for _, mode := range []string{"stdio", "http"} {
			t.Run(v.Name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				record := filepath.Join(t.TempDir(), "record.jsonl")
				env := map[string]string{"MCP_RECORD": record}
				var srv bridge.Server
				if mode == "stdio" {
					srv = bridge.Server{Config: v.Stdio(t, env)}
				} else {
					srv = bridge.HTTP(v.Name, v.StartHTTP(t, env))
				}
				changed := make(chan struct{}, 8)
				srv.OnToolsChanged = func(string) { changed <- struct{}{} }
				b := newBridge(t, []bridge.Server{srv})
				ctx := t.Context()

				require.NoError(t, b.Client(ctx, v.Name, func(c *bridge.Client) error {
					assert.Equal(t, v.Newest, c.ProtocolVersion(), "negotiated version")
					return nil
				}))
				assert.Equal(t, []string{"add", "echo", "grow"}, serverTools(t, b, v.Name))
				assert.Equal(t, "hi", callText(t, b, v.Name+"__echo", `{"text":"hi"}`))
				assert.Equal(t, "5", callText(t, b, v.Name+"__add", `{"a":2,"b":3}`))

				assert.Equal(t, "grew", callText(t, b, v.Name+"__grow", `{}`))
				// Bounds a broken build only: the notification follows the call.
				select {
				case <-changed:
				case <-time.After(time.Minute):
					t.Fatal("no tools/list_changed after grow")
				}
				_, err := b.Toolbox(ctx) // relists the changed server
				require.NoError(t, err)
				assert.Contains(t, serverTools(t, b, v.Name), "grown")
				assert.Equal(t, "grown", callText(t, b, v.Name+"__grown", `{}`))

				checkEra(t, v.Newest, interop.ReadRecord(t, record))
			})
		}
	}
}

// checkEra checks that what a server received belongs to its era: a
// modern server gets no initialize and every request carries the 2026-07-28
// _meta; an older one gets a single server/discover first and then nothing
// of 2026-07-28 (no _meta protocol keys, no Mcp-Method or Mcp-Name headers,
// no subscriptions/listen).
func checkEra(t *testing.T, newest string, got []interop.Received) {
	t.Helper()
	require.NotEmpty(t, got)
	modern := newest >= "2026-07-28"
	var methods []string
	for i, r := range got {
		method := r.Method()
		methods = append(methods, method)
		var m struct {
			ID     json.RawMessage `json:"id"`
			Params struct {
				Meta map[string]json.RawMessage `json:"_meta"`
			} `json:"params"`
		}
		_ = json.Unmarshal(r.Message, &m)
		var modernKeys []string
		for k := range m.Params.Meta {
			if strings.HasPrefix(k, "io.modelcontextprotocol/") {
				modernKeys = append(modernKeys, k)
			}
		}
		isRequest := method != "" && len(m.ID) > 0
		if modern {
			assert.NotEqual(t, "initialize", method, "a 2026-07-28 server got initialize")
			if isRequest {
				assert.Contains(t, modernKeys, "io.modelcontextprotocol/protocolVersion", "request %d (%s) without the 2026-07-28 _meta", i, method)
			}
			continue
		}
		if method == "server/discover" {
			assert.Equal(t, 0, i, "server/discover sent after other messages")
			continue
		}
		if method == "ping" && i == 1 && strings.Contains(string(m.ID), "mcpbridge-probe") {
			continue // the ping sent with the probe on stdio
		}
		assert.Empty(t, modernKeys, "message %d (%s) to a %s server carries 2026-07-28 _meta", i, method, newest)
		assert.NotEqual(t, "subscriptions/listen", method)
		for _, h := range []string{"mcp-method", "mcp-name"} {
			assert.Empty(t, r.Headers[h], "message %d (%s) to a %s server carries %s", i, method, newest, h)
		}
		if v := r.Headers["mcp-protocol-version"]; v != "" {
			assert.Equal(t, newest, v, "message %d (%s)", i, method)
		}
	}
	if !modern {
		assert.Equal(t, 1, countOf(methods, "server/discover"), "probes in %v", methods)
		assert.Equal(t, 1, countOf(methods, "initialize"), "handshakes in %v", methods)
	} else {
		assert.Contains(t, methods, "subscriptions/listen")
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// serverTools lists the MCP tools of server in the bridge's current tool set.
func serverTools(t *testing.T, b *bridge.Bridge, server string) []string {
	t.Helper()
	var names []string
	for _, r := range b.Routes() {
		if r.Server == server {
			names = append(names, r.Tool)
		}
	}
	slices.Sort(names)
	return names
}

// callText calls function through the bridge and returns its text.
func callText(t *testing.T, b *bridge.Bridge, function, args string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, err := b.Call(ctx, function, args)
	require.NoError(t, err, function)
	return out.Text
}
