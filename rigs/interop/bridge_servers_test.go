package interop_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// mustJSON encodes v for a scripted call's arguments.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBridgeFilesystem writes, lists and reads back a file through the loop
// with server-filesystem confined to a temporary directory; paths outside it
// come back to the model as tool errors.
func TestBridgeFilesystem(t *testing.T) {
	dir := t.TempDir()
	root := interop.FilesystemRoot(t, dir)
	outside := interop.FilesystemRoot(t, t.TempDir())
	cfg := interop.FilesystemStdio(t, dir)
	trackProcesses(t, &cfg)
	b := newBridge(t, []bridge.Server{{Config: cfg}})
	checkNothingDropped(t, b, "filesystem")
	if n := len(b.Routes()); n != 14 {
		t.Errorf("%d filesystem tools, want 14", n)
	}

	file := filepath.Join(root, "hello.txt")
	const content = "written through mcpbridge\nsecond line\n"
	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "filesystem__write_file", Arguments: mustJSON(t, map[string]string{"path": file, "content": content}), CallID: "write"},
			responsestest.FunctionCall{Name: "filesystem__write_file", Arguments: mustJSON(t, map[string]string{"path": filepath.Join(outside, "escape.txt"), "content": "no"}), CallID: "write-outside"},
		),
		responsestest.Calls(
			responsestest.FunctionCall{Name: "filesystem__list_directory", Arguments: mustJSON(t, map[string]string{"path": root}), CallID: "list"},
			responsestest.FunctionCall{Name: "filesystem__read_text_file", Arguments: mustJSON(t, map[string]string{"path": file}), CallID: "read"},
			responsestest.FunctionCall{Name: "filesystem__read_text_file", Arguments: mustJSON(t, map[string]string{"path": filepath.Join(root, "..", filepath.Base(outside), "x")}), CallID: "read-dotdot"},
			responsestest.FunctionCall{Name: "filesystem__list_allowed_directories", CallID: "allowed"},
		),
		responsestest.Text("files handled"),
	))
	res := run(t, b, srv, api, "write and read a file")
	if res.OutputText != "files handled" || len(res.Turns) != 3 {
		t.Fatalf("output %q after %d turns", res.OutputText, len(res.Turns))
	}
	recs, got := records(res), received(srv)
	expectOutput(t, recs, got, "write", false, "Successfully wrote to "+file)
	expectOutput(t, recs, got, "write-outside", true, "Access denied", "outside allowed directories")
	expectOutput(t, recs, got, "list", false, "[FILE] hello.txt")
	// read_text_file declares an output schema, so the model gets its
	// structuredContent as JSON rather than the text block.
	wantRead := mustJSON(t, map[string]string{"content": content})
	expectOutput(t, recs, got, "read", false, wantRead)
	expectOutput(t, recs, got, "read-dotdot", true, "Access denied")
	expectOutput(t, recs, got, "allowed", false, root)
	if got["read"].Output != wantRead {
		t.Errorf("read back %q, want %q", got["read"].Output, wantRead)
	}
	if data, err := readFile(file); err != nil || data != content {
		t.Errorf("file on disk: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "escape.txt")); !os.IsNotExist(err) {
		t.Errorf("a file was written outside the allowed directory (stat: %v)", err)
	}
}

// TestBridgeMemory creates entities with server-memory through the loop and
// reads them back in the next turn.
func TestBridgeMemory(t *testing.T) {
	cfg := interop.MemoryStdio(t)
	trackProcesses(t, &cfg)
	b := newBridge(t, []bridge.Server{{Config: cfg}})
	checkNothingDropped(t, b, "memory")
	if n := len(b.Routes()); n != 9 {
		t.Errorf("%d memory tools, want 9", n)
	}

	entities := `{"entities":[` +
		`{"name":"mcpbridge","entityType":"project","observations":["written in Go","talks to the Responses API"]},` +
		`{"name":"server-memory","entityType":"mcp server","observations":["stores a knowledge graph"]}]}`
	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "memory__create_entities", Arguments: entities, CallID: "create"},
		),
		responsestest.Calls(
			responsestest.FunctionCall{Name: "memory__create_relations", Arguments: `{"relations":[{"from":"mcpbridge","to":"server-memory","relationType":"is tested against"}]}`, CallID: "relate"},
			responsestest.FunctionCall{Name: "memory__open_nodes", Arguments: `{"names":["mcpbridge"]}`, CallID: "open"},
			responsestest.FunctionCall{Name: "memory__search_nodes", Arguments: `{"query":"knowledge graph"}`, CallID: "search"},
		),
		responsestest.Calls(responsestest.FunctionCall{Name: "memory__read_graph", CallID: "graph"}),
		responsestest.Text("remembered"),
	))
	res := run(t, b, srv, api, "remember this")
	if res.OutputText != "remembered" || len(res.Turns) != 4 {
		t.Fatalf("output %q after %d turns", res.OutputText, len(res.Turns))
	}
	recs, got := records(res), received(srv)
	expectOutput(t, recs, got, "create", false, `"mcpbridge"`, `"server-memory"`)
	expectOutput(t, recs, got, "relate", false, "is tested against")
	expectOutput(t, recs, got, "open", false, "written in Go", "talks to the Responses API")
	expectOutput(t, recs, got, "search", false, "server-memory", "stores a knowledge graph")
	expectOutput(t, recs, got, "graph", false, "mcpbridge", "server-memory", "is tested against")

	data, err := readFile(interop.MemoryFile(cfg))
	if err != nil {
		t.Fatalf("memory file: %v", err)
	}
	for _, want := range []string{`"type":"entity"`, `"name":"mcpbridge"`, `"type":"relation"`} {
		if !strings.Contains(data, want) {
			t.Errorf("memory file lacks %s:\n%s", want, data)
		}
	}
}

// TestBridgeStdioEnvironment shows that a secret in the parent's
// environment does not reach a stdio server started by the bridge (the
// minimal environment rule), while a variable in the server's Stdio.Env
// does.
func TestBridgeStdioEnvironment(t *testing.T) {
	const secret = "sk-interop-parent-secret-0123456789"
	t.Setenv("OPENAI_API_KEY", secret)
	t.Setenv("MCPBRIDGE_INTEROP_PARENT_ONLY", secret)
	cfg := interop.EverythingStdio(t)
	cfg.Transport.(*mcpclient.Stdio).Env = map[string]string{"MCPBRIDGE_GIVEN": "given-to-the-server"}
	trackProcesses(t, &cfg)
	b := newBridge(t, []bridge.Server{{Config: cfg}})

	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: fn("get-env"), CallID: "env"}),
		responsestest.Text("checked"),
	))
	res := run(t, b, srv, api, "what is in your environment?")
	recs, got := records(res), received(srv)
	if recordText(recs["env"]) != got["env"].Output {
		t.Errorf("recorded and sent outputs differ")
	}
	env := decodeEnv(t, got["env"].Output)
	if _, ok := env["OPENAI_API_KEY"]; ok {
		t.Error("OPENAI_API_KEY from the parent environment reached the stdio server")
	}
	if _, ok := env["MCPBRIDGE_INTEROP_PARENT_ONLY"]; ok {
		t.Error("a parent variable outside the minimal set reached the stdio server")
	}
	if env["MCPBRIDGE_GIVEN"] != "given-to-the-server" {
		t.Errorf("Stdio.Env variable = %q, want it passed", env["MCPBRIDGE_GIVEN"])
	}
	if env["PATH"] == "" {
		t.Error("PATH (part of the minimal set) did not reach the server")
	}
	for _, req := range srv.Requests() {
		if strings.Contains(string(req.Raw), secret) {
			t.Errorf("request #%d to the API carries the secret", req.Index)
		}
	}
}

// TestBridgeToolListChanged adds a tool at run time and checks that the
// bridge, told by notifications/tools/list_changed, offers it on the next
// turn and routes calls to it. server-everything cannot be used: it adds
// tools only while a client initializes (and the bridge's first listing
// already includes them), or for clients advertising capabilities mcpclient
// does not offer. mcptestserver's add_tool adds one whenever asked.
func TestBridgeToolListChanged(t *testing.T) {
	bin := mcptest.BuildServer(t)

	// addAndUse lets the scripted model add a tool in turn 1 and call it in
	// turn 2. The first call's AfterCall hook waits for the server's
	// notification, so the next turn starts only after it arrived.
	addAndUse := func(t *testing.T, opts ...bridge.Option) (*bridge.Bridge, *responsestest.Server, *bridge.Result) {
		hook, changed := signal()
		srv := bridge.Stdio("mcptest", bin)
		srv.OnToolsChanged = hook
		trackProcesses(t, &srv.Config)
		b := newBridge(t, []bridge.Server{srv}, opts...)
		if slices.Contains(functionNames(b), "mcptest__late_echo") {
			t.Fatal("late_echo exists before it was added")
		}
		api, client := startAPI(t, responsestest.Script(
			responsestest.Calls(responsestest.FunctionCall{Name: "mcptest__add_tool", Arguments: `{"name":"late_echo"}`, CallID: "add"}),
			responsestest.Calls(responsestest.FunctionCall{Name: "mcptest__late_echo", Arguments: `{"text":"hello late"}`, CallID: "late"}),
			responsestest.Text("done"),
		))
		res := run(t, b, api, client, "add a tool and use it",
			bridge.WithAfterCall(func(ctx context.Context, rec responses.CallRecord) {
				if rec.Call.CallID != "add" {
					return
				}
				select {
				case <-changed:
				case <-ctx.Done():
				case <-time.After(eventWait):
					t.Error("no tools/list_changed after add_tool")
				}
			}))
		if reqs := api.Requests(); len(reqs) != 3 || slices.Contains(toolNamesOf(reqs[0]), "mcptest__late_echo") {
			t.Fatalf("%d requests; the first offered late_echo already", len(reqs))
		}
		return b, api, res
	}

	t.Run("refresh-on", func(t *testing.T) {
		b, api, res := addAndUse(t)
		if !slices.Contains(toolNamesOf(api.Requests()[1]), "mcptest__late_echo") {
			t.Errorf("turn 2 tools %v lack mcptest__late_echo", toolNamesOf(api.Requests()[1]))
		}
		recs, got := records(res), received(api)
		expectOutput(t, recs, got, "add", false, "added late_echo")
		expectOutput(t, recs, got, "late", false, "late_echo: hello late")
		if r, ok := b.Routes()["mcptest__late_echo"]; !ok || r.Server != "mcptest" || r.Tool != "late_echo" {
			t.Errorf("Routes()[mcptest__late_echo] = %v %v", r, ok)
		}
	})
}

// functionNames lists a bridge's function names.
func functionNames(b *bridge.Bridge) []string {
	var names []string
	for name := range b.Routes() {
		names = append(names, name)
	}
	return names
}
