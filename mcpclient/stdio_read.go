package mcpclient

// Reading a stdio server's stdout: its lines, the replies and
// notifications they carry, and the requests the server makes of the client.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// read parses stdout line by line until EOF.
func (t *stdioTransport) read() {
	defer t.wg.Done()
	defer close(t.readerDone)
	br := bufio.NewReaderSize(t.stdout, 64<<10)
	var line, head []byte
	dropping := false
	dropped := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if dropping || len(line)+len(chunk) > t.maxLine {
			if !dropping {
				// Keep the start of the line: it may tell whose reply it was.
				head = append(head[:0], line[:min(len(line), peekBytes)]...)
				head = append(head, chunk[:min(len(chunk), peekBytes-len(head))]...)
				dropped = len(line)
				line = nil
				dropping = true
			}
			dropped += len(chunk)
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if dropping {
			t.log.Warn("mcp server wrote an oversized line; dropped", "server", t.server, "bytes", dropped, "limit", t.maxLine)
			t.dropOversized(head, dropped)
			dropping = false
		} else if len(line) > 0 {
			t.handleLine(line)
		}
		if cap(line) > 1<<20 {
			line = nil
		} else {
			line = line[:0]
		}
		if err != nil {
			break
		}
	}
	if t.closing.Load() {
		t.markDead(errTransportClosed)
		return
	}
	select {
	case <-t.exited:
	case <-time.After(time.Second):
		// stdout closed but the process lives on: it is broken.
		killGroup(t.pid)
	}
	t.markDead(t.exitError(""))
	t.log.Warn("mcp server process ended", "server", t.server, "pid", t.pid, "err", t.deadErr)
}

// tooDeep reports whether encoding/json refused a line for its nesting
// depth (it has no sentinel for it), as opposed to a syntax error.
func tooDeep(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) && strings.Contains(se.Error(), "exceeded max depth")
}

type wireMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

var nullJSON = []byte("null")

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, nullJSON)
}

func (t *stdioTransport) handleLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		t.log.Debug("mcp server wrote a non-JSON-RPC line; ignored", "server", t.server, "bytes", len(line))
		return
	}
	var m wireMessage
	if err := json.Unmarshal(line, &m); err != nil {
		// A reply the reader had to drop because it is nested deeper
		// than encoding/json takes fails its call, whose id can be read:
		// its real reply will never come. Any other unparsable line
		// (partial JSON, even with a call's id) is noise, and the reply
		// that follows it answers the call.
		if tooDeep(err) {
			if id, kind := peekID(line[:min(len(line), peekBytes)]); kind == peekedResponse {
				t.log.Warn("mcp server wrote a reply nested too deep to read; dropped", "server", t.server, "bytes", len(line))
				t.fail(id, fmt.Errorf("%w: mcp server %q: the reply to request %v could not be decoded: %v", ErrMalformedMessage, t.server, id.Value(), err))
				return
			}
		}
		t.log.Debug("mcp server wrote an unparsable line; ignored", "server", t.server, "bytes", len(line))
		return
	}
	switch {
	case m.Method != "" && !present(m.ID):
		var n mcp.JSONRPCNotification
		if err := json.Unmarshal(line, &n); err != nil {
			return
		}
		t.notifyMu.RLock()
		h := t.onNotify
		t.notifyMu.RUnlock()
		if h != nil {
			h(n)
		}
	case m.Method != "":
		var id mcp.RequestId
		if err := json.Unmarshal(m.ID, &id); err != nil {
			return
		}
		t.handleRequest(transport.JSONRPCRequest{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Method: m.Method, Params: m.Params})
	case present(m.ID) && (present(m.Result) || present(m.Error)):
		var id mcp.RequestId
		if err := json.Unmarshal(m.ID, &id); err != nil {
			return
		}
		resp := &transport.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Result: m.Result}
		if present(m.Error) {
			var details mcp.JSONRPCErrorDetails
			if err := json.Unmarshal(m.Error, &details); err != nil {
				details = mcp.JSONRPCErrorDetails{Code: mcp.INTERNAL_ERROR, Message: "malformed error from server"}
			}
			resp.Error = &details
			resp.Result = nil
		}
		if !t.deliver(id.String(), reply{resp: resp}) {
			t.log.Debug("mcp server answered an unknown request id; ignored", "server", t.server)
		}
	default:
		t.log.Debug("mcp server wrote a JSON line that is no JSON-RPC message; ignored", "server", t.server, "bytes", len(line))
	}
}

// handleRequest queues a request from the server (ping, roots/list,
// elicitation, ...) for the workers. A server that sends requests faster
// than they are answered (or stops reading the answers) fills the queue;
// requests beyond it are dropped unanswered, and logged once per
// connection.
func (t *stdioTransport) handleRequest(req transport.JSONRPCRequest) {
	select {
	case t.requests <- req:
	default:
		t.dropped.Add(1)
		if !t.floodLogged.Swap(true) {
			t.log.Warn("mcp server sends requests faster than they are answered; dropping the excess unanswered",
				"server", t.server, "workers", serverRequestWorkers, "queue", serverRequestQueue)
		}
	}
}

// serveRequests answers requests from the server, one at a time, until
// the transport ends.
func (t *stdioTransport) serveRequests() {
	defer t.wg.Done()
	for {
		select {
		case <-t.done:
			return
		case req := <-t.requests:
			t.answer(req)
		}
	}
}

// answer answers one request from the server with the handler mcp-go's
// client installed.
func (t *stdioTransport) answer(req transport.JSONRPCRequest) {
	t.notifyMu.RLock()
	h := t.onRequest
	t.notifyMu.RUnlock()
	{
		var resp *transport.JSONRPCResponse
		if h == nil {
			resp = transport.NewJSONRPCErrorResponse(req.ID, mcp.METHOD_NOT_FOUND, "no handler for "+req.Method, nil)
		} else {
			r, err := h(t.reqCtx, req)
			switch {
			case err != nil:
				resp = transport.NewJSONRPCErrorResponse(req.ID, mcp.INTERNAL_ERROR, err.Error(), nil)
			case r != nil:
				resp = r
			default:
				return
			}
		}
		raw, err := json.Marshal(resp)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(t.reqCtx, 10*time.Second)
		defer cancel()
		_ = t.write(ctx, append(raw, '\n'))
	}
}
