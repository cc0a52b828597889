package main

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// rowBridgeFirstDelta is 7c: 7a through Bridge.Stream, with an in-process
// MCP server's tools in the request; the baseline sends the same tools
// through openai-go's stream alone.
func rowBridgeFirstDelta(ctx context.Context, e *env) (Row, error) {
	fake, api := newTextFake()
	defer fake.Close()
	b, err := bridge.New(ctx, []bridge.Server{bridge.InProcess("s", mcptest.NewServer())})
	if err != nil {
		return Row{}, err
	}
	defer b.Close()
	params := prompt("hello")
	withTools := params
	withTools.Tools = b.RequestTools()
	ours := func() (time.Duration, bool) {
		t := time.Now()
		var d time.Duration
		ok := true
		for ev, err := range b.Stream(ctx, api, params) {
			ok = ok && err == nil
			if ev.Kind == bridge.EventTextDelta && d == 0 {
				d = time.Since(t)
			}
		}
		return d, ok
	}
	m, err := measureFirstDelta(ctx, e, ours, rawFirstDelta(ctx, api, withTools))
	if err != nil {
		return Row{}, err
	}
	e.logf("  7c: Bridge.Stream %s, openai-go %s, %s", fmtDur(m.ours), fmtDur(m.raw), fmtDiff(m.ours-m.raw))
	return m.row("7c",
		fmt.Sprintf("Streaming through the bridge: time to the first text delta (%d MCP tools, fake API, no delays)", len(withTools.Tools)),
		"Bridge.Stream ", "openai-go NewStreaming, same tools "), nil
}
