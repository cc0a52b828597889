package responses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	oai "github.com/openai/openai-go/v3/responses"
)

// streamer is the streaming side of one run. It is the run's API (New reads
// one response's events, yielding deltas and starting calls) and collects
// the calls it started when the response is complete.
type streamer struct {
	api     StreamAPI
	r       *runner
	events  chan Event    // to the range loop; unbuffered
	stopped chan struct{} // closed when the range loop is gone
	turnNo  atomic.Int64

	cur *eagerTurn // calls of the response being streamed; only the run goroutine swaps it
}

func (s *streamer) setup(r *runner) {
	s.r = r
	r.collect = s.collect
}

// emit hands an event to the range loop, or drops it once the loop is gone.
func (s *streamer) emit(ev Event) {
	if ev.Turn == 0 {
		ev.Turn = int(s.turnNo.Load())
	}
	select {
	case s.events <- ev:
	case <-s.stopped:
	}
}

// New streams one response. It returns the response of its terminal event
// (completed, failed or incomplete: run judges the status as for Run), or
// an error for an error event, a broken or truncated stream.
func (s *streamer) New(ctx context.Context, body oai.ResponseNewParams, opts ...option.RequestOption) (*oai.Response, error) {
	s.closeTurn() // a previous response's calls that run did not collect
	s.turnNo.Add(1)
	s.cur = &eagerTurn{r: s.r, exec: s.r.exec, ctx: ctx, max: s.r.opts.MaxConcurrency, byID: make(map[string]*eagerCall)}
	resp, completed, err := streamResponse(ctx, s.api, body, s.cur.exec, func(ev Event) {
		s.emit(ev)
		if ev.Kind == EventFunctionCall {
			s.cur.start(ev.Call)
		}
	}, opts...)
	if !completed {
		s.closeTurn()
	}
	return resp, err
}

// StreamResponse streams one response of body, as [Stream] does for each
// turn, for a driver of a [Loop] that streams its own requests (package
// bridge/bridgetemporal). It calls on, from this goroutine, with every
// text, refusal and reasoning delta, each hosted call ([EventHostedCall]),
// an [EventFunctionCall] for each function_call item as soon as the item
// is complete (once per call id; the Call is read as [Loop.Response] will
// read it in the completed response, and routed by exec when exec is a
// [Router]: a driver may start it at once), and with [EventTurnDone] when
// the response is complete.
//
// It returns the response of the terminal event (completed, failed or
// incomplete: [Loop.Response] judges its status), or an error: an
// [*APIError] matching [ErrStreamError] for an error event,
// [ErrStreamInterrupted] for a stream that ends without a terminal event,
// the HTTP error (an *openai.Error) or the broken connection.
func StreamResponse(ctx context.Context, api StreamAPI, body oai.ResponseNewParams, exec Executor, on func(Event), opts ...option.RequestOption) (*oai.Response, error) {
	resp, _, err := streamResponse(ctx, api, body, exec, on, opts...)
	return resp, err
}

// streamResponse is StreamResponse; completed says the terminal event was
// response.completed (the calls started for any other end are cancelled).
func streamResponse(ctx context.Context, api StreamAPI, body oai.ResponseNewParams, exec Executor, on func(Event), opts ...option.RequestOption) (resp *oai.Response, completed bool, err error) {
	st := api.NewStreaming(ctx, body, opts...)
	if st == nil {
		return nil, false, errors.New("responses: NewStreaming returned no stream")
	}
	defer st.Close()
	respID := ""
	started := make(map[string]bool)
	for st.Next() {
		ev := st.Current()
		switch ev.Type {
		case "response.created", "response.in_progress":
			respID = ev.Response.ID
		case "response.output_text.delta":
			on(Event{Kind: EventTextDelta, Delta: ev.Delta, ItemID: ev.ItemID, OutputIndex: int(ev.OutputIndex)})
		case "response.refusal.delta":
			on(Event{Kind: EventRefusalDelta, Delta: ev.Delta, ItemID: ev.ItemID, OutputIndex: int(ev.OutputIndex)})
		case "response.reasoning_summary_text.delta":
			on(Event{Kind: EventReasoningDelta, Delta: ev.Delta, ItemID: ev.ItemID, OutputIndex: int(ev.OutputIndex)})
		case "response.output_item.done":
			if hostedTypes[ev.Item.Type] {
				if h, ok := hostedItem(ev.Item); ok {
					on(Event{Kind: EventHostedCall, Hosted: &h, ItemID: h.ItemID, OutputIndex: int(ev.OutputIndex)})
				}
			}
			if ev.Item.Type == "function_call" {
				// Read as the completed response's calls will be (namespace,
				// malformed arguments), so the call started now is that call.
				c, isCall, err := streamedCall(ev.Item, int(ev.OutputIndex))
				if err == nil && isCall && !started[c.CallID] {
					started[c.CallID] = true
					on(Event{Kind: EventFunctionCall, Call: routed(exec, c)})
				}
			}
		case "response.completed":
			resp := ev.Response
			if resp.ID != "" {
				on(Event{Kind: EventTurnDone, ResponseID: resp.ID, Usage: usageOf(&resp)})
			}
			return &resp, true, nil
		case "response.failed", "response.incomplete":
			resp := ev.Response
			return &resp, false, nil
		case "error":
			return nil, false, &APIError{ResponseID: respID, HTTPStatus: 200, Code: ev.Code, Message: ev.Message, Err: ErrStreamError}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("responses: reading the response stream: %w", err)
	}
	err = st.Err()
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		// An event carrying an "error" object: the SDK stops there.
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(se.Event.Data, &body)
		return nil, false, &APIError{ResponseID: respID, HTTPStatus: 200, Code: body.Error.Code, Message: body.Error.Message,
			Err: fmt.Errorf("%w: %w", ErrStreamError, err)}
	}
	if err != nil {
		return nil, false, err // the HTTP error (*openai.Error) or the broken connection; run wraps it
	}
	return nil, false, fmt.Errorf("%w (response %q)", ErrStreamInterrupted, respID)
}

// streamedCall reads a completed function_call item of the stream as
// functionCalls reads it in the completed response. An item that could
// not be answered (no call_id) is not started: the completed response
// decides.
func streamedCall(item oai.ResponseOutputItemUnion, index int) (Call, bool, error) {
	if raw := item.RawJSON(); raw != "" {
		return callItem(json.RawMessage(raw), index, nil)
	}
	c := Call{CallID: item.CallID, Name: item.Name, Namespace: item.Namespace, Arguments: item.Arguments.OfString, ItemID: item.ID}
	return c, c.CallID != "" && c.Name != "", nil
}

// closeTurn cancels the calls of the current response that were not
// collected and waits for them.
func (s *streamer) closeTurn() {
	if s.cur != nil {
		s.cur.cancelAll()
		s.cur = nil
	}
}

// collect returns the records of a completed response's calls, in call
// order: calls started while streaming are awaited, calls that were not
// streamed (or changed) are started now, streamed calls the response does
// not have are cancelled.
func (s *streamer) collect(ctx context.Context, calls []Call) ([]CallRecord, error) {
	t := s.cur
	if t == nil { // not reached: New always sets it
		return s.r.execute(ctx, s.r.exec, calls)
	}
	use := make([]*eagerCall, len(calls))
	kept := make(map[*eagerCall]bool, len(calls))
	for i, c := range calls {
		c = routed(t.exec, c)
		ec := t.byID[c.CallID]
		if ec == nil || kept[ec] || ec.call != c {
			s.emit(Event{Kind: EventFunctionCall, Call: c})
			ec = t.start(c)
		}
		kept[ec] = true
		use[i] = ec
	}
	t.mu.Lock()
	for _, ec := range t.all {
		if !kept[ec] {
			ec.cancel()
		}
	}
	t.mu.Unlock()

	records := make([]CallRecord, len(calls))
	for i, ec := range use {
		select {
		case <-ec.done:
			records[i] = ec.rec
		case <-ctx.Done():
			err := ctx.Err()
			for j, ec := range use {
				select {
				case <-ec.done:
					records[j] = ec.rec
				default:
					records[j] = s.r.interrupted(ec.call, err)
				}
			}
			return records, fmt.Errorf("responses: running tool calls: %w", err)
		}
	}
	return records, nil
}

// eagerTurn runs the calls of one response as they arrive, at most max at a
// time, in arrival order.
type eagerTurn struct {
	r    *runner
	exec Executor // the executor of the turn the calls belong to
	ctx  context.Context
	max  int

	mu      sync.Mutex
	byID    map[string]*eagerCall // first call seen per call id
	all     []*eagerCall
	queue   []*eagerCall
	running int
	wg      sync.WaitGroup
}

type eagerCall struct {
	call   Call
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	rec    CallRecord // set before done is closed
}

func (t *eagerTurn) start(c Call) *eagerCall {
	ctx, cancel := context.WithCancel(t.ctx)
	ec := &eagerCall{call: c, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID[c.CallID] == nil {
		t.byID[c.CallID] = ec
	}
	t.all = append(t.all, ec)
	t.queue = append(t.queue, ec)
	t.pumpLocked()
	return ec
}

func (t *eagerTurn) pumpLocked() {
	for t.running < t.max && len(t.queue) > 0 {
		ec := t.queue[0]
		t.queue = t.queue[1:]
		t.running++
		t.wg.Add(1)
		go t.run(ec)
	}
}

func (t *eagerTurn) run(ec *eagerCall) {
	defer t.wg.Done()
	if err := ec.ctx.Err(); err != nil {
		ec.rec = t.r.interrupted(ec.call, err)
	} else {
		ec.rec = t.r.runCall(ec.ctx, t.exec, ec.call)
	}
	ec.cancel()
	close(ec.done)
	t.mu.Lock()
	t.running--
	t.pumpLocked()
	t.mu.Unlock()
}

// cancelAll cancels every call of the turn and waits until none runs.
func (t *eagerTurn) cancelAll() {
	t.mu.Lock()
	for _, ec := range t.all {
		ec.cancel()
	}
	t.mu.Unlock()
	t.wg.Wait()
}
