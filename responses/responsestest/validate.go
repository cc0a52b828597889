package responsestest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	lib "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpbridge/mcpbridge/internal/jsonschema"
)

// ErrInvalidRequest is wrapped by every error the validation returns.
var ErrInvalidRequest = errors.New("responsestest: request does not match the Responses API request schema")

// MaxProblems bounds how many problems one ValidationError lists.
const MaxProblems = 50

// ValidationError lists the problems found in one request.
type ValidationError struct {
	Problems []string // one line each: a JSON pointer and what is wrong there
	More     int      // problems found but not listed
}

// Error lists the first problems found.
func (e *ValidationError) Error() string {
	const show = 8
	var b strings.Builder
	b.WriteString("invalid Responses request: ")
	for i, p := range e.Problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-show+e.More)
			return b.String()
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "; and %d more", e.More)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidRequest) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidRequest }

// problems collects at most MaxProblems lines.
type problems struct {
	list []string
	more int
}

func (p *problems) add(path, format string, args ...any) {
	if len(p.list) >= MaxProblems {
		p.more++
		return
	}
	if path == "" {
		path = "(root)"
	}
	p.list = append(p.list, path+": "+fmt.Sprintf(format, args...))
}

// ValidateRequestJSON checks the raw bytes of a Responses request as the API
// would: the body against the request schema of the OpenAPI document
// (CreateResponse, embedded from testdata), then every rule in rules.go
// (function tool parameters, strict mode, names, call_ids). It decodes the
// bytes itself, so a number sent as a string ("minimum":"0") is caught
// where a Go value would hide it. The result is nil or a *ValidationError
// listing every problem (bounded) with its JSON pointer.
func ValidateRequestJSON(body []byte) error {
	doc, err := lib.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return &ValidationError{Problems: []string{"(root): body is not JSON: " + err.Error()}}
	}
	if _, ok := doc.(map[string]any); !ok {
		return &ValidationError{Problems: []string{"(root): body is not a JSON object"}}
	}
	sch, err := loadRequestSchema()
	if err != nil {
		return err
	}
	var p problems
	if err := sch.Validate(doc); err != nil {
		var verr *lib.ValidationError
		if !errors.As(err, &verr) {
			return fmt.Errorf("responsestest: %w", err)
		}
		list, more := jsonschema.Flatten(verr, MaxProblems)
		for _, l := range list {
			p.add(l.Pointer, "%s", l.Reason)
		}
		p.more += more
	}
	checkRules(doc.(map[string]any), &p)
	if len(p.list) > 0 {
		return &ValidationError{Problems: p.list, More: p.more}
	}
	return nil
}

// Validate is ValidateRequestJSON for a recorded request: its raw bytes, or
// its decoded body when there are none.
func Validate(req *Request) error {
	if req == nil {
		return fmt.Errorf("%w: nil request", ErrInvalidRequest)
	}
	raw := req.Raw
	if len(raw) == 0 && req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
		}
		raw = b
	}
	return ValidateRequestJSON(raw)
}

// checkRules applies the rules of rules.go that the request schema cannot
// express. They stay hand-written because they relate values across the
// request (unique names) or need the parameters compiled as a schema of
// their own.
func checkRules(body map[string]any, p *problems) {
	checkRequired(body, p)
	if items, ok := body["input"].([]any); ok {
		for i, it := range items {
			m, _ := it.(map[string]any)
			switch m["type"] {
			case "function_call", "function_call_output":
				path := fmt.Sprintf("/input/%d/call_id", i)
				id, _ := m["call_id"].(string)
				switch { // rule call-id
				case id == "":
					p.add(path, "%s without call_id", m["type"])
				case len(id) > maxCallIDLen:
					p.add(path, "call_id of %d characters, more than %d", len(id), maxCallIDLen)
				}
			}
		}
	}
	tools, _ := body["tools"].([]any)
	names := map[string]int{}
	for i, t := range tools {
		m, ok := t.(map[string]any)
		if !ok || m["type"] != "function" {
			continue
		}
		path := fmt.Sprintf("/tools/%d", i)
		if _, ok := m["strict"].(bool); !ok { // rule strict-explicit
			p.add(path+"/strict", "function tool without an explicit boolean strict")
		}
		name, _ := m["name"].(string)
		if !functionNameRE.MatchString(name) { // rule name-pattern
			p.add(path+"/name", "%q does not match ^[a-zA-Z0-9_-]{1,64}$", name)
		}
		if j, dup := names[name]; dup { // rule name-unique
			p.add(path+"/name", "%q is also the name of /tools/%d", name, j)
		} else {
			names[name] = i
		}
		params, ok := m["parameters"].(map[string]any)
		if !ok {
			p.add(path+"/parameters", "function tool parameters must be a JSON Schema object")
			continue
		}
		checkParameters(params, m["strict"] == true, path+"/parameters", p)
	}
	checkToolSearchRules(body, p) // namespaces and tool search: toolsearch.go
	checkHostedRules(body, p)     // the hosted mcp tool: hostedmcp.go
}

// checkParameters applies the params-* rules and, for a strict tool, the
// strict-* rules.
func checkParameters(params map[string]any, strict bool, path string, p *problems) {
	if params["type"] != "object" { // rule params-top-type
		p.add(path+"/type", "top-level type must be \"object\", got %s", short(params["type"]))
	}
	for _, k := range topForbidden { // rule params-top-combinator
		if _, ok := params[k]; ok {
			p.add(path+"/"+k, "%s is not allowed at the top level of parameters", k)
		}
	}
	if _, err := jsonschema.CompileValue(params); err != nil { // rule params-schema
		p.add(path, "not a valid JSON Schema: %s", oneLine(err.Error(), 600))
	}
	if strict {
		checkStrict(params, path, p)
	}
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil || v == nil {
		return "nothing"
	}
	return oneLine(string(b), 80)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// checkRequired enforces rules model-required and input-required: what the
// API refuses with "Missing required parameter" although the OpenAPI
// document leaves it optional (a stored prompt may supply both).
func checkRequired(body map[string]any, p *problems) {
	given := func(key string) bool { v, ok := body[key]; return ok && v != nil }
	if m, _ := body["model"].(string); m == "" && !given("prompt") { // rule model-required
		p.add("/model", "missing required parameter 'model'")
	}
	if !given("input") && !given("prompt") && !given("conversation") && !given("previous_response_id") { // rule input-required
		p.add("/input", "missing required parameter 'input'")
	}
}
