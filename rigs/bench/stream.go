package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// Row 7: streaming. 7a is the latency streaming adds before the first text
// delta; 7b is what eager execution saves on a turn whose calls the model
// writes slowly; 7c is 7a through the bridge.
const (
	eagerCalls = 4
	eagerGap   = 250 * time.Millisecond // the model writes one call every 250 ms
	eagerFirst = time.Second            // the first call's tool is slow
	eagerOther = 100 * time.Millisecond // the others are quick
)

func rowStream(ctx context.Context, e *env) ([]Row, error) {
	a, err := rowFirstDelta(ctx, e)
	if err != nil {
		return nil, err
	}
	b, err := rowEager(ctx, e)
	if err != nil {
		return nil, err
	}
	c, err := rowBridgeFirstDelta(ctx, e) // stream_bridge.go
	if err != nil {
		return nil, err
	}
	return []Row{a, b, c}, nil
}

// rowFirstDelta is 7a: time from the request to the first text delta,
// through responses.Stream and through openai-go's stream alone.
func rowFirstDelta(ctx context.Context, e *env) (Row, error) {
	fake, api := newTextFake()
	defer fake.Close()
	params := prompt("hello")
	ours := func() (time.Duration, bool) {
		t := time.Now()
		var d time.Duration
		ok := true
		for ev, err := range responses.Stream(ctx, api, params, responses.Static(instant), responses.Options{}) {
			ok = ok && err == nil
			if ev.Kind == responses.EventTextDelta && d == 0 {
				d = time.Since(t)
			}
		}
		return d, ok
	}
	m, err := measureFirstDelta(ctx, e, ours, rawFirstDelta(ctx, api, params))
	if err != nil {
		return Row{}, err
	}
	e.logf("  7a: Stream %s, openai-go %s, %s", fmtDur(m.ours), fmtDur(m.raw), fmtDiff(m.ours-m.raw))
	return m.row("7a", "Streaming: time to the first text delta (fake API, no delays)",
		"responses.Stream ", "openai-go NewStreaming "), nil
}

// newTextFake starts a fake API that answers every request with one
// sentence of text, recording off.
func newTextFake() (*responsestest.Server, *oai.ResponseService) {
	fake := responsestest.New(func(*responsestest.Request) responsestest.Reply {
		return responsestest.Text("The weather in Paris is sunny with a light breeze all afternoon.")
	})
	fake.SetRecording(false)
	c := fake.Client()
	return fake, &c.Responses
}

// rawFirstDelta times the first text delta of openai-go's own stream of
// params: the baseline of rows 7a and 7c.
func rawFirstDelta(ctx context.Context, api *oai.ResponseService, params oai.ResponseNewParams) func() (time.Duration, bool) {
	return func() (time.Duration, bool) {
		t := time.Now()
		var d time.Duration
		st := api.NewStreaming(ctx, params)
		for st.Next() {
			if st.Current().Type == "response.output_text.delta" && d == 0 {
				d = time.Since(t)
			}
		}
		ok := st.Err() == nil
		_ = st.Close()
		return d, ok
	}
}

// firstDelta is a first-delta measurement: medians of both sides.
type firstDelta struct {
	ours, raw time.Duration
	n, errs   int
}

// measureFirstDelta warms both sides up, then runs them interleaved,
// alternating which goes first.
func measureFirstDelta(ctx context.Context, e *env, ours, raw func() (time.Duration, bool)) (firstDelta, error) {
	m := firstDelta{}
	run := func(f func() (time.Duration, bool)) time.Duration {
		d, ok := f()
		if !ok {
			m.errs++
		}
		return d
	}
	for range e.reps(20, 2) {
		run(ours)
		run(raw)
	}
	var os, rs []time.Duration
	for i := range e.reps(200, 20) {
		if ctx.Err() != nil {
			return m, ctx.Err()
		}
		if i%2 == 0 {
			os, rs = append(os, run(ours)), append(rs, run(raw))
		} else {
			rs, os = append(rs, run(raw)), append(os, run(ours))
		}
	}
	m.ours, m.raw, m.n = medianDur(os), medianDur(rs), len(os)
	return m, nil
}

// row is the table row of a first-delta measurement: target within 2 ms of
// openai-go's own stream.
func (m firstDelta) row(id, scenario, measured, baseline string) Row {
	diff := m.ours - m.raw
	return Row{
		ID:       id,
		Scenario: scenario,
		Measured: measured + fmtDur(m.ours),
		Baseline: baseline + fmtDur(m.raw),
		Ratio:    fmt.Sprintf("%.3f× (%s)", float64(m.ours)/float64(m.raw), fmtDiff(diff)),
		Target:   "≤ +2 ms",
		Met:      yesNo(diff <= 2*time.Millisecond && m.errs == 0),
		Errors:   m.errs,
		Notes:    fmt.Sprintf("median of %d interleaved requests each", m.n),
	}
}

var instant = responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
	return responses.Output{Text: "ok"}, nil
})

// eagerModel writes eagerCalls calls eagerGap apart, then answers.
func eagerModel(req *responsestest.Request) responsestest.Reply {
	if len(req.Outputs()) > 0 {
		return responsestest.Text("done")
	}
	calls := make([]responsestest.FunctionCall, eagerCalls)
	delays := make([]time.Duration, eagerCalls)
	for i := range calls {
		calls[i] = responsestest.FunctionCall{Name: fmt.Sprintf("tool%d", i), Arguments: "{}"}
		delays[i] = eagerGap
	}
	return responsestest.Calls(calls...).WithDelays(delays...)
}

// sleepExec sleeps eagerFirst for tool0 and eagerOther for the others.
var sleepExec = responses.ExecutorFunc(func(ctx context.Context, c responses.Call) (responses.Output, error) {
	d := eagerOther
	if c.Name == "tool0" {
		d = eagerFirst
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return responses.Output{Text: "slept"}, nil
	case <-ctx.Done():
		return responses.Output{}, ctx.Err()
	}
})

// rowEager is 7b: a turn where the model writes 4 calls 250 ms apart, the
// first tool taking 1 s and the others 100 ms, through Stream (calls start
// as their items arrive) and through Run (calls start when the whole
// response has arrived). The physical limit is max(first call's start + 1
// s, last call's arrival + 100 ms) = 1.25 s, plus the final turn.
func rowEager(ctx context.Context, e *env) (Row, error) {
	fake := responsestest.New(eagerModel)
	fake.SetRecording(false)
	defer fake.Close()
	c := fake.Client()
	api := &c.Responses
	params := prompt("eager")
	errs := 0
	check := func(res *responses.Result, err error) {
		if err != nil || res == nil || res.Iterations != 2 || len(res.Turns[0].Calls) != eagerCalls {
			errs++
		}
	}
	// Each run also reports when its calls were all done (the turn's end
	// for the loop) and how long the final turn took.
	type timing struct{ total, callsDone time.Duration }
	ours := func() timing {
		t := time.Now()
		var tm timing
		for ev, err := range responses.Stream(ctx, api, params, responses.Static(sleepExec), responses.Options{}) {
			if ev.Kind == responses.EventCallDone {
				tm.callsDone = time.Since(t)
			}
			if ev.Kind == responses.EventRunDone {
				check(ev.Result, err)
			}
		}
		tm.total = time.Since(t)
		return tm
	}
	waiting := func() timing {
		t := time.Now()
		var tm timing
		res, err := responses.Run(ctx, api, params, responses.Static(sleepExec), responses.Options{
			AfterCall: func(context.Context, responses.CallRecord) { tm.callsDone = time.Since(t) },
		})
		check(res, err)
		tm.total = time.Since(t)
		return tm
	}
	var os, ws []timing
	for i := range e.reps(3, 1) {
		if ctx.Err() != nil {
			return Row{}, ctx.Err()
		}
		if i%2 == 0 {
			os, ws = append(os, ours()), append(ws, waiting())
		} else {
			ws, os = append(ws, waiting()), append(os, ours())
		}
	}
	pick := func(ts []timing, f func(timing) time.Duration) time.Duration {
		ds := make([]time.Duration, len(ts))
		for i, t := range ts {
			ds[i] = f(t)
		}
		return medianDur(ds)
	}
	total := func(t timing) time.Duration { return t.total }
	done := func(t timing) time.Duration { return t.callsDone }
	mo, mw := pick(os, total), pick(ws, total)
	do := pick(os, done)
	limit := max(eagerGap+eagerFirst, eagerCalls*eagerGap+eagerOther)
	speedup := float64(mw) / float64(mo)
	overLimit := float64(do)/float64(limit) - 1
	e.logf("  7b: eager %s (calls done %s), waiting %s, limit %s", fmtDur(mo), fmtDur(do), fmtDur(mw), fmtDur(limit))
	return Row{
		ID:       "7b",
		Scenario: fmt.Sprintf("Eager execution: %d calls written %s apart, first tool %s, others %s, then a final answer", eagerCalls, eagerGap, eagerFirst, eagerOther),
		Measured: fmt.Sprintf("Stream %s (calls done at %s)", fmtDur(mo), fmtDur(do)),
		Baseline: fmt.Sprintf("Run, waiting for the whole response, %s", fmtDur(mw)),
		Ratio:    fmt.Sprintf("%.2f× faster; calls done %+.1f%% over the limit %s", speedup, overLimit*100, fmtDur(limit)),
		Target:   "≥ 1.5× and ≤ 5% over the limit",
		Met:      yesNo(speedup >= 1.5 && overLimit <= 0.05 && errs == 0),
		Errors:   errs,
		Notes: strings.Join([]string{
			fmt.Sprintf("median of %d interleaved runs each", len(os)),
			"limit = max(first call's start + its duration, last call's arrival + its duration)",
			"both runs include the final turn (a few ms)",
		}, "; "),
	}, nil
}
