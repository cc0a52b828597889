package responsestest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Reply describes the server's answer to one request. The zero Reply is a
// completed response with no output. Build replies with Calls, Text, Failed,
// Incomplete, HTTPError, APIError and Malformed, and refine them with the
// With methods.
type Reply struct {
	// HTTPStatus is the status code; 0 means 200. A non-200 status sends
	// RawBody as it is.
	HTTPStatus int
	// RawBody, when not nil, is sent verbatim instead of a response object.
	RawBody []byte
	// ContentType of RawBody; default application/json.
	ContentType string
	// Header is added to the HTTP response.
	Header http.Header

	ID               string           // response id; generated ("resp_N") when empty
	Status           string           // response status; default "completed"
	Output           []map[string]any // output items; ids and call ids are filled in when empty
	Error            *ErrorObject     // the response's error object (status "failed")
	IncompleteReason string           // incomplete_details.reason (status "incomplete")
	Usage            *Usage           // nil: a small usage derived from the request size

	stream *streamScript // pacing and stream faults (stream.go)
}

// ErrorObject is the error object of a failed response.
type ErrorObject struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Usage is the token usage reported with a response.
type Usage struct {
	InputTokens, OutputTokens, CachedTokens, ReasoningTokens int64
}

// FunctionCall is a function call the fake model makes.
type FunctionCall struct {
	Name      string
	Arguments string // JSON text; "" is sent as "{}"
	CallID    string // generated ("call_N") when empty
}

func (c FunctionCall) item() map[string]any {
	args := c.Arguments
	if args == "" {
		args = "{}"
	}
	m := map[string]any{
		"type":      "function_call",
		"name":      c.Name,
		"arguments": args,
		"status":    "completed",
	}
	if c.CallID != "" {
		m["call_id"] = c.CallID
	}
	return m
}

func messageItem(text string) map[string]any {
	return map[string]any{
		"type":   "message",
		"role":   "assistant",
		"status": "completed",
		"content": []any{map[string]any{
			"type":        "output_text",
			"text":        text,
			"annotations": []any{},
			"logprobs":    []any{},
		}},
	}
}

func reasoningItem(summary string) map[string]any {
	return map[string]any{
		"type":    "reasoning",
		"summary": []any{map[string]any{"type": "summary_text", "text": summary}},
	}
}

// Calls is a completed response whose output is the given function calls.
func Calls(calls ...FunctionCall) Reply {
	r := Reply{Output: make([]map[string]any, 0, len(calls))}
	for _, c := range calls {
		r.Output = append(r.Output, c.item())
	}
	return r
}

// Text is a completed response whose output is one assistant message.
func Text(s string) Reply {
	return Reply{Output: []map[string]any{messageItem(s)}}
}

// Failed is an HTTP 200 response with status "failed" and the error object
// {code, message}.
func Failed(code, message string) Reply {
	return Reply{Status: "failed", Error: &ErrorObject{Code: code, Message: message}}
}

// Incomplete is an HTTP 200 response with status "incomplete" and the given
// incomplete_details.reason (e.g. "max_output_tokens").
func Incomplete(reason string) Reply {
	return Reply{Status: "incomplete", IncompleteReason: reason}
}

// HTTPError answers with the HTTP status and the body as given (sent as
// application/json when it is JSON, text/plain otherwise). For 429 and 5xx
// it sets Retry-After-Ms: 0 so a client with retries retries at once.
func HTTPError(status int, body string) Reply {
	r := Reply{HTTPStatus: status, RawBody: []byte(body), ContentType: "text/plain"}
	if jsonBody(r.RawBody) {
		r.ContentType = "application/json"
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		r.Header = http.Header{"Retry-After-Ms": {"0"}}
	}
	return r
}

// APIError answers with the HTTP status and an OpenAI error body
// {"error": {"type", "code", "message", "param"}}; type is
// invalid_request_error for 4xx and server_error otherwise.
func APIError(status int, code, message string) Reply {
	typ := "server_error"
	if status < 500 {
		typ = "invalid_request_error"
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"type": typ, "code": code, "message": message, "param": nil,
	}})
	return HTTPError(status, string(b))
}

// Malformed is an HTTP 200 whose body claims to be JSON but is not.
func Malformed() Reply {
	return Reply{RawBody: []byte("this is not JSON {"), ContentType: "application/json"}
}

// WithText appends an assistant message to the output.
func (r Reply) WithText(s string) Reply {
	r.Output = append(append([]map[string]any(nil), r.Output...), messageItem(s))
	return r
}

// WithReasoning puts a reasoning item with the given summary first in the
// output, the way reasoning models answer. When the request asks for
// reasoning.encrypted_content the item carries one.
func (r Reply) WithReasoning(summary string) Reply {
	r.Output = append([]map[string]any{reasoningItem(summary)}, r.Output...)
	return r
}

// WithItem appends a raw output item.
func (r Reply) WithItem(item map[string]any) Reply {
	r.Output = append(append([]map[string]any(nil), r.Output...), item)
	return r
}

// WithUsage sets the reported usage.
func (r Reply) WithUsage(u Usage) Reply {
	r.Usage = &u
	return r
}

// WithID sets the response id.
func (r Reply) WithID(id string) Reply {
	r.ID = id
	return r
}

// WithHeader adds an HTTP response header.
func (r Reply) WithHeader(key, value string) Reply {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Add(key, value)
	r.Header = h
	return r
}

// Script returns a Handler that answers the n-th request with replies[n].
// Requests beyond the script get HTTP 500 with x-should-retry: false, so a
// test that sends too many requests fails loudly instead of retrying.
func Script(replies ...Reply) Handler {
	var n atomic.Int64
	return func(*Request) Reply {
		i := int(n.Add(1) - 1)
		if i < len(replies) {
			return replies[i]
		}
		r := APIError(http.StatusInternalServerError, "script_exhausted",
			fmt.Sprintf("responsestest: script has %d replies, this is request %d", len(replies), i+1))
		r.Header = http.Header{"X-Should-Retry": {"false"}}
		return r
	}
}

// Echo returns a Handler that answers every request with the text
// "echo: <prompt>", never calling tools.
func Echo() Handler {
	return func(req *Request) Reply { return Text("echo: " + req.Prompt()) }
}

// ToolCaller returns a scripted model that calls the given tools when a
// conversation starts and then answers with their results. It is Model{Calls:
// calls}.Handler().
func ToolCaller(calls ...FunctionCall) Handler {
	m := &Model{Calls: calls}
	return m.Handler()
}

// ToolResult is one function call of the scripted model with the output the
// client sent back for it.
type ToolResult struct {
	Name, Arguments, CallID, Output string
}

// Model is a scripted model for offline runs. On a request that carries no
// function_call_output it calls tools (Plan(prompt), or Calls); when the
// outputs arrive it calls them again until Rounds rounds are done, then
// answers with Answer(prompt, results), by default
// "Tool results: name(args) -> output; ...". Conversations are tracked by
// call id, so many may run at once on one Model, chained with
// previous_response_id or resent whole (store: false). Call ids are
// generated and unique across conversations.
type Model struct {
	Calls  []FunctionCall                                   // tools called on each round
	Plan   func(prompt string) []FunctionCall               // optional; chooses the calls from the user's prompt
	Answer func(prompt string, results []ToolResult) string // optional final text
	Rounds int                                              // tool-calling rounds before answering; default 1

	once  sync.Once
	ids   atomic.Int64
	mu    sync.Mutex
	state map[string]callState // call id -> what the call was and where the conversation is
}

type callState struct {
	call   FunctionCall
	prompt string
	round  int
}

// Handler returns the Handler that plays the model.
func (m *Model) Handler() Handler {
	m.once.Do(func() { m.state = make(map[string]callState) })
	return m.handle
}

func (m *Model) handle(req *Request) Reply {
	// The outputs that answer the latest response are the trailing ones
	// (a store: false client resends the whole conversation before them).
	outputs := req.Outputs()
	trailing := 0
	for i := len(req.Input) - 1; i >= 0 && req.Input[i]["type"] == "function_call_output"; i-- {
		trailing++
	}
	outputs = outputs[len(outputs)-min(trailing, len(outputs)):]
	if len(outputs) == 0 {
		prompt := req.Prompt()
		return m.callRound(prompt, 1)
	}
	// Names of calls resent in the input (store: false) are known directly.
	inInput := make(map[string]FunctionCall)
	for _, it := range req.Input {
		if it["type"] == "function_call" {
			id, _ := it["call_id"].(string)
			name, _ := it["name"].(string)
			args, _ := it["arguments"].(string)
			inInput[id] = FunctionCall{Name: name, Arguments: args, CallID: id}
		}
	}
	results := make([]ToolResult, 0, len(outputs))
	var prompt string
	round := 0
	m.mu.Lock()
	for _, o := range outputs {
		st, ok := m.state[o.CallID]
		if ok {
			delete(m.state, o.CallID)
			prompt, round = st.prompt, st.round
		} else if c, found := inInput[o.CallID]; found {
			st.call = c
		} else {
			st.call = FunctionCall{Name: "unknown", CallID: o.CallID}
		}
		results = append(results, ToolResult{Name: st.call.Name, Arguments: st.call.Arguments, CallID: o.CallID, Output: o.Output})
	}
	m.mu.Unlock()
	if prompt == "" {
		prompt = req.Prompt()
	}
	rounds := m.Rounds
	if rounds <= 0 {
		rounds = 1
	}
	if round > 0 && round < rounds {
		return m.callRound(prompt, round+1)
	}
	if m.Answer != nil {
		return Text(m.Answer(prompt, results))
	}
	return Text(DefaultAnswer(results))
}

func (m *Model) callRound(prompt string, round int) Reply {
	calls := m.Calls
	if m.Plan != nil {
		calls = m.Plan(prompt)
	}
	if len(calls) == 0 {
		return Text("I have no tools to call for: " + prompt)
	}
	out := make([]FunctionCall, len(calls))
	m.mu.Lock()
	for i, c := range calls {
		c.CallID = "call_m" + strconv.FormatInt(m.ids.Add(1), 10)
		if c.Arguments == "" {
			c.Arguments = "{}"
		}
		m.state[c.CallID] = callState{call: c, prompt: prompt, round: round}
		out[i] = c
	}
	m.mu.Unlock()
	return Calls(out...)
}

// DefaultAnswer is the scripted model's final text:
// "Tool results: name(args) -> output; ...".
func DefaultAnswer(results []ToolResult) string {
	var b strings.Builder
	b.WriteString("Tool results: ")
	for i, r := range results {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s(%s) -> %s", r.Name, r.Arguments, r.Output)
	}
	return b.String()
}
