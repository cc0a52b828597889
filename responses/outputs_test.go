package responses_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// hostileText is big and carries what must never reach the model or a
// terminal: NUL, ESC sequences, a bidi override, a C1 control and invalid
// UTF-8.
func hostileText(size int) string {
	unit := "a\x00b\x1b[31mc\u202ed\u0085e\xff "
	return strings.Repeat(unit, size/len(unit)+1)
}

// checkSafe fails the test when s is over limit bytes or holds a
// character the loop must remove. It only marks the failure, so hooks on
// other goroutines may call it.
func checkSafe(t *testing.T, what, s string, limit int) {
	t.Helper()
	assert.LessOrEqual(t, len(s), limit, "%s: %d bytes, cap %d", what, len(s), limit)
	assert.True(t, utf8.ValidString(s), "%s is not valid UTF-8", what)
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			t.Errorf("%s holds %U", what, r)
			return
		}
	}
}

// Every output the model gets is capped and cleaned, whatever produced it:
// a tool's text, an executor error, a panic, a denial reason, an unknown
// function's error, array parts.
func TestRunCapsAndCleansEveryOutput(t *testing.T) {
	const big = 3 << 20
	names := []string{"tool_text", "go_error", "panic", "denied", "parts", "small"}
	var calls []responsestest.FunctionCall
	for _, n := range names {
		calls = append(calls, responsestest.FunctionCall{Name: n, Arguments: `{}`, CallID: "call_" + n})
	}
	exec := responses.ExecutorFunc(func(_ context.Context, c responses.Call) (responses.Output, error) {
		switch c.Name {
		case "tool_text":
			return responses.Output{Text: hostileText(big), IsError: true}, nil
		case "go_error":
			return responses.Output{}, errors.New(hostileText(big))
		case "panic":
			panic(hostileText(big))
		case "parts":
			return responses.Output{Parts: []responses.Part{
				{Type: responses.PartText, Text: hostileText(big)},
				{Type: responses.PartImage, ImageURL: "data:image/png;base64," + strings.Repeat("A", big)},
			}}, nil
		case "small":
			return responses.Output{Text: "fine\u202e\x1b"}, nil
		}
		return responses.Output{}, nil
	})
	approve := func(_ context.Context, c responses.Call) (bool, string) {
		return c.Name != "denied", hostileText(big)
	}
	for _, tc := range []struct {
		name  string
		max   int
		limit int
	}{
		{"default cap", 0, 64 << 10},
		{"custom cap", 1000, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, api := newServer(t, responsestest.Script(responsestest.Calls(calls...), responsestest.Text("done")))
			var seen atomic.Int64
			res, err := responses.Run(testCtx(t), api, baseParams(), responses.Static(exec), responses.Options{
				MaxOutputBytes: tc.max,
				Approve:        approve,
				AfterCall: func(_ context.Context, r responses.CallRecord) {
					seen.Add(1)
					checkSafe(t, r.Call.Name+" (AfterCall)", r.Output.Text, tc.limit)
				},
			})
			require.NoError(t, err)
			assert.EqualValues(t, len(names), seen.Load())
			outs := s.Requests()[1].Outputs()
			require.Len(t, outs, len(names))
			for i, o := range outs {
				checkSafe(t, names[i], o.Output, tc.limit)
				rec := res.Turns[0].Calls[i]
				if len(rec.Output.Parts) == 0 {
					assert.Equal(t, rec.Output.Text, o.Output, "%s: the record holds what was sent", names[i])
				}
			}
			assert.Equal(t, "fine", outs[5].Output)
			// The parts of one output share the cap, media included.
			parts := res.Turns[0].Calls[4].Output.Parts
			total := 0
			for _, p := range parts {
				checkSafe(t, "part text", p.Text, tc.limit)
				total += len(p.Text) + len(p.ImageURL) + len(p.FileData) + len(p.Filename)
			}
			assert.LessOrEqual(t, total, tc.limit)
			requireValid(t, s)
		})
	}
}

// TestDeliverableIsWhatTheLoopSends: Deliverable cleans and caps an output
// the way the loop does, and says when it cut.
func TestDeliverableIsWhatTheLoopSends(t *testing.T) {
	out := responses.Deliverable(responses.Output{Text: "a\x00b" + strings.Repeat("x", 500)}, 64)
	assert.LessOrEqual(t, len(out.Text), 64)
	assert.NotContains(t, out.Text, "\x00")
	assert.True(t, out.Truncated)
	parts := responses.Deliverable(responses.Output{Parts: []responses.Part{
		{Type: responses.PartText, Text: "see"},
		{Type: responses.PartImage, ImageURL: "data:image/png;base64," + strings.Repeat("A", 200)},
	}}, 100)
	assert.True(t, parts.Truncated, "an image left out is a cut")
	kept := responses.Deliverable(responses.Output{Text: "fine"}, 64)
	assert.Equal(t, responses.Output{Text: "fine"}, kept)
}
