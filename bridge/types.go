package bridge

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// The loop's types under the names a bridge program uses, so that such a
// program imports bridge and openai-go only. They are the same types as in
// package responses, not copies.
type (
	// API creates one model response; pass &client.Responses of an
	// openai-go client.
	API = responses.API
	// Call is one function call the model asked for.
	Call = responses.Call
	// CallRecord is one executed, denied or failed call and its output.
	CallRecord = responses.CallRecord
	// Output is what a call produced, exactly as the model receives it.
	Output = responses.Output
	// Part is one content part of an array Output.
	Part = responses.Part
	// PartType is the kind of a Part.
	PartType = responses.PartType
	// Turn is one completed response and the calls it made.
	Turn = responses.Turn
	// Usage counts tokens.
	Usage = responses.Usage
	// ResumePoint is where Resume continues a run that stopped early.
	ResumePoint = responses.ResumePoint
	// APIError is an error reported by the Responses API.
	APIError = responses.APIError
	// Observer follows runs, turns and calls for tracing (WithObserver).
	Observer = responses.Observer
	// NopObserver can be embedded to implement part of Observer.
	NopObserver = responses.NopObserver
	// ServerError reports a failure of one MCP server: it names the
	// server, the step (spawn, handshake, list, call) and the tool, and
	// carries the end of a stdio server's stderr.
	ServerError = mcpclient.Error
)

// ErrorPrefix starts the text of every error output the model reads.
const ErrorPrefix = responses.ErrorPrefix

// The content part kinds of an array Output.
const (
	PartText  = responses.PartText
	PartImage = responses.PartImage
	PartFile  = responses.PartFile
)

// Errors of the bridge. Match them with errors.Is. Each is the one value
// for its meaning across the module: bridge.ErrInvalidArguments is
// responses.ErrInvalidArguments, bridge.ErrClosed is mcpclient.ErrClosed.
var (
	// ErrUnknownFunction: a function call names a function that is not in
	// the tool set offered to the model (reported to the model).
	ErrUnknownFunction = errors.New("unknown function")
	// ErrNoServers: New had servers to start and none could be used.
	ErrNoServers = errors.New("no MCP server available")
	// ErrInvalidArguments: a call's arguments are not JSON, not an object
	// or (WithValidateArguments) do not match the tool's input schema.
	ErrInvalidArguments = responses.ErrInvalidArguments
	// ErrClosed: the Bridge (or a connection of it) is closed.
	ErrClosed = mcpclient.ErrClosed
	// ErrMaxIterations: the iteration limit was reached while the model
	// was still calling functions; the Result is partial.
	ErrMaxIterations = responses.ErrMaxIterations
	// ErrCallTimeout: a call ran past WithCallTimeout.
	ErrCallTimeout = responses.ErrCallTimeout
	// ErrDenied: the WithApproval hook denied the call.
	ErrDenied = responses.ErrDenied
	// ErrToolConflict: params.Tools holds a function or namespace the
	// bridge offers under the same name, or a tool_search tool while tool
	// search is on; the run stops before sending anything.
	ErrToolConflict = responses.ErrToolConflict
)

// StartError is New's error when MCP servers could not be used: it lists
// every failed server with its cause (each a *ServerError). It also
// matches ErrNoServers when no server is left.
type StartError struct {
	Failed []*ServerError
	// Total is how many servers New was given.
	Total int
}

// Error names every failed server and why, one per line after the first.
func (e *StartError) Error() string {
	var b strings.Builder
	if len(e.Failed) == 1 {
		fmt.Fprintf(&b, "bridge: %v", e.Failed[0])
	} else {
		fmt.Fprintf(&b, "bridge: %d of %d MCP servers failed to start", len(e.Failed), e.Total)
		for _, f := range e.Failed {
			b.WriteString("\n\t")
			b.WriteString(f.Error())
		}
	}
	return b.String()
}

// Unwrap returns the per-server errors (and ErrNoServers when every server
// failed).
func (e *StartError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed)+1)
	for _, f := range e.Failed {
		errs = append(errs, f)
	}
	if len(e.Failed) == e.Total {
		errs = append(errs, ErrNoServers)
	}
	return errs
}

// CallError reports a failed tool call: the function the model called and,
// when it was routed, the server and MCP tool. Its message is the one the
// model reads after responses.ErrorPrefix.
type CallError struct {
	Function string
	Server   string
	Tool     string
	Err      error
	// missing names servers left out by WithSkipFailedServers, so the
	// model learns why a function it expected is unknown.
	missing []string
}

// Error describes the failure once: a *ServerError cause already names the
// server and the tool, so it is not repeated.
func (e *CallError) Error() string {
	if e.Server == "" {
		msg := fmt.Sprintf("%v %q", e.Err, e.Function)
		if len(e.missing) > 0 {
			msg += fmt.Sprintf(" (MCP servers not connected: %s)", strings.Join(e.missing, ", "))
		}
		return msg
	}
	var se *ServerError
	if errors.As(e.Err, &se) && se.Server == e.Server {
		return e.Err.Error()
	}
	return fmt.Sprintf("mcp server %q: %s tool %q: %v", e.Server, mcpclient.OpCall, e.Tool, e.Err)
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }
