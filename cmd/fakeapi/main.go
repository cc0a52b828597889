// Command fakeapi serves a fake OpenAI Responses API on loopback, with a
// scripted model instead of a real one, so a program (the agent example,
// or your own) runs offline with no API key:
//
//	go run ./cmd/fakeapi --script script.json
//	  http://127.0.0.1:40123/v1
//	OPENAI_BASE_URL=http://127.0.0.1:40123/v1 go run ./examples/agent --config mcp.json "prompt"
//
// It prints its base URL as the first line on stdout, then logs every
// request on stderr, one line each: the model, the prompt or the outputs
// sent back, what it answered, and why a request was refused. It checks
// each request as the API does (package responsestest) and answers a bad
// one with the API's HTTP 400.
//
// The script is a JSON array of replies, played once per conversation (a
// request with previous_response_id gets the reply after the one it
// continues; any other request starts from the top). Each reply has one
// of:
//
//	{"text": "The answer."}                                  an assistant message
//	{"calls": [{"name": "tools__add", "arguments": {"a": 1}}]} function calls
//	{"results": true}                                        a message listing the tool outputs sent back
//	{"error": {"status": 429, "code": "rate_limit_exceeded", "message": "slow down"}}
//
// and may add "reasoning": "summary". Without --script every request is
// answered with "echo: " and its prompt. It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fakeapi:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakeapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0: any free port)")
	scriptPath := fs.String("script", "", "JSON file of scripted replies (default: echo the prompt)")
	quiet := fs.Bool("quiet", false, "do not log requests")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: fakeapi [--addr 127.0.0.1:PORT] [--script FILE]\n\n"+
			"Serves a fake Responses API on loopback and prints its base URL;\n"+
			"point OPENAI_BASE_URL at it.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	handler := responsestest.Echo()
	if *scriptPath != "" {
		f, err := os.Open(*scriptPath)
		if err != nil {
			return err
		}
		steps, err := parseScript(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *scriptPath, err)
		}
		handler = newScripted(steps).handle
	}
	api, err := responsestest.Listen(*addr, handler)
	if err != nil {
		return err
	}
	defer api.Close()
	api.SetRecording(false) // a long-running fake must not keep every request
	if !*quiet {
		var mu sync.Mutex
		api.OnRequest(func(r *responsestest.Request) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(stderr, requestLine(r))
		})
	}
	base := api.URL + "/v1"
	fmt.Fprintln(stdout, base)
	fmt.Fprintf(stderr, "fakeapi: listening; run your program with OPENAI_BASE_URL=%s OPENAI_API_KEY=%s\n", base, responsestest.FakeAPIKey)
	<-ctx.Done()
	return nil
}

// requestLine describes one request in a line: its number, model, what it
// carries, and the problems when it was refused.
func requestLine(r *responsestest.Request) string {
	what := fmt.Sprintf("prompt %q", clip(r.Prompt(), 80))
	if outs := r.Outputs(); len(outs) > 0 {
		what = fmt.Sprintf("%d tool output(s)", len(outs))
	}
	line := fmt.Sprintf("#%d model %q, %d tool(s), %s", r.Index+1, clip(r.Model, 40), len(r.Tools), what)
	if r.ValidationErr != nil {
		line += "; refused with 400: " + clip(r.ValidationErr.Error(), 400)
	}
	return line
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}
