package mcpclient

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tee hands on the stream unchanged and offers each event's data,
// however the reads split it: CRLF line ends, data over several lines,
// comments and other fields, one byte a read.
func TestStrayTeeOffersResponses(t *testing.T) {
	strays := newStrayResponses()
	seven, done7 := strays.expect(mcp.NewRequestId(int64(7)))
	defer done7()
	named, doneNamed := strays.expect(mcp.NewRequestId("call-a"))
	defer doneNamed()
	other, doneOther := strays.expect(mcp.NewRequestId(int64(8)))
	defer doneOther()

	stream := ": keep-alive\r\n\r\n" +
		"id: 1\r\nretry: 500\r\ndata: \r\n\r\n" + // a priming event
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"sampling/createMessage\"}\n\n" + // a request, not an answer
		"data: {\"jsonrpc\":\"2.0\",\r\ndata:  \"id\": 7,\r\ndata: \"result\":{\"ok\":true}}\r\n\r\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":\"call-a\",\"error\":{\"code\":-1,\"message\":\"no\"}}\n\n"
	tee := &strayTee{rc: io.NopCloser(iotest.OneByteReader(strings.NewReader(stream))), strays: strays}
	passed, err := io.ReadAll(tee)
	require.NoError(t, err)
	assert.Equal(t, stream, string(passed), "the stream is handed on unchanged")

	select {
	case r := <-seven:
		assert.JSONEq(t, `{"ok":true}`, string(r.Result))
	default:
		t.Fatal("the response to 7 was not offered")
	}
	select {
	case r := <-named:
		require.NotNil(t, r.Error)
		assert.Equal(t, "no", r.Error.Message)
	default:
		t.Fatal("the response to call-a was not offered")
	}
	select {
	case r := <-other:
		t.Fatalf("a server request with id 8 was taken for the answer to request 8: %+v", r)
	default:
	}
}
