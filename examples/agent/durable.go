package main

// Durable runs on Temporal (package bridge/bridgetemporal):
//
//	agent worker --temporal HOST:PORT --config FILE [--task-queue Q]
//	agent --temporal HOST:PORT --config FILE [--no-worker] [--require-approval] PROMPT
//	agent --temporal HOST:PORT --attach ID
//	agent pending --temporal HOST:PORT ID
//	agent approve --temporal HOST:PORT ID CALL_ID
//	agent deny --temporal HOST:PORT ID CALL_ID [reason]
//
// Subcommands are recognised only as the first argument; `agent -- worker`
// makes "worker" the prompt. --require-approval without --temporal asks on
// the terminal, and denies when stdin is not one.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"golang.org/x/term"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/config"
)

// durableFlags are the flags of durable runs on the main command.
type durableFlags struct {
	temporal        *string
	taskQueue       *string
	noWorker        *bool
	requireApproval *bool
	attach          *string
}

func addDurableFlags(fs *flag.FlagSet) durableFlags {
	return durableFlags{
		temporal:        fs.String("temporal", "", "run durably on the Temporal server at HOST:PORT"),
		taskQueue:       fs.String("task-queue", bridgetemporal.DefaultTaskQueue, "Temporal task queue of the workers"),
		noWorker:        fs.Bool("no-worker", false, "with --temporal: run no worker in this process (workers elsewhere do the run)"),
		requireApproval: fs.Bool("require-approval", false, "every call the config does not auto-approve needs approval (on the terminal, or with agent approve under --temporal)"),
		attach:          fs.String("attach", "", "with --temporal: follow the run of this workflow id and print its answer"),
	}
}

// subcommands are the durable subcommands, recognised as the first argument.
var subcommands = map[string]bool{"worker": true, "pending": true, "approve": true, "deny": true}

// subcommand runs agent worker, pending, approve or deny.
func subcommand(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	temporal := fs.String("temporal", "", "Temporal server HOST:PORT (required)")
	var configPath, taskQueue *string
	if name == "worker" {
		configPath = fs.String("config", "mcp.json", "MCP servers config")
		taskQueue = fs.String("task-queue", bridgetemporal.DefaultTaskQueue, "task queue to poll")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *temporal == "" {
		return fmt.Errorf("%s: --temporal HOST:PORT is required", name)
	}
	rest := fs.Args()
	want := map[string][2]int{"worker": {0, 0}, "pending": {1, 1}, "approve": {2, 2}, "deny": {2, 3}}[name]
	if len(rest) < want[0] || len(rest) > want[1] {
		usage := map[string]string{"worker": "agent worker --temporal HOST:PORT --config FILE [--task-queue Q]",
			"pending": "agent pending --temporal HOST:PORT ID", "approve": "agent approve --temporal HOST:PORT ID CALL_ID",
			"deny": "agent deny --temporal HOST:PORT ID CALL_ID [reason]"}[name]
		return fmt.Errorf("usage: %s", usage)
	}
	c, err := dial(ctx, *temporal)
	if err != nil {
		return err
	}
	defer c.Close()
	switch name {
	case "worker":
		return runWorker(ctx, c, *configPath, *taskQueue, nil, stderr)
	case "pending":
		calls, err := bridgetemporal.Pending(ctx, c, rest[0])
		if err != nil {
			return err
		}
		for _, p := range calls {
			fmt.Fprintf(stdout, "%s %s %s\n", printable(p.CallID, false), printable(p.Server+"/"+p.Tool, false), printable(p.Arguments, false))
		}
		return nil
	case "approve":
		return bridgetemporal.Approve(ctx, c, rest[0], rest[1])
	default:
		reason := ""
		if len(rest) == 3 {
			reason = rest[2]
		}
		return bridgetemporal.Deny(ctx, c, rest[0], rest[1], reason)
	}
}

func dial(ctx context.Context, hostPort string) (client.Client, error) {
	// The SDK's own logs would mix with the tool lines on stderr.
	quiet := tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	return bridgetemporal.Dial(ctx, hostPort, client.Options{Logger: quiet})
}

// runWorker runs a worker with the servers of configPath until ctx ends
// (SIGINT, SIGTERM) or, when stop is not nil, until stop is closed.
func runWorker(ctx context.Context, c client.Client, configPath, queue string, stop <-chan struct{}, stderr io.Writer) error {
	if os.Getenv("OPENAI_API_KEY") == "" && os.Getenv("OPENAI_BASE_URL") == "" {
		return errors.New("OPENAI_API_KEY is not set (or set OPENAI_BASE_URL for a gateway)")
	}
	servers, warnings, err := config.Load(configPath)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s: %s\n", configPath, w)
	}
	if err != nil {
		return err
	}
	b, err := bridge.New(ctx, servers)
	if err != nil {
		return err
	}
	defer b.Close()
	api := openai.NewClient()
	w := bridgetemporal.NewWorker(c, b, &api.Responses, bridgetemporal.WorkerOptions{TaskQueue: queue})
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer w.Stop()
	if stop == nil {
		fmt.Fprintf(stderr, "worker: polling task queue %s\n", queue)
	}
	select {
	case <-ctx.Done():
	case <-stop:
	}
	return nil
}

// runDurable starts the run as a workflow, runs a worker in this process
// unless --no-worker, follows the run and prints its answer.
func runDurable(ctx context.Context, d durableFlags, configPath string, params oai.ResponseNewParams, maxIter int, stdout, stderr io.Writer) error {
	c, err := dial(ctx, *d.temporal)
	if err != nil {
		return err
	}
	defer c.Close()
	var wg sync.WaitGroup
	var workerErr error
	stop := make(chan struct{})
	defer func() { close(stop); wg.Wait() }()
	if !*d.noWorker {
		wg.Add(1)
		go func() {
			defer wg.Done()
			workerErr = runWorker(ctx, c, configPath, *d.taskQueue, stop, stderr)
		}()
	}
	run, err := bridgetemporal.Start(ctx, c, params, bridgetemporal.RunOptions{
		TaskQueue: *d.taskQueue, RequireApproval: *d.requireApproval, MaxIterations: maxIter,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "workflow: %s\n", run.GetID())
	err = follow(ctx, c, run.GetID(), *d.temporal, stdout, stderr)
	if err != nil && workerErr != nil {
		return fmt.Errorf("%w (worker: %v)", err, workerErr)
	}
	return err
}

// follow prints the events of a run on stderr and its answer on stdout,
// as the model writes it.
func follow(ctx context.Context, c client.Client, id, hostPort string, stdout, stderr io.Writer) error {
	answer := &answerWriter{w: stdout}
	out, err := bridgetemporal.Follow(ctx, c, id, 200*time.Millisecond, func(ev bridgetemporal.Event) {
		switch ev.Kind {
		case bridgetemporal.EventTextDelta:
			answer.write(ev.Turn, printable(ev.Text, true))
		case bridgetemporal.EventCall:
			fmt.Fprintf(stderr, "-> %s %s\n", clip(ev.Call.Function, 100), clip(ev.Call.Arguments, 200))
		case bridgetemporal.EventAwaitingApproval:
			fmt.Fprintf(stderr, "?? %s %s awaits approval: agent approve --temporal %s %s %s\n",
				clip(ev.Call.Function, 100), clip(ev.Call.Arguments, 200), hostPort, id, printable(ev.Call.CallID, false))
		case bridgetemporal.EventCallDone:
			status := "ok"
			switch {
			case ev.Output.Denied:
				status = "denied"
			case ev.Output.IsError:
				status = "error"
			}
			fmt.Fprintf(stderr, "<- %s %s: %s\n", clip(ev.Call.Function, 100), status, clip(ev.Output.Text, 200))
		case bridgetemporal.EventSearch:
			fmt.Fprintf(stderr, "search: %s\n", clip(ev.Text, 200))
		}
	})
	if err != nil {
		answer.cut()
		return err
	}
	answer.end()
	fmt.Fprintf(stderr, "done: %d turn(s), %d tokens\n", out.Iterations, out.Usage.TotalTokens)
	return nil
}

// terminalApproval asks on the terminal whether a call may run; it denies
// when stdin is not a terminal (nobody to ask). golang.org/x/term tells a
// terminal from other character devices such as /dev/null.
func terminalApproval(stdin *os.File, stderr io.Writer) func(ctx context.Context, call bridge.Call) (bool, string) {
	var mu sync.Mutex
	in := bufio.NewReader(stdin)
	return func(ctx context.Context, call bridge.Call) (bool, string) {
		if !term.IsTerminal(int(stdin.Fd())) { // /dev/null is a character device, not a terminal
			return false, "approval required and stdin is not a terminal"
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "?? run %s %s? [y/N] ", clip(callName(call), 100), clip(call.Arguments, 200))
		line, _ := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a == "y" || a == "yes" {
			return true, ""
		}
		return false, "denied by the user"
	}
}
