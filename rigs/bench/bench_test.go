package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestQuickRun is a smoke run of rows 1-8 in quick mode: every row must
// measure something with zero errors. It never judges speed: the Met
// column is whatever this (shared, noisy) machine gave. Row 9 (durable
// runs) starts worker processes from the bench binary and needs a Temporal
// server; the crash tests of bridge/bridgetemporal exercise the same paths.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the quick bench takes about a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var log bytes.Buffer
	res, err := Run(ctx, Config{Quick: true, Log: &log, Rows: []int{1, 2, 3, 4, 5, 6, 7, 8}})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	want := []string{"1a", "1b", "1c", "2", "3a", "3b", "4a", "4b", "5", "6a", "6b", "6c", "7a", "7b", "7c", "8a", "8b", "8c"}
	var got []string
	peerSkipped := ""
	for _, row := range res.Rows {
		got = append(got, row.ID)
		switch {
		case strings.HasPrefix(row.Met, "skipped: "):
			// Only the peer row may be skipped, and only off CI.
			if !strings.HasPrefix(row.ID, "6") {
				t.Errorf("row %s skipped: %s", row.ID, row.Met)
			} else {
				peerSkipped = row.Met
			}
			continue
		case strings.HasPrefix(row.Met, "error: "):
			t.Errorf("row %s: %s", row.ID, row.Met)
			continue
		}
		if row.Errors != 0 {
			t.Errorf("row %s: %d errors (%s)", row.ID, row.Errors, row.Notes)
		}
		if row.Measured == "" || row.Baseline == "" || row.Ratio == "" {
			t.Errorf("row %s is missing a measurement: %+v", row.ID, row)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rows = %v, want %v", got, want)
	}
	table := res.Markdown()
	if !strings.HasPrefix(table, "| Row | Scenario |") || !strings.Contains(table, "quick run, ") {
		t.Errorf("unexpected table:\n%s", table)
	}
	t.Logf("\n%s", table)
	if peerSkipped != "" {
		interop.Unavailable(t, "the peer row was %s", peerSkipped)
	}
}

func TestParseRows(t *testing.T) {
	rows, err := parseRows("3, 1,3")
	if err != nil || len(rows) != 2 || rows[0] != 1 || rows[1] != 3 {
		t.Errorf("parseRows = %v, %v", rows, err)
	}
	for _, bad := range []string{"", "0", "10", "x"} {
		if _, err := parseRows(bad); err == nil {
			t.Errorf("parseRows(%q) accepted", bad)
		}
	}
}
