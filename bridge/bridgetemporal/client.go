package bridgetemporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	oai "github.com/openai/openai-go/v3/responses"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Start starts a durable run of params on c's workers and returns its
// handle; the run's workflow id is run.GetID(). Workers of the task queue
// (NewWorker) do the work; Start only records the run.
func Start(ctx context.Context, c client.Client, params oai.ResponseNewParams, opts RunOptions) (client.WorkflowRun, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("bridgetemporal: encoding params: %w", err)
	}
	if len(raw) > MaxPayloadBytes {
		return nil, fmt.Errorf("bridgetemporal: params of %d bytes are %w (%d bytes)", len(raw), ErrHistoryTooLarge, MaxPayloadBytes)
	}
	q := opts.TaskQueue
	if q == "" {
		q = DefaultTaskQueue
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: opts.ID, TaskQueue: q}, WorkflowName, RunInput{Params: raw, Options: opts})
	if err != nil {
		return nil, fmt.Errorf("bridgetemporal: starting the run: %w", err)
	}
	return run, nil
}

// Result waits for the run of workflow id and returns its output. A failed
// run's error has the run's own message.
func Result(ctx context.Context, c client.Client, id string) (*RunOutput, error) {
	var out RunOutput
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &out); err != nil {
		return nil, runFailure(err)
	}
	return &out, nil
}

// runFailure unwraps a workflow's failure to the run's message.
func runFailure(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == errTypeRun {
		return errors.New(appErr.Message())
	}
	return err
}

// Follow calls fn with each event of the run of workflow id as it happens
// and returns the run's output when it is over. Every poll (200 ms when
// 0) it asks the QueryEvents query for the events after the last one and
// reads the text of the running model request from its heartbeat details
// (DescribeWorkflowExecution's pending activities), which fn receives as
// EventTextDelta events: the model's text as it is written, through
// Temporal's own queries and activity state. Neither adds anything to the
// run's history. The worker's heartbeat throttle bounds how fresh the text
// is (DefaultFollowInterval; see NewWorker).
func Follow(ctx context.Context, c client.Client, id string, poll time.Duration, fn func(Event)) (*RunOutput, error) {
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	done := make(chan struct{})
	var out *RunOutput
	var runErr error
	go func() {
		defer close(done)
		out, runErr = Result(ctx, c, id)
	}()
	f := &follower{fn: fn, texts: map[int]*turnText{}}
	next := 0
	drain := func() {
		for {
			v, err := c.QueryWorkflow(ctx, id, "", QueryEvents, next)
			if err != nil {
				return
			}
			var p EventsPage
			if v.Get(&p) != nil {
				return
			}
			for _, ev := range p.Events {
				f.event(ev)
			}
			if p.Next == next || len(p.Events) == 0 {
				return
			}
			next = p.Next
		}
	}
	live := func() {
		d, err := c.DescribeWorkflow(ctx, id, "")
		if err != nil || d.RawResponse == nil {
			return
		}
		for _, pa := range d.RawResponse.GetPendingActivities() {
			if pa.GetActivityType().GetName() != activityModel || pa.GetHeartbeatDetails() == nil {
				continue
			}
			var mp ModelProgress
			if converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &mp) == nil {
				f.progress(mp)
			}
		}
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-done:
			drain() // the events of the end
			if out != nil {
				f.last(out)
			}
			return out, runErr
		case <-t.C:
			drain()
			live()
		case <-ctx.Done():
			<-done
			return nil, ctx.Err()
		}
	}
}

// follower turns a run's events and its model requests' progress into
// one sequence of events, the text of each turn as EventTextDelta.
type follower struct {
	fn    func(Event)
	texts map[int]*turnText
}

// turnText is how much of a turn's text the follower has given.
type turnText struct {
	attempt int32
	pos     int  // bytes given
	closed  bool // its EventText came: no more progress
}

func (f *follower) turn(n int) *turnText {
	t := f.texts[n]
	if t == nil {
		t = &turnText{}
		f.texts[n] = t
	}
	return t
}

func (f *follower) delta(turn int, s string) {
	if s != "" {
		f.fn(Event{Index: -1, Kind: EventTextDelta, Turn: turn, Text: s})
	}
}

// progress gives the text of a running request past what was given.
func (f *follower) progress(p ModelProgress) {
	t := f.turn(p.Turn)
	if t.closed {
		return
	}
	if p.Attempt != t.attempt {
		t.attempt, t.pos = p.Attempt, 0 // a retried request writes again
	}
	end := p.Offset + len(p.Text)
	if end <= t.pos {
		return
	}
	from := max(t.pos-p.Offset, 0) // past the window: the gap is lost
	f.delta(p.Turn, p.Text[from:])
	t.pos = end
}

// event passes ev on, after the rest of its turn's text when it is the
// turn's EventText.
func (f *follower) event(ev Event) {
	if ev.Kind == EventText {
		t := f.turn(ev.Turn)
		text := ev.Text
		if ev.Cut {
			text = strings.TrimSuffix(text, cutMark)
		}
		if !t.closed && t.pos < len(text) {
			f.delta(ev.Turn, text[t.pos:])
			t.pos = len(text)
		}
		t.closed = true
	}
	f.fn(ev)
}

// last gives the rest of the last response's text, which its EventText
// may have cut.
func (f *follower) last(out *RunOutput) {
	t := f.turn(out.Iterations)
	if t.pos < len(out.OutputText) {
		f.delta(out.Iterations, out.OutputText[t.pos:])
		t.pos = len(out.OutputText)
	}
}

// Pending lists the calls of the run of workflow id that wait for approval.
func Pending(ctx context.Context, c client.Client, id string) ([]PendingCall, error) {
	v, err := c.QueryWorkflow(ctx, id, "", QueryPending)
	if err != nil {
		return nil, fmt.Errorf("bridgetemporal: run %s: %w", id, err)
	}
	var out []PendingCall
	if err := v.Get(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// Approve lets a pending call of the run of workflow id run.
func Approve(ctx context.Context, c client.Client, id, callID string) error {
	return decide(ctx, c, id, Decision{CallID: callID, Approve: true})
}

// Deny answers a pending call with a denial the model reads, with reason.
func Deny(ctx context.Context, c client.Client, id, callID, reason string) error {
	return decide(ctx, c, id, Decision{CallID: callID, Reason: reason})
}

func decide(ctx context.Context, c client.Client, id string, d Decision) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: UpdateDecide, Args: []any{d}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("bridgetemporal: run %s: %w", id, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return fmt.Errorf("bridgetemporal: run %s: %w", id, err)
	}
	return nil
}

// Dial connects to the Temporal server at hostPort (opts.HostPort is set
// to it), failing within ctx's deadline, 10 s when it has none, with an
// error that names the address when the server cannot be reached.
func Dial(ctx context.Context, hostPort string, opts client.Options) (client.Client, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	opts.HostPort = hostPort
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("bridgetemporal: cannot reach the Temporal server at %s: %w", hostPort, err)
	}
	return c, nil
}
