package bridgeotel

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/mcpbridge/mcpbridge/responses"
)

// Attribute keys of this package (the others are the semantic
// conventions'). mcp.server.name and mcp.tool.name are not (yet) in the
// MCP semantic conventions; they are named after mcp.method.name.
const (
	// AttrServer is the MCP server a call went to (its Call.Route).
	AttrServer = attribute.Key("mcp.server.name")
	// AttrTool is the MCP tool a call ran, which may differ from the
	// function name the model used (its Call.Route).
	AttrTool = attribute.Key("mcp.tool.name")
	// AttrNamespace is the namespace of a function sent in a namespace tool.
	AttrNamespace = attribute.Key("mcpbridge.function.namespace")
	// AttrTurn numbers the turns of a run from 1.
	AttrTurn = attribute.Key("mcpbridge.turn")
	// AttrCalls counts the function calls of a turn's response.
	AttrCalls = attribute.Key("mcpbridge.calls")
	// AttrIterations counts the completed responses of a run.
	AttrIterations = attribute.Key("mcpbridge.iterations")
	// AttrReasoningTokens counts the reasoning tokens of a turn or run.
	AttrReasoningTokens = attribute.Key("mcpbridge.usage.reasoning_tokens")
	// AttrResponseStatus is the status of a response that failed or came
	// back incomplete.
	AttrResponseStatus = attribute.Key("mcpbridge.response.status")
	// AttrOutputBytes is the size in bytes of the output the model
	// receives for a call (the output itself is never recorded).
	AttrOutputBytes = attribute.Key("mcpbridge.output.bytes")
	// AttrOutputTruncated says a call's output was cut to fit the cap.
	AttrOutputTruncated = attribute.Key("mcpbridge.output.truncated")
	// AttrDenied says the approval hook denied the call; it was not run.
	AttrDenied = attribute.Key("mcpbridge.call.denied")
	// AttrHosted says the call runs on the API's side, on a hosted tool
	// (the API's mcp tool): the span is its approval (a call span) or what
	// the API reported of it (a hosted span).
	AttrHosted = attribute.Key("mcpbridge.hosted")
)

// callErrorType classifies a failed call for error.type; "" when the call
// succeeded. Only the class is recorded: the message may quote arguments.
func callErrorType(rec responses.CallRecord) string {
	switch {
	case rec.Denied:
		return "denied"
	case rec.Err == nil && rec.Output.IsError:
		return "tool_error"
	case rec.Err == nil:
		return ""
	case errors.Is(rec.Err, responses.ErrCallTimeout):
		return "timeout"
	case errors.Is(rec.Err, responses.ErrCallPanic):
		return "panic"
	case errors.Is(rec.Err, responses.ErrInvalidArguments):
		return "invalid_arguments"
	case errors.Is(rec.Err, responses.ErrMalformedCall):
		return "malformed_call"
	}
	return commonErrorType(rec.Err)
}

// runErrorType classifies the error that ended a run or a turn.
func runErrorType(err error) string {
	var apiErr *responses.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatus != 0:
		return strconv.Itoa(apiErr.HTTPStatus)
	case errors.As(err, &apiErr) && apiErr.Status != "":
		return apiErr.Status
	case errors.Is(err, responses.ErrMaxIterations):
		return "max_iterations"
	case errors.Is(err, responses.ErrMalformedResponse):
		return "malformed_response"
	}
	return commonErrorType(err)
}

// commonErrorType names context errors, and otherwise the error's type
// (low cardinality, as error.type asks).
func commonErrorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	if t := fmt.Sprintf("%T", err); t != "*errors.errorString" && t != "*fmt.wrapError" && t != "*fmt.wrapErrors" {
		return t
	}
	return semconv.ErrorTypeOther.Value.AsString()
}

// apiErrorAttrs describes an API error: the HTTP status or the response's
// status and id.
func apiErrorAttrs(err error) []attribute.KeyValue {
	var apiErr *responses.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	var attrs []attribute.KeyValue
	if apiErr.HTTPStatus != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(apiErr.HTTPStatus))
	}
	if apiErr.Status != "" {
		attrs = append(attrs, AttrResponseStatus.String(apiErr.Status))
	}
	if apiErr.ResponseID != "" {
		attrs = append(attrs, semconv.GenAIResponseID(apiErr.ResponseID))
	}
	return attrs
}
