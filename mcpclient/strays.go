package mcpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// strayResponses hands the JSON-RPC responses a streamable HTTP server
// sends on a GET stream to the requests waiting for them. The spec has a
// server answer on the request's own stream or a resumption of it, but
// some servers answer on whichever stream is open (the conformance
// suite's sse-retry server does when the client's standalone stream opens
// after the call), and mcp-go drops responses that come on the standalone
// stream: the call then waits out the reconnection delay and resumes a
// stream that never carries its result.
type strayResponses struct {
	mu      sync.Mutex
	waiting map[string]chan *transport.JSONRPCResponse
}

func newStrayResponses() *strayResponses {
	return &strayResponses{waiting: map[string]chan *transport.JSONRPCResponse{}}
}

// idKey is the map key of a JSON-RPC id: its compact JSON.
func idKey(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

// expect registers a request; the channel receives a response to it that
// arrives on a GET stream. done unregisters it.
func (s *strayResponses) expect(id mcp.RequestId) (answer <-chan *transport.JSONRPCResponse, done func()) {
	raw, err := json.Marshal(id)
	key := idKey(raw)
	if err != nil || key == "" || key == "null" {
		return nil, func() {}
	}
	ch := make(chan *transport.JSONRPCResponse, 1)
	s.mu.Lock()
	s.waiting[key] = ch
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		if s.waiting[key] == ch {
			delete(s.waiting, key)
		}
		s.mu.Unlock()
	}
}

// offer takes the data of one event of a GET stream and, when it is a
// response to a waiting request, hands it over (once).
func (s *strayResponses) offer(data []byte) {
	s.mu.Lock()
	none := len(s.waiting) == 0
	s.mu.Unlock()
	if none {
		return
	}
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
	}
	if json.Unmarshal(data, &msg) != nil || msg.Method != nil || len(msg.ID) == 0 {
		return // not a response: requests and notifications are mcp-go's
	}
	key := idKey(msg.ID)
	var resp transport.JSONRPCResponse
	if json.Unmarshal(data, &resp) != nil || (resp.Result == nil && resp.Error == nil) {
		return
	}
	s.mu.Lock()
	ch, ok := s.waiting[key]
	delete(s.waiting, key)
	s.mu.Unlock()
	if ok {
		ch <- &resp
	}
}

// sendOrStray sends req through send and returns its response, or the
// response to it that arrives first on a GET stream (send is then
// cancelled and waited for).
func (s *strayResponses) sendOrStray(ctx context.Context, req transport.JSONRPCRequest,
	send func(context.Context, transport.JSONRPCRequest) (*transport.JSONRPCResponse, error),
) (*transport.JSONRPCResponse, error) {
	answer, done := s.expect(req.ID)
	defer done()
	if answer == nil {
		return send(ctx, req)
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	type sent struct {
		resp *transport.JSONRPCResponse
		err  error
	}
	own := make(chan sent, 1)
	go func() {
		resp, err := send(inner, req)
		own <- sent{resp, err}
	}()
	select {
	case r := <-own:
		return r.resp, r.err
	case resp := <-answer:
		cancel()
		<-own
		return resp, nil
	}
}

// strayTee passes an event stream through unchanged and offers the data of
// each event to strays. Its buffer is bounded by limitedBody below it: an
// event longer than MaxMessageBytes fails the read before it gets here.
type strayTee struct {
	rc     io.ReadCloser
	strays *strayResponses
	line   []byte // the current line so far
	data   []byte // the current event's data lines, joined by '\n'
	inData bool   // data holds at least one line
}

func (t *strayTee) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	for _, b := range p[:n] {
		if b != '\n' {
			t.line = append(t.line, b)
			continue
		}
		t.endLine()
	}
	return n, err
}

// endLine handles one line of the stream: a data field is added to the
// event, an empty line dispatches it, other fields are not ours.
func (t *strayTee) endLine() {
	line := bytes.TrimSuffix(t.line, []byte("\r"))
	t.line = t.line[:0]
	switch {
	case len(line) == 0:
		if t.inData {
			t.strays.offer(t.data)
		}
		t.data, t.inData = t.data[:0], false
	case bytes.HasPrefix(line, []byte("data:")):
		v := bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))
		if t.inData {
			t.data = append(t.data, '\n')
		}
		t.data, t.inData = append(t.data, v...), true
	}
}

func (t *strayTee) Close() error { return t.rc.Close() }
