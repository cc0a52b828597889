package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// samplingSystemPrompt is the systemPrompt of server-everything's
// trigger-sampling-request tool: it tells the fake model's handler which
// requests are sampling requests.
const samplingSystemPrompt = "You are a helpful test server."

// TestBridgeEverythingClientFeatures runs server-everything over stdio
// through the one-shot bridge.Run on the fake Responses API with every
// client feature on: its trigger-sampling-request tool gets its completion
// from the fake model, the model reads a resource and gets a prompt
// through the built-in tools, get-roots-list answers with the configured
// roots, and the server's log lines reach slog with the server's name.
func TestBridgeEverythingClientFeatures(t *testing.T) {
	logs := &recordHandler{}
	cfg := interop.EverythingStdio(t)
	trackProcesses(t, &cfg)
	cfg.Roots = []mcp.Root{{URI: "file:///work/project", Name: "project"}}
	cfg.LogLevel = mcp.LoggingLevelDebug

	var approved []string
	var mu sync.Mutex
	srv, api := startAPI(t, func(req *responsestest.Request) responsestest.Reply {
		switch {
		case req.Instructions == samplingSystemPrompt:
			return responsestest.Text("the fake model's completion")
		case req.PreviousResponseID == "":
			return responsestest.Calls(
				responsestest.FunctionCall{Name: fn("trigger-sampling-request"), Arguments: `{"prompt":"say hi","maxTokens":50}`, CallID: "sample"},
				responsestest.FunctionCall{Name: fn("read_resource"), Arguments: `{"uri":"demo://resource/dynamic/text/7"}`, CallID: "read"},
				responsestest.FunctionCall{Name: fn("get_prompt"), Arguments: `{"name":"args-prompt","arguments":{"city":"Lyon"}}`, CallID: "prompt"},
				responsestest.FunctionCall{Name: fn("get-roots-list"), CallID: "roots"},
				responsestest.FunctionCall{Name: fn("list_resources"), CallID: "list"},
			)
		default:
			return responsestest.Text("done")
		}
	})
	res, err := bridge.Run(t.Context(), api, prompt("use everything"),
		[]bridge.Server{{Config: cfg, Resources: true, Prompts: true}},

		bridge.WithLogger(slog.New(logs)),
		bridge.WithSampling(bridge.SamplingConfig{
			Model: "sampling-model",
			Approve: func(_ context.Context, server string, req mcp.CreateMessageRequest) (bool, string) {
				mu.Lock()
				approved = append(approved, server)
				mu.Unlock()
				return true, ""
			},
		}),
	)
	if err != nil {
		t.Fatalf("bridge.Run: %v", err)
	}
	if res.OutputText != "done" {
		t.Errorf("output %q", res.OutputText)
	}
	outs := received(srv)
	for id, want := range map[string][]string{
		"sample": {"the fake model's completion", `"model": "sampling-model"`, `"stopReason": "endTurn"`},
		"read":   {"demo://resource/dynamic/text/7", "Resource 7: This is a plaintext resource"},
		"prompt": {"[user]", "What's weather in Lyon?"},
		"roots":  {"file:///work/project", "project", "(1 total)"},
		"list":   {"demo://resource/static/document/", "Templates", "demo://resource/dynamic/text/{resourceId}"},
	} {
		for _, w := range want {
			if !strings.Contains(outs[id].Output, w) {
				t.Errorf("output of %s lacks %q:\n%s", id, w, outs[id].Output)
			}
		}
	}
	mu.Lock()
	if len(approved) != 1 || approved[0] != "everything" {
		t.Errorf("approval hook saw %v, want one request from everything", approved)
	}
	mu.Unlock()

	// The sampling request the fake model received.
	var sampling *responsestest.Request
	for _, req := range srv.Requests() {
		if req.Instructions == samplingSystemPrompt {
			sampling = req
		}
	}
	if sampling == nil {
		t.Fatal("the fake model got no sampling request")
	}
	if sampling.ValidationErr != nil {
		t.Errorf("the sampling request is not a valid Responses request: %v", sampling.ValidationErr)
	}
	if sampling.Model != "sampling-model" || sampling.Body["max_output_tokens"] != float64(50) ||
		sampling.Body["temperature"] != 0.7 || sampling.Body["store"] != false || len(sampling.Tools) != 0 {
		t.Errorf("sampling request: model %q, body %v", sampling.Model, sampling.Body)
	}
	if !strings.Contains(string(sampling.Raw), "say hi") {
		t.Errorf("sampling request lacks the server's message: %s", sampling.Raw)
	}

	// get-roots-list made the server fetch the roots, and it logs that.
	if !logs.has(func(r recorded) bool {
		return r.attrs["server"] == "everything" && r.attrs["logger"] == "everything-server" &&
			strings.Contains(r.attrs["data"], "Roots updated: 1 root(s)") && r.level == slog.LevelInfo
	}) {
		t.Errorf("no server log line about the roots in slog; got:\n%s", logs.dump())
	}
}

// TestBridgeEverythingGoMethods uses the resource, prompt, roots and log
// methods of a Bridge without the model.
func TestBridgeEverythingGoMethods(t *testing.T) {
	logs := &recordHandler{}
	cfg := interop.EverythingStdio(t)
	trackProcesses(t, &cfg)
	cfg.Roots = []mcp.Root{}
	updated := make(chan string, 8)
	cfg.OnResourceUpdated = func(_, uri string) {
		select {
		case updated <- uri:
		default:
		}
	}
	b := newBridge(t, []bridge.Server{{Config: cfg}}, bridge.WithLogger(slog.New(logs)))
	ctx := t.Context()

	// The program reaches the server's MCP client through the bridge.
	if err := b.Client(ctx, "everything", func(c *bridge.Client) error {
		resources, err := c.ListResources(ctx)
		if err != nil || len(resources) == 0 {
			t.Fatalf("ListResources: %d, %v", len(resources), err)
		}
		templates, err := c.ListResourceTemplates(ctx)
		if err != nil || len(templates) == 0 {
			t.Fatalf("ListResourceTemplates: %d, %v", len(templates), err)
		}
		contents, err := c.ReadResource(ctx, "demo://resource/dynamic/blob/3")
		if err != nil || len(contents) != 1 {
			t.Fatalf("ReadResource: %v, %v", contents, err)
		}
		if blob, ok := contents[0].(mcp.BlobResourceContents); !ok || blob.Blob == "" {
			t.Errorf("blob resource read as %#v", contents[0])
		}
		prompts, err := c.ListPrompts(ctx)
		if err != nil || len(prompts) == 0 {
			t.Fatalf("ListPrompts: %d, %v", len(prompts), err)
		}
		p, err := c.GetPrompt(ctx, "simple-prompt", nil)
		if err != nil || len(p.Messages) != 1 {
			t.Fatalf("GetPrompt: %v, %v", p, err)
		}
		if err := c.Subscribe(ctx, resources[0].URI); err != nil {
			t.Errorf("Subscribe: %v", err)
		}
		if err := c.Unsubscribe(ctx, resources[0].URI); err != nil {
			t.Errorf("Unsubscribe: %v", err)
		}

		// Roots declared empty, then set: get-roots-list sees the change.
		if err := c.SetRoots(ctx, []mcp.Root{{URI: "file:///a", Name: "a"}, {URI: "file:///b", Name: "b"}}); err != nil {
			t.Fatalf("SetRoots: %v", err)
		}
		// The server fetches the roots again when told they changed, and logs
		// that it did.
		waitFor(t, "the server's log line about 2 roots", func() bool {
			return logs.has(func(r recorded) bool { return strings.Contains(r.attrs["data"], "Roots updated: 2 root(s)") })
		})
		out, err := b.Call(ctx, fn("get-roots-list"), "{}")
		if err != nil || !strings.Contains(out.Text, "(2 total)") || !strings.Contains(out.Text, "file:///b") {
			t.Errorf("get-roots-list after SetRoots: %q, %v", out.Text, err)
		}

		// Log level: at error, the info line about roots updates is not sent.
		if err := c.SetLogLevel(ctx, mcp.LoggingLevelError); err != nil {
			t.Fatalf("SetLogLevel: %v", err)
		}
		before := logs.count()
		if err := c.SetRoots(ctx, []mcp.Root{{URI: "file:///c"}}); err != nil {
			t.Fatalf("SetRoots: %v", err)
		}
		waitFor(t, "get-roots-list showing the new root", func() bool {
			out, err := b.Call(ctx, fn("get-roots-list"), "{}")
			return err == nil && strings.Contains(out.Text, "file:///c")
		})
		if logs.count() != before {
			t.Errorf("info log lines arrived after SetLogLevel(error):\n%s", logs.dump())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	nosuch := func(c *bridge.Client) error { _, err := c.ListResources(ctx); return err }
	if err := b.Client(ctx, "nosuch", nosuch); err == nil {
		t.Error("the client of an unknown server was reached")
	}
	var se *bridge.ServerError
	if err := b.Client(ctx, "nosuch", nosuch); !errors.As(err, &se) {
		t.Errorf("unknown server: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after eventWait.
// It decides nothing by timing: the wait only bounds a broken run.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorded is one slog record of a server log line.
type recorded struct {
	level slog.Level
	attrs map[string]string
}

// recordHandler keeps the "mcp server log" records it is given.
type recordHandler struct {
	mu   sync.Mutex
	recs []recorded
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "mcp server log" {
		return nil
	}
	rec := recorded{level: r.Level, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, rec)
	h.mu.Unlock()
	return nil
}

func (h *recordHandler) has(match func(recorded) bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if match(r) {
			return true
		}
	}
	return false
}

func (h *recordHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recs)
}

func (h *recordHandler) dump() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, _ := json.Marshal(h.recs)
	var lines []string
	for _, r := range h.recs {
		lines = append(lines, r.level.String()+" "+r.attrs["data"])
	}
	return strings.Join(lines, "\n") + "\n" + string(b)
}
