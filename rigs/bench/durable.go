package main

// Row 9: durable runs on Temporal (bridge/bridgetemporal), against the
// Temporal server at TEMPORAL_ADDRESS (go run ./rigs/devtemporal go run
// ./rigs/bench -rows 9 starts a dev server). Worker processes are this
// binary started again with envDurableWorker set.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// Environment of a durable worker process.
const (
	envDurableWorker = "BENCH_DURABLE_WORKER" // the task queue
	envDurableAPI    = "BENCH_DURABLE_API"
)

func quietTemporal() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// durableWorkerMain is a worker process: the mcptest server in process,
// the bench's fake API, until SIGTERM or SIGKILL.
func durableWorkerMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "bench worker:", err); return 1 }
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("mcptest", mcptest.NewServer())})
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	c, err := bridgetemporal.Dial(ctx, os.Getenv("TEMPORAL_ADDRESS"), client.Options{Logger: quietTemporal()})
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	api := openai.NewClient(option.WithBaseURL(os.Getenv(envDurableAPI)), option.WithAPIKey(responsestest.FakeAPIKey))
	w := bridgetemporal.NewWorker(c, b, &api.Responses, bridgetemporal.WorkerOptions{TaskQueue: os.Getenv(envDurableWorker)})
	if err := w.Start(); err != nil {
		return fail(err)
	}
	fmt.Println("ready")
	<-ctx.Done()
	w.Stop()
	return 0
}

// benchWorker is a worker process of the bench.
type benchWorker struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

func startBenchWorker(queue, apiURL string) (*benchWorker, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envDurableWorker+"="+queue, envDurableAPI+"="+apiURL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &benchWorker{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := out.Read(buf)
		ready <- strings.Contains(string(buf[:n]), "ready")
		for {
			if _, err := out.Read(buf); err != nil {
				break
			}
		}
		_ = cmd.Wait()
		close(w.exited)
	}()
	select {
	case ok := <-ready:
		if !ok {
			w.stop()
			return nil, errors.New("worker process did not start")
		}
	case <-time.After(time.Minute):
		w.stop()
		return nil, errors.New("worker process did not start within a minute")
	}
	return w, nil
}

// peakRSS is the process's peak resident memory (VmHWM), 0 when unknown.
func (w *benchWorker) peakRSS() float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}

func (w *benchWorker) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(10 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}

func (w *benchWorker) kill() {
	_ = w.cmd.Process.Kill()
	<-w.exited
}

// rowDurable is row 9.
func rowDurable(ctx context.Context, e *env) ([]Row, error) {
	addr := os.Getenv("TEMPORAL_ADDRESS")
	if addr == "" {
		return []Row{{ID: "9", Scenario: "durable runs", Met: "skipped: TEMPORAL_ADDRESS not set (go run ./rigs/devtemporal go run ./rigs/bench -rows 9)"}}, nil
	}
	c, err := bridgetemporal.Dial(ctx, addr, client.Options{Logger: quietTemporal()})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var rows []Row
	for _, f := range []func(context.Context, *env, client.Client) (Row, error){durableOverhead, durableScale(1), durableScale(2), durableRecovery} {
		r, err := f(ctx, e, c)
		if err != nil {
			r.Met, r.Errors = "error: "+err.Error(), r.Errors+1
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// durableOverhead is row 9a: runs of `turns` turns (one instant call
// each) as durable runs on an in-process worker against Bridge.Run, on the
// same fake API and in-process MCP server; per-turn time of each run.
func durableOverhead(ctx context.Context, e *env, c client.Client) (Row, error) {
	row := Row{ID: "9a", Scenario: "durable per-turn overhead", Target: "≤ 25 ms p50 per turn"}
	turns := 5
	fake := newFake(turns - 1)
	defer fake.Close()
	api := fake.Client()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("mcptest", mcptest.NewServer())})
	if err != nil {
		return row, err
	}
	defer b.Close()
	queue := fmt.Sprintf("bench-overhead-%d", time.Now().UnixNano())
	w := bridgetemporal.NewWorker(c, b, &api.Responses, bridgetemporal.WorkerOptions{TaskQueue: queue})
	if err := w.Start(); err != nil {
		return row, err
	}
	defer w.Stop()

	var durable, sideEffect, direct []time.Duration
	runDurable := func(kind string, into *[]time.Duration) error {
		t := time.Now()
		run, err := bridgetemporal.Start(ctx, c, prompt(kind+":mcptest__"), bridgetemporal.RunOptions{TaskQueue: queue, MaxIterations: turns})
		if err != nil {
			return err
		}
		out, err := bridgetemporal.Result(ctx, c, run.GetID())
		if err != nil {
			return err
		}
		if out.Iterations != turns || out.Calls != turns-1 {
			return fmt.Errorf("durable run: %d turns, %d calls", out.Iterations, out.Calls)
		}
		*into = append(*into, time.Since(t)/time.Duration(turns))
		return nil
	}
	runDirect := func() error {
		t := time.Now()
		res, err := b.Run(ctx, &api.Responses, prompt("echo:mcptest__"), bridge.WithMaxIterations(turns))
		if bad := checkResult(res, err, turns-1); bad > 0 {
			return fmt.Errorf("Bridge.Run: %d errors (%v)", bad, err)
		}
		direct = append(direct, time.Since(t)/time.Duration(turns))
		return nil
	}
	var warm []time.Duration
	_ = runDurable("echo", &warm) // warm up: the workflow cache, connections
	reps := e.reps(40, 8)
	for range reps {
		if err := runDurable("echo", &durable); err != nil {
			row.Errors++
		}
		if err := runDirect(); err != nil {
			row.Errors++
		}
		if err := runDurable("add", &sideEffect); err != nil {
			row.Errors++
		}
	}
	if len(durable) == 0 || len(direct) == 0 || len(sideEffect) == 0 {
		return row, errors.New("no run completed")
	}
	p50, p99 := percentile(durable, 0.5), percentile(durable, 0.99)
	s50, s99 := percentile(sideEffect, 0.5), percentile(sideEffect, 0.99)
	b50, b99 := percentile(direct, 0.5), percentile(direct, 0.99)
	row.Measured = fmt.Sprintf("p50 %s, p99 %s per turn (read-only call); p50 %s, p99 %s (call with side effects)", fmtDur(p50), fmtDur(p99), fmtDur(s50), fmtDur(s99))
	row.Baseline = fmt.Sprintf("Bridge.Run p50 %s, p99 %s per turn", fmtDur(b50), fmtDur(b99))
	row.Ratio = fmt.Sprintf("%.0fx (p50), +%s per turn; %.0fx, +%s with side effects", float64(p50)/float64(b50), fmtDur(p50-b50), float64(s50)/float64(b50), fmtDur(s50-b50))
	row.Met = yesNo(p50 <= 25*time.Millisecond && s50 <= 25*time.Millisecond)
	row.Notes = fmt.Sprintf("%d runs of %d turns each, interleaved; one worker in the bench process, local dev server (SQLite in memory). A read-only call starts in the model request's activity (1 workflow task a turn); a call with side effects waits for the recorded response (2)", len(durable), turns)
	return row, nil
}

// durableScale is rows 9b and 9c: n concurrent durable runs of 2 turns on
// `workers` worker processes.
func durableScale(workers int) func(context.Context, *env, client.Client) (Row, error) {
	return func(ctx context.Context, e *env, c client.Client) (Row, error) {
		id := map[int]string{1: "9b", 2: "9c"}[workers]
		runs := e.reps(1000, 100)
		row := Row{ID: id, Scenario: fmt.Sprintf("%d concurrent durable runs, %d worker process(es)", runs, workers), Target: "0 errors"}
		fake := newFake(1)
		defer fake.Close()
		queue := fmt.Sprintf("bench-scale-%d-%d", workers, time.Now().UnixNano())
		var procs []*benchWorker
		defer func() {
			for _, p := range procs {
				p.stop()
			}
		}()
		for range workers {
			p, err := startBenchWorker(queue, fake.URL+"/v1/")
			if err != nil {
				return row, err
			}
			procs = append(procs, p)
		}
		start := time.Now()
		var errs atomic.Int64
		var wg sync.WaitGroup
		ids := make(chan string, runs)
		sem := make(chan struct{}, 64) // starts in flight
		for range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				run, err := bridgetemporal.Start(ctx, c, prompt("echo:mcptest__"), bridgetemporal.RunOptions{TaskQueue: queue})
				<-sem
				if err != nil {
					errs.Add(1)
					return
				}
				ids <- run.GetID()
			}()
		}
		wg.Wait()
		close(ids)
		for runID := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := bridgetemporal.Result(ctx, c, runID)
				if err != nil || out.Calls != 1 || out.Iterations != 2 {
					errs.Add(1)
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		var mem []float64
		for _, p := range procs {
			mem = append(mem, p.peakRSS())
		}
		row.Errors = int(errs.Load())
		row.Measured = fmt.Sprintf("%.0f runs/s (%s for %d)", float64(runs)/elapsed.Seconds(), fmtDur(elapsed), runs)
		row.Baseline = "-"
		memText := make([]string, len(mem))
		for i, m := range mem {
			memText[i] = fmtBytes(m)
		}
		row.Ratio = "peak RSS per worker " + strings.Join(memText, ", ")
		row.Met = yesNo(row.Errors == 0)
		row.Notes = fmt.Sprintf("each run: 2 turns, 1 call; the server, the workers and the bench share the machine's %d CPUs", runtime.NumCPU())
		return row, nil
	}
}

// durableRecovery is row 9d: a worker is SIGKILLed while a 60 s tool call
// runs; the time from the kill to the run's next model request, on the
// worker that was already polling.
func durableRecovery(ctx context.Context, e *env, c client.Client) (Row, error) {
	row := Row{ID: "9d", Scenario: "recovery after a worker's SIGKILL mid-call", Target: "< 15 s"}
	var mu sync.Mutex
	var requests []time.Time
	called := make(chan struct{}, 8)
	m := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "mcptest__sleep", Arguments: `{"ms":60000}`}}}
	h := m.Handler()
	fake := responsestest.New(func(req *responsestest.Request) responsestest.Reply {
		mu.Lock()
		requests = append(requests, time.Now())
		mu.Unlock()
		r := h(req)
		if len(req.Outputs()) == 0 {
			called <- struct{}{}
		}
		return r
	})
	fake.SetValidation(false)
	defer fake.Close()
	var times []time.Duration
	for i := range e.reps(3, 1) {
		queue := fmt.Sprintf("bench-recovery-%d-%d", i, time.Now().UnixNano())
		a, err := startBenchWorker(queue, fake.URL+"/v1/")
		if err != nil {
			return row, err
		}
		run, err := bridgetemporal.Start(ctx, c, prompt("sleep"), bridgetemporal.RunOptions{TaskQueue: queue})
		if err != nil {
			a.stop()
			return row, err
		}
		<-called
		time.Sleep(time.Second) // the call is running on a
		bw, err := startBenchWorker(queue, fake.URL+"/v1/")
		if err != nil {
			a.stop()
			return row, err
		}
		mu.Lock()
		before := len(requests)
		mu.Unlock()
		killed := time.Now()
		a.kill()
		out, err := bridgetemporal.Result(ctx, c, run.GetID())
		bw.stop()
		if err != nil || out.Calls != 1 {
			row.Errors++
			continue
		}
		mu.Lock()
		if len(requests) > before {
			times = append(times, requests[before].Sub(killed))
		}
		mu.Unlock()
	}
	if len(times) == 0 {
		return row, errors.New("no run recovered")
	}
	med := medianDur(times)
	row.Measured = fmt.Sprintf("%s (median of %d)", fmtDur(med), len(times))
	row.Baseline = "heartbeat timeout 10 s"
	row.Ratio = "-"
	row.Met = yesNo(med < 15*time.Second)
	row.Notes = "kill to the next model request on the other worker; the 60 s call is answered as interrupted (it has no idempotent hint), its slot freed at the heartbeat timeout, not the call's"
	return row, nil
}

// percentile returns the p-quantile of ds (nearest rank).
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s)) + 0.5)
	return s[min(max(i-1, 0), len(s)-1)]
}
