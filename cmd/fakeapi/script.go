package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// step is one reply of a script file, as written in it.
type step struct {
	Text      *string    `json:"text"`
	Calls     []scriptFn `json:"calls"`
	Results   bool       `json:"results"`
	Error     *scriptErr `json:"error"`
	Reasoning string     `json:"reasoning"`
}

type scriptFn struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"` // a JSON object, or a string holding JSON
}

type scriptErr struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// maxScriptBytes bounds a script file: it is read whole.
const maxScriptBytes = 8 << 20

// parseScript reads a script file: a JSON array of replies, each with
// exactly one of "text", "calls", "results" or "error" (and optionally
// "reasoning"). Errors name the reply by its index.
func parseScript(r io.Reader) ([]step, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxScriptBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxScriptBytes {
		return nil, fmt.Errorf("script is over %d MiB", maxScriptBytes>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var steps []step
	if err := dec.Decode(&steps); err != nil {
		return nil, fmt.Errorf("script is not a JSON array of replies: %w", err)
	}
	if len(steps) == 0 {
		return nil, errors.New("script has no replies")
	}
	for i, s := range steps {
		n := 0
		for _, set := range []bool{s.Text != nil, s.Calls != nil, s.Results, s.Error != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("reply %d: want exactly one of \"text\", \"calls\", \"results\" or \"error\", got %d", i, n)
		}
		for j, c := range s.Calls {
			if c.Name == "" {
				return nil, fmt.Errorf("reply %d: call %d has no name", i, j)
			}
			if _, err := callArguments(c.Arguments); err != nil {
				return nil, fmt.Errorf("reply %d: call %d (%s): %w", i, j, c.Name, err)
			}
		}
		if s.Error != nil && (s.Error.Status < 400 || s.Error.Status > 599) {
			return nil, fmt.Errorf("reply %d: error status %d is not an HTTP error status (400-599)", i, s.Error.Status)
		}
	}
	return steps, nil
}

// callArguments turns a script's arguments (an object, or a string holding
// JSON) into the JSON text the model sends.
func callArguments(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "{}", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil // sent as written, even if it is not JSON: the client must cope
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", errors.New(`"arguments" must be a JSON object or a string`)
	}
	return string(raw), nil
}

// scripted plays a script once per conversation: a request that continues
// a response (previous_response_id) gets the reply after the one that
// response was; any other request starts the script from the top. So one
// fake serves many runs of a program, one after another or at once.
type scripted struct {
	steps []step
	ids   atomic.Int64

	mu    sync.Mutex
	after map[string]int                        // response id -> index of the reply it was
	calls map[string]responsestest.FunctionCall // call id -> the call, for "results"
}

// maxTracked bounds the responses and calls a scripted fake remembers.
const maxTracked = 1 << 16

func newScripted(steps []step) *scripted {
	return &scripted{steps: steps, after: map[string]int{}, calls: map[string]responsestest.FunctionCall{}}
}

func (s *scripted) handle(req *responsestest.Request) responsestest.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := 0
	if prev, ok := s.after[req.PreviousResponseID]; ok && req.PreviousResponseID != "" {
		i = prev + 1
	}
	if i >= len(s.steps) {
		r := responsestest.APIError(http.StatusInternalServerError, "script_exhausted",
			fmt.Sprintf("fakeapi: the script has %d replies and this conversation asked for reply %d", len(s.steps), i+1))
		r.Header = http.Header{"X-Should-Retry": {"false"}}
		return r
	}
	if len(s.after) >= maxTracked || len(s.calls) >= maxTracked {
		// Bounded memory for a fake left running: forgetting old
		// conversations only restarts the script for one that goes on.
		clear(s.after)
		clear(s.calls)
	}
	n := s.ids.Add(1)
	id := "resp_fake" + strconv.FormatInt(n, 10)
	s.after[id] = i
	st := s.steps[i]
	var r responsestest.Reply
	switch {
	case st.Error != nil:
		r = responsestest.APIError(st.Error.Status, st.Error.Code, st.Error.Message)
		r.Header = http.Header{"X-Should-Retry": {"false"}}
		return r
	case st.Text != nil:
		r = responsestest.Text(*st.Text)
	case st.Results:
		r = responsestest.Text(s.resultsLocked(req))
	default:
		calls := make([]responsestest.FunctionCall, len(st.Calls))
		for j, c := range st.Calls {
			args, _ := callArguments(c.Arguments) // checked by parseScript
			calls[j] = responsestest.FunctionCall{Name: c.Name, Arguments: args,
				CallID: "call_fake" + strconv.FormatInt(n, 10) + "_" + strconv.Itoa(j)}
			s.calls[calls[j].CallID] = calls[j]
		}
		r = responsestest.Calls(calls...)
	}
	if st.Reasoning != "" {
		r = r.WithReasoning(st.Reasoning)
	}
	return r.WithID(id)
}

// resultsLocked is the answer of a "results" reply: every function output
// the request sends back, with the call it answers.
func (s *scripted) resultsLocked(req *responsestest.Request) string {
	outs := req.Outputs()
	results := make([]responsestest.ToolResult, len(outs))
	for i, o := range outs {
		c, ok := s.calls[o.CallID]
		if !ok {
			c = responsestest.FunctionCall{Name: "unknown"}
		}
		results[i] = responsestest.ToolResult{Name: c.Name, Arguments: c.Arguments, CallID: o.CallID, Output: o.Output}
	}
	if len(results) == 0 {
		return "Tool results: none"
	}
	return responsestest.DefaultAnswer(results)
}
