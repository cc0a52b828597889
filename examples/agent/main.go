// Command agent answers one prompt with a model served by the OpenAI
// Responses API, using the tools of the MCP servers listed in a config file
// written for Claude Desktop, Claude Code, Cursor, VS Code, Windsurf, Gemini
// CLI or LiteLLM (see config.Parse). Keys of the file that are not
// used are reported on stderr as warnings.
//
//	go run ./examples/agent --config mcp.json [--model M] [--max-iterations N] [--header 'K: V'] "prompt"
//	go run ./examples/agent --config mcp.json --login SERVER [--token-file F] [--open-browser]
//
// --login runs the OAuth authorization of one HTTP or SSE server in a
// browser (the URL is printed on stderr; the redirect comes back to a
// loopback port) and stores the token in the token file (0600; default
// under the user's config directory), which later runs use for servers
// with an OAuth block and for the servers a token was stored for.
//
// Large tool sets: --tool-search auto|client|hosted|off (default auto: the
// model searches for tools when there are more than 64) and --namespaces
// (each server's tools in one namespace).
//
// A server that cannot start stops the agent with the reason, unless
// --skip-failed-servers is given: then it is left out and named on stderr.
// Each server has --connect-timeout (default 30s) to start and list its
// tools; the whole run has --timeout (default 5m). A reason that is a
// timeout names the flag that sets it.
//
// OPENAI_API_KEY and OPENAI_BASE_URL are honoured, so the agent also works
// through a gateway: point OPENAI_BASE_URL at it and add its headers with
// --header. The answer goes to stdout as the model writes it (--no-stream:
// when the run is over), a log of tool calls to stderr: one line per call,
// progress report and result.
// The exit status is 0 on success and 1 otherwise, with a one-line reason.
//
// A server that asks the person for input while a tool runs
// (elicitation) is answered on the terminal: each form field is asked with
// its type and default, a URL to open is printed and Enter confirms it.
// When stdin is not a terminal the agent declines; when no answer comes
// within --elicit-timeout it cancels.
//
// --require-approval asks on the terminal before every call the config
// does not auto-approve (alwaysAllow, autoApprove), and denies when stdin
// is not a terminal. A server with "hosted": true in the config is sent to
// the Responses API as its own mcp tool, which the API reaches itself
// (hosted.go): its calls show as "<= server/tool (hosted)" lines and the
// approvals the API asks for go through --require-approval like the
// others. Durable runs on Temporal (durable.go):
//
//	go run ./examples/agent worker --temporal HOST:PORT --config FILE [--task-queue Q]
//	go run ./examples/agent --temporal HOST:PORT --config FILE [--no-worker] [--require-approval] PROMPT
//	go run ./examples/agent --temporal HOST:PORT --attach ID
//	go run ./examples/agent pending --temporal HOST:PORT ID
//	go run ./examples/agent approve --temporal HOST:PORT ID CALL_ID
//	go run ./examples/agent deny --temporal HOST:PORT ID CALL_ID [reason]
//
// The run prints "workflow: ID" on stderr; the default task queue is
// mcpbridge. Subcommands are recognised only as the first argument:
// agent -- worker ... makes the rest a prompt.
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
	"syscall"
	"time"
	"unicode"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/config"
)

// headerFlags collects repeated --header 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string { return strings.Join(*h, ", ") }

func (h *headerFlags) Set(v string) error {
	name, _, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q is not in the form 'Name: value'", v)
	}
	*h = append(*h, v)
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent:", oneLine(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && subcommands[args[0]] { // durable.go
		return subcommand(ctx, args[0], args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configPath   = fs.String("config", "mcp.json", "MCP servers config (mcpServers/servers JSON, or LiteLLM YAML)")
		model        = fs.String("model", envOr("OPENAI_MODEL", "gpt-5-mini"), "model name (env OPENAI_MODEL)")
		maxIter      = fs.Int("max-iterations", 10, "maximum model turns")
		instructions = fs.String("instructions", "", "system instructions sent with every turn")
		strict       = fs.Bool("strict", false, "make strict-compatible tool schemas strict")
		timeout      = fs.Duration("timeout", 5*time.Minute, "overall time limit")
		connTimeout  = fs.Duration("connect-timeout", 30*time.Second, "time limit for each server to start and list its tools")
		skipFailed   = fs.Bool("skip-failed-servers", false, "leave out servers that cannot start instead of failing")
		elicitWait   = fs.Duration("elicit-timeout", 5*time.Minute, "how long a server's question on the terminal waits for an answer")
		headers      headerFlags
		noStream     = addStreamFlags(fs) // stream.go
	)
	fs.Var(&headers, "header", "extra HTTP header for the Responses API, 'Name: value' (repeatable)")
	loginOpts := addLoginFlags(fs)       // login.go
	searchOptions := toolSearchFlags(fs) // toolsearch.go
	durable := addDurableFlags(fs)       // durable.go
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: agent [flags] prompt...\n\n"+
			"Answers the prompt with the tools of the MCP servers in --config.\n"+
			"Environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if loginOpts.hasLogin() {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return login(ctx, loginOpts, *configPath, stderr)
	}
	if *durable.attach != "" {
		if *durable.temporal == "" {
			return errors.New("--attach needs --temporal HOST:PORT")
		}
		c, err := dial(ctx, *durable.temporal)
		if err != nil {
			return err
		}
		defer c.Close()
		return follow(ctx, c, *durable.attach, *durable.temporal, stdout, stderr)
	}
	prompt := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if prompt == "" {
		return errors.New("no prompt given")
	}
	if os.Getenv("OPENAI_API_KEY") == "" && os.Getenv("OPENAI_BASE_URL") == "" {
		return errors.New("OPENAI_API_KEY is not set (or set OPENAI_BASE_URL for a gateway)")
	}
	servers, warnings, err := config.Load(*configPath)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s: %s\n", *configPath, w)
	}
	if err != nil {
		return err
	}
	if len(servers) == 0 {
		return fmt.Errorf("%s lists no enabled server", *configPath)
	}
	if err := loginOpts.applyTokens(ctx, servers); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var reqOpts []option.RequestOption
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		reqOpts = append(reqOpts, option.WithHeader(strings.TrimSpace(name), strings.TrimSpace(value)))
	}
	client := openai.NewClient(reqOpts...)

	params := oai.ResponseNewParams{
		Model: *model,
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String(prompt)},
	}
	if *instructions != "" {
		params.Instructions = openai.String(*instructions)
	}

	if *durable.temporal != "" { // durable.go: the workers hold the servers
		return runDurable(ctx, durable, *configPath, params, *maxIter, stdout, stderr)
	}
	opts := append(searchOptions(), // toolsearch.go
		bridge.WithMaxIterations(*maxIter),
		bridge.WithConnectTimeout(*connTimeout),
		bridge.WithElicitation(terminalElicitation(os.Stdin, stderr, *elicitWait)), // elicit.go
	)
	if *skipFailed {
		opts = append(opts, bridge.WithSkipFailedServers())
	}
	if *durable.requireApproval {
		opts = append(opts, bridge.WithApproval(terminalApproval(os.Stdin, stderr)))
	}
	if *strict {
		opts = append(opts, bridge.WithStrict())
	}
	b, err := bridge.New(ctx, servers, opts...)
	if err != nil {
		return timeoutHint(ctx, *timeout, loginHint(err))
	}
	defer b.Close()
	for _, m := range b.MissingServers() {
		fmt.Fprintf(stderr, "left out: %s\n", oneLine(m))
	}
	if !*noStream { // stream.go
		return timeoutHint(ctx, *timeout, loginHint(streamAnswer(ctx, b, &client.Responses, params, stdout, stderr)))
	}
	res, err := b.Run(ctx, &client.Responses, params,
		bridge.WithBeforeCall(func(_ context.Context, c bridge.Call) { fmt.Fprintln(stderr, callLine(c)) }),
		bridge.WithAfterCall(func(_ context.Context, r bridge.CallRecord) { fmt.Fprintln(stderr, doneLine(r)) }),
	)
	if res != nil {
		logSearches(stderr, res)
		logHosted(stderr, res) // hosted.go
	}
	if err != nil {
		return timeoutHint(ctx, *timeout, loginHint(err))
	}
	fmt.Fprintf(stderr, "done: %d turn(s), %d tokens\n", res.Iterations, res.Usage.TotalTokens)
	// The answer is the model's text, which may echo what a tool or a
	// hostile API put in it: print it without terminal controls.
	fmt.Fprintln(stdout, printable(res.OutputText, true))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// timeoutHint says which of the agent's limits ran out and which flag
// changes it (the library's message names the Go option).
func timeoutHint(ctx context.Context, overall time.Duration, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bridge.ErrConnectTimeout):
		return fmt.Errorf("%w (agent: --connect-timeout)", err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("timed out after %s (the agent's overall limit; --timeout changes it): %w", overall, err)
	}
	return err
}

// printable removes what a terminal would act on rather than show: control
// characters (escape sequences, NUL, carriage return, C1 controls; newlines
// only when keepNewlines is false) and the bidirectional formatting
// characters that reorder text on screen. Invalid UTF-8 becomes U+FFFD.
func printable(s string, keepNewlines bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && keepNewlines, r == '\t':
			return r
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// clip shortens s to n bytes on one line for the log. Line breaks become
// spaces, so the parts of an output (text, "[image: ...]") stay apart.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(printable(s, true)), " ")
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}

// oneLine flattens an error to one printable line, so the exit reason is
// one line and cannot drive the terminal.
func oneLine(err error) string {
	msg := err.Error()
	if len(msg) > 2000 {
		msg = msg[:2000] // an error may quote a huge server message
	}
	// Line breaks (a StartError lists one server per line) become "; "
	// and every run of spaces and tabs one space.
	msg = strings.Join(strings.Fields(printable(strings.ReplaceAll(msg, "\n", "; "), false)), " ")
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "") + "..."
	}
	return msg
}
