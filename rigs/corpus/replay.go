package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Replay is a stdio MCP server that serves one recorded tools/list result.
// It speaks newline-delimited JSON-RPC by hand, not through an MCP SDK, so
// the tool list leaves it as recorded: without paging the result goes out
// byte for byte (whitespace between tokens removed, as stdio framing needs);
// with PageSize the recorded tool entries are sent unchanged in pages
// chained by nextCursor.
type Replay struct {
	Name     string          // serverInfo.name
	Result   json.RawMessage // the tools/list result to serve
	PageSize int             // tools per page; 0 sends the whole result at once

	tools []json.RawMessage // split Result, when paging
	known map[string]bool   // tool names, for tools/call
}

type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Serve answers requests read from in on out until in ends. It handles
// initialize, ping, tools/list and tools/call (a short text result naming
// the tool); other requests get "method not found" and notifications are
// ignored.
func (r *Replay) Serve(in io.Reader, out io.Writer) error {
	tools, err := Tools(r.Result)
	if err != nil {
		return err
	}
	r.tools = tools
	r.known = map[string]bool{}
	for _, t := range tools {
		var n struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(t, &n) == nil {
			r.known[n.Name] = true
		}
	}
	var whole bytes.Buffer
	if err := json.Compact(&whole, r.Result); err != nil {
		return fmt.Errorf("corpus: tools/list result: %w", err)
	}
	br := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if werr := r.handle(w, line, whole.Bytes()); werr != nil {
				return werr
			}
			if ferr := w.Flush(); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (r *Replay) handle(w io.Writer, line, whole []byte) error {
	var msg rpcMessage
	if err := json.Unmarshal(line, &msg); err != nil {
		return reply(w, json.RawMessage("null"), nil, &rpcError{Code: -32700, Message: "parse error"})
	}
	if len(msg.ID) == 0 || msg.Method == "" {
		return nil // a notification, or a response to nothing we asked
	}
	switch msg.Method {
	case "initialize":
		var p struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		if p.ProtocolVersion == "" {
			p.ProtocolVersion = "2025-06-18"
		}
		return reply(w, msg.ID, map[string]any{
			"protocolVersion": p.ProtocolVersion,
			"capabilities":    map[string]any{"tools": map[string]any{}},
			"serverInfo":      map[string]any{"name": r.Name, "version": "replay"},
		}, nil)
	case "ping":
		return reply(w, msg.ID, map[string]any{}, nil)
	case "tools/list":
		return r.list(w, msg, whole)
	case "tools/call":
		var p struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		if !r.known[p.Name] {
			return reply(w, msg.ID, nil, &rpcError{Code: -32602, Message: "unknown tool " + strconv.Quote(p.Name)})
		}
		return reply(w, msg.ID, map[string]any{
			"content": []any{map[string]any{"type": "text", "text": "replayed " + r.Name + "/" + p.Name}},
		}, nil)
	default:
		return reply(w, msg.ID, nil, &rpcError{Code: -32601, Message: "method not found: " + msg.Method})
	}
}

func (r *Replay) list(w io.Writer, msg rpcMessage, whole []byte) error {
	if r.PageSize <= 0 {
		return reply(w, msg.ID, json.RawMessage(whole), nil)
	}
	var p struct {
		Cursor string `json:"cursor"`
	}
	_ = json.Unmarshal(msg.Params, &p)
	start := 0
	if p.Cursor != "" {
		n, err := strconv.Atoi(p.Cursor)
		if err != nil || n < 0 || n > len(r.tools) {
			return reply(w, msg.ID, nil, &rpcError{Code: -32602, Message: "invalid cursor"})
		}
		start = n
	}
	end := min(start+r.PageSize, len(r.tools))
	var b bytes.Buffer
	b.WriteString(`{"tools":[`)
	for i, t := range r.tools[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := json.Compact(&b, t); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	if end < len(r.tools) {
		fmt.Fprintf(&b, `,"nextCursor":"%d"`, end)
	}
	b.WriteByte('}')
	return reply(w, msg.ID, json.RawMessage(b.Bytes()), nil)
}

func reply(w io.Writer, id json.RawMessage, result any, rerr *rpcError) error {
	m := map[string]any{"jsonrpc": "2.0", "id": id}
	if rerr != nil {
		m["error"] = rerr
	} else {
		m["result"] = result
	}
	line, err := marshalNoEscape(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(line, '\n'))
	return err
}
