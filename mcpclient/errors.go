package mcpclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mcpbridge/mcpbridge/internal/textsafe"
)

// Op names the step that failed in an *Error.
type Op string

// The operations an *Error can report.
const (
	OpSpawn     Op = "spawn"     // starting the server process or opening the connection
	OpHandshake Op = "handshake" // initialize / protocol negotiation
	OpList      Op = "list"      // tools/list
	OpCall      Op = "call"      // tools/call
	OpClose     Op = "close"     // shutting the connection down
)

var (
	// ErrClosed is returned by every method of a Client after Close.
	ErrClosed = errors.New("mcpclient: client closed")
	// ErrProcessExited means the stdio server process ended (crashed, exited
	// or closed its stdout) while the client needed it.
	ErrProcessExited = errors.New("mcpclient: server process exited")
	// ErrRestartLimit means a stdio server died more often in a row than
	// Stdio.MaxRestarts allows; it is returned together with
	// ErrProcessExited.
	ErrRestartLimit = errors.New("mcpclient: restart limit reached")
	// ErrMessageTooLarge means the server sent a message (a stdio line, an
	// HTTP body, one SSE event) longer than Config.MaxMessageBytes, or a
	// listing whose pages together are; the client stopped reading and
	// failed the request.
	ErrMessageTooLarge = errors.New("mcpclient: message over MaxMessageBytes")
	// ErrServerPanic means the handler of an in-process server panicked
	// while serving a request; only that request fails.
	ErrServerPanic = errors.New("mcpclient: in-process server panicked")
	// ErrMalformedMessage means the server sent a reply the client could
	// not decode (e.g. nested deeper than encoding/json accepts); the call
	// it answered fails with it.
	ErrMalformedMessage = errors.New("mcpclient: malformed message from server")

	// ErrConnectTimeout matches the error of a connection that did not
	// open within its connect timeout (for per-user sessions,
	// SessionLimits.ConnectTimeout). Such an error also matches
	// context.DeadlineExceeded; a caller's own deadline does not match it.
	ErrConnectTimeout = errors.New("connect timeout")
)

// maxStderrInMessage bounds how much of the stderr tail Error() prints;
// the Stderr field keeps all of it.
const maxStderrInMessage = 2048

// maxCauseInMessage bounds how much of the cause's message Error() prints.
// A server chooses the text of its JSON-RPC errors; without a bound every
// layer that formats the error (redaction, wrapping, the output sent to the
// model, which caps it far lower anyway) copies megabytes again. The cause
// itself stays whole for errors.Is and errors.As.
const maxCauseInMessage = 1 << 20

// Error is the error type of this package: it names the server, the
// operation and (for calls) the tool, carries the tail of a stdio server's
// stderr when the process failed, and wraps the cause, so errors.Is and
// errors.As see through it (ErrProcessExited, context.DeadlineExceeded,
// mcp-go's errors, ...).
type Error struct {
	Server string // Config.Name
	Op     Op     // what failed
	Tool   string // tool name, for OpCall
	Stderr string // recent stderr of a stdio server, when relevant
	Err    error  // the cause
	// HTTPStatus is the error status an HTTP or SSE server answered
	// during the operation (0 when none), and Endpoint the URL it came
	// from, without user info or query.
	HTTPStatus int
	Endpoint   string

	// secrets are the values the client handed the server, scrubbed
	// from the message (a server may echo them; scrub.go).
	secrets *scrubber
}

// Error describes the failure: server, operation, tool, cause and the end
// of the stderr tail. URLs in it keep scheme, host and path, but their
// user info and query values read REDACTED: they may hold credentials.
// (The wrapped cause is left as it is, for errors.Is and errors.As.)
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mcp server %q: %s", e.Server, e.Op)
	if e.Tool != "" {
		fmt.Fprintf(&b, " tool %q", e.Tool)
	}
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s from %s", e.HTTPStatus, http.StatusText(e.HTTPStatus), e.Endpoint)
	}
	if e.Err != nil {
		b.WriteString(": ")
		cause := e.Err.Error()
		if len(cause) > maxCauseInMessage {
			kept := textsafe.Cut(cause, maxCauseInMessage)
			fmt.Fprintf(&b, "%s... (%d bytes of the message cut)", withoutRepeats(kept), len(cause)-len(kept))
		} else {
			b.WriteString(withoutRepeats(cause))
		}
	}
	if tail := strings.TrimSpace(e.Stderr); tail != "" {
		if len(tail) > maxStderrInMessage {
			tail = "..." + tail[len(tail)-maxStderrInMessage:]
		}
		b.WriteString("; stderr: ")
		b.WriteString(tail)
	}
	return redactURLs(e.secrets.scrub(b.String()))
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// processExitError is the cause recorded when a stdio process ends.
type processExitError struct {
	status string // e.g. "exit status 3", "signal: killed"
	why    string // extra context, e.g. "closed its stdout"
}

func (e *processExitError) Error() string {
	msg := ErrProcessExited.Error()
	if e.status != "" {
		msg += " (" + e.status + ")"
	}
	if e.why != "" {
		msg += ": " + e.why
	}
	return msg
}

func (e *processExitError) Is(target error) bool { return target == ErrProcessExited }

// withoutRepeats drops a ": "-separated part of msg that repeats the part
// just before it. mcp-go wraps some transport failures twice with the same
// words ("failed to send request: failed to send request: Post ...");
// saying it once loses nothing.
func withoutRepeats(msg string) string {
	parts := strings.Split(msg, ": ")
	kept := parts[:1]
	for _, p := range parts[1:] {
		if p != kept[len(kept)-1] {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(parts) {
		return msg
	}
	return strings.Join(kept, ": ")
}
