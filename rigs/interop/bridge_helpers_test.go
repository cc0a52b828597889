package interop_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Helpers shared by the bridge-level interop tests: a validating fake
// Responses API, bridge construction with cleanup, and ways to look at what
// the loop recorded and what the API received.

// startAPI starts a fake Responses API that validates every request against
// the API's request schema, answering an invalid one with HTTP 400.
func startAPI(t *testing.T, h responsestest.Handler) (*responsestest.Server, responses.API) {
	t.Helper()
	srv := responsestest.New(h)
	srv.SetValidation(true)
	t.Cleanup(srv.Close)
	client := srv.Client()
	return srv, &client.Responses
}

// newBridge connects the bridge and closes it when the test ends. Failing
// servers fail New: every server of these tests must work.
func newBridge(t *testing.T, servers []bridge.Server, opts ...bridge.Option) *bridge.Bridge {
	t.Helper()
	b, err := bridge.New(t.Context(), servers, opts...)
	if err != nil {
		t.Fatalf("bridge.New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("bridge.Close: %v", err)
		}
	})
	return b
}

func prompt(text string) oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model: "interop-model",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String(text)},
	}
}

// run drives the bridge's loop against the fake API with prompt text and
// fails the test if the run fails. Every request the fake API found invalid
// (it answered them with HTTP 400, which ends the run) is reported first.
func run(t *testing.T, b *bridge.Bridge, srv *responsestest.Server, api responses.API, text string, opts ...bridge.RunOption) *bridge.Result {
	t.Helper()
	res, err := b.Run(t.Context(), api, prompt(text), opts...)
	for _, req := range srv.Requests() {
		if req.ValidationErr != nil {
			t.Errorf("request #%d is not a valid Responses request: %v", req.Index, req.ValidationErr)
		}
	}
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// records indexes the calls of every turn of a result by call id.
func records(res *bridge.Result) map[string]responses.CallRecord {
	m := map[string]responses.CallRecord{}
	if res == nil {
		return m
	}
	for _, turn := range res.Turns {
		for _, rec := range turn.Calls {
			m[rec.Call.CallID] = rec
		}
	}
	return m
}

// received indexes the function_call_output items of every request the fake
// API got by call id.
func received(srv *responsestest.Server) map[string]responsestest.FunctionOutput {
	m := map[string]responsestest.FunctionOutput{}
	for _, req := range srv.Requests() {
		for _, o := range req.Outputs() {
			m[o.CallID] = o
		}
	}
	return m
}

// recordText is the text of a call's output as the loop recorded it: Text,
// or the text parts of an array output.
func recordText(rec responses.CallRecord) string {
	if len(rec.Output.Parts) == 0 {
		return rec.Output.Text
	}
	var parts []string
	for _, p := range rec.Output.Parts {
		if p.Type == "input_text" {
			parts = append(parts, p.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// toolNamesOf lists the function names of a request's tools.
func toolNamesOf(req *responsestest.Request) []string {
	var names []string
	for _, tool := range req.Tools {
		if name, ok := tool["name"].(string); ok {
			names = append(names, name)
		}
	}
	return names
}

// checkNothingDropped fails the test for every Dropped diagnostic of server.
func checkNothingDropped(t *testing.T, b *bridge.Bridge, server string) {
	t.Helper()
	for _, d := range b.Diagnostics() {
		if d.Server == server && d.Dropped {
			t.Errorf("dropped: %s", d.String())
		}
	}
}

// rpcRecorder is an http.RoundTripper that notes the JSON-RPC method (and
// tool name, for tools/call) of every request body it forwards, so a test
// can see which calls reached one HTTP server.
type rpcRecorder struct {
	next http.RoundTripper

	mu    sync.Mutex
	calls []string // "tools/call echo", "tools/list", ...
}

func (r *rpcRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		var msg struct {
			Method string `json:"method"`
			Params struct {
				Name string `json:"name"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &msg) == nil && msg.Method != "" {
			entry := msg.Method
			if msg.Params.Name != "" {
				entry += " " + msg.Params.Name
			}
			r.mu.Lock()
			r.calls = append(r.calls, entry)
			r.mu.Unlock()
		}
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.ContentLength = int64(len(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req = clone
	}
	return r.next.RoundTrip(req)
}

// toolCalls returns the tools/call entries seen so far.
func (r *rpcRecorder) toolCalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		if name, ok := strings.CutPrefix(c, "tools/call "); ok {
			out = append(out, name)
		}
	}
	return out
}

// signal returns a hook for mcpclient.Config.OnToolsChanged that reports
// every call on the returned channel (extra calls are dropped when nobody
// is reading).
func signal() (func(string), chan struct{}) {
	ch := make(chan struct{}, 64)
	return func(string) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch
}

// readFile returns a file's content as a string.
func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	return string(data), err
}

// markVar is the environment variable trackProcesses gives stdio servers.
const markVar = "MCPBRIDGE_INTEROP_PROCESS_MARK"

// trackProcesses gives every stdio server configuration a variable unique
// to this test and, when the test ends (after the bridges created later
// are closed: cleanups run last-in first-out), fails the test if any
// process still carries it. It looks at /proc and does nothing without it.
func trackProcesses(t *testing.T, cfgs ...*mcpclient.Config) {
	t.Helper()
	mark := fmt.Sprintf("%d/%s", os.Getpid(), t.Name())
	for _, cfg := range cfgs {
		st := cfg.Transport.(*mcpclient.Stdio)
		if st.Env == nil {
			st.Env = map[string]string{}
		}
		st.Env[markVar] = mark
	}
	t.Cleanup(func() {
		if pids := processesWithEnv(markVar + "=" + mark); len(pids) > 0 {
			t.Errorf("server processes %v still running after the bridge was closed", pids)
		}
	})
}

// processesWithEnv returns the ids of the processes whose environment holds
// the exact entry (Linux /proc; nil elsewhere).
func processesWithEnv(entry string) []int {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil {
			continue // gone, or not ours
		}
		if slices.Contains(strings.Split(string(data), "\x00"), entry) {
			pids = append(pids, pid)
		}
	}
	return pids
}
