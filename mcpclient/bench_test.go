package mcpclient_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// BenchmarkConnectLegacySilent measures Connect (spawn, initialize,
// notifications/initialized) against a legacy stdio server that ignores
// methods it does not know, offering 2025-11-25 (no probe) and with the
// default (2026-07-28 first): the probe is answered by nobody, the ping
// sent with it is, and the handshake follows after the probe's grace
// instead of mcp-go's 5s discover timeout.
func BenchmarkConnectLegacySilent(b *testing.B) {
	for _, version := range []string{mcp.LATEST_LEGACY_PROTOCOL_VERSION, ""} {
		cfg := stdioConfig("bench", "-mode", mcptest.ModeLegacySilent)
		cfg.ProtocolVersion = version
		b.Run("offer="+cmp.Or(version, "default"), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				c, err := mcpclient.Connect(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = c.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkInitializeRoundTrip is the floor for the benchmark above: spawn
// the same server and do one bare initialize request/response by hand.
func BenchmarkInitializeRoundTrip(b *testing.B) {
	req, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 1, "method": "initialize",
		"params": map[string]any{
			"protocolVersion": mcp.LATEST_LEGACY_PROTOCOL_VERSION,
			"capabilities":    map[string]any{},
			"clientInfo":      map[string]any{"name": "bench", "version": "0"},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	req = append(req, '\n')
	for b.Loop() {
		cmd := exec.Command(serverBin, "-mode", mcptest.ModeLegacySilent)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if _, err := stdin.Write(req); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err != nil || len(line) == 0 {
			b.Fatal("no initialize response", err)
		}
		b.StopTimer()
		_ = stdin.Close()
		_ = cmd.Wait()
		b.StartTimer()
	}
}

// BenchmarkCloseManyStdio measures closing 300 stdio servers at once, as
// Bridge.Close does: each close looks for the server's descendants and
// waits for its process group to be gone. Ideally it takes about one
// server's exit time, whatever the number of servers; reading the whole
// process table for every server made it grow with the square of it.
func BenchmarkCloseManyStdio(b *testing.B) {
	const n = 300
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		clients := make([]*mcpclient.Client, n)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := mcpclient.Connect(ctx, stdioConfig(fmt.Sprintf("s%d", i)))
				if err != nil {
					b.Error(err)
					return
				}
				clients[i] = c
			}()
		}
		wg.Wait()
		b.StartTimer()
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c != nil {
					_ = c.Close()
				}
			}()
		}
		wg.Wait()
	}
}
