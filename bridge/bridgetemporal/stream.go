package bridgetemporal

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"
	"go.temporal.io/sdk/activity"

	"github.com/mcpbridge/mcpbridge/responses"
)

// StreamOptions say how a model request streams (ModelInput.Stream).
type StreamOptions struct {
	// Turn is the response's number in the run, counted across
	// executions (Event.Turn); the heartbeat details carry it.
	Turn int
	// Eager, when set, is the input of the calls that start as soon as
	// the model has written them (its Call filled in for each): calls the
	// worker may retry (WorkerOptions.retries: readOnlyHint,
	// idempotentHint, WorkerOptions.Retry), that the Loop does not refuse
	// and that need no approval. Any other call waits for the response to
	// be recorded in history and runs as an activity of its own.
	Eager *CallInput `json:",omitempty"`
	// RequireApproval and MaxConcurrency are the run's (RunOptions).
	RequireApproval bool `json:",omitempty"`
	MaxConcurrency  int  `json:",omitempty"`
}

// EagerResult is the output of a call a model request ran while the model
// wrote the response.
type EagerResult struct {
	CallID string
	CallResult
}

// ModelProgress is the heartbeat detail of a streaming model request: the
// text the model has written so far in this attempt, as a window of at
// most maxProgressText bytes ending at the newest byte. Follow reads it
// from the run's pending activity (DescribeWorkflowExecution): it never
// enters history.
type ModelProgress struct {
	Turn    int
	Attempt int32
	// Offset is the position of Text in the response's text.
	Offset int
	Text   string
}

// maxProgressText bounds the text a heartbeat carries.
const maxProgressText = 32 << 10

// progressEvery is how often a streaming request records its text when it
// changed; the worker's heartbeat throttle (DefaultFollowInterval unless
// set) decides how often it reaches the server.
const progressEvery = 50 * time.Millisecond

// stream sends one streamed request: it records the text as heartbeat
// details and runs the eligible calls as their items complete. It returns
// the completed response (or the terminal one) and the outputs of the
// eager calls the completed response has, once they are done; the calls it
// does not have are cancelled. The calls that must wait for history start
// when the workflow has the response, after the eager ones are done.
func (a *Activities) stream(ctx context.Context, api responses.StreamAPI, body oai.ResponseNewParams, tb *toolBox, in ModelInput) (*oai.Response, []EagerResult, error) {
	so := in.Stream
	pr := &progress{p: ModelProgress{Turn: so.Turn}}
	if activity.IsActivity(ctx) {
		pr.p.Attempt = activity.GetInfo(ctx).Attempt
	}
	stop := pr.heartbeat(ctx)
	defer stop()

	ectx, cancel := context.WithCancel(ctx)
	e := &eagerCalls{a: a, tb: tb, ctx: ectx, byID: map[string]*eagerCall{}}
	defer func() { cancel(); e.wg.Wait() }() // no call outlives the activity
	var l *responses.Loop
	if so.Eager != nil {
		e.sem = make(chan struct{}, max(so.MaxConcurrency, 1))
		lopts := responses.Options{MaxOutputBytes: so.Eager.MaxOutputBytes}
		if so.RequireApproval {
			lopts.Approve = askedByWorkflow
		}
		l = responses.NewLoop(oai.ResponseNewParams{}, nil, lopts)
	}
	resp, err := responses.StreamResponse(ctx, api, body, tb.box.Exec, func(ev responses.Event) {
		switch ev.Kind {
		case responses.EventTextDelta:
			pr.add(ev.Delta)
		case responses.EventFunctionCall:
			if l != nil && a.eager(l, tb, ev.Call) {
				c := *so.Eager
				c.Call = ev.Call
				e.start(c)
			}
		}
	}, option.WithMaxRetries(0))
	if err != nil || l == nil || len(e.byID) == 0 {
		return resp, nil, err
	}
	// The calls of the completed response, read by the Loop as the
	// workflow's Loop will read them; a response the workflow will not
	// continue from has none.
	step, serr := responses.NewLoop(oai.ResponseNewParams{}, nil, responses.Options{}).Response(resp)
	if serr != nil {
		return resp, nil, nil
	}
	var out []EagerResult
	for _, c := range step.Calls {
		ec := e.byID[c.CallID]
		if ec == nil {
			continue // the workflow runs it, after the response is recorded
		}
		streamed := ec.in.Call
		streamed.Route = responses.Route{}
		if streamed != c {
			continue // changed since it was streamed: cancelled below, run by the workflow
		}
		select {
		case <-ec.done:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		if ec.err == nil {
			out = append(out, EagerResult{CallID: c.CallID, CallResult: ec.res})
		}
	}
	return resp, out, nil
}

// eager says whether a streamed call may start before its response is
// recorded: the Loop would run it (not refused), it needs no approval, and
// it may be retried, since a model request that is retried brings new call
// ids and runs its calls again. The activity's Loop has no loaded set, so
// a deferred function of client tool search never starts early; the
// workflow's Loop, which has the run's set, decides it after the response.
func (a *Activities) eager(l *responses.Loop, tb *toolBox, c responses.Call) bool {
	if c.Route.Server == "" || c.Hosted != "" {
		return false
	}
	if _, refused := l.Refused(c); refused {
		return false
	}
	pre := false
	if p, ok := tb.box.Exec.(responses.Preapprover); ok {
		pre = p.Preapproved(c)
	}
	if l.NeedsApproval(pre) {
		return false
	}
	return a.opts.retries(c.Route)
}

// eagerCalls are the calls a streaming model request started.
type eagerCalls struct {
	a    *Activities
	tb   *toolBox
	ctx  context.Context
	sem  chan struct{}
	byID map[string]*eagerCall
	wg   sync.WaitGroup
}

type eagerCall struct {
	in   CallInput
	done chan struct{}
	res  CallResult
	err  error
}

func (e *eagerCalls) start(in CallInput) {
	ec := &eagerCall{in: in, done: make(chan struct{})}
	e.byID[in.Call.CallID] = ec
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(ec.done)
		select {
		case e.sem <- struct{}{}:
			defer func() { <-e.sem }()
		case <-e.ctx.Done():
			ec.err = e.ctx.Err()
			return
		}
		ec.res, ec.err = e.a.execute(e.ctx, e.tb, in, nil)
	}()
}

// progress is the text of a streaming request and its heartbeats.
type progress struct {
	mu      sync.Mutex
	p       ModelProgress
	text    strings.Builder // the window: p.Offset on
	changed bool
}

func (pr *progress) add(delta string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.text.WriteString(delta)
	if pr.text.Len() > 2*maxProgressText {
		s := pr.text.String()
		cut := len(s) - maxProgressText
		for cut < len(s) && s[cut]&0xC0 == 0x80 { // a rune boundary
			cut++
		}
		pr.p.Offset += cut
		pr.text.Reset()
		pr.text.WriteString(s[cut:])
	}
	pr.changed = true
}

// details returns the heartbeat details: the newest maxProgressText bytes.
func (pr *progress) details() ModelProgress {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	d := pr.p
	s := pr.text.String()
	if len(s) > maxProgressText {
		cut := len(s) - maxProgressText
		for cut < len(s) && s[cut]&0xC0 == 0x80 {
			cut++
		}
		d.Offset += cut
		s = s[cut:]
	}
	d.Text = s
	pr.changed = false
	return d
}

// heartbeat records heartbeats until stop is called: the text when it
// changed, and at least every second (as heartbeat does) so a dead worker
// is noticed.
func (pr *progress) heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	every := heartbeatEvery(ctx)
	var last time.Time
	return tickUntilStopped(ctx, progressEvery, func() {
		pr.mu.Lock()
		changed := pr.changed
		pr.mu.Unlock()
		if now := time.Now(); changed || now.Sub(last) >= every {
			activity.RecordHeartbeat(ctx, pr.details())
			last = now
		}
	})
}
