package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/responses"
)

// addStreamFlags registers --no-stream; it reports whether it was given.
func addStreamFlags(fs *flag.FlagSet) *bool {
	return fs.Bool("no-stream", false, "print the answer when the run is over instead of as the model writes it")
}

// streamAnswer runs the prompt streamed: the model's text goes to stdout as
// it arrives and every tool event is one line on stderr. Everything printed
// is cleaned of terminal controls, delta by delta.
func streamAnswer(ctx context.Context, b *bridge.Bridge, api *oai.ResponseService, params oai.ResponseNewParams, stdout, stderr io.Writer) error {
	out := &answerWriter{w: stdout}
	for ev, err := range b.Stream(ctx, api, params) {
		switch ev.Kind {
		case bridge.EventTextDelta, bridge.EventRefusalDelta:
			out.write(ev.Turn, printable(ev.Delta, true))
		case bridge.EventFunctionCall:
			fmt.Fprintln(stderr, callLine(ev.Call))
		case responses.EventHostedCall: // hosted.go
			fmt.Fprintln(stderr, hostedLine(ev.Hosted))
		case bridge.EventCallProgress:
			fmt.Fprintln(stderr, progressLine(ev))
		case bridge.EventCallDone:
			fmt.Fprintln(stderr, doneLine(ev.Record))
		case bridge.EventRunDone:
			logSearches(stderr, ev.Result)
			if err != nil {
				out.cut()
				return err
			}
			out.end()
			fmt.Fprintf(stderr, "done: %d turn(s), %d tokens\n", ev.Result.Iterations, ev.Result.Usage.TotalTokens)
		}
	}
	return nil
}

// callLine is the log line of a call the model made.
func callLine(c bridge.Call) string {
	return fmt.Sprintf("-> %s %s", clip(callName(c), 100), clip(c.Arguments, 200))
}

// errorPrefix starts every error output the model reads (responses.ErrorPrefix).
const errorPrefix = "error: "

// doneLine is the log line of a finished, failed or denied call.
func doneLine(r bridge.CallRecord) string {
	head := fmt.Sprintf("<- %s (%s)", clip(callName(r.Call), 100), r.Duration.Round(time.Millisecond))
	switch {
	case r.Denied:
		return head + " denied: " + clip(strings.TrimPrefix(r.Output.Text, errorPrefix), 200)
	case r.Err != nil:
		// The output the model read is this error again: print it once.
		return head + " error: " + clip(oneLine(r.Err), 200)
	case r.Output.IsError:
		return head + " tool error: " + clip(strings.TrimPrefix(r.Output.Text, errorPrefix), 200)
	case r.Call.Hosted != "":
		return head + " approved (the API runs it)"
	}
	return head + " ok: " + clip(r.Output.Text, 200)
}

// progressLine is the log line of a progress report of a running call.
func progressLine(ev bridge.Event) string {
	p := ev.Progress
	at := fmt.Sprint(p.Progress)
	if p.Total > 0 {
		at += "/" + fmt.Sprint(p.Total)
	}
	line := fmt.Sprintf(".. %s %s", clip(callName(ev.Call), 100), at)
	if p.Message != "" {
		line += " " + clip(p.Message, 200)
	}
	return line
}

// answerWriter prints the model's text as it comes: text of a later turn
// starts on a new line, and the answer ends with a newline.
type answerWriter struct {
	w       io.Writer
	turn    int
	written bool
	lastNL  bool
}

func (a *answerWriter) write(turn int, s string) {
	if s == "" {
		return
	}
	if a.written && turn != a.turn && !a.lastNL {
		fmt.Fprintln(a.w)
	}
	a.turn = turn
	io.WriteString(a.w, s) //nolint:errcheck // stdout: nothing to do on failure
	a.written = true
	a.lastNL = strings.HasSuffix(s, "\n")
}

// cut ends a partial answer's line, so the exit reason on stderr starts
// on a line of its own.
func (a *answerWriter) cut() {
	if a.written && !a.lastNL {
		fmt.Fprintln(a.w)
	}
}

// end ends the answer with a newline, as --no-stream prints it.
func (a *answerWriter) end() {
	if !a.written || !a.lastNL {
		fmt.Fprintln(a.w)
	}
}
