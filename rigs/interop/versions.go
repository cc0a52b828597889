package interop

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// VersionServer is one of the test servers in testdata/versions, each
// built on an SDK release whose newest protocol version is Newest. They all
// list the tools echo (text), add (a, b) and grow, which adds the tool
// grown and announces the change (notifications/tools/list_changed).
type VersionServer struct {
	Name   string // short name, usable as a server name
	Newest string // the newest protocol version its SDK speaks
	SDK    string // the npm package and release it is built on
	args   []string
}

// VersionServers returns the version test servers, oldest protocol first:
// @modelcontextprotocol/sdk 1.12.3 (2025-03-26), 1.17.5 (2025-06-18),
// 1.32.2 (2025-11-25) and @modelcontextprotocol/server 2.4.0 (2026-07-28).
func VersionServers() []VersionServer {
	return []VersionServer{
		{Name: "sdk1_12", Newest: "2025-03-26", SDK: "@modelcontextprotocol/sdk 1.12.3", args: []string{"sdk1.mjs", "mcp-sdk-2025-03-26"}},
		{Name: "sdk1_17", Newest: "2025-06-18", SDK: "@modelcontextprotocol/sdk 1.17.5", args: []string{"sdk1.mjs", "mcp-sdk-2025-06-18"}},
		{Name: "sdk1_32", Newest: "2025-11-25", SDK: "@modelcontextprotocol/sdk 1.32.2", args: []string{"sdk1.mjs", "mcp-sdk-2025-11-25"}},
		{Name: "server2_4", Newest: "2026-07-28", SDK: "@modelcontextprotocol/server 2.4.0", args: []string{"sdk2.mjs"}},
	}
}

// script returns the node arguments that run v with transport mode.
func (v VersionServer) script(tb testing.TB, mode string) []string {
	tb.Helper()
	Node(tb) // skips (or fails under CI) without the install
	args := append([]string{filepath.Join(Dir(), "testdata", "versions", v.args[0])}, v.args[1:]...)
	return append(args, mode)
}

// Stdio returns a client configuration that runs v over stdio. env is
// added to the server's environment (MCP_RECORD: path records every message
// the server receives, one JSON line each; see [ReadRecord]).
func (v VersionServer) Stdio(tb testing.TB, env map[string]string) mcpclient.Config {
	tb.Helper()
	return mcpclient.Config{
		Name:      v.Name,
		Transport: &mcpclient.Stdio{Command: Node(tb), Args: v.script(tb, "stdio"), Env: env},
	}
}

// StartHTTP starts v over streamable HTTP on a loopback port and returns
// its URL; env as for Stdio. The process is stopped in tb.Cleanup.
func (v VersionServer) StartHTTP(tb testing.TB, env map[string]string) string {
	tb.Helper()
	var kv []string
	for k, val := range env {
		kv = append(kv, k+"="+val)
	}
	p, err := Start(tb, kv, Node(tb), v.script(tb, "http")...)
	if err != nil {
		tb.Fatalf("interop: %v", err)
	}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(p.Output(), "\n") {
			if url, ok := strings.CutPrefix(line, "listening "); ok {
				return strings.TrimSpace(url)
			}
		}
		select {
		case <-p.Done():
			tb.Fatalf("interop: %s exited before listening:\n%s", v.Name, p.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	tb.Fatalf("interop: %s did not listen within %s:\n%s", v.Name, readyTimeout, p.Output())
	return ""
}

// Received is one message a version server got: the JSON-RPC message (or
// {"httpMethod": "GET"} for a request without a body) and, over HTTP, the
// request's headers (lower-case names).
type Received struct {
	Message json.RawMessage   `json:"message"`
	Headers map[string]string `json:"headers"`
}

// Method is the message's JSON-RPC method, or "" for a response.
func (r Received) Method() string {
	var m struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal(r.Message, &m)
	return m.Method
}

// ReadRecord reads the messages recorded in path (MCP_RECORD).
func ReadRecord(tb testing.TB, path string) []Received {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("interop: %v", err)
	}
	defer f.Close()
	var out []Received
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r struct {
			Message json.RawMessage `json:"message"`
			Headers map[string]any  `json:"headers"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("interop: record %s: %v", path, err)
		}
		rec := Received{Message: r.Message}
		if r.Headers != nil {
			rec.Headers = map[string]string{}
			for k, v := range r.Headers {
				if s, ok := v.(string); ok {
					rec.Headers[k] = s
				}
			}
		}
		out = append(out, rec)
	}
	return out
}
