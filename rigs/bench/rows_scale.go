package main

// Rows 3 to 5: startup, conversion and scale.

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3/option"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
	"github.com/mcpbridge/mcpbridge/rigs/schemagen"
)

// rowStartup is row 3: bridge.New with 20 stdio servers against 1. 3a uses
// the test server as is: it answers at once, so starting it is pure CPU
// (exec, Go runtime, mcp-go) and 20 of them are bounded by the machine's
// cores; the row reports that CPU and the floor it sets. 3b gives every
// server a startup latency that is not CPU (loading data, connecting to a
// backend), the case where connecting one after another hurts.
func rowStartup(ctx context.Context, e *env) ([]Row, error) {
	bin, err := e.serverBinary()
	if err != nil {
		return nil, err
	}
	const delay = 150 * time.Millisecond
	var rows []Row
	for _, v := range []struct {
		id, scenario string
		args         []string
	}{
		{"3a", "Startup: bridge.New with 20 stdio servers (mcptestserver, answers at once) vs 1", nil},
		{"3b", fmt.Sprintf("Startup: bridge.New with 20 stdio servers that take %s to start vs 1", delay),
			[]string{"-startup-delay", delay.String()}},
	} {
		errs := 0
		measure := func(n int) (wall, cpu time.Duration, err error) {
			servers := make([]bridge.Server, n)
			for i := range servers {
				servers[i] = bridge.Stdio(fmt.Sprintf("s%02d", i), bin, v.args...)
			}
			self0, children0 := cpuSelf(), cpuChildren()
			t := time.Now()
			b, err := bridge.New(ctx, servers)
			wall = time.Since(t)
			self := cpuSelf() - self0
			if err != nil {
				return 0, 0, err
			}
			if got := n - len(b.MissingServers()); got != n {
				errs++
			}
			if err := b.Close(); err != nil {
				errs++
			}
			// Close reaped the processes, so their CPU is counted now; it
			// also covers their shutdown, a little more than their start.
			return wall, self + cpuChildren() - children0, nil
		}
		if _, _, err := measure(1); err != nil { // warm the page cache
			return nil, err
		}
		reps := e.reps(7, 2)
		var one, twenty, cpu20 []time.Duration
		for i := range reps {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			for _, n := range [][2]int{{1, 20}, {20, 1}}[i%2] {
				d, cpu, err := measure(n)
				if err != nil {
					return nil, err
				}
				if n == 1 {
					one = append(one, d)
				} else {
					twenty = append(twenty, d)
					cpu20 = append(cpu20, cpu)
				}
			}
		}
		m1, m20, c20 := medianDur(one), medianDur(twenty), medianDur(cpu20)
		ratio := float64(m20) / float64(m1)
		cpus := runtime.NumCPU()
		floor := c20 / time.Duration(cpus)
		e.logf("  %s: 1 server %s, 20 servers %s, %.2fx (CPU %s, floor on %d CPUs %s)", v.id, fmtDur(m1), fmtDur(m20), ratio, fmtDur(c20), cpus, fmtDur(floor))
		notes := fmt.Sprintf("median of %d interleaved; spawn + initialize + tools/list per server; 1: %s, 20: %s; one at a time would be ≈ %s",
			reps, spread(one), spread(twenty), fmtDur(20*m1))
		if c20 > 0 {
			notes += fmt.Sprintf("; CPU for 20 (bridge during New + the servers) %s = %s per server, so on %d CPUs no schedule can start 20 in under %s (20 servers took %.2f× that floor)",
				fmtDur(c20), fmtDur(c20/20), cpus, fmtDur(floor), float64(m20)/float64(floor))
		}
		rows = append(rows, Row{
			ID:       v.id,
			Scenario: v.scenario,
			Measured: "20 servers " + fmtDur(m20),
			Baseline: "1 server " + fmtDur(m1),
			Ratio:    fmt.Sprintf("%.2f×", ratio),
			Target:   "< 2×",
			Met:      yesNo(ratio < 2 && errs == 0),
			Errors:   errs,
			Notes:    notes,
		})
	}
	return rows, nil
}

// syntheticServers returns schemagen.Servers as convert server tool lists.
func syntheticServers(servers, n int, seed int64) []convert.ServerTools {
	gen := schemagen.Servers(servers, n, seed)
	out := make([]convert.ServerTools, len(gen))
	for i, s := range gen {
		out[i].Server = s.Name
		for _, t := range s.Tools {
			out[i].Tools = append(out[i].Tools, convert.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema})
		}
	}
	return out
}

// rowConversion is row 4: converting 5,000 synthetic tools cold, against
// reconverting the unchanged set through a Converter.
func rowConversion(ctx context.Context, e *env) ([]Row, error) {
	const tools = 5000
	servers := syntheticServers(10, tools, 1)
	reps := e.reps(7, 2)
	var rows []Row
	for _, v := range []struct {
		id   string
		opts convert.Options
		name string
	}{
		{"4a", convert.Options{}, "default options"},
		{"4b", convert.Options{Strict: true}, "Strict: true"},
	} {
		conv := convert.NewConverter(v.opts)
		primed, err := conv.Convert(servers)
		if err != nil {
			return rows, err
		}
		errs := 0
		var cold, warm []time.Duration
		var coldAllocs, coldBytes, warmAllocs, warmBytes []float64
		for range reps {
			if ctx.Err() != nil {
				return rows, ctx.Err()
			}
			runtime.GC()
			var set *convert.ToolSet
			var d time.Duration
			m, by := memDelta(func() {
				t := time.Now()
				set, err = convert.Convert(servers, v.opts)
				d = time.Since(t)
			})
			if err != nil || len(set.Tools) != len(primed.Tools) {
				errs++
			}
			cold, coldAllocs, coldBytes = append(cold, d), append(coldAllocs, float64(m)), append(coldBytes, float64(by))
			runtime.GC()
			m, by = memDelta(func() {
				t := time.Now()
				set, err = conv.Convert(servers)
				d = time.Since(t)
			})
			if err != nil || len(set.Tools) != len(primed.Tools) {
				errs++
			}
			warm, warmAllocs, warmBytes = append(warm, d), append(warmAllocs, float64(m)), append(warmBytes, float64(by))
		}
		mc, mw := medianDur(cold), medianDur(warm)
		per := func(d time.Duration) string { return fmtDur(d / tools) }
		ratio := float64(mc) / float64(mw)
		e.logf("  %s: cold %s, warm %s, %.1fx", v.id, fmtDur(mc), fmtDur(mw), ratio)
		rows = append(rows, Row{
			ID:       v.id,
			Scenario: fmt.Sprintf("Conversion: %d synthetic tools on 10 servers (schemagen.Servers), %s", tools, v.name),
			Measured: fmt.Sprintf("cold convert.Convert %s: %s/tool, %.0f allocs/tool, %s/tool",
				fmtDur(mc), per(mc), median(coldAllocs)/tools, fmtBytes(median(coldBytes)/tools)),
			Baseline: fmt.Sprintf("unchanged reconvert (Converter) %s: %s/tool, %.1f allocs/tool, %s/tool",
				fmtDur(mw), per(mw), median(warmAllocs)/tools, fmtBytes(median(warmBytes)/tools)),
			Ratio:  fmt.Sprintf("cold/warm %.1f×", ratio),
			Target: "report (cheap; reconvert only on change)",
			Met:    "n/a",
			Errors: errs,
			Notes:  fmt.Sprintf("median of %d; cold %s, warm %s", reps, spread(cold), spread(warm)),
		})
	}
	return rows, nil
}

// heapObjectBytes reads the bytes of heap objects (live and not yet swept)
// without stopping the world.
func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// rowScale is row 5: 1,000 concurrent runs on one bridge against the same
// runs one after another.
func rowScale(ctx context.Context, e *env) ([]Row, error) {
	n := e.reps(1000, 200)
	fake := responsestest.New(responsestest.ToolCaller(responsestest.FunctionCall{Name: "mcptest__echo", Arguments: `{"text":"hi"}`}))
	fake.SetRecording(false)
	fake.SetValidation(false) // measure the bridge, not the fake
	defer fake.Close()
	// A pool big enough for n runs at once: with net/http's default of 2
	// idle connections per host, nearly every request would dial anew.
	tr := &http.Transport{MaxIdleConns: 2 * n, MaxIdleConnsPerHost: 2 * n, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	c := fake.Client(option.WithHTTPClient(&http.Client{Transport: tr}))
	api := &c.Responses
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("mcptest", mcptest.NewServer())})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	params := prompt("scale")
	var errs atomic.Int64
	runOne := func() {
		res, err := b.Run(ctx, api, params)
		if bad := checkResult(res, err, 1); bad > 0 {
			errs.Add(int64(bad))
		}
	}
	for range 20 { // warm-up
		runOne()
	}

	reps := e.reps(3, 1)
	var seq, conc []time.Duration
	var allocPerRun, heapPerRun []float64
	peakG := 0
	for range reps {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t := time.Now()
		for range n {
			runOne()
		}
		seq = append(seq, time.Since(t))

		runtime.GC()
		base := heapObjectBytes()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var peak atomic.Uint64
		stopSampler := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				if h := heapObjectBytes(); h > peak.Load() {
					peak.Store(h)
				}
				if g := runtime.NumGoroutine(); g > peakG {
					peakG = g
				}
				select {
				case <-stopSampler:
					return
				case <-tick.C:
				}
			}
		}()
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				runOne()
			}()
		}
		t = time.Now()
		close(start)
		wg.Wait()
		conc = append(conc, time.Since(t))
		close(stopSampler)
		<-sampled
		runtime.ReadMemStats(&after)
		allocPerRun = append(allocPerRun, float64(after.TotalAlloc-before.TotalAlloc)/float64(n))
		heapPerRun = append(heapPerRun, float64(peak.Load()-min(peak.Load(), base))/float64(n))
	}
	ms, mc := medianDur(seq), medianDur(conc)
	tpSeq := float64(n) / ms.Seconds()
	tpConc := float64(n) / mc.Seconds()
	ratio := tpConc / tpSeq
	nerr := int(errs.Load())
	e.logf("  5: sequential %.0f runs/s, concurrent %.0f runs/s, %d errors", tpSeq, tpConc, nerr)
	return []Row{{
		ID:       "5",
		Scenario: fmt.Sprintf("Scale: %d concurrent Bridge.Run on one bridge (in-process server, 1 tool call per run)", n),
		Measured: fmt.Sprintf("%d at once: %.0f runs/s (%s)", n, tpConc, fmtDur(mc)),
		Baseline: fmt.Sprintf("same %d one after another: %.0f runs/s (%s)", n, tpSeq, fmtDur(ms)),
		Ratio:    fmt.Sprintf("%.2f× throughput", ratio),
		Target:   "0 errors",
		Met:      yesNo(nerr == 0),
		Errors:   nerr,
		Notes: fmt.Sprintf("median of %d; memory per run: %s allocated, %s peak heap in use while all %d are in flight; peak %d goroutines; includes the fake server in the same process",
			reps, fmtBytes(median(allocPerRun)), fmtBytes(median(heapPerRun)), n, peakG),
	}}, nil
}
