package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// signalWriter closes seen once what it was given contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestAgentStreamsTheAnswer: by default the answer reaches stdout while the
// model is still writing (the fake holds the response's end until the text
// is on stdout), and tool calls are logged on stderr as they happen.
func TestAgentStreamsTheAnswer(t *testing.T) {
	printed := make(chan struct{})
	api, cfg := setup(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "tools__add", Arguments: `{"a":20,"b":22}`},
			responsestest.FunctionCall{Name: "tools__progress", Arguments: `{"steps":2,"ms":1}`},
		),
		responsestest.Text("The sum is 42.").WithWait(1, printed),
	), "")
	stdout := &signalWriter{want: "The sum is 42.", seen: printed}
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"--config", cfg, "hi"}, stdout, &stderr)
	require.NoError(t, err, stderr.String())
	assert.Equal(t, "The sum is 42.\n", stdout.String())
	log := stderr.String()
	assert.Contains(t, log, "-> tools__add {\"a\":20,\"b\":22}\n")
	assert.Regexp(t, `<- tools__add \(\S+\) ok: 42\n`, log)
	assert.Regexp(t, `<- tools__progress \(\S+\) ok: done 2\n`, log)
	assert.Contains(t, log, "done: 2 turn(s)")
	for _, r := range api.Requests() {
		assert.Equal(t, true, r.Body["stream"], "the agent streams by default")
	}
}

// TestAgentNoStream: --no-stream asks for whole responses and prints the
// answer at the end, with the same log lines.
func TestAgentNoStream(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__add", Arguments: `{"a":1,"b":2}`}}}
	api, cfg := setup(t, model.Handler(), "")
	stdout, stderr, err := runAgent(t, "--config", cfg, "--no-stream", "hi")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "-> 3")
	assert.True(t, strings.HasSuffix(stdout, "\n"))
	assert.Contains(t, stderr, "-> tools__add ")
	assert.Contains(t, stderr, "<- tools__add ")
	for _, r := range api.Requests() {
		_, streamed := r.Body["stream"]
		assert.False(t, streamed)
	}
}

// TestAgentStreamsProgress: a tool's progress reports are logged, one line
// each, between the call and its result.
func TestAgentStreamsProgress(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__progress", Arguments: `{"steps":3,"ms":1}`}}}
	_, cfg := setup(t, model.Handler(), "")
	_, stderr, err := runAgent(t, "--config", cfg, "hi")
	require.NoError(t, err, stderr)
	lines := strings.Split(stderr, "\n")
	call, done := -1, -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "-> tools__progress"):
			call = i
		case strings.HasPrefix(l, "<- tools__progress"):
			done = i
		case strings.HasPrefix(l, ".. tools__progress "):
			assert.Greater(t, i, call, "progress after the call")
			assert.Regexp(t, `^\.\. tools__progress \d+/3`, l)
		}
	}
	require.GreaterOrEqual(t, call, 0)
	require.Greater(t, done, call)
}

// TestAgentNoStreamPrintsNothingRaw: the hostile run of
// TestAgentPrintsNothingRaw, without streaming.
func TestAgentNoStreamPrintsNothingRaw(t *testing.T) {
	hostile := "\x1b]0;pwned\x07\x1b[2J\u202etxt.exe\x00\r"
	_, cfg := setup(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "tools__echo", Arguments: `{"text":"` + `\u001b[31mred\u202e"}`}),
		responsestest.Text("answer "+hostile+" end"),
	), "")
	stdout, stderr, err := runAgent(t, "--config", cfg, "--no-stream", "hi")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "answer ")
	assertPrintable(t, "stdout", stdout)
	assertPrintable(t, "stderr", stderr)
}
