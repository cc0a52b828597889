package mcptest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func inProcess(t *testing.T, opts ...mcptest.Option) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(mcptest.NewServer(opts...))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Start(ctx(t)))
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	_, err = c.Initialize(ctx(t), req)
	require.NoError(t, err)
	return c
}

func TestNewServerTools(t *testing.T) {
	c := inProcess(t, mcptest.WithManyTools(12), mcptest.WithPageSize(5))
	page, err := c.ListToolsByPage(ctx(t), mcp.ListToolsRequest{})
	require.NoError(t, err)
	assert.Len(t, page.Tools, 5, "page size applies")
	assert.NotEmpty(t, page.NextCursor)

	all, err := c.ListTools(ctx(t), mcp.ListToolsRequest{})
	require.NoError(t, err)
	names := map[string]bool{}
	for _, tool := range all.Tools {
		names[tool.Name] = true
	}
	for _, n := range mcptest.ToolNames {
		assert.True(t, names[n], n)
	}
	assert.True(t, names["tool_0011"])
	assert.False(t, names["exit"], "exit only with WithExitTool")
	assert.Len(t, all.Tools, len(mcptest.ToolNames)+12)
}

func callText(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx(t), req)
	require.NoError(t, err)
	return res
}

func TestTools(t *testing.T) {
	c := inProcess(t)
	text := func(res *mcp.CallToolResult) string { return res.Content[0].(mcp.TextContent).Text }
	assert.Equal(t, "hi", text(callText(t, c, "echo", map[string]any{"text": "hi"})))
	assert.Equal(t, "3.5", text(callText(t, c, "add", map[string]any{"a": 1, "b": 2.5})))
	assert.True(t, callText(t, c, "fail", nil).IsError)
	assert.Len(t, text(callText(t, c, "big", map[string]any{"bytes": 1000})), 1000)
	assert.Equal(t, "slept", text(callText(t, c, "sleep", map[string]any{"ms": 1})))
	assert.Equal(t, fmt.Sprint(os.Getpid()), text(callText(t, c, "pid", nil)))
	assert.Equal(t, "done 2", text(callText(t, c, "progress", map[string]any{"steps": 2, "ms": 1})))
	assert.NotNil(t, callText(t, c, "structured", nil).StructuredContent)
	assert.Equal(t, "added x", text(callText(t, c, "add_tool", map[string]any{"name": "x"})))
	assert.Equal(t, "x: y", text(callText(t, c, "x", map[string]any{"text": "y"})))
	assert.Equal(t, "removed x", text(callText(t, c, "remove_tool", map[string]any{"name": "x"})))

	// The rendezvous needs n concurrent calls.
	done := make(chan string, 2)
	for range 2 {
		go func() { done <- text(callText(t, c, "rendezvous", map[string]any{"key": "k", "n": 2})) }()
	}
	assert.Equal(t, "met", <-done)
	assert.Equal(t, "met", <-done)
}

// rpc drives the binary by hand.
type rpc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func start(t *testing.T, args ...string) *rpc {
	t.Helper()
	cmd := exec.Command(mcptest.BuildServer(t), args...)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	r := &rpc{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	t.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return r
}

func (r *rpc) send(t *testing.T, id int, method string, params any) {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	require.NoError(t, err)
	_, err = r.in.Write(append(raw, '\n'))
	require.NoError(t, err)
}

// next returns the next line that parses as a JSON-RPC response.
func (r *rpc) next(t *testing.T) (id int, line string) {
	t.Helper()
	for {
		raw, err := r.out.ReadString('\n')
		require.NoError(t, err)
		var m struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal([]byte(raw), &m) == nil && m.ID != nil && m.Result != nil {
			return *m.ID, raw
		}
	}
}

func TestLegacySilentIgnoresUnknownMethods(t *testing.T) {
	r := start(t, "-mode", mcptest.ModeLegacySilent)
	r.send(t, 1, "server/discover", map[string]any{})
	r.send(t, 2, "initialize", map[string]any{"protocolVersion": "2025-06-18"})
	id, line := r.next(t)
	assert.Equal(t, 2, id, "server/discover must get no answer at all")
	assert.Contains(t, line, `"protocolVersion":"2025-06-18"`)
	r.send(t, 3, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": "yo"}})
	id, line = r.next(t)
	assert.Equal(t, 3, id)
	assert.Contains(t, line, `"yo"`)
}

func TestGarbageModeStillAnswers(t *testing.T) {
	r := start(t, "-mode", mcptest.ModeGarbage, "-garbage-bytes", "100000")
	r.send(t, 7, "initialize", map[string]any{})
	// Among the garbage is a response to an id nobody sent.
	id, _ := r.next(t)
	assert.Equal(t, 987654321, id)
	id, _ = r.next(t)
	assert.Equal(t, 7, id)
}

func TestCrashOnCall(t *testing.T) {
	cmd := exec.Command(mcptest.BuildServer(t), "-mode", mcptest.ModeCrashOnCall)
	cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}` + "\n")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "err %v", err)
	assert.Equal(t, 3, exit.ExitCode())
	assert.Contains(t, stderr.String(), mcptest.CrashMessage)
}

func TestMainRejectsUnknownMode(t *testing.T) {
	assert.Equal(t, 2, mcptest.Main([]string{"-mode", "bogus"}))
}

func TestHTTPServerExpireAndRestart(t *testing.T) {
	h := mcptest.NewHTTPServer(t, mcptest.NewServer(), mcptest.KindStreamable)
	post := func(session, body string) *http.Response {
		req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp
	}
	resp := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	session := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, session)
	assert.Equal(t, 1, h.Initializes())

	h.ExpireSessions()
	resp = post(session, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	url := h.URL
	h.Stop()
	h.Stop() // idempotent
	require.NoError(t, h.Start())
	assert.Equal(t, url, h.URL, "same address after a restart")
	http.DefaultClient.CloseIdleConnections()
}
