package bridge

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// The types of the loop, of the MCP client and of the conversion under the
// names a bridge program uses, so that such a program imports bridge and
// openai-go only. They are the same types, not copies: go doc shows their
// fields in the package named on each. (Where a run takes the model's API,
// a responses.API or responses.StreamAPI, pass &client.Responses of an
// openai-go client: it is both.)
type (
	// Call is one function call the model asked for: CallID, Name,
	// Namespace, Arguments, and Route, the server and MCP tool it goes to
	// (Route.Server, Route.Tool; empty for a function the bridge did not
	// offer). Fields: [responses.Call].
	Call = responses.Call
	// CallRecord is one executed, denied or failed call: Call, Output (what
	// the model receives: Output.Text), Err, Denied, Duration. Fields:
	// [responses.CallRecord].
	CallRecord = responses.CallRecord
	// Output is what a call produced, exactly as the model receives it:
	// Text, or Parts with WithArrayOutputs; IsError, Truncated. Fields:
	// [responses.Output].
	Output = responses.Output
	// Result is what a run did: OutputText, Turns (each with its Calls),
	// Usage, Iterations, LastResponseID, Pending outputs and ResumePoint().
	// Fields: [responses.Result].
	Result = responses.Result
	// Event is one thing that happened during a streamed run; Kind (one
	// of the Event* constants) says which fields are set (Delta, Call,
	// Progress, Record, Result, ...). Fields: [responses.Event].
	Event = responses.Event
	// APIError is an error reported by the Responses API. Fields:
	// [responses.APIError].
	APIError = responses.APIError
	// ServerError reports a failure of one MCP server: it names the
	// server, the step (spawn, handshake, list, call) and the tool, and
	// carries the end of a stdio server's stderr. Fields:
	// [mcpclient.Error].
	ServerError = mcpclient.Error
	// Diagnostic reports something the conversion of a server's tools
	// repaired or dropped, or a server left out. Fields:
	// [convert.Diagnostic].
	Diagnostic = convert.Diagnostic
)

// The kinds of events of [Bridge.Stream], in the order they happen (see
// [responses.EventKind]).
const (
	EventTextDelta      = responses.EventTextDelta
	EventRefusalDelta   = responses.EventRefusalDelta
	EventReasoningDelta = responses.EventReasoningDelta
	EventFunctionCall   = responses.EventFunctionCall
	EventCallProgress   = responses.EventCallProgress
	EventCallDone       = responses.EventCallDone
	EventTurnDone       = responses.EventTurnDone
	EventRunDone        = responses.EventRunDone
)

// Errors of the bridge. Match them with errors.Is. Each is the one value
// for its meaning across the module: bridge.ErrInvalidArguments is
// responses.ErrInvalidArguments, bridge.ErrClosed is mcpclient.ErrClosed.
// A failed call's error is also in its [CallRecord].Err: the loop's own
// (responses.ErrCallTimeout, responses.ErrDenied, ...) or a *[ServerError].
// A run whose params.Tools hold a function, namespace or tool_search tool
// the bridge offers too stops before sending anything, with
// responses.ErrToolConflict.
var (
	// ErrUnknownFunction: a function call names a function that is not in
	// the tool set offered to the model (reported to the model).
	ErrUnknownFunction = errors.New("unknown function")
	// ErrNoServers: New had servers to start and none could be used.
	ErrNoServers = errors.New("no MCP server available")
	// ErrInvalidArguments: a call's arguments are not JSON, not an object
	// or ([WithValidateArguments]) do not match the tool's input schema.
	ErrInvalidArguments = responses.ErrInvalidArguments
	// ErrClosed: the Bridge (or a connection of it) is closed.
	ErrClosed = mcpclient.ErrClosed
	// ErrMaxIterations: the iteration limit was reached while the model
	// was still calling functions; the Result is partial.
	ErrMaxIterations = responses.ErrMaxIterations
)

// startError is New's error when MCP servers could not be used. Its Unwrap
// lists each failed server's *ServerError (and ErrNoServers when no server
// is left).
type startError struct {
	failed []*ServerError
	total  int // how many servers New was given
}

// Error names every failed server and why, one per line after the first.
func (e *startError) Error() string {
	var b strings.Builder
	if len(e.failed) == 1 {
		fmt.Fprintf(&b, "bridge: %v", e.failed[0])
	} else {
		fmt.Fprintf(&b, "bridge: %d of %d MCP servers failed to start", len(e.failed), e.total)
		for _, f := range e.failed {
			b.WriteString("\n\t")
			b.WriteString(f.Error())
		}
	}
	return b.String()
}

// Unwrap returns the per-server errors (and ErrNoServers when every server
// failed).
func (e *startError) Unwrap() []error {
	errs := make([]error, 0, len(e.failed)+1)
	for _, f := range e.failed {
		errs = append(errs, f)
	}
	if len(e.failed) == e.total {
		errs = append(errs, ErrNoServers)
	}
	return errs
}

// callError reports a failed tool call: the function the model called and,
// when it was routed, the server and MCP tool. Its message is the one the
// model reads after responses.ErrorPrefix.
type callError struct {
	function string
	server   string
	tool     string
	err      error
	// missing names servers left out by WithSkipFailedServers, so the
	// model learns why a function it expected is unknown.
	missing []string
}

// Error describes the failure once: a *ServerError cause already names the
// server and the tool, so it is not repeated.
func (e *callError) Error() string {
	if e.server == "" {
		msg := fmt.Sprintf("%v %q", e.err, e.function)
		if len(e.missing) > 0 {
			msg += fmt.Sprintf(" (MCP servers not connected: %s)", strings.Join(e.missing, ", "))
		}
		return msg
	}
	var se *ServerError
	if errors.As(e.err, &se) && se.Server == e.server {
		return e.err.Error()
	}
	return fmt.Sprintf("mcp server %q: %s tool %q: %v", e.server, mcpclient.OpCall, e.tool, e.err)
}

// Unwrap returns the cause.
func (e *callError) Unwrap() error { return e.err }
