// Command bench measures mcpbridge against baselines and prints a markdown
// table. Every row is a ratio of two things measured side by side in the
// same run, on the same fake Responses API server (internal/fakeapi, request
// recording off) and the same MCP servers (rigs/mcptest, in process or
// the stdio test binary):
//
//  1. Parallel turn: 8 calls of a 200 ms tool in one turn, the bridge against
//     the reference guide's sequential algorithm.
//  2. Loop overhead: 1,000 turns of an instant tool, the bridge against a
//     minimal loop written directly on openai-go and mcp-go (the floor).
//  3. Startup: bridge.New with 20 stdio servers against 1.
//  4. Conversion: 5,000 synthetic tools, a cold convert.Convert against a
//     reconversion of the unchanged set through a convert.Converter.
//  5. Scale: 1,000 concurrent runs on one bridge against the same runs one
//     after another; errors and memory per run.
//  6. Peer: rows 1 and 2 run by the OpenAI Agents SDK for JavaScript against
//     the bridge, both over the stdio test server.
//  7. Streaming: time to the first text delta through responses.Stream
//     against openai-go's stream alone; eager execution of calls the model
//     writes slowly against Run, which waits for the whole response.
//  8. Tool search.
//  9. Durable runs on Temporal (needs TEMPORAL_ADDRESS): per-turn overhead
//     against Bridge.Run, 1,000 concurrent runs on 1 and 2 worker
//     processes, recovery after a worker's SIGKILL.
//
// Usage:
//
//	go run ./rigs/bench [-quick] [-rows 1,2,...] [-out FILE] [-cpuprofile FILE]
//
// The machine the bench runs on is usually shared and small, so every
// measurement is repeated, the two sides of a ratio are interleaved, and
// medians are reported.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if os.Getenv(envDurableWorker) != "" { // a worker process of row 9 (durable.go)
		os.Exit(durableWorkerMain())
	}
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

// mainErr parses args, runs the bench and returns the exit code.
func mainErr(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "fewer repetitions and smaller sizes (CI smoke run, under a minute)")
	rows := fs.String("rows", "1,2,3,4,5,6,7,8,9", "comma-separated rows to run")
	out := fs.String("out", "", "also write the table to this file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	verbose := fs.Bool("v", true, "log progress to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	sel, err := parseRows(*rows)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logw := io.Discard
	if *verbose {
		logw = stderr
	}
	cfg := Config{Quick: *quick, Rows: sel, Log: logw}
	start := time.Now()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	table := res.Markdown()
	fmt.Fprint(stdout, table)
	fmt.Fprintf(logw, "bench: done in %s\n", time.Since(start).Round(time.Millisecond))
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}
	return 0
}

// parseRows reads a "1,2,5" row list.
func parseRows(s string) ([]int, error) {
	seen := map[int]bool{}
	var rows []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > len(rowFuncs) {
			return nil, fmt.Errorf("bad row %q: rows are 1..%d", f, len(rowFuncs))
		}
		if !seen[n] {
			seen[n] = true
			rows = append(rows, n)
		}
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows selected")
	}
	sort.Ints(rows)
	return rows, nil
}
