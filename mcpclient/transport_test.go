package mcpclient_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestTransports(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.connect(t, mcpclient.Config{Name: "srv-" + tc.name})
			assert.Equal(t, "srv-"+tc.name, c.Name())
			assert.Equal(t, mcptest.ServerName, c.ServerInfo().Name)
			want := mcp.LATEST_PROTOCOL_VERSION
			if tc.name == mcptest.KindSSE {
				want = mcp.LATEST_LEGACY_PROTOCOL_VERSION // HTTP+SSE predates 2026-07-28
			}
			assert.Equal(t, want, c.ProtocolVersion())

			tools, err := c.ListTools(testCtx(t))
			require.NoError(t, err)
			byName := map[string]mcpclient.Tool{}
			for _, tool := range tools {
				byName[tool.Name] = tool
			}
			for _, name := range mcptest.ToolNames {
				assert.Contains(t, byName, name)
			}

			// Schemas and annotations arrive exactly as sent.
			odd := byName["odd_schema"]
			assert.JSONEq(t, mcptest.OddSchema, string(odd.InputSchema))
			var top map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(odd.InputSchema, &top))
			for _, key := range []string{"$schema", "description", "anyOf", "$defs", "additionalProperties"} {
				assert.Contains(t, top, key, "top-level key of the input schema")
			}
			echo := byName["echo"]
			assert.Equal(t, "Echo", echo.Title)
			assert.Equal(t, "Echoes text back.", echo.Description)
			assert.Contains(t, string(echo.Annotations), `"readOnlyHint":true`)
			assert.JSONEq(t, mcptest.StructuredOutputSchema, string(byName["structured"].OutputSchema))
			assert.Nil(t, echo.OutputSchema)

			assert.Equal(t, "hello", textOf(t, call(t, c, "echo", map[string]any{"text": "hello"})))
			assert.Equal(t, "5", textOf(t, call(t, c, "add", map[string]any{"a": 2, "b": 3})))

			// Arguments go out byte for byte: a number beyond float64 survives.
			res, err := c.CallTool(testCtx(t), "echo_args", json.RawMessage(`{"n":12345678901234567890123,"s":"x"}`))
			require.NoError(t, err)
			assert.JSONEq(t, `{"n":12345678901234567890123,"s":"x"}`, textOf(t, res))
			assert.Contains(t, textOf(t, res), "12345678901234567890123")

			// No arguments at all.
			res, err = c.CallTool(testCtx(t), "pid", nil)
			require.NoError(t, err)
			assert.NotEmpty(t, textOf(t, res))

			res = call(t, c, "fail", map[string]any{"message": "nope"})
			assert.True(t, res.IsError)
			assert.Equal(t, "nope", textOf(t, res))

			res = call(t, c, "image", nil)
			require.Len(t, res.Content, 2)
			img, ok := mcp.AsImageContent(res.Content[1])
			require.True(t, ok)
			assert.Equal(t, mcptest.PNG, img.Data)
			assert.Equal(t, "image/png", img.MIMEType)

			res = call(t, c, "structured", nil)
			assert.JSONEq(t, `{"answer":42,"items":["a","b"]}`, mustJSON(t, res.StructuredContent))
			assert.NotEmpty(t, textOf(t, res))

			res = call(t, c, "resource_link", nil)
			require.Len(t, res.Content, 1)
			link, ok := res.Content[0].(mcp.ResourceLink)
			require.True(t, ok, "got %T", res.Content[0])
			assert.Equal(t, "file:///tmp/report.txt", link.URI)
			assert.Equal(t, "report.txt", link.Name)

			res = call(t, c, "embedded_resource", nil)
			require.Len(t, res.Content, 2)
			er, ok := mcp.AsEmbeddedResource(res.Content[0])
			require.True(t, ok)
			txt, ok := mcp.AsTextResourceContents(er.Resource)
			require.True(t, ok)
			assert.Equal(t, "some notes", txt.Text)
			er, ok = mcp.AsEmbeddedResource(res.Content[1])
			require.True(t, ok)
			blob, ok := mcp.AsBlobResourceContents(er.Resource)
			require.True(t, ok)
			assert.Equal(t, base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3}), blob.Blob)

			res = call(t, c, "big", map[string]any{"bytes": 3 << 20})
			assert.Len(t, textOf(t, res), 3<<20)

			// An unknown tool is a protocol error, reported as such.
			_, err = c.CallTool(testCtx(t), "no_such_tool", json.RawMessage(`{}`))
			if err == nil {
				// mcp-go servers answer unknown tools with an isError result
				// on some versions; either way nothing crashed.
				return
			}
			e := requireMCPError(t, err, mcpclient.OpCall)
			assert.Equal(t, "no_such_tool", e.Tool)
			assert.Contains(t, err.Error(), `"srv-`+tc.name+`"`)
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

func TestPagination(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.connect(t, mcpclient.Config{Name: "paged"}, mcptest.WithManyTools(manyTools), mcptest.WithPageSize(pageSize))
			tools, err := c.ListTools(testCtx(t))
			require.NoError(t, err)
			want := len(mcptest.ToolNames) + manyTools
			if tc.name == "stdio" {
				want++ // the binary also offers "exit"
			}
			assert.Equal(t, want, len(tools))
			seen := map[string]bool{}
			for _, tool := range tools {
				assert.False(t, seen[tool.Name], "duplicate %s", tool.Name)
				seen[tool.Name] = true
			}
			for i := range manyTools {
				assert.True(t, seen[fmt.Sprintf("tool_%04d", i)])
			}
		})
	}
}

func TestConcurrentCalls(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.connect(t, mcpclient.Config{Name: "conc"})
			// Four calls that can only finish together: they must all be in
			// flight on the one connection at the same time.
			const meet = 4
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for range meet {
				wg.Go(func() {
					res, err := c.CallTool(testCtx(t), "rendezvous", json.RawMessage(`{"key":"k","n":4}`))
					if err == nil && textOfNoT(res) != "met" {
						err = fmt.Errorf("rendezvous answered %q", textOfNoT(res))
					}
					errs <- err
				})
			}
			// Meanwhile, many echoes each get their own answer back.
			for i := range 40 {
				wg.Go(func() {
					want := fmt.Sprintf("msg-%d", i)
					res, err := c.CallTool(testCtx(t), "echo", json.RawMessage(`{"text":"`+want+`"}`))
					if err == nil && textOfNoT(res) != want {
						err = fmt.Errorf("echo %q answered %q", want, textOfNoT(res))
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
		})
	}
}

func textOfNoT(res *mcp.CallToolResult) string {
	if res == nil || len(res.Content) == 0 {
		return ""
	}
	if tc, ok := mcp.AsTextContent(res.Content[0]); ok {
		return tc.Text
	}
	return ""
}

func TestProgress(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.connect(t, mcpclient.Config{Name: "progress"})
			const steps = 5
			var mu sync.Mutex
			var got []mcp.ProgressNotificationParams
			res := call(t, c, "progress", map[string]any{"steps": steps, "ms": 20}, mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) {
				mu.Lock()
				got = append(got, p)
				mu.Unlock()
			}))
			assert.Equal(t, fmt.Sprintf("done %d", steps), textOf(t, res))
			mu.Lock()
			defer mu.Unlock()
			if tc.name == "inprocess" {
				// In process the client waits for queued notifications, so
				// every one arrives before the result.
				require.Len(t, got, steps)
			} else {
				// Out of process, mcp-go servers write notifications from
				// another goroutine than results; the last may be late.
				require.NotEmpty(t, got)
				require.LessOrEqual(t, len(got), steps)
			}
			token := got[0].ProgressToken
			require.NotNil(t, token)
			for i, p := range got {
				assert.Equal(t, token, p.ProgressToken)
				assert.Equal(t, float64(i+1), p.Progress)
				assert.Equal(t, float64(steps), p.Total)
			}

			// A call without WithProgress sends no token and gets no callback.
			res = call(t, c, "progress", map[string]any{"steps": 2, "ms": 1})
			assert.Equal(t, "done 2", textOf(t, res))
		})
	}
}

func TestToolsChangedNotification(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			changed := make(chan string, 16)
			var notes atomic.Int64
			c := tc.connect(t, mcpclient.Config{
				Name:           "dyn",
				OnToolsChanged: func(server string) { changed <- server },
				OnNotification: func(server string, n mcp.JSONRPCNotification) {
					if n.Method == string(mcp.MethodNotificationToolsListChanged) {
						notes.Add(1)
					}
				},
			})
			res := call(t, c, "add_tool", map[string]any{"name": "late_tool"})
			assert.Equal(t, "added late_tool", textOf(t, res))
			select {
			case server := <-changed:
				assert.Equal(t, "dyn", server)
			case <-time.After(30 * time.Second):
				t.Fatal("no tools/list_changed notification")
			}
			tools, err := c.ListTools(testCtx(t))
			require.NoError(t, err)
			var names []string
			for _, tool := range tools {
				names = append(names, tool.Name)
			}
			assert.Contains(t, names, "late_tool")
			assert.Equal(t, "late_tool: hi", textOf(t, call(t, c, "late_tool", map[string]any{"text": "hi"})))
			require.NoError(t, c.Close())
			assert.GreaterOrEqual(t, notes.Load(), int64(1))
		})
	}
}

func TestClosedClient(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.connect(t, mcpclient.Config{Name: "closing"})
			require.NoError(t, c.Close())
			require.NoError(t, c.Close(), "Close is idempotent")
			_, err := c.CallTool(testCtx(t), "echo", json.RawMessage(`{"text":"x"}`))
			requireMCPError(t, err, mcpclient.OpCall)
			assert.ErrorIs(t, err, mcpclient.ErrClosed)
			_, err = c.ListTools(testCtx(t))
			assert.ErrorIs(t, err, mcpclient.ErrClosed)
		})
	}
}

func TestCloseDuringCall(t *testing.T) {
	for _, kind := range []string{"inprocess", "stdio", mcptest.KindSSE, mcptest.KindStreamable} {
		t.Run(kind, func(t *testing.T) {
			srv := mcptest.NewServer()
			cfg := mcpclient.Config{Name: "closing"}
			switch kind {
			case "inprocess":
				cfg.Transport = &mcpclient.InProcess{Server: srv}
			case "stdio":
				cfg.Transport = &mcpclient.Stdio{Command: serverBin}
			default:
				h := mcptest.NewHTTPServer(t, srv, kind)
				cfg.Transport = &mcpclient.HTTP{URL: h.URL, SSE: kind == mcptest.KindSSE}
			}
			c := connect(t, cfg)
			done := make(chan error, 1)
			go func() {
				_, err := c.CallTool(testCtx(t), "rendezvous", json.RawMessage(`{"key":"close","n":2}`))
				done <- err
			}()
			// Wait until the server holds the call.
			for textOf(t, call(t, c, "waiting", map[string]any{"key": "close"})) != "1" {
				time.Sleep(5 * time.Millisecond)
			}
			require.NoError(t, c.Close())
			err := <-done
			requireMCPError(t, err, mcpclient.OpCall)
			assert.ErrorIs(t, err, mcpclient.ErrClosed)

			if kind != "stdio" {
				// mcp-go's HTTP servers do not cancel a handler when the
				// client goes away: release it so no goroutine outlives the
				// test.
				other := connect(t, mcpclient.Config{Name: "release", Transport: &mcpclient.InProcess{Server: srv}})
				assert.Equal(t, "met", textOf(t, call(t, other, "rendezvous", map[string]any{"key": "close", "n": 2})))
			}
		})
	}
}
