// Command conformance-client is the client under test for the MCP
// conformance suite's client scenarios, built on mcpbridge's mcpclient.
//
// The suite runs it as
//
//	conformance-client [-scenario NAME] [-timeout D] [-v] SERVER_URL
//
// with the scenario's name in MCP_CONFORMANCE_SCENARIO (the -scenario flag
// overrides it). It logs to stderr and exits 0 when the client side of the
// scenario went through, 1 on an error, 2 for a usage error and 3 for a
// scenario it does not support. Whether the scenario passed is the suite's
// verdict, not this program's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mcpbridge/mcpbridge/rigs/conformance"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnsupported = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", os.Getenv(conformance.EnvScenario), "scenario name (default $"+conformance.EnvScenario+")")
	timeout := fs.Duration("timeout", 25*time.Second, "give up after this long (the suite's own limit is 30s)")
	verbose := fs.Bool("v", true, "log each step to stderr")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() < 1 || *scenario == "" {
		fmt.Fprintf(stderr, "usage: conformance-client [-scenario NAME] SERVER_URL (scenario also from $%s)\n", conformance.EnvScenario)
		return exitUsage
	}
	url := fs.Arg(fs.NArg() - 1) // the suite appends the URL last

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	logger.Info("running scenario", "scenario", *scenario, "url", url)
	err := conformance.Run(ctx, *scenario, url, logger, conformance.WithContext(os.Getenv(conformance.EnvContext)),
		conformance.WithProtocolVersion(os.Getenv(conformance.EnvProtocolVersion)))
	switch {
	case err == nil:
		logger.Info("scenario done", "scenario", *scenario)
		return exitOK
	case errors.Is(err, conformance.ErrUnsupported), errors.Is(err, conformance.ErrUnknownScenario):
		fmt.Fprintf(stderr, "conformance-client: %v\n", err)
		return exitUnsupported
	default:
		fmt.Fprintf(stderr, "conformance-client: %v\n", err)
		return exitFailed
	}
}
