package responsestest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// streamScript holds what a Reply does only when it is streamed.
type streamScript struct {
	delays     []time.Duration // before output item i
	errorAfter int             // items sent before an error event; -1: none
	errCode    string
	errMessage string
	dropAfter  int // items sent before the connection is cut; -1: none
	waits      map[int]<-chan struct{}
}

func (r Reply) script() streamScript {
	if r.stream == nil {
		return streamScript{errorAfter: -1, dropAfter: -1}
	}
	return *r.stream
}

func (r Reply) withScript(f func(*streamScript)) Reply {
	sc := r.script()
	sc.delays = append([]time.Duration(nil), sc.delays...)
	waits := make(map[int]<-chan struct{}, len(sc.waits)+1)
	for k, v := range sc.waits {
		waits[k] = v
	}
	sc.waits = waits
	f(&sc)
	r.stream = &sc
	return r
}

// WithDelays makes the model take time to write: delays[i] passes before
// output item i is written (streamed: before its output_item.added event,
// and delays[len(items)] before the terminal event;
// not streamed: the reply is sent after the sum of the delays). A delay
// ends early when the client goes away.
func (r Reply) WithDelays(delays ...time.Duration) Reply {
	return r.withScript(func(s *streamScript) { s.delays = delays })
}

// WithWait makes a streamed reply wait, before output item i (or, for i =
// the number of items, before its terminal event), until ch is closed or the
// client goes away: tests use it to hold the model until something has
// happened on the client. A reply that is not streamed ignores it.
func (r Reply) WithWait(i int, ch <-chan struct{}) Reply {
	return r.withScript(func(s *streamScript) { s.waits[i] = ch })
}

// WithErrorEvent makes a streamed reply send an error event (code, message)
// after its first n output items and end the stream there, the way the API
// reports a failure in the middle of a stream. A reply that is not streamed
// ignores it.
func (r Reply) WithErrorEvent(n int, code, message string) Reply {
	return r.withScript(func(s *streamScript) { s.errorAfter, s.errCode, s.errMessage = n, code, message })
}

// WithDropAfter makes a streamed reply cut the connection after its first
// n output items, without a terminal event. A reply that is not streamed
// ignores it.
func (r Reply) WithDropAfter(n int) Reply {
	return r.withScript(func(s *streamScript) { s.dropAfter = n })
}

// totalDelay is how long a reply that is not streamed waits.
func (r Reply) totalDelay() time.Duration {
	var d time.Duration
	for _, x := range r.script().delays {
		d += x
	}
	return d
}

// sleep waits d or until ctx ends; it reports whether the wait was complete.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// wantsStream reports whether the request asked for server-sent events.
func wantsStream(req *Request) bool { return req.Body["stream"] == true }

// sseWriter writes the events of one streamed response.
type sseWriter struct {
	w   http.ResponseWriter
	f   http.Flusher
	seq int
	err error
}

func (e *sseWriter) send(typ string, fields map[string]any) {
	if e.err != nil {
		return
	}
	fields["type"] = typ
	fields["sequence_number"] = e.seq
	e.seq++
	b, err := json.Marshal(fields)
	if err != nil {
		e.err = err
		return
	}
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
		e.err = err
		return
	}
	e.f.Flush()
}

// streamReply answers a stream: true request with the event sequence of the
// Responses API: response.created, response.in_progress, then for each
// output item output_item.added, its content events (content parts and
// text, refusal or reasoning summary deltas; function call argument
// deltas) and output_item.done, then response.completed (or
// response.failed, response.incomplete). HTTP errors and raw bodies are
// sent as they are, as the API does before a stream starts.
func (s *Server) streamReply(w http.ResponseWriter, req *Request, r Reply, st *chainState) {
	if r.RawBody != nil || (r.HTTPStatus != 0 && r.HTTPStatus != http.StatusOK) {
		s.reply(w, req, r, st)
		return
	}
	f, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "server_error", "responsestest", "streaming unsupported", nil)
		return
	}
	built := s.buildResponse(req, r)
	if err := s.playSearch(built, req, st); err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "responsestest_script", err.Error(), http.Header{"X-Should-Retry": {"false"}})
		return
	}
	final, err := toMap(built)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "responsestest", err.Error(), nil)
		return
	}
	fixResponse(final)
	for k, v := range r.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Request-Id", s.newID("req_"))
	w.WriteHeader(http.StatusOK)
	f.Flush()

	ctx := req.Context()
	e := &sseWriter{w: w, f: f}
	start := shallowCopy(final)
	start["status"] = "in_progress"
	start["output"] = []any{}
	start["error"] = nil
	start["incomplete_details"] = nil
	delete(start, "usage")
	e.send("response.created", map[string]any{"response": start})
	e.send("response.in_progress", map[string]any{"response": start})

	sc := r.script()
	items, _ := final["output"].([]any)
	// Position i is output item i; position len(items) is the terminal event.
	for i := 0; i <= len(items); i++ {
		if i < len(sc.delays) && !sleep(ctx, sc.delays[i]) {
			return
		}
		if ch := sc.waits[i]; ch != nil {
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
		switch {
		case i == sc.errorAfter:
			e.send("error", map[string]any{"code": sc.errCode, "message": sc.errMessage, "param": nil})
			return
		case i == sc.dropAfter:
			return
		case i < len(items):
			item, _ := items[i].(map[string]any)
			streamItem(e, i, item)
			if e.err != nil {
				return
			}
		}
	}
	switch final["status"] {
	case "failed":
		e.send("response.failed", map[string]any{"response": final})
	case "incomplete":
		e.send("response.incomplete", map[string]any{"response": final})
	default:
		e.send("response.completed", map[string]any{"response": final})
	}
}

// streamItem sends the events of output item i.
func streamItem(e *sseWriter, i int, item map[string]any) {
	id, _ := item["id"].(string)
	added := shallowCopy(item)
	if _, ok := added["status"]; ok {
		added["status"] = "in_progress"
	}
	switch item["type"] {
	case "message":
		added["content"] = []any{}
	case "function_call":
		added["arguments"] = ""
	case "reasoning":
		added["summary"] = []any{}
	case "mcp_call":
		added["arguments"], added["output"], added["error"] = "", nil, nil
	case "mcp_list_tools":
		added["tools"] = []any{}
	}
	e.send("response.output_item.added", map[string]any{"output_index": i, "item": added})
	streamHosted(e, i, id, item) // hosted mcp items: hostedmcp.go

	switch item["type"] {
	case "message":
		parts, _ := item["content"].([]any)
		for ci, p := range parts {
			part, _ := p.(map[string]any)
			streamPart(e, i, id, ci, part)
		}
	case "function_call":
		args, _ := item["arguments"].(string)
		for _, d := range chunks(args, 16) {
			e.send("response.function_call_arguments.delta", map[string]any{
				"item_id": id, "output_index": i, "delta": d})
		}
		e.send("response.function_call_arguments.done", map[string]any{
			"item_id": id, "output_index": i, "name": item["name"], "arguments": args})
	case "reasoning":
		summary, _ := item["summary"].([]any)
		for si, p := range summary {
			part, _ := p.(map[string]any)
			text, _ := part["text"].(string)
			at := func(m map[string]any) map[string]any {
				m["item_id"], m["output_index"], m["summary_index"] = id, i, si
				return m
			}
			e.send("response.reasoning_summary_part.added", at(map[string]any{"part": map[string]any{"type": "summary_text", "text": ""}}))
			for _, d := range words(text) {
				e.send("response.reasoning_summary_text.delta", at(map[string]any{"delta": d}))
			}
			e.send("response.reasoning_summary_text.done", at(map[string]any{"text": text}))
			e.send("response.reasoning_summary_part.done", at(map[string]any{"part": map[string]any{"type": "summary_text", "text": text}}))
		}
	}
	e.send("response.output_item.done", map[string]any{"output_index": i, "item": item})
}

// streamPart sends the events of content part ci of message item i.
func streamPart(e *sseWriter, i int, id string, ci int, part map[string]any) {
	at := func(m map[string]any) map[string]any {
		m["item_id"], m["output_index"], m["content_index"] = id, i, ci
		return m
	}
	switch part["type"] {
	case "refusal":
		text, _ := part["refusal"].(string)
		e.send("response.content_part.added", at(map[string]any{"part": map[string]any{"type": "refusal", "refusal": ""}}))
		for _, d := range words(text) {
			e.send("response.refusal.delta", at(map[string]any{"delta": d}))
		}
		e.send("response.refusal.done", at(map[string]any{"refusal": text}))
	default:
		text, _ := part["text"].(string)
		e.send("response.content_part.added", at(map[string]any{"part": map[string]any{
			"type": "output_text", "text": "", "annotations": []any{}, "logprobs": []any{}}}))
		for _, d := range words(text) {
			e.send("response.output_text.delta", at(map[string]any{"delta": d, "logprobs": []any{}}))
		}
		e.send("response.output_text.done", at(map[string]any{"text": text, "logprobs": []any{}}))
	}
	e.send("response.content_part.done", at(map[string]any{"part": part}))
}

// words splits s into deltas the way a model writes tokens: each word with
// the space before it.
func words(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s[1:], ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// chunks splits s into pieces of at most n runes.
func chunks(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end, runes := 0, 0
		for end < len(s) && runes < n {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
			runes++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func shallowCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fixResponse fills in what the OpenAPI document requires of a streamed
// response object and the plain wire response leaves out.
func fixResponse(resp map[string]any) {
	if u, ok := resp["usage"].(map[string]any); ok {
		if d, ok := u["input_tokens_details"].(map[string]any); ok {
			if _, ok := d["cache_write_tokens"]; !ok {
				d["cache_write_tokens"] = 0
			}
		}
	}
	if resp["status"] == "completed" {
		resp["completed_at"] = resp["created_at"]
	}
}

// Refusal is a completed response whose output is one assistant message
// with a refusal content part.
func Refusal(s string) Reply {
	m := messageItem("")
	m["content"] = []any{map[string]any{"type": "refusal", "refusal": s}}
	return Reply{Output: []map[string]any{m}}
}
