package bridgetemporal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses"
)

// Error types of the activities' application errors.
const (
	errTypeAPI        = "APIError"        // the API refused the request (not retried)
	errTypeRetryable  = "APIRetryable"    // 408, 409, 429, 5xx, network
	errTypeToolSet    = "UnknownToolSet"  // the worker has no tool set of that hash
	errTypeTooLarge   = "HistoryTooLarge" // over MaxPayloadBytes
	errTypeBadRequest = "BadInput"        // an input the activity cannot use
)

// Activities are the activities of a worker: they hold its Bridge (the MCP
// connections) and the Responses API client. NewWorker registers them.
type Activities struct {
	b     *bridge.Bridge
	api   responses.API
	opts  WorkerOptions
	mu    sync.Mutex
	boxes map[string]*toolBox // by hash, the last few
	order []string
}

// toolBox is one tool set a worker offered: the Toolbox that routes its
// calls and its tools as JSON, sent with every request that names it.
type toolBox struct {
	box   responses.Toolbox
	tools []json.RawMessage
}

// keptToolSets bounds the tool sets a worker remembers.
const keptToolSets = 8

// ToolSetRef names a tool set by the hash of its tools as sent.
type ToolSetRef struct {
	Hash  string
	Tools int
}

// ListInput is the input of ListTools.
type ListInput struct{ User string }

// ListTools lists the current tool set (relisting servers that announced
// a change) and returns its hash; the worker keeps the set under it.
func (a *Activities) ListTools(ctx context.Context, in ListInput) (ToolSetRef, error) {
	ctx, err := a.userContext(ctx, in.User)
	if err != nil {
		return ToolSetRef{}, err
	}
	tb, hash, err := a.current(ctx)
	if err != nil {
		return ToolSetRef{}, err
	}
	return ToolSetRef{Hash: hash, Tools: len(tb.tools)}, nil
}

// current lists the tool set and keeps it by hash.
func (a *Activities) current(ctx context.Context) (*toolBox, string, error) {
	box, err := a.b.Toolbox(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("bridgetemporal: listing tools: %w", err)
	}
	tb := &toolBox{box: box, tools: make([]json.RawMessage, 0, len(box.Tools))}
	h := sha256.New()
	for _, t := range box.Tools {
		raw, err := json.Marshal(t)
		if err != nil {
			return nil, "", fmt.Errorf("bridgetemporal: encoding a tool: %w", err)
		}
		tb.tools = append(tb.tools, raw)
		h.Write(raw)
		h.Write([]byte{0})
	}
	hash := hex.EncodeToString(h.Sum(nil))
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.boxes == nil {
		a.boxes = make(map[string]*toolBox)
	}
	if _, ok := a.boxes[hash]; !ok {
		a.order = append(a.order, hash)
		if len(a.order) > keptToolSets {
			delete(a.boxes, a.order[0])
			a.order = a.order[1:]
		}
	}
	a.boxes[hash] = tb // the newest Toolbox routes through the same set
	return tb, hash, nil
}

// resolve finds the tool set of hash: kept, or the current one when its
// hash is the same (a new worker). ok is false when the worker's tool set
// is another one (its config or its servers' tools changed).
func (a *Activities) resolve(ctx context.Context, hash string) (tb *toolBox, ok bool, err error) {
	a.mu.Lock()
	tb = a.boxes[hash]
	a.mu.Unlock()
	if tb != nil {
		return tb, true, nil
	}
	tb, now, err := a.current(ctx)
	if err != nil {
		return nil, false, err
	}
	return tb, now == hash, nil
}

// ModelInput is the input of ModelRequest: the request body the workflow's
// Loop built, without the tool set, which ToolSet names.
type ModelInput struct {
	Body    json.RawMessage
	ToolSet string
	User    string
	Turn    int
	// Stream, when set, streams the response (on a worker whose API is a
	// responses.StreamAPI): its text so far is the activity's heartbeat
	// details, which Follow reads, and calls may start early.
	Stream *StreamOptions `json:",omitempty"`
}

// ModelResult is a model response as history keeps it: the fields the
// loop reads (the echo of the request's tools and instructions left out)
// and, for each function call, where the tool set routes it.
type ModelResult struct {
	Response json.RawMessage
	Routes   []Route `json:",omitempty"`
	// Eager are the outputs of the calls the activity ran while the model
	// wrote the response (see StreamOptions.Eager).
	Eager []EagerResult `json:",omitempty"`
}

// Route is where a function call goes and whether it may be retried.
type Route struct {
	CallID      string
	Known       bool
	Server      string `json:",omitempty"`
	Tool        string `json:",omitempty"`
	Retry       bool   `json:",omitempty"`
	Preapproved bool   `json:",omitempty"`
	// Deferred: a client tool search must load the function before the
	// loop lets it run (responses.Route.Deferred).
	Deferred bool `json:",omitempty"`
}

// ModelRequest sends one request: Body with the tools of ToolSet after the
// caller's own. The SDK does not retry; Temporal does, on the failures
// worth retrying (see the package documentation).
func (a *Activities) ModelRequest(ctx context.Context, in ModelInput) (ModelResult, error) {
	ctx, err := a.userContext(ctx, in.User)
	if err != nil {
		return ModelResult{}, err
	}
	tb, ok, err := a.resolve(ctx, in.ToolSet)
	if err != nil {
		return ModelResult{}, err
	}
	if !ok {
		return ModelResult{}, temporal.NewNonRetryableApplicationError(
			"the worker's tool set is not the one listed for this turn (it changed since)", errTypeToolSet, nil)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(in.Body, &body); err != nil {
		return ModelResult{}, temporal.NewNonRetryableApplicationError("request body: "+err.Error(), errTypeBadRequest, nil)
	}
	var tools []json.RawMessage
	if raw, ok := body["tools"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &tools); err != nil {
			return ModelResult{}, temporal.NewNonRetryableApplicationError("request tools: "+err.Error(), errTypeBadRequest, nil)
		}
	}
	tools = append(tools, tb.tools...)
	if len(tools) > 0 {
		body["tools"], _ = json.Marshal(tools)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return ModelResult{}, err
	}
	body2 := param.Override[oai.ResponseNewParams](json.RawMessage(raw))
	var resp *oai.Response
	var ran []EagerResult
	if sapi, ok := a.api.(responses.StreamAPI); ok && in.Stream != nil {
		resp, ran, err = a.stream(ctx, sapi, body2, tb, in)
	} else {
		stop := heartbeat(ctx)
		resp, err = a.api.New(ctx, body2, option.WithMaxRetries(0))
		stop()
	}
	if err != nil {
		return ModelResult{}, apiFailure(ctx, err)
	}
	kept, err := trimResponse(resp)
	if err != nil {
		return ModelResult{}, err
	}
	out := ModelResult{Response: kept, Eager: ran}
	for _, item := range resp.Output {
		var r Route
		var call responses.Call
		switch item.Type {
		case "function_call":
			r = Route{CallID: item.CallID}
			call = responses.Call{Name: item.Name, Namespace: item.Namespace}
		case "mcp_approval_request": // a hosted call to approve: its id is its call id
			r = Route{CallID: item.ID}
			call = responses.Call{CallID: item.ID, Name: item.Name, Hosted: item.ServerLabel}
		default:
			continue
		}
		// The turn's Executor routes the call as the loop would (a Bridge's
		// is a responses.Router and a responses.Preapprover).
		if router, ok := tb.box.Exec.(responses.Router); ok {
			if route := router.Route(call); route.Server != "" {
				r.Known, r.Server, r.Tool, r.Deferred = true, route.Server, route.Tool, route.Deferred
				if p, ok := tb.box.Exec.(responses.Preapprover); ok {
					r.Preapproved = p.Preapproved(call)
				}
				r.Retry = a.opts.retries(route)
			}
		}
		out.Routes = append(out.Routes, r)
	}
	return out, nil
}

// responseFields are the fields of a response the loop reads.
var responseFields = []string{"id", "object", "created_at", "model", "status", "error", "incomplete_details", "output", "usage"}

// trimResponse keeps responseFields of resp: the API echoes the request's
// tools and instructions in every response, which history need not hold.
func trimResponse(resp *oai.Response) (json.RawMessage, error) {
	if resp == nil {
		return nil, temporal.NewNonRetryableApplicationError("the API returned no response", errTypeBadRequest, nil)
	}
	raw := resp.RawJSON()
	var all map[string]json.RawMessage
	if raw == "" || json.Unmarshal([]byte(raw), &all) != nil {
		b, err := json.Marshal(resp)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	kept := make(map[string]json.RawMessage, len(responseFields))
	for _, f := range responseFields {
		if v, ok := all[f]; ok {
			kept[f] = v
		}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPayloadBytes {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("response %s of %d bytes is %s (%d bytes)", resp.ID, len(b), ErrHistoryTooLarge, MaxPayloadBytes), errTypeTooLarge, nil)
	}
	return b, nil
}

// apiFailure sorts an error of a model request: retryable (with the
// API's retry-after) or final (the API's message).
func apiFailure(ctx context.Context, err error) error {
	var sdkErr *openai.Error
	if errors.As(err, &sdkErr) {
		apiErr := &responses.APIError{HTTPStatus: sdkErr.StatusCode, Code: sdkErr.Code, Message: sdkErr.Message}
		msg := apiErr.Error()
		switch s := sdkErr.StatusCode; {
		case s == 408 || s == 409 || s == 429 || s >= 500:
			return temporal.NewApplicationErrorWithOptions(msg, errTypeRetryable, temporal.ApplicationErrorOptions{
				NextRetryDelay: retryAfter(sdkErr),
			})
		default:
			return temporal.NewNonRetryableApplicationError(msg, errTypeAPI, nil, apiView{HTTPStatus: apiErr.HTTPStatus, Code: apiErr.Code, Message: apiErr.Message})
		}
	}
	if ctx.Err() != nil {
		return ctx.Err() // the activity was cancelled or timed out
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return temporal.NewApplicationError("model request: "+err.Error(), errTypeRetryable)
	}
	return temporal.NewApplicationError("model request: "+err.Error(), errTypeRetryable)
}

// apiView is a refused request as the workflow reads it.
type apiView struct {
	HTTPStatus int
	Code       string
	Message    string
}

// retryAfter reads retry-after-ms or retry-after (seconds) of a response;
// 0 lets the retry policy decide.
func retryAfter(e *openai.Error) time.Duration {
	if e.Response == nil {
		return 0
	}
	h := e.Response.Header
	if ms, err := strconv.ParseFloat(h.Get("retry-after-ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	if s, err := strconv.ParseFloat(h.Get("retry-after"), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := time.Parse(time.RFC1123, h.Get("retry-after")); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// CallInput is the input of CallTool.
type CallInput struct {
	ToolSet        string
	Call           responses.Call
	User           string
	MaxOutputBytes int
}

// CallResult is a call's output as the model will read it (cleaned and
// capped) and, for a failed call, why.
type CallResult struct {
	Output responses.Output
	Err    string `json:",omitempty"`
}

// CallTool runs one call, routed through the tool set it was made from
// (or, on a worker whose tool set changed since, through the current one
// when it routes the call to the same server and tool; otherwise the call
// is not run and its error names the server or tool missing). Failures of
// the tool are outputs, not activity errors, so they are never retried.
func (a *Activities) CallTool(ctx context.Context, in CallInput) (CallResult, error) {
	ctx, err := a.userContext(ctx, in.User)
	if err != nil {
		return CallResult{}, err
	}
	tb, same, err := a.resolve(ctx, in.ToolSet)
	if err != nil {
		return CallResult{}, err
	}
	var rerouted error
	if !same {
		rerouted = a.rerouted(tb, in.Call) // configchange.go
	}
	stop := heartbeat(ctx)
	defer stop()
	return a.execute(ctx, tb, in, rerouted)
}

// execute runs one call through tb: for CallTool, and for the calls a
// streamed model request starts eagerly. refused, when not nil, is why
// the call is not run (CallTool on a worker whose tool set changed).
func (a *Activities) execute(ctx context.Context, tb *toolBox, in CallInput, refused error) (CallResult, error) {
	var out responses.Output
	callErr := refused
	if callErr == nil {
		out, callErr = tb.box.Exec.Execute(ctx, in.Call)
	}
	if callErr != nil && ctx.Err() != nil {
		return CallResult{}, ctx.Err() // cancelled or timed out: Temporal decides
	}
	// The Loop's own record: the same cleaning and cap as in the workflow.
	rec := responses.NewLoop(oai.ResponseNewParams{}, nil, responses.Options{MaxOutputBytes: in.MaxOutputBytes}).Completed(in.Call, out, callErr)
	res := CallResult{Output: rec.Output}
	if callErr != nil {
		res.Err = callErr.Error()
	}
	return res, nil
}

// SearchInput is the input of SearchTools.
type SearchInput struct {
	Call responses.ToolSearchCall
	User string
}

// SearchResult is the tools a client tool search loads, as JSON.
type SearchResult struct {
	Tools []json.RawMessage
	Err   string `json:",omitempty"`
}

// SearchTools answers one client tool search from the worker's index.
func (a *Activities) SearchTools(ctx context.Context, in SearchInput) (SearchResult, error) {
	ctx, err := a.userContext(ctx, in.User)
	if err != nil {
		return SearchResult{}, err
	}
	tools, err := a.b.Search(ctx, in.Call)
	if err != nil {
		return SearchResult{Err: err.Error()}, nil
	}
	res := SearchResult{Tools: make([]json.RawMessage, 0, len(tools))}
	for _, t := range tools {
		raw, err := json.Marshal(t)
		if err != nil {
			continue
		}
		res.Tools = append(res.Tools, raw)
	}
	return res, nil
}

// userContext gives ctx the credentials of user, resolved by the worker.
func (a *Activities) userContext(ctx context.Context, user string) (context.Context, error) {
	if user == "" {
		return ctx, nil
	}
	if a.opts.Credentials == nil {
		return ctx, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the run is for user %q but the worker resolves no credentials (WorkerOptions.Credentials)", user), errTypeBadRequest, nil)
	}
	creds, err := a.opts.Credentials(ctx, user)
	if err != nil {
		return ctx, fmt.Errorf("bridgetemporal: credentials of user %q: %w", user, err)
	}
	return bridge.WithCredentials(ctx, creds), nil
}

// heartbeat records heartbeats until stop is called, so a worker that dies
// is noticed within the heartbeat timeout. The SDK throttles what it
// sends; nothing reaches history.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	return tickUntilStopped(ctx, heartbeatEvery(ctx), func() { activity.RecordHeartbeat(ctx) })
}

// heartbeatEvery is how often an activity heartbeats: every second, or a
// quarter of its heartbeat timeout when that is shorter.
func heartbeatEvery(ctx context.Context) time.Duration {
	every := time.Second
	if d := activity.GetInfo(ctx).HeartbeatTimeout; d > 0 && d/4 < every {
		every = d / 4
	}
	return every
}

// tickUntilStopped calls f at once and then every tick, on a goroutine of
// its own, until ctx ends or stop is called; stop returns once f is no
// longer running.
func tickUntilStopped(ctx context.Context, tick time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			f()
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
