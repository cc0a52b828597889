package mcpclient_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// A server can put megabytes into a JSON-RPC error message. Every layer
// that formats the error (wrapping, redaction, the output sent to the
// model) would copy all of it again, so the message is cut where it is
// made; the cause itself stays reachable through errors.Is and errors.As.
func TestErrorMessageOfAHugeCauseIsBounded(t *testing.T) {
	cause := errors.New("server says: " + strings.Repeat("é", 3<<20) + "END")
	e := &mcpclient.Error{Server: "big", Op: mcpclient.OpCall, Tool: "t", Err: cause}
	msg := e.Error()
	assert.LessOrEqual(t, len(msg), 1<<20+200)
	assert.True(t, strings.HasPrefix(msg, `mcp server "big": call tool "t": server says: éé`), "%.80s", msg)
	assert.True(t, strings.HasSuffix(msg, "bytes of the message cut)"), "%.80s", msg[max(0, len(msg)-80):])
	assert.False(t, strings.Contains(msg, "END"), "the end of the message is cut")
	assert.True(t, strings.ToValidUTF8(msg, "?") == msg, "no character is split")
	assert.ErrorIs(t, e, cause)
}

// mcp-go wraps some transport failures twice in the same words; the
// message says them once and the cause is left whole.
func TestErrorMessageSaysEachPartOnce(t *testing.T) {
	cause := errors.New(`transport error: failed to send request: failed to send request: Post "http://h/mcp": EOF`)
	e := &mcpclient.Error{Server: "wiki", Op: mcpclient.OpHandshake, Err: cause}
	assert.Equal(t, `mcp server "wiki": handshake: transport error: failed to send request: Post "http://h/mcp": EOF`, e.Error())
	assert.ErrorIs(t, e, cause)
}
