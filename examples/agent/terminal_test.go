package main

import (
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// assertPrintable fails when s holds a character a terminal would act on:
// control characters other than newline, or bidi formatting characters.
func assertPrintable(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			t.Errorf("%s holds %U: %q", what, r, s)
			return
		}
	}
}

// The model's answer, its function names and arguments, tool outputs and
// error messages are all untrusted: nothing reaches the terminal raw.
func TestAgentPrintsNothingRaw(t *testing.T) {
	hostile := "\x1b]0;pwned\x07\x1b[2J\u202etxt.exe\x00\r"
	_, cfg := setup(t, responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "tools__nope" + hostile, Arguments: `{"text":"` + hostile + `"}`},
			responsestest.FunctionCall{Name: "tools__echo", Arguments: `{"text":"\u001b[31mred\u202e"}`},
		),
		responsestest.Text("answer "+hostile+" end"),
	), "")
	stdout, stderr, err := runAgent(t, "--config", cfg, "hi")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "answer ")
	assert.Contains(t, stderr, "<- tools__echo")
	assertPrintable(t, "stdout", stdout)
	assertPrintable(t, "stderr", stderr)

	_, cfg = setup(t, responsestest.Script(responsestest.APIError(400, "bad"+hostile, "message "+hostile)), "")
	_, _, err = runAgent(t, "--config", cfg, "hi")
	require.Error(t, err)
	assertPrintable(t, "exit reason", oneLine(err))
}
