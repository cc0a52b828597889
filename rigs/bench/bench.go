package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// Config selects what Run measures.
type Config struct {
	// Quick uses fewer repetitions and smaller sizes, for a smoke run.
	Quick bool
	// Rows lists the rows to run (1-based); empty runs all.
	Rows []int
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Row is one line of the table: a measurement, the thing it is compared
// with, and their ratio.
type Row struct {
	ID       string // "1", "6b", ...
	Scenario string
	Measured string // the bridge side
	Baseline string // what it is compared with
	Ratio    string
	Target   string
	Met      string // "yes", "no", "n/a", "skipped: ...", "error: ..."
	Errors   int    // failed runs or calls observed while measuring
	Notes    string
}

// Result is the outcome of a bench run.
type Result struct {
	Rows     []Row
	Quick    bool
	Started  time.Time
	Duration time.Duration
}

// Columns are the table's column headers, in order.
var Columns = []string{"Row", "Scenario", "Bridge", "Compared with", "Ratio", "Target", "Met", "Errors", "Notes"}

// Markdown renders the result as a markdown table.
func (r *Result) Markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(Columns, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(Columns)) + "\n")
	for _, row := range r.Rows {
		cells := []string{row.ID, row.Scenario, row.Measured, row.Baseline, row.Ratio, row.Target, row.Met, fmt.Sprint(row.Errors), row.Notes}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "\n%s run, %s, %d CPUs, GOMAXPROCS %d, %s, took %s\n",
		mode, r.Started.UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), r.Duration.Round(time.Second))
	return b.String()
}

// env holds what several rows share: the stdio test server binary, the
// module root and the log.
type env struct {
	quick bool
	log   io.Writer

	binOnce sync.Once
	bin     string
	binErr  error
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "bench: "+format+"\n", args...)
}

// reps picks the repetition count for the mode.
func (e *env) reps(full, quick int) int {
	if e.quick {
		return quick
	}
	return full
}

// serverBinary builds the mcptest stdio server once.
func (e *env) serverBinary() (string, error) {
	e.binOnce.Do(func() {
		t := time.Now()
		e.bin, e.binErr = mcptest.Build()
		if e.binErr == nil {
			e.logf("built %s in %s", filepath.Base(e.bin), time.Since(t).Round(time.Millisecond))
		}
	})
	return e.bin, e.binErr
}

type rowFunc func(ctx context.Context, e *env) ([]Row, error)

// rowFuncs are the rows in table order.
var rowFuncs = []struct {
	name string
	fn   rowFunc
}{
	{"parallel turn", rowParallel},
	{"loop overhead", rowLoop},
	{"startup", rowStartup},
	{"conversion", rowConversion},
	{"scale", rowScale},
	{"peer", rowPeer},
	{"streaming", rowStream},
	{"tool search", rowToolSearch}, // toolsearch.go
	{"durable", rowDurable},        // durable.go
}

// Run measures the selected rows. A row that fails becomes a row saying so;
// only a cancelled context stops the whole run.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	e := &env{quick: cfg.Quick, log: log}
	defer mcptest.RemoveBuilt()
	rows := cfg.Rows
	if len(rows) == 0 {
		for i := range rowFuncs {
			rows = append(rows, i+1)
		}
	}
	rows = append([]int(nil), rows...)
	sort.Ints(rows)
	res := &Result{Quick: cfg.Quick, Started: time.Now()}
	for _, n := range rows {
		if n < 1 || n > len(rowFuncs) {
			return nil, fmt.Errorf("no row %d", n)
		}
		rf := rowFuncs[n-1]
		e.logf("row %d (%s)...", n, rf.name)
		t := time.Now()
		got, err := rf.fn(ctx, e)
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if err != nil {
			got = append(got, Row{ID: fmt.Sprint(n), Scenario: rf.name, Met: "error: " + err.Error(), Errors: 1})
		}
		e.logf("row %d done in %s", n, time.Since(t).Round(time.Millisecond))
		res.Rows = append(res.Rows, got...)
	}
	res.Duration = time.Since(res.Started)
	return res, nil
}

// moduleRoot finds the directory of go.mod, starting at the working
// directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
