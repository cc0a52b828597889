package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/internal/mcptest"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// rowBridgeFirstDelta is 7c: 7a through Bridge.Stream, with an in-process
// MCP server's tools in the request; the baseline sends the same tools
// through openai-go's stream alone.
func rowBridgeFirstDelta(ctx context.Context, e *env) (Row, error) {
	fake := responsestest.New(func(*responsestest.Request) responsestest.Reply {
		return responsestest.Text("The weather in Paris is sunny with a light breeze all afternoon.")
	})
	fake.SetRecording(false)
	defer fake.Close()
	c := fake.Client()
	api := &c.Responses
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("s", mcptest.NewServer())})
	if err != nil {
		return Row{}, err
	}
	defer b.Close()
	params := prompt("hello")
	withTools := params
	withTools.Tools = b.Tools()
	errs := 0
	ours := func() time.Duration {
		t := time.Now()
		var d time.Duration
		for ev, err := range b.Stream(ctx, api, params) {
			if err != nil {
				errs++
			}
			if ev.Kind == bridge.EventTextDelta && d == 0 {
				d = time.Since(t)
			}
		}
		return d
	}
	raw := func() time.Duration {
		t := time.Now()
		var d time.Duration
		st := api.NewStreaming(ctx, withTools)
		for st.Next() {
			if st.Current().Type == "response.output_text.delta" && d == 0 {
				d = time.Since(t)
			}
		}
		if st.Err() != nil {
			errs++
		}
		_ = st.Close()
		return d
	}
	for range e.reps(20, 2) {
		ours()
		raw()
	}
	var os, rs []time.Duration
	for i := range e.reps(200, 20) {
		if ctx.Err() != nil {
			return Row{}, ctx.Err()
		}
		if i%2 == 0 {
			os, rs = append(os, ours()), append(rs, raw())
		} else {
			rs, os = append(rs, raw()), append(os, ours())
		}
	}
	mo, mr := medianDur(os), medianDur(rs)
	diff := mo - mr
	e.logf("  7c: Bridge.Stream %s, openai-go %s, %s", fmtDur(mo), fmtDur(mr), fmtDiff(diff))
	return Row{
		ID:       "7c",
		Scenario: fmt.Sprintf("Streaming through the bridge: time to the first text delta (%d MCP tools, fake API, no delays)", len(withTools.Tools)),
		Measured: "Bridge.Stream " + fmtDur(mo),
		Baseline: "openai-go NewStreaming, same tools " + fmtDur(mr),
		Ratio:    fmt.Sprintf("%.3f× (%s)", float64(mo)/float64(mr), fmtDiff(diff)),
		Target:   "≤ +2 ms",
		Met:      yesNo(diff <= 2*time.Millisecond && errs == 0),
		Errors:   errs,
		Notes:    fmt.Sprintf("median of %d interleaved requests each", len(os)),
	}, nil
}
