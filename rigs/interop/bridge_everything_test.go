package interop_test

import (
	"encoding/json"
	"github.com/mcpbridge/mcpbridge/rigs/offered"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// everythingServer is server-everything reached over one transport through
// its own bridge.
type everythingServer struct {
	transport string // "stdio", "sse", "http"
	bridge    *bridge.Bridge
	changed   chan struct{} // the server announced tools/list_changed
}

// fn is the function name of an everything tool: every bridge names the
// server "everything", so names are the same over every transport.
func fn(tool string) string { return "everything__" + tool }

// TestBridgeEverything runs server-everything over stdio, SSE and
// streamable HTTP behind the bridge and drives the whole loop against the
// fake Responses API. The three servers (and bridges) are shared by the
// subtests.
func TestBridgeEverything(t *testing.T) {
	sseURL := interop.StartEverythingHTTP(t, interop.ModeSSE)
	httpURL := interop.StartEverythingHTTP(t, interop.ModeStreamableHTTP)

	stdio := interop.EverythingStdio(t)
	trackProcesses(t, &stdio)
	var servers []everythingServer
	for _, tc := range []struct {
		transport string
		cfg       mcpclient.Config
	}{
		{"stdio", stdio},
		{"sse", mcpclient.Config{Transport: &mcpclient.HTTP{URL: sseURL, SSE: true}}},
		{"http", mcpclient.Config{Transport: &mcpclient.HTTP{URL: httpURL}}},
	} {
		hook, changed := signal()
		cfg := tc.cfg
		cfg.Name = "everything"
		cfg.OnToolsChanged = hook
		b := newBridge(t, []bridge.Server{{Config: cfg}})
		servers = append(servers, everythingServer{tc.transport, b, changed})
	}

	for _, s := range servers {
		t.Run("tools/"+s.transport, func(t *testing.T) { testEverythingTools(t, s.bridge) })
	}
	t.Run("same-tools-on-every-transport", func(t *testing.T) {
		base := everythingParams(t, servers[0].bridge)
		for _, s := range servers[1:] {
			got := everythingParams(t, s.bridge)
			if !reflect.DeepEqual(got, base) {
				for name := range base {
					if !reflect.DeepEqual(got[name], base[name]) {
						t.Errorf("%s over %s: parameters %v, over %s: %v", name, s.transport, got[name], servers[0].transport, base[name])
					}
				}
			}
		}
	})
	for _, s := range servers {
		t.Run("list-changed-after-initialize/"+s.transport, func(t *testing.T) { testEverythingListChanged(t, s) })
	}
	for _, s := range servers {
		t.Run("calls/"+s.transport, func(t *testing.T) { testEverythingCalls(t, s.bridge) })
	}
	t.Run("image-as-text", func(t *testing.T) { testEverythingImageAsText(t, servers[0].bridge) })
	t.Run("several-servers", func(t *testing.T) { testSeveralServers(t, httpURL) })
}

// testEverythingTools checks that every tool server-everything always lists
// is converted, under its hyphenated name, with nothing dropped.
func testEverythingTools(t *testing.T, b *bridge.Bridge) {
	checkNothingDropped(t, b, "everything")
	if failed := b.MissingServers(); len(failed) > 0 {
		t.Fatalf("failed servers: %v", failed)
	}
	byName := map[string]offered.Function{}
	for _, ft := range offered.Functions(b) {
		byName[ft.Name] = ft
	}
	for _, tool := range interop.EverythingToolNames() {
		ft, ok := byName[fn(tool)]
		if !ok {
			t.Errorf("tool %q not converted; function tools: %v", tool, slices.Sorted(maps.Keys(byName)))
			continue
		}
		if ft.Server != "everything" || ft.Tool != tool {
			t.Errorf("%s comes from %s/%s", ft.Name, ft.Server, ft.Tool)
		}
		if r, ok := b.Routes()[ft.Name]; !ok || r.Server != "everything" || r.Tool != tool {
			t.Errorf("Routes()[%s] = %v, %v", ft.Name, r, ok)
		}
		if ft.Parameters["type"] != "object" {
			t.Errorf("%s: parameters type = %v", ft.Name, ft.Parameters["type"])
		}
		if ft.Description == "" {
			t.Errorf("%s: no description", ft.Name)
		}
	}
	if n := len(b.Routes()); n != len(byName) {
		t.Errorf("Routes() has %d functions, the request %d", n, len(byName))
	}
}

// everythingParams returns the parameters of the tools every client sees
// (the capability-dependent ones are left out), as JSON values.
func everythingParams(t *testing.T, b *bridge.Bridge) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, ft := range offered.Functions(b) {
		if !slices.Contains(interop.EverythingToolNames(), ft.Tool) {
			t.Logf("capability-dependent tool %s left out of the comparison", ft.Tool)
			continue
		}
		raw, err := json.Marshal(ft.Parameters)
		if err != nil {
			t.Fatalf("%s: %v", ft.Name, err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out[ft.Name] = map[string]any{"parameters": v, "strict": ft.Strict}
	}
	if len(out) != len(interop.EverythingToolNames()) {
		t.Errorf("%d of the %d base tools converted", len(out), len(interop.EverythingToolNames()))
	}
	return out
}

// testEverythingListChanged checks that the tools/list_changed the server
// sends right after initialization reaches the bridge (and the hook given in
// the server's config), and that the bridge, refreshing before the next
// turn, still offers every tool.
func testEverythingListChanged(t *testing.T, s everythingServer) {
	switch s.transport {
	case "http":
		// The notification goes to the standalone GET stream and is lost
		// if that stream was not open yet: the server does not guarantee it.
		select {
		case <-s.changed:
			t.Log("tools/list_changed arrived over streamable HTTP")
		default:
			t.Log("tools/list_changed not seen over streamable HTTP (not guaranteed by the server)")
		}
	default:
		select {
		case <-s.changed:
		case <-time.After(eventWait):
			t.Fatal("no tools/list_changed after initialization")
		}
	}
	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: fn("echo"), Arguments: `{"message":"after list_changed"}`, CallID: "c1"}),
		responsestest.Text("done"),
	))
	res := run(t, s.bridge, srv, api, "echo")
	if got := received(srv)["c1"].Output; got != "Echo: after list_changed" {
		t.Errorf("echo output = %q", got)
	}
	for _, req := range srv.Requests() {
		names := toolNamesOf(req)
		for _, tool := range interop.EverythingToolNames() {
			if !slices.Contains(names, fn(tool)) {
				t.Errorf("request #%d lacks %s", req.Index, fn(tool))
			}
		}
	}
	if res.OutputText != "done" {
		t.Errorf("output text = %q", res.OutputText)
	}
}

// testEverythingCalls drives two turns of calls through the loop with array
// outputs on and checks both what the loop recorded and what the API got.
func testEverythingCalls(t *testing.T, b *bridge.Bridge) {
	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: fn("echo"), Arguments: `{"message":"hello interop"}`, CallID: "echo"},
			responsestest.FunctionCall{Name: fn("get-sum"), Arguments: `{"a":2,"b":3.5}`, CallID: "sum"},
			responsestest.FunctionCall{Name: fn("get-sum"), Arguments: `{"a":"two"}`, CallID: "sum-bad"},
			responsestest.FunctionCall{Name: fn("get-tiny-image"), Arguments: `{}`, CallID: "image"},
			responsestest.FunctionCall{Name: fn("get-structured-content"), Arguments: `{"location":"Chicago"}`, CallID: "structured"},
			responsestest.FunctionCall{Name: fn("get-resource-links"), Arguments: `{"count":2}`, CallID: "links"},
			responsestest.FunctionCall{Name: fn("get-resource-reference"), Arguments: `{"resourceType":"Text","resourceId":4}`, CallID: "reference"},
			responsestest.FunctionCall{Name: fn("simulate-research-query"), Arguments: `{"topic":"MCP"}`, CallID: "research"},
			responsestest.FunctionCall{Name: fn("trigger-long-running-operation"), Arguments: `{"duration":0.06,"steps":3}`, CallID: "long"},
		),
		// The model goes on after the tool errors.
		responsestest.Calls(responsestest.FunctionCall{Name: fn("echo"), Arguments: `{"message":"second turn"}`, CallID: "echo2"}),
		responsestest.Text("all done"),
	))
	var mu sync.Mutex
	var progress []mcp.ProgressNotificationParams
	var research []string // the task's statuses
	res := run(t, b, srv, api, "exercise the tools",
		bridge.WithArrayOutputs(),
		bridge.WithProgress(func(server, tool string, p mcp.ProgressNotificationParams) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case server == "everything" && tool == "trigger-long-running-operation":
				progress = append(progress, p)
			case server == "everything" && tool == "simulate-research-query":
				research = append(research, p.Message)
			default:
				t.Errorf("progress from %s/%s", server, tool)
			}
		}))
	if res.OutputText != "all done" || len(res.Turns) != 3 || len(srv.Requests()) != 3 {
		t.Fatalf("output %q after %d turns and %d requests, want \"all done\" after 3", res.OutputText, len(res.Turns), len(srv.Requests()))
	}
	recs, got := records(res), received(srv)
	for id, rec := range recs {
		if rec.Err != nil {
			t.Errorf("%s: call error %v", id, rec.Err)
		}
		if _, ok := got[id]; !ok {
			t.Errorf("%s: no function_call_output reached the API", id)
		}
	}

	// Plain text.
	expectOutput(t, recs, got, "echo", false, "Echo: hello interop")
	expectOutput(t, recs, got, "echo2", false, "Echo: second turn")
	expectOutput(t, recs, got, "sum", false, "The sum of 2 and 3.5 is 5.5")

	// Tool errors reach the model as errors and the loop went on (echo2).
	expectOutput(t, recs, got, "sum-bad", true, strings.TrimSpace(responses.ErrorPrefix), "Input validation error")

	// The task-only tool ran as a task: its report is the output, its
	// stages were its progress.
	expectOutput(t, recs, got, "research", false, "# Research Report: MCP")

	// Structured content: the JSON object.
	var weather struct {
		Temperature *float64 `json:"temperature"`
		Conditions  string   `json:"conditions"`
		Humidity    *float64 `json:"humidity"`
	}
	if err := json.Unmarshal([]byte(got["structured"].Output), &weather); err != nil {
		t.Errorf("structured output %q is not JSON: %v", got["structured"].Output, err)
	} else if weather.Temperature == nil || weather.Humidity == nil || weather.Conditions == "" {
		t.Errorf("structured output %q lacks temperature/conditions/humidity", got["structured"].Output)
	}
	if recordText(recs["structured"]) != got["structured"].Output {
		t.Errorf("structured: recorded %q, sent %q", recordText(recs["structured"]), got["structured"].Output)
	}

	// Resource links reach the model as JSON objects naming uri, name and
	// mimeType (demo: URIs the API cannot fetch stay text); embedded
	// resources are described with their URIs.
	expectOutput(t, recs, got, "links", false, `"uri":"demo://resource/dynamic/`)
	links := 0
	for _, line := range strings.Split(got["links"].Output, "\n") {
		var l struct{ Type, URI, Name, MIMEType string }
		if json.Unmarshal([]byte(line), &l) != nil || l.Type != "resource_link" {
			continue
		}
		links++
		if !strings.HasPrefix(l.URI, "demo://resource/dynamic/") || l.Name == "" || l.MIMEType == "" {
			t.Errorf("links: resource link %q lacks uri, name or mimeType", line)
		}
	}
	if links != 2 {
		t.Errorf("links: %d resource links as JSON, want 2: %q", links, got["links"].Output)
	}
	expectOutput(t, recs, got, "reference", false, "[resource: <demo://resource/dynamic/text/4>", "text/plain", "Resource 4")

	// The image reaches the API as an input_image part with a data: URL.
	expectOutput(t, recs, got, "image", false, "image")
	var recorded, sent int
	for _, p := range recs["image"].Output.Parts {
		if p.Type == "input_image" {
			recorded++
			if !strings.HasPrefix(p.ImageURL, "data:image/png;base64,") {
				t.Errorf("recorded image part URL starts %.40q", p.ImageURL)
			}
		}
	}
	items, ok := got["image"].Raw["output"].([]any)
	if !ok {
		t.Fatalf("image output sent as %T, want an array", got["image"].Raw["output"])
	}
	for _, it := range items {
		part, _ := it.(map[string]any)
		if part["type"] == "input_image" {
			sent++
			if u, _ := part["image_url"].(string); !strings.HasPrefix(u, "data:image/png;base64,") || len(u) < 1000 {
				t.Errorf("sent image_url starts %.40q (%d bytes)", u, len(u))
			}
		}
	}
	if recorded != 1 || sent != 1 {
		t.Errorf("image parts: %d recorded, %d sent, want 1", recorded, sent)
	}

	// The long-running operation finished and reported its progress.
	expectOutput(t, recs, got, "long", false, "Long running operation completed")
	mu.Lock()
	defer mu.Unlock()
	var steps []float64
	for _, p := range progress {
		steps = append(steps, p.Progress)
		if p.Total != 3 {
			t.Errorf("progress total = %v, want 3", p.Total)
		}
	}
	if !slices.Equal(steps, []float64{1, 2, 3}) {
		t.Errorf("progress = %v, want [1 2 3]", steps)
	}
	if joined := strings.Join(research, "\n"); !strings.Contains(joined, "Gathering sources") {
		t.Errorf("research task progress %q lacks its first stage", research)
	}
}

// expectOutput checks one call's output as recorded by the loop and as
// received by the API: error flag, and every wanted substring.
func expectOutput(t *testing.T, recs map[string]responses.CallRecord, got map[string]responsestest.FunctionOutput, id string, isError bool, want ...string) {
	t.Helper()
	rec, ok := recs[id]
	if !ok {
		t.Errorf("%s: not recorded", id)
		return
	}
	if rec.Output.IsError != isError {
		t.Errorf("%s: IsError = %v, want %v (output %q)", id, rec.Output.IsError, isError, recordText(rec))
	}
	for _, w := range want {
		if s := recordText(rec); !strings.Contains(s, w) {
			t.Errorf("%s: recorded output %q lacks %q", id, s, w)
		}
		if s := got[id].Output; !strings.Contains(s, w) {
			t.Errorf("%s: output received by the API %q lacks %q", id, s, w)
		}
	}
}

// testEverythingImageAsText checks that without array outputs an image
// becomes a textual stand-in and no image data reaches the API.
func testEverythingImageAsText(t *testing.T, b *bridge.Bridge) {
	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: fn("get-tiny-image"), CallID: "image"}),
		responsestest.Text("seen"),
	))
	res := run(t, b, srv, api, "show me")
	recs, got := records(res), received(srv)
	expectOutput(t, recs, got, "image", false, "[image: image/png,", "bytes]")
	if len(recs["image"].Output.Parts) != 0 {
		t.Errorf("parts recorded without array outputs: %d", len(recs["image"].Output.Parts))
	}
	if _, ok := got["image"].Raw["output"].(string); !ok {
		t.Errorf("output sent as %T, want a string", got["image"].Raw["output"])
	}
	for _, req := range srv.Requests() {
		if strings.Contains(string(req.Raw), "data:image") || strings.Contains(string(req.Raw), "iVBORw0KGgo") {
			t.Errorf("request #%d carries image data", req.Index)
		}
	}
}

// testSeveralServers puts server-everything over stdio and over streamable
// HTTP, server-filesystem and server-memory behind one tool set and checks
// that every call of one turn reaches the right server.
func testSeveralServers(t *testing.T, httpURL string) {
	dir := t.TempDir()
	root := interop.FilesystemRoot(t, dir)

	stdio := interop.EverythingStdio(t)
	stdio.Name = "everything"
	stdio.Transport.(*mcpclient.Stdio).Env = map[string]string{"MCPBRIDGE_INSTANCE": "stdio"}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	recorder := &rpcRecorder{next: transport}
	remote := bridge.HTTP("everything_http", httpURL)
	remote.Transport.(*mcpclient.HTTP).HTTPClient = &http.Client{Transport: recorder}

	memory := interop.MemoryStdio(t)
	filesystem := interop.FilesystemStdio(t, dir)
	trackProcesses(t, &stdio, &filesystem, &memory)
	b := newBridge(t, []bridge.Server{
		{Config: stdio},
		remote,
		{Config: filesystem},
		{Config: memory},
	})
	for _, server := range []string{"everything", "everything_http", "filesystem", "memory"} {
		checkNothingDropped(t, b, server)
	}

	// Names never collide and each routes back to its origin.
	perServer := map[string]int{}
	seen := map[string]bool{}
	for _, ft := range offered.Functions(b) {
		if seen[ft.Name] {
			t.Errorf("function name %s used twice", ft.Name)
		}
		seen[ft.Name] = true
		perServer[ft.Server]++
		if ft.Server == "" || ft.Tool == "" {
			t.Errorf("%s routes nowhere", ft.Name)
		}
	}
	wantCounts := map[string]int{"everything": 13, "everything_http": 13, "filesystem": 14, "memory": 9}
	if !reflect.DeepEqual(perServer, wantCounts) {
		t.Errorf("tools per server = %v, want %v", perServer, wantCounts)
	}

	file := root + "/routed.txt"
	writeArgs, _ := json.Marshal(map[string]string{"path": file, "content": "routed to filesystem"})
	srv, api := startAPI(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "everything__echo", Arguments: `{"message":"to stdio"}`, CallID: "echo-stdio"},
			responsestest.FunctionCall{Name: "everything_http__echo", Arguments: `{"message":"to http"}`, CallID: "echo-http"},
			responsestest.FunctionCall{Name: "everything__get-env", CallID: "env-stdio"},
			responsestest.FunctionCall{Name: "everything_http__get-env", CallID: "env-http"},
			responsestest.FunctionCall{Name: "filesystem__write_file", Arguments: string(writeArgs), CallID: "fs"},
			responsestest.FunctionCall{Name: "memory__create_entities", Arguments: `{"entities":[{"name":"routing","entityType":"test","observations":["went to memory"]}]}`, CallID: "mem"},
		),
		responsestest.Text("routed"),
	))
	res := run(t, b, srv, api, "everyone at once")
	recs, got := records(res), received(srv)
	expectOutput(t, recs, got, "echo-stdio", false, "Echo: to stdio")
	expectOutput(t, recs, got, "echo-http", false, "Echo: to http")
	expectOutput(t, recs, got, "fs", false, "Successfully wrote to "+file)
	expectOutput(t, recs, got, "mem", false, "routing", "went to memory")

	// get-env tells the two everything instances apart: only the stdio one
	// has MCPBRIDGE_INSTANCE, only the HTTP one was started with PORT.
	u, err := url.Parse(httpURL)
	if err != nil {
		t.Fatal(err)
	}
	envStdio, envHTTP := decodeEnv(t, got["env-stdio"].Output), decodeEnv(t, got["env-http"].Output)
	if envStdio["MCPBRIDGE_INSTANCE"] != "stdio" || envStdio["PORT"] == u.Port() {
		t.Errorf("everything__get-env did not run on the stdio instance: MCPBRIDGE_INSTANCE=%q PORT=%q", envStdio["MCPBRIDGE_INSTANCE"], envStdio["PORT"])
	}
	if envHTTP["PORT"] != u.Port() || envHTTP["MCPBRIDGE_INSTANCE"] != "" {
		t.Errorf("everything_http__get-env did not run on the HTTP instance: PORT=%q MCPBRIDGE_INSTANCE=%q", envHTTP["PORT"], envHTTP["MCPBRIDGE_INSTANCE"])
	}
	// The HTTP instance received exactly the calls routed to it.
	calls := recorder.toolCalls()
	slices.Sort(calls)
	if want := []string{"echo", "get-env"}; !slices.Equal(calls, want) {
		t.Errorf("tools/call requests to the HTTP instance: %v, want %v", calls, want)
	}

	// Side effects landed in the right places.
	if data, err := readFile(file); err != nil || data != "routed to filesystem" {
		t.Errorf("written file: %q, %v", data, err)
	}
	if data, err := readFile(interop.MemoryFile(memory)); err != nil || !strings.Contains(data, `"routing"`) {
		t.Errorf("memory file: %q, %v", data, err)
	}
}

func decodeEnv(t *testing.T, s string) map[string]string {
	t.Helper()
	var env map[string]string
	if err := json.Unmarshal([]byte(s), &env); err != nil {
		t.Fatalf("get-env output %.200q: %v", s, err)
	}
	return env
}
