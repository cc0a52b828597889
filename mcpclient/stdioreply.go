package mcpclient

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Bounds of what a stdio server can make the client hold or run for its
// requests: serverRequestWorkers answer them at a time, serverRequestQueue
// wait behind those; more are dropped.
const (
	serverRequestWorkers = 8
	serverRequestQueue   = 64
)

// peekBytes is how much of a line over MaxMessageBytes is kept to find out
// whose reply it was.
const peekBytes = 64 << 10

// reply is what a waiting request gets: the server's response or why
// there is none.
type reply struct {
	resp *transport.JSONRPCResponse
	err  error
}

// deliver hands r to the request waiting under key, if any.
func (t *stdioTransport) deliver(key string, r reply) bool {
	t.mu.Lock()
	ch := t.pending[key]
	delete(t.pending, key)
	t.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- r
	return true
}

// fail fails the request waiting for the reply with this id.
func (t *stdioTransport) fail(id mcp.RequestId, err error) bool {
	return t.deliver(id.String(), reply{err: err})
}

// failAll fails every request waiting for a reply.
func (t *stdioTransport) failAll(err error) int {
	t.mu.Lock()
	waiting := t.pending
	t.pending = map[string]chan reply{}
	t.mu.Unlock()
	for _, ch := range waiting {
		ch <- reply{err: err}
	}
	return len(waiting)
}

// dropOversized fails the call a line over MaxMessageBytes answered. Its
// id is looked for in the first peekBytes of the line; when it is not
// there (a server may put "id" after a huge "result"), every call waiting
// on this connection fails: one of them will never get its reply, it can't
// be told which, and failing them all at once beats leaving one to hang
// until its context ends (without a deadline, for ever). Requests and
// notifications from the server that were too long are only dropped.
func (t *stdioTransport) dropOversized(head []byte, size int) {
	tooLarge := &tooLargeError{server: t.server, what: "a line", limit: int64(t.maxLine), size: int64(size)}
	id, kind := peekID(head)
	switch kind {
	case peekedResponse:
		if !t.fail(id, tooLarge) {
			t.log.Debug("the oversized line answered no waiting request", "server", t.server, "id", id.String())
		}
	case peekedUnknown:
		if n := t.failAll(fmt.Errorf("%w; its id is not in its first %d bytes, so every call waiting on this connection fails", tooLarge, len(head))); n > 0 {
			t.log.Warn("failed every call in flight: an oversized line could not be matched to one", "server", t.server, "calls", n)
		}
	}
}

// peeked says what peekID found.
type peeked int

const (
	peekedUnknown  peeked = iota // neither an id nor a method before the prefix ended or broke
	peekedResponse               // an id, and no method before it
	peekedRequest                // a method first: a request or notification of the server
)

// peekID reads the top-level keys of the JSON object at the start of
// prefix (which may be cut off anywhere): a "method" key makes it a
// message of the server's own; an "id" makes it a reply, unless a
// "method" follows before "result" or "error" or the end of the prefix.
// Values of other keys are skipped without being kept, so a huge or
// deeply nested "result" before the id only makes the search give up.
func peekID(prefix []byte) (mcp.RequestId, peeked) {
	dec := json.NewDecoder(bytes.NewReader(prefix))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return mcp.RequestId{}, peekedUnknown
	}
	var id mcp.RequestId
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, ok := tok.(string)
		if !ok {
			break
		}
		switch key {
		case "method":
			return mcp.RequestId{}, peekedRequest
		case "result", "error":
			if found {
				return id, peekedResponse
			}
		case "id":
			if err := dec.Decode(&id); err != nil || id.IsNil() {
				return mcp.RequestId{}, peekedUnknown
			}
			found = true
			continue
		}
		if err := skipValue(dec); err != nil {
			break
		}
	}
	if found {
		return id, peekedResponse
	}
	return mcp.RequestId{}, peekedUnknown
}

// skipValue consumes one JSON value token by token, so nothing of it is
// kept (and no depth limit applies, beyond the scanner's own).
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
