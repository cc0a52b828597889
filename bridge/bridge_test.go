package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fakeAPI starts a validating fake Responses API.
func fakeAPI(t *testing.T, h responsestest.Handler) (*responsestest.Server, openai.Client) {
	t.Helper()
	s := responsestest.New(h)
	s.SetValidation(true)
	t.Cleanup(s.Close)
	return s, s.Client()
}

func params(prompt string) oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model:        "test-model",
		Instructions: openai.String("be brief"),
		Input:        oai.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
	}
}

func newBridge(t *testing.T, servers []Server, opts ...Option) *Bridge {
	t.Helper()
	b, err := New(ctxT(t), servers, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func stdioServer(t *testing.T, name string, args ...string) Server {
	return Stdio(name, mcptest.BuildServer(t), args...)
}

func toolNames(b *Bridge) []string {
	var names []string
	for _, ft := range functionTools(b) {
		names = append(names, ft.Name)
	}
	return names
}

// TestRunAcrossTransports runs one conversation over three servers on three
// transports and checks everything the bridge sent to the API.
func TestRunAcrossTransports(t *testing.T) {
	httpSrv := mcptest.NewHTTPServer(t, mcptest.NewServer(), mcptest.KindStreamable)
	servers := []Server{
		InProcess("local", mcptest.NewServer()),
		HTTP("remote", httpSrv.URL),
		stdioServer(t, "proc"),
	}
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{
		{Name: "local__echo", Arguments: `{"text":"from local"}`},
		{Name: "remote__add", Arguments: `{"a":2,"b":3}`},
		{Name: "proc__echo", Arguments: `{"text":"from proc"}`},
	}}
	api, client := fakeAPI(t, model.Handler())
	b := newBridge(t, servers)

	res, err := b.Run(ctxT(t), &client.Responses, params("use every server"))
	require.NoError(t, err)
	require.Equal(t, 2, res.Iterations)
	require.Len(t, res.Turns, 2)
	calls := res.Turns[0].Calls
	require.Len(t, calls, 3)
	assert.Equal(t, "from local", calls[0].Output.Text)
	assert.Equal(t, "5", calls[1].Output.Text)
	assert.Equal(t, "from proc", calls[2].Output.Text)
	assert.Contains(t, res.OutputText, "from proc")

	reqs := api.Requests()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		require.NoError(t, r.ValidationErr, "request %d", i)
		assert.Equal(t, "be brief", r.Instructions, "instructions resent on request %d", i)
		assert.Len(t, r.Tools, len(b.RequestTools()), "every tool of every server, request %d", i)
		assert.GreaterOrEqual(t, len(r.Tools), 3*len(mcptest.ToolNames))
		for _, tool := range r.Tools {
			strict, ok := tool["strict"]
			require.True(t, ok, "strict must be explicit on %v", tool["name"])
			assert.Equal(t, false, strict)
			params := tool["parameters"].(map[string]any)
			assert.Equal(t, "object", params["type"])
		}
	}
	assert.Empty(t, reqs[0].PreviousResponseID)
	assert.Equal(t, res.Turns[0].ResponseID, reqs[1].PreviousResponseID)
	outs := reqs[1].FunctionOutputs()
	require.Len(t, outs, 3)
	for _, c := range calls {
		assert.Equal(t, c.Output.Text, outs[c.Call.CallID], "output for %s", c.Call.CallID)
	}
}

// TestRoutingWithCollidingNames puts two servers with the same tools behind
// one tool set and checks each call reaches the server it was named after.
func TestRoutingWithCollidingNames(t *testing.T) {
	a, bsrv := mcptest.NewServer(), mcptest.NewServer()
	whoami := func(name string) server.ServerTool {
		return server.ServerTool{
			Tool: mcp.NewTool("whoami"),
			Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText(name), nil
			},
		}
	}
	a.AddTools(whoami("alpha"))
	bsrv.AddTools(whoami("beta"))

	for _, opts := range [][]Option{nil, {withoutPrefix()}, {withSeparator("-")}} {
		b := newBridge(t, []Server{InProcess("alpha", a), InProcess("beta", bsrv)}, opts...)
		names := toolNames(b)
		seen := map[string]bool{}
		for _, n := range names {
			require.False(t, seen[n], "duplicate function name %q", n)
			require.Regexp(t, `^[a-zA-Z0-9_-]{1,64}$`, n)
			seen[n] = true
		}
		hits := map[string]int{}
		for _, ft := range functionTools(b) {
			if ft.Tool != "whoami" {
				continue
			}
			r, ok := b.Routes()[ft.Name]
			require.True(t, ok)
			assert.Equal(t, ft.Server, r.Server)
			assert.Equal(t, "whoami", r.Tool)
			out, err := b.Call(ctxT(t), ft.Name, `{}`)
			require.NoError(t, err)
			assert.Equal(t, ft.Server, out.Text, "function %s", ft.Name)
			hits[out.Text]++
		}
		assert.Equal(t, map[string]int{"alpha": 1, "beta": 1}, hits)
		require.NoError(t, b.Close())
	}
}

func TestCallErrorsGoBackToTheModel(t *testing.T) {
	model := responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "nope__missing", Arguments: `{}`},
			responsestest.FunctionCall{Name: "s__echo", Arguments: `not json`},
			responsestest.FunctionCall{Name: "s__echo", Arguments: `[1]`},
			responsestest.FunctionCall{Name: "s__fail", Arguments: `{"message":"disk full"}`},
			responsestest.FunctionCall{Name: "s__echo", Arguments: `{"text":"still fine"}`},
		),
		responsestest.Text("ok"),
	)
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	calls := res.Turns[0].Calls
	require.Len(t, calls, 5)

	var ce *callError
	require.ErrorAs(t, calls[0].Err, &ce)
	assert.ErrorIs(t, calls[0].Err, ErrUnknownFunction)
	assert.Contains(t, calls[0].Output.Text, "nope__missing")

	// Text that is not JSON is caught by the loop before the bridge sees it.
	assert.ErrorIs(t, calls[1].Err, responses.ErrInvalidArguments)
	assert.Contains(t, calls[1].Output.Text, "s__echo")
	assert.ErrorIs(t, calls[2].Err, ErrInvalidArguments)
	assert.Equal(t, `error: mcp server "s": call tool "echo": invalid arguments: not a JSON object`, calls[2].Output.Text)
	assert.Equal(t, `error: unknown function "nope__missing"`, calls[0].Output.Text)

	assert.NoError(t, calls[3].Err, "a tool error is an output, not a Go error")
	assert.True(t, calls[3].Output.IsError)
	assert.Contains(t, calls[3].Output.Text, "disk full")

	assert.Equal(t, "still fine", calls[4].Output.Text)
	// All five outputs reached the API.
	assert.Len(t, api.Requests()[1].FunctionOutputs(), 5)
}

func TestAllowAndDenyLists(t *testing.T) {
	srv := Server{Config: mcpclient.Config{Name: "s", Transport: &mcpclient.InProcess{Server: mcptest.NewServer()}},
		AllowTools: []string{"echo", "add", "fail"}, DenyTools: []string{"fail"}}
	b := newBridge(t, []Server{srv})
	assert.ElementsMatch(t, []string{"s__echo", "s__add"}, toolNames(b))
	_, err := b.Call(ctxT(t), "s__fail", `{}`)
	require.ErrorIs(t, err, ErrUnknownFunction, "a denied tool cannot be called even by its name")
}

func TestApprovalDeniesBeforeTheServer(t *testing.T) {
	var executed atomic.Int32
	s := mcptest.NewServer()
	s.AddTools(server.ServerTool{
		Tool: mcp.NewTool("delete_all"),
		Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			executed.Add(1)
			return mcp.NewToolResultText("deleted"), nil
		},
	})
	_, client := fakeAPI(t, responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__delete_all"}))
	b := newBridge(t, []Server{InProcess("s", s)})
	res, err := b.Run(ctxT(t), &client.Responses, params("x"),
		WithApproval(func(_ context.Context, c responses.Call) (bool, string) {
			return c.Name != "s__delete_all", "destructive tools need a human"
		}))
	require.NoError(t, err)
	rec := res.Turns[0].Calls[0]
	assert.True(t, rec.Denied)
	assert.Contains(t, rec.Output.Text, "destructive tools need a human")
	assert.Zero(t, executed.Load(), "the server must never see a denied call")
}

func TestValidateArguments(t *testing.T) {
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithValidateArguments())
	_, err := b.Call(ctxT(t), "s__add", `{"a":"two","b":3}`)
	require.ErrorIs(t, err, ErrInvalidArguments)
	assert.Contains(t, err.Error(), "field a")
	out, err := b.Call(ctxT(t), "s__add", `{"a":2,"b":3}`)
	require.NoError(t, err)
	assert.Equal(t, "5", out.Text)

	// Off by default: the server gets to decide.
	b2 := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	_, err = b2.Call(ctxT(t), "s__add", `{"a":"two","b":3}`)
	assert.NotErrorIs(t, err, ErrInvalidArguments)
}

// TestServerConcurrency shows the per-server limit holds across the calls
// of one turn: with a limit of 4, four rendezvous calls that each wait for
// all four meet; with a limit of 2, a server-side gauge never sees more
// than two calls in progress.
func TestServerConcurrency(t *testing.T) {
	var fc []responsestest.FunctionCall
	for i := 0; i < 4; i++ {
		fc = append(fc, responsestest.FunctionCall{Name: "s__rendezvous", Arguments: `{"key":"four","n":4}`})
	}
	_, client := fakeAPI(t, responsestest.ToolCaller(fc...))
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithServerConcurrency(4))
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	for _, c := range res.Turns[0].Calls {
		require.NoError(t, c.Err)
		assert.False(t, c.Output.IsError, c.Output.Text)
	}

	var inFlight, peak atomic.Int32
	srv := mcptest.NewServer()
	srv.AddTools(server.ServerTool{
		Tool: mcp.NewTool("gauge"),
		Handler: func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
			}
			return mcp.NewToolResultText("ok"), nil
		},
	})
	fc = fc[:0]
	for i := 0; i < 6; i++ {
		fc = append(fc, responsestest.FunctionCall{Name: "s__gauge"})
	}
	_, client2 := fakeAPI(t, responsestest.ToolCaller(fc...))
	b2 := newBridge(t, []Server{InProcess("s", srv)}, WithServerConcurrency(2))
	res, err = b2.Run(ctxT(t), &client2.Responses, params("x"))
	require.NoError(t, err)
	require.Len(t, res.Turns[0].Calls, 6)
	assert.LessOrEqual(t, peak.Load(), int32(2), "never more than 2 calls at once on the server")
	assert.Positive(t, peak.Load())
}

func TestConcurrentRunsShareOneBridge(t *testing.T) {
	model := &responsestest.Model{Plan: func(prompt string) []responsestest.FunctionCall {
		return []responsestest.FunctionCall{{Name: "s__echo", Arguments: fmt.Sprintf(`{"text":%q}`, prompt)}}
	}}
	_, client := fakeAPI(t, model.Handler())
	b := newBridge(t, []Server{stdioServer(t, "s")}, WithServerConcurrency(8))
	const runs = 40
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	for i := 0; i < runs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prompt := "run-" + strconv.Itoa(i)
			res, err := b.Run(ctxT(t), &client.Responses, params(prompt))
			if err != nil {
				errs <- err
				return
			}
			if got := res.Turns[0].Calls[0].Output.Text; got != prompt {
				errs <- fmt.Errorf("run %d got %q", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSecretsStayOut sends a bearer token to an HTTP server and an API key to
// the API, logs at debug level, and makes calls fail: neither secret may
// appear in the log, in errors or in the transcript.
func TestSecretsStayOut(t *testing.T) {
	const token = "tok-SECRET-1234567890"
	httpSrv := mcptest.NewHTTPServer(t, mcptest.NewServer(), mcptest.KindStreamable)
	srv := HTTP("remote", httpSrv.URL)
	srv.Transport.(*mcpclient.HTTP).Headers = map[string]string{"Authorization": "Bearer " + token}
	model := responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "remote__fail", Arguments: `{"message":"nope"}`},
			responsestest.FunctionCall{Name: "remote__missing"},
		),
		responsestest.Failed("server_error", "the model fell over"),
	)
	api, _ := fakeAPI(t, model)
	const key = "sk-SECRET-abcdefghijklmnop"
	client := api.Client(option.WithAPIKey(key))

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res, err := Run(ctxT(t), &client.Responses, params("x"), []Server{srv}, WithLogger(logger))
	require.Error(t, err)
	transcript, jerr := json.Marshal(res)
	require.NoError(t, jerr)
	for _, secret := range []string{token, key} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, string(transcript), secret)
		for _, turn := range res.Turns {
			for _, c := range turn.Calls {
				if c.Err != nil {
					assert.NotContains(t, c.Err.Error(), secret)
				}
			}
		}
	}
	assert.NotEmpty(t, logs.String(), "debug logging was on")
}

func TestToolsAndCloseContract(t *testing.T) {
	b, err := New(ctxT(t), []Server{InProcess("s", mcptest.NewServer(mcptest.WithManyTools(30), mcptest.WithPageSize(7)))},
		WithStrict())
	require.NoError(t, err)
	tools := b.RequestTools()
	require.Len(t, tools, len(mcptest.ToolNames)+30, "pagination followed")
	strictCount := 0
	for _, tu := range tools {
		fn := tu.OfFunction
		require.NotNil(t, fn)
		require.True(t, fn.Strict.Valid(), "strict is always set")
		if fn.Strict.Value {
			strictCount++
		}
	}
	assert.Positive(t, strictCount, "compatible schemas become strict")
	// Mutating the returned slice must not affect the bridge.
	tools[0] = oai.ToolUnionParam{}
	assert.NotNil(t, b.RequestTools()[0].OfFunction)

	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "Close is idempotent")
	_, err = b.Call(context.Background(), "s__echo", `{}`)
	require.ErrorIs(t, err, ErrClosed)
	_, err = b.Run(context.Background(), nil, params("x"))
	require.ErrorIs(t, err, ErrClosed)
}

func TestProgressReachesTheHook(t *testing.T) {
	var mu sync.Mutex
	var got []float64
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())}, WithProgress(func(server, tool string, p mcp.ProgressNotificationParams) {
		mu.Lock()
		defer mu.Unlock()
		if server == "s" && tool == "progress" {
			got = append(got, p.Progress)
		}
	}))
	out, err := b.Call(ctxT(t), "s__progress", `{"steps":3,"ms":1}`)
	require.NoError(t, err)
	assert.Equal(t, "done 3", out.Text)
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, got, 3)
}

func TestMaxIterationsKeepsPartialResult(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "s__echo", Arguments: `{"text":"again"}`}}, Rounds: 100}
	_, client := fakeAPI(t, model.Handler())
	b := newBridge(t, []Server{InProcess("s", mcptest.NewServer())})
	res, err := b.Run(ctxT(t), &client.Responses, params("x"), WithMaxIterations(3))
	require.True(t, errors.Is(err, responses.ErrMaxIterations), "got %v", err)
	require.NotNil(t, res)
	assert.Equal(t, 3, res.Iterations)
	assert.Len(t, res.Pending, 1, "outputs of the last turn are kept for Resume")
}

// TestStrictOptionalArguments: in strict mode the model must send null for
// an optional argument it leaves out; the server must not see that null.
func TestStrictOptionalArguments(t *testing.T) {
	s := server.NewMCPServer("s", "1")
	s.AddTool(mcp.NewTool("greet",
		mcp.WithString("name", mcp.Required()),
		mcp.WithString("title"),
	), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		raw, _ := json.Marshal(req.GetArguments())
		return mcp.NewToolResultText(string(raw)), nil
	})
	model := responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__greet", Arguments: `{"name":"Ada","title":null}`})
	api, client := fakeAPI(t, model)
	b := newBridge(t, []Server{InProcess("s", s)}, WithStrict())
	res, err := b.Run(ctxT(t), &client.Responses, params("x"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Ada"}`, res.Turns[0].Calls[0].Output.Text)

	tool := api.Requests()[0].Tools[0]
	assert.Equal(t, true, tool["strict"])
	p := tool["parameters"].(map[string]any)
	assert.ElementsMatch(t, []any{"name", "title"}, p["required"], "strict lists every property as required")
	assert.Equal(t, false, p["additionalProperties"])
}

// TestWithoutPrefixClash: with WithoutPrefix, when two servers have a tool
// of the same name, the server given first to New keeps the bare name and
// the other gets a suffix, whatever order they connect in (docs/tools.md
// says so).
func TestWithoutPrefixClash(t *testing.T) {
	for _, order := range [][]string{{"alpha", "beta"}, {"beta", "alpha"}} {
		servers := []Server{InProcess(order[0], mcptest.NewServer()), InProcess(order[1], mcptest.NewServer())}
		b := newBridge(t, servers, withoutPrefix())
		names := map[string]string{}
		for _, ft := range functionTools(b) {
			if ft.Tool == "echo" {
				names[ft.Server] = ft.Name
			}
		}
		assert.Equal(t, "echo", names[order[0]], "the first server keeps the name")
		assert.True(t, strings.HasPrefix(names[order[1]], "echo_") && len(names[order[1]]) > len("echo_"), names[order[1]])
	}
}
