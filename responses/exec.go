package responses

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

type indexed struct {
	i   int
	rec CallRecord
}

// execute runs the calls of one turn, at most MaxConcurrency at a time, and
// returns their records in call order. A failing or slow call never stops
// the others. When ctx ends first it returns at once with the finished
// records and, for the rest, records whose Err is the context's error; the
// abandoned executors keep their (cancelled) context and finish on their own.
func (r *runner) execute(ctx context.Context, exec Executor, calls []Call) ([]CallRecord, error) {
	n := len(calls)
	calls = append([]Call(nil), calls...)
	for i := range calls {
		calls[i] = routed(exec, calls[i])
	}
	done := make(chan indexed, n) // buffered: workers never block on a departed collector
	var next atomic.Int64
	workers := min(r.opts.MaxConcurrency, n)
	for range workers {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if ctx.Err() != nil {
					done <- indexed{i, r.interrupted(calls[i], ctx.Err())}
					continue
				}
				done <- indexed{i, r.runCall(ctx, exec, calls[i])}
			}
		}()
	}

	records := make([]CallRecord, n)
	got := make([]bool, n)
	for range n {
		select {
		case d := <-done:
			records[d.i], got[d.i] = d.rec, true
		case <-ctx.Done():
			err := ctx.Err()
			// Keep the records that are already finished.
			for drained := false; !drained; {
				select {
				case d := <-done:
					records[d.i], got[d.i] = d.rec, true
				default:
					drained = true
				}
			}
			for i := range records {
				if !got[i] {
					records[i] = r.interrupted(calls[i], err)
				}
			}
			return records, fmt.Errorf("responses: running tool calls: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return records, fmt.Errorf("responses: running tool calls: %w", err)
	}
	return records, nil
}

// interrupted is the record of a call the caller's context stopped.
func (r *runner) interrupted(c Call, err error) CallRecord { return r.loop.Interrupted(c, err) }

func errorOutput(err error) Output { return ErrorOutput(err) }

// rerunInterrupted prepares the pending records of a ResumePoint: records
// interrupted by a cancelled context are run again, with the Executor of a
// fresh Toolbox, and the others are kept.
func (r *runner) rerunInterrupted(ctx context.Context, pending []CallRecord) ([]CallRecord, error) {
	out := append([]CallRecord(nil), pending...)
	var idx []int
	var calls []Call
	for i, rec := range out {
		if errors.Is(rec.Err, context.Canceled) || errors.Is(rec.Err, context.DeadlineExceeded) {
			if rec.Search != nil { // a client tool search: toolsearch.go
				out[i] = r.rerunSearch(ctx, rec)
				continue
			}
			idx = append(idx, i)
			calls = append(calls, rec.Call)
		}
	}
	if len(calls) == 0 {
		return out, nil
	}
	box, err := r.src.Toolbox(ctx)
	if err == nil && box.Exec == nil {
		err = errNoExecutor
	}
	if err != nil {
		return out, fmt.Errorf("responses: tools: %w", err)
	}
	recs, err := r.execute(ctx, box.Exec, calls)
	for j, i := range idx {
		out[i] = recs[j]
	}
	return out, err
}

// runCall takes one call through the hooks and the executor. Every failure
// becomes an output the model can read; the Loop builds every record.
func (r *runner) runCall(ctx context.Context, exec Executor, c Call) (rec CallRecord) {
	start := time.Now()
	ctx = r.opts.Observer.StartCall(ctx, c)
	defer func() { r.opts.Observer.EndCall(ctx, rec) }()
	defer func() {
		rec.Duration = time.Since(start)
		r.log.Debug("tool call", "name", c.Name, "call_id", c.CallID, "duration", rec.Duration,
			"ok", rec.Err == nil && !rec.Output.IsError, "denied", rec.Denied)
		if r.opts.AfterCall != nil {
			r.hook("AfterCall", func() { r.opts.AfterCall(ctx, rec) })
		}
	}()
	if r.opts.BeforeCall != nil {
		r.hook("BeforeCall", func() { r.opts.BeforeCall(ctx, c) })
	}
	if refused, ok := r.loop.Refused(c); ok {
		return refused
	}
	if r.loop.NeedsApproval(preapproved(exec, c)) {
		ok, reason, err := r.approve(ctx, c)
		if err != nil {
			return r.loop.Completed(c, Output{}, fmt.Errorf("call to %s was not approved: %w", c.Name, err))
		}
		if !ok {
			return r.loop.Denied(c, reason)
		}
	}
	if c.Hosted != "" {
		return r.loop.Completed(c, Output{}, nil) // approved: the API runs it
	}
	out, err := r.invoke(ctx, exec, c)
	return r.loop.Completed(c, out, err)
}

// routed returns c with the route the turn's executor gives it (see
// Router). A malformed call goes nowhere; a Router that panics routes
// nothing (the call itself still runs, and Execute's panic is recovered
// as usual).
func routed(exec Executor, c Call) (out Call) {
	rt, ok := exec.(Router)
	if !ok || c.malformed != "" {
		return c
	}
	out = c
	defer func() {
		if recover() != nil {
			out.Route = Route{}
		}
	}()
	out.Route = rt.Route(c)
	return out
}

// preapproved reports whether the turn's executor says c needs no approval.
func preapproved(exec Executor, c Call) bool {
	p, ok := exec.(Preapprover)
	return ok && p.Preapproved(c)
}

func (r *runner) approve(ctx context.Context, c Call) (ok bool, reason string, err error) {
	defer func() {
		if v := recover(); v != nil {
			ok, err = false, fmt.Errorf("%w: Approve hook: %v", ErrCallPanic, v)
		}
	}()
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	ok, reason = r.opts.Approve(ctx, c)
	return ok, reason, nil
}

// hook runs an observer and keeps its panic from taking the run down.
func (r *runner) hook(name string, fn func()) {
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("hook panicked", "hook", name, "panic", fmt.Sprint(v))
		}
	}()
	fn()
}

type execResult struct {
	out Output
	err error
}

// invoke calls the executor, recovering a panic, bounded by CallTimeout.
func (r *runner) invoke(ctx context.Context, exec Executor, c Call) (Output, error) {
	if r.opts.CallTimeout <= 0 {
		res := safeExecute(ctx, exec, c)
		return res.out, res.err
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	defer cancel()
	ch := make(chan execResult, 1)
	go func() { ch <- safeExecute(cctx, exec, c) }()
	select {
	case res := <-ch:
		if res.err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			// The executor gave up because of our deadline.
			return Output{}, fmt.Errorf("%w after %s (the run's call timeout: Options.CallTimeout, bridge.WithCallTimeout): %s", ErrCallTimeout, r.opts.CallTimeout, c.Name)
		}
		return res.out, res.err
	case <-cctx.Done():
		if err := ctx.Err(); err != nil {
			return Output{}, err
		}
		// A stuck call: abandon it; its goroutine ends when the executor returns.
		return Output{}, fmt.Errorf("%w after %s (the run's call timeout: Options.CallTimeout, bridge.WithCallTimeout): %s", ErrCallTimeout, r.opts.CallTimeout, c.Name)
	}
}

func safeExecute(ctx context.Context, exec Executor, c Call) (res execResult) {
	defer func() {
		if v := recover(); v != nil {
			res = execResult{err: fmt.Errorf("%w: %s: %v", ErrCallPanic, c.Name, v)}
		}
	}()
	out, err := exec.Execute(ctx, c)
	return execResult{out, err}
}
