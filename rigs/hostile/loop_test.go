package hostile_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Loop-side attacks: hostile MCP servers and a hostile Responses API
// against the bridge's loop, all on loopback.

// poison is what must never reach the model or a terminal: NUL, escape
// sequences, a bidi override, a C1 control.
const poison = "\x00\x1b[2J\x1b]0;pwned\x07\u202e\u0085"

// rpcServer is a minimal MCP server over streamable HTTP (JSON replies)
// whose tools misbehave on purpose:
//
//	rpc_error  answers tools/call with a JSON-RPC error of rpcErrorBytes
//	http_500   answers tools/call with HTTP 500 and a body of http500Bytes
//	is_error   returns an isError result of isErrorBytes of text
//	count      counts its calls and answers "counted"
type rpcServer struct {
	calls atomic.Int64
}

const (
	rpcErrorBytes = 30 << 20
	http500Bytes  = 10 << 20
	isErrorBytes  = 5 << 20
)

func (s *rpcServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if json.Unmarshal(body, &req) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if len(req.ID) == 0 { // a notification
		w.WriteHeader(http.StatusAccepted)
		return
	}
	reply := func(v map[string]any) {
		v["jsonrpc"], v["id"] = "2.0", req.ID
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	tool := func(name string) map[string]any {
		return map[string]any{"name": name, "description": "hostile " + name, "inputSchema": map[string]any{"type": "object"}}
	}
	switch req.Method {
	case "initialize":
		reply(map[string]any{"result": map[string]any{
			"protocolVersion": "2025-06-18",
			"capabilities":    map[string]any{"tools": map[string]any{}},
			"serverInfo":      map[string]any{"name": "hostile", "version": "1.0.0"},
		}})
	case "tools/list":
		reply(map[string]any{"result": map[string]any{"tools": []any{
			tool("rpc_error"), tool("http_500"), tool("is_error"), tool("count"),
		}}})
	case "tools/call":
		switch req.Params.Name {
		case "rpc_error":
			reply(map[string]any{"error": map[string]any{"code": -32000, "message": big(rpcErrorBytes)}})
		case "http_500":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, big(http500Bytes))
		case "is_error":
			reply(map[string]any{"result": map[string]any{"isError": true,
				"content": []any{map[string]any{"type": "text", "text": big(isErrorBytes)}}}})
		default:
			s.calls.Add(1)
			reply(map[string]any{"result": map[string]any{
				"content": []any{map[string]any{"type": "text", "text": "counted"}}}})
		}
	default:
		reply(map[string]any{"error": map[string]any{"code": -32601, "message": "method not found"}})
	}
}

// big is n bytes of text with poison at the start, the middle and the end.
func big(n int) string {
	fill := strings.Repeat("A", (n-3*len(poison))/2)
	return poison + fill + poison + fill + poison
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func startBridge(t *testing.T, srv *rpcServer, opts ...bridge.Option) *bridge.Bridge {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	b, err := bridge.New(ctxT(t), []bridge.Server{bridge.HTTP("hostile", hs.URL+"/mcp")}, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func fakeAPI(t *testing.T, h responsestest.Handler) *responsestest.Server {
	s := responsestest.New(h)
	s.SetValidation(true)
	t.Cleanup(s.Close)
	return s
}

func params() oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model: "test-model",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("go")},
	}
}

// checkDeliverable fails when s is over limit bytes or holds a character
// that must not reach the model.
func checkDeliverable(t *testing.T, what, s string, limit int) {
	t.Helper()
	assert.LessOrEqual(t, len(s), limit, "%s: %d bytes", what, len(s))
	for _, r := range s {
		if r != '\n' && r != '\t' && r != '\r' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			t.Errorf("%s holds %U", what, r)
			return
		}
	}
}

// Error outputs pass the same cap and cleaning as results: a 30 MB JSON-RPC
// error message, a 10 MB HTTP 500 body, a 5 MB isError text and an unknown
// function with a poisoned name all reach the model within
// WithMaxOutputBytes and without control or bidi characters.
func TestErrorOutputsAreCappedAndCleaned(t *testing.T) {
	const limit = 4096
	b := startBridge(t, &rpcServer{}, bridge.WithMaxOutputBytes(limit))
	names := []string{"hostile__rpc_error", "hostile__http_500", "hostile__is_error", "hostile__nope" + poison}
	var calls []responsestest.FunctionCall
	for _, n := range names {
		calls = append(calls, responsestest.FunctionCall{Name: n})
	}
	api := fakeAPI(t, responsestest.Script(responsestest.Calls(calls...), responsestest.Text("done")))
	client := api.Client()
	res, err := b.Run(ctxT(t), &client.Responses, params())
	require.NoError(t, err)
	outs := api.Requests()[1].Outputs()
	require.Len(t, outs, len(names))
	total := 0
	for i, o := range outs {
		checkDeliverable(t, names[i], o.Output, limit)
		assert.True(t, strings.HasPrefix(o.Output, "error: ") || strings.HasPrefix(o.Output, "Tool error"), "%s: %.80q", names[i], o.Output)
		total += len(o.Output)
		checkDeliverable(t, names[i]+" record", res.Turns[0].Calls[i].Output.Text, limit)
	}
	assert.LessOrEqual(t, len(api.Requests()[1].Raw), len(names)*limit*6+8192, "the request stays small")
	t.Logf("%d outputs, %d bytes in all, request %d bytes", len(outs), total, len(api.Requests()[1].Raw))
}

// A hostile API's function_call items never run a tool on arguments the
// model did not send as a JSON string; an unanswerable item stops the run
// before any tool runs.
func TestMalformedCallsNeverRunTools(t *testing.T) {
	srv := &rpcServer{}
	b := startBridge(t, srv)
	api := fakeAPI(t, responsestest.Script(
		responsestest.RawOutput("resp_1", []any{
			responsestest.RawCall("call_obj", "hostile__count", map[string]any{"text": "x"}),
			responsestest.RawCall("call_num", "hostile__count", 7),
			responsestest.RawCall("call_noname", nil, `{}`),
		}),
		responsestest.Text("done"),
		responsestest.RawOutput("resp_3", []any{
			responsestest.RawCall("call_ok", "hostile__count", `{}`),
			responsestest.RawCall("call_ok", "hostile__count", `{}`),
		}),
	))
	client := api.Client()
	res, err := b.Run(ctxT(t), &client.Responses, params())
	require.NoError(t, err)
	assert.Zero(t, srv.calls.Load(), "no tool ran")
	for id, out := range api.Requests()[1].FunctionOutputs() {
		assert.True(t, strings.HasPrefix(out, "error: "), "%s: %q", id, out)
	}
	assert.Len(t, res.Turns[0].Calls, 3)

	_, err = b.Run(ctxT(t), &client.Responses, params())
	require.ErrorIs(t, err, responses.ErrMalformedResponse)
	assert.Zero(t, srv.calls.Load(), "duplicate call_ids: nothing ran")
}
