// Package responsestest is a test double for the OpenAI Responses API, in
// the spirit of net/http/httptest: a real HTTP server on loopback that
// openai-go (and so package responses and package bridge) talks to as it
// would to the API, with a scripted model instead of a real one. Programs
// use it to test their own code offline, with no API key.
//
// Each test scripts the replies with a Handler: Script plays replies in
// order; Model and ToolCaller behave like a model that calls tools and then
// answers with what they returned; SearchModel searches for tools first.
// The server speaks the wire format openai-go decodes (ids, function_call
// and message output items, usage, status, error objects, HTTP errors),
// streams server-sent events when the request says stream: true (the event
// sequence of the API, paced with Reply.WithDelays), and records every
// request, raw and decoded, so tests can assert on what a client sent.
//
// Requests are validated as the API validates them, on the raw bytes:
// the request schema of the OpenAPI document, then the rules of rules.go
// (function tool parameters are JSON Schemas, strict tools meet the
// Structured Outputs subset, names and call ids, namespaces and tool
// search). A request the API would refuse gets the API's HTTP 400.
// ValidateRequestJSON runs the same checks on any request body.
package responsestest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// FakeAPIKey is the API key Server.Client configures. It is not a secret.
const FakeAPIKey = "sk-fakeapi-not-a-real-key"

// Handler decides the reply to one request. It runs on the server's
// goroutine for that request and may be called concurrently.
type Handler func(req *Request) Reply

// Server is a fake Responses API listening on a local httptest server.
type Server struct {
	*httptest.Server

	handler  Handler
	seq      atomic.Int64
	ids      atomic.Int64
	validate atomic.Bool
	norecord atomic.Bool

	mu       sync.Mutex
	requests []*Request

	onRequest func(*Request)

	chainMu sync.Mutex
	chains  map[string]*chainState // response id -> tool search state (toolsearch.go)
}

// New starts a server that answers POST .../responses with h. Close it
// with s.Close().
func New(h Handler) *Server {
	s := &Server{handler: h}
	s.validate.Store(true)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.keepConns()
	return s
}

// Listen is New on a loopback address of the caller's choosing, such as
// "127.0.0.1:8089" (port 0 picks a free port), for a fake that other
// programs reach at a known URL (cmd/fakeapi). Other addresses are
// refused: the fake has no authentication.
func Listen(addr string, h Handler) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("responsestest: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("responsestest: address %q is not a loopback address (127.0.0.1, ::1 or localhost)", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("responsestest: %w", err)
	}
	s := &Server{handler: h}
	s.validate.Store(true)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	_ = s.Server.Listener.Close()
	s.Server.Listener = l
	s.Server.Start()
	s.keepConns()
	return s, nil
}

// keepConns lets the many concurrent runs that share a server keep their
// connections.
func (s *Server) keepConns() {
	if t, ok := s.Server.Client().Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = 1024
	}
}

// OnRequest sets a function called with every request once it has been
// validated and before the handler runs (Request.ValidationErr says why a
// request is refused). It lets a long-running fake log what it serves with
// recording off. Set it before sending requests.
func (s *Server) OnRequest(fn func(*Request)) { s.onRequest = fn }

// Client returns an openai-go client aimed at the server: base URL set, a
// fake API key, the server's own HTTP client (closed with the server) and
// no retries. opts are applied after those defaults, so
// option.WithMaxRetries(n) turns retries back on.
func (s *Server) Client(opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(s.URL + "/v1/"),
		option.WithAPIKey(FakeAPIKey),
		option.WithHTTPClient(s.Server.Client()),
		option.WithMaxRetries(0),
	}
	return openai.NewClient(append(base, opts...)...)
}

// SetValidation turns request validation on or off (on by default, as the
// real API always checks). When on, a request that fails Validate is
// answered with HTTP 400 and an invalid_request_error naming the problems,
// as the real API would, and the handler is not called.
// Request.ValidationErr records the outcome. Turn it off only to measure
// the client alone (benchmarks) or to script what the API would refuse.
func (s *Server) SetValidation(on bool) { s.validate.Store(on) }

// SetRecording turns request recording on or off (on by default). Benchmarks
// turn it off so the server holds no memory per request.
func (s *Server) SetRecording(on bool) { s.norecord.Store(!on) }

// Requests returns the recorded requests in arrival order.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Count returns how many requests the server has received, recorded or not.
func (s *Server) Count() int { return int(s.seq.Load()) }

// Request is one request the server received.
type Request struct {
	Index              int              // 0-based arrival order
	Raw                json.RawMessage  // the body as sent
	Model              string           // model
	Instructions       string           // instructions
	PreviousResponseID string           // previous_response_id
	InputText          string           // input when it was a plain string
	Input              []map[string]any // input when it was a list of items
	Tools              []map[string]any // tools
	Body               map[string]any   // the whole decoded body
	// Header holds the request headers, with the Authorization value
	// replaced by "[redacted]".
	Header http.Header
	// ValidationErr is the result of ValidateRequestJSON on the raw body
	// when validation is on.
	ValidationErr error

	ctx context.Context
}

// Context is the request's context: it is cancelled when the client goes
// away, so a Handler that blocks should select on it.
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// FunctionOutput is one function_call_output item of a request.
type FunctionOutput struct {
	CallID string
	Output string // the string output, or the text parts of an array output joined
	Raw    map[string]any
}

// Outputs returns the request's function_call_output items in order.
func (r *Request) Outputs() []FunctionOutput {
	var out []FunctionOutput
	for _, it := range r.Input {
		if it["type"] != "function_call_output" {
			continue
		}
		id, _ := it["call_id"].(string)
		out = append(out, FunctionOutput{CallID: id, Output: outputText(it["output"]), Raw: it})
	}
	return out
}

// FunctionOutputs maps call_id to output text for every function_call_output
// item of the request.
func (r *Request) FunctionOutputs() map[string]string {
	m := make(map[string]string)
	for _, o := range r.Outputs() {
		m[o.CallID] = o.Output
	}
	return m
}

// ItemTypes lists the type of every input item ("message" for typeless
// easy messages).
func (r *Request) ItemTypes() []string {
	out := make([]string, len(r.Input))
	for i, it := range r.Input {
		t, _ := it["type"].(string)
		if t == "" {
			t = "message"
		}
		out[i] = t
	}
	return out
}

// Prompt returns the user's text: InputText, or the text of the last user
// message in Input.
func (r *Request) Prompt() string {
	if r.InputText != "" {
		return r.InputText
	}
	for i := len(r.Input) - 1; i >= 0; i-- {
		it := r.Input[i]
		if it["role"] != "user" {
			continue
		}
		return outputText(it["content"])
	}
	return ""
}

// outputText flattens a string or a content-part list to its text.
func outputText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, p := range x {
			if m, ok := p.(map[string]any); ok {
				if t, ok := m["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

func (s *Server) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodPost || !strings.HasSuffix(hr.URL.Path, "/responses") {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found", "responsestest serves only POST /v1/responses", nil)
		return
	}
	raw, err := io.ReadAll(hr.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "bad_body", "cannot read body", nil)
		return
	}
	req := &Request{Index: int(s.seq.Add(1) - 1), Raw: raw, ctx: hr.Context()}
	if err := decodeRequest(req, raw); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "body is not a JSON object: "+err.Error(), nil)
		return
	}
	req.Header = hr.Header.Clone()
	if req.Header.Get("Authorization") != "" {
		req.Header.Set("Authorization", "[redacted]")
	}
	if s.validate.Load() {
		req.ValidationErr = ValidateRequestJSON(raw)
	}
	if !s.norecord.Load() {
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
	}
	if s.onRequest != nil {
		s.onRequest(req)
	}
	if req.ValidationErr != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", req.ValidationErr.Error(), nil)
		return
	}
	st, err := s.requestState(req)
	if err != nil && s.validate.Load() {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error(), nil)
		return
	}
	r := s.handler(req)
	if wantsStream(req) {
		s.streamReply(w, req, r, st)
		return
	}
	if !sleep(req.Context(), r.totalDelay()) {
		return
	}
	s.reply(w, req, r, st)
}

func decodeRequest(req *Request, raw []byte) error {
	if err := json.Unmarshal(raw, &req.Body); err != nil {
		return err
	}
	if req.Body == nil {
		return fmt.Errorf("null body")
	}
	req.Model, _ = req.Body["model"].(string)
	req.Instructions, _ = req.Body["instructions"].(string)
	req.PreviousResponseID, _ = req.Body["previous_response_id"].(string)
	switch in := req.Body["input"].(type) {
	case string:
		req.InputText = in
	case []any:
		req.Input = make([]map[string]any, 0, len(in))
		for _, it := range in {
			if m, ok := it.(map[string]any); ok {
				req.Input = append(req.Input, m)
			}
		}
	}
	if tools, ok := req.Body["tools"].([]any); ok {
		for _, t := range tools {
			if m, ok := t.(map[string]any); ok {
				req.Tools = append(req.Tools, m)
			}
		}
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string, header http.Header) {
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"type": typ, "code": code, "message": msg, "param": nil,
	}})
}

func (s *Server) newID(prefix string) string {
	return prefix + strconv.FormatInt(s.ids.Add(1), 10)
}

func (s *Server) reply(w http.ResponseWriter, req *Request, r Reply, st *chainState) {
	for k, v := range r.Header {
		w.Header()[k] = v
	}
	if r.RawBody != nil || (r.HTTPStatus != 0 && r.HTTPStatus != http.StatusOK) {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		status := r.HTTPStatus
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(r.RawBody)
		return
	}
	resp := s.buildResponse(req, r)
	if err := s.playSearch(resp, req, st); err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "responsestest_script", err.Error(), http.Header{"X-Should-Retry": {"false"}})
		return
	}
	body, err := json.Marshal(resp)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "responsestest", err.Error(), nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", s.newID("req_"))
	_, _ = w.Write(body)
}

// wire types: just what openai-go reads.

type wireResponse struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	CreatedAt          int64             `json:"created_at"`
	Status             string            `json:"status"`
	Model              string            `json:"model"`
	Instructions       any               `json:"instructions"`
	PreviousResponseID any               `json:"previous_response_id"`
	Output             []map[string]any  `json:"output"`
	Error              *ErrorObject      `json:"error"`
	IncompleteDetails  map[string]string `json:"incomplete_details"`
	Usage              wireUsage         `json:"usage"`
	ParallelToolCalls  bool              `json:"parallel_tool_calls"`
	ToolChoice         any               `json:"tool_choice"`
	Tools              []map[string]any  `json:"tools"`
	Store              bool              `json:"store"`
	Metadata           map[string]any    `json:"metadata"`
	Temperature        any               `json:"temperature"`
	TopP               any               `json:"top_p"`
}

type wireUsage struct {
	InputTokens         int64            `json:"input_tokens"`
	InputTokensDetails  map[string]int64 `json:"input_tokens_details"`
	OutputTokens        int64            `json:"output_tokens"`
	OutputTokensDetails map[string]int64 `json:"output_tokens_details"`
	TotalTokens         int64            `json:"total_tokens"`
}

func (s *Server) buildResponse(req *Request, r Reply) wireResponse {
	out := make([]map[string]any, 0, len(r.Output))
	encrypted := includes(req.Body, "reasoning.encrypted_content")
	var reasoning int64
	for _, it := range r.Output {
		item := make(map[string]any, len(it)+2)
		for k, v := range it {
			item[k] = v
		}
		switch item["type"] {
		case "function_call":
			if item["call_id"] == "" || item["call_id"] == nil {
				item["call_id"] = s.newID("call_")
			}
			if item["id"] == "" || item["id"] == nil {
				item["id"] = s.newID("fc_")
			}
		case "tool_search_call", "tool_search_output":
			s.fillSearchIDs(item)
		case "mcp_call", "mcp_list_tools", "mcp_approval_request":
			s.fillHostedIDs(item)
		case "message":
			if item["id"] == nil {
				item["id"] = s.newID("msg_")
			}
		case "reasoning":
			reasoning += 8
			if item["id"] == nil {
				item["id"] = s.newID("rs_")
			}
			if encrypted && item["encrypted_content"] == nil {
				item["encrypted_content"] = "responsestest-encrypted-" + item["id"].(string)
			}
		}
		out = append(out, item)
	}
	resp := wireResponse{
		ID:                 r.ID,
		Object:             "response",
		CreatedAt:          1700000000,
		Status:             r.Status,
		Model:              req.Model,
		Output:             out,
		Error:              r.Error,
		ParallelToolCalls:  true,
		ToolChoice:         "auto",
		Tools:              req.Tools,
		Store:              req.Body["store"] != false,
		Metadata:           map[string]any{},
		Temperature:        req.Body["temperature"],
		TopP:               req.Body["top_p"],
		Instructions:       req.Body["instructions"],
		PreviousResponseID: req.Body["previous_response_id"],
	}
	if resp.Tools == nil {
		resp.Tools = []map[string]any{}
	}
	if m, ok := req.Body["metadata"].(map[string]any); ok {
		resp.Metadata = m
	}
	if resp.ID == "" {
		resp.ID = s.newID("resp_")
	}
	if resp.Status == "" {
		resp.Status = "completed"
	}
	if r.IncompleteReason != "" {
		resp.IncompleteDetails = map[string]string{"reason": r.IncompleteReason}
	}
	if r.Usage != nil {
		resp.Usage = wireUsage{
			InputTokens:         r.Usage.InputTokens,
			OutputTokens:        r.Usage.OutputTokens,
			TotalTokens:         r.Usage.InputTokens + r.Usage.OutputTokens,
			InputTokensDetails:  map[string]int64{"cached_tokens": r.Usage.CachedTokens},
			OutputTokensDetails: map[string]int64{"reasoning_tokens": r.Usage.ReasoningTokens},
		}
	} else {
		in := int64(len(req.Raw)/4 + 1)
		outTok := int64(4*len(out)) + reasoning
		resp.Usage = wireUsage{
			InputTokens:         in,
			OutputTokens:        outTok,
			TotalTokens:         in + outTok,
			InputTokensDetails:  map[string]int64{"cached_tokens": 0},
			OutputTokensDetails: map[string]int64{"reasoning_tokens": reasoning},
		}
	}
	return resp
}

func includes(body map[string]any, what string) bool {
	list, _ := body["include"].([]any)
	for _, x := range list {
		if x == what {
			return true
		}
	}
	return false
}

// jsonBody reports whether b looks like a JSON document.
func jsonBody(b []byte) bool { return json.Valid(bytes.TrimSpace(b)) && len(bytes.TrimSpace(b)) > 0 }
