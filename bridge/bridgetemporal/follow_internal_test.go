package bridgetemporal

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The follower's text of a turn is the model's text once, whatever order
// the progress and the events come in: progress windows overlapping,
// repeated or stale, a retried request writing again, a cut EventText
// completed by the run's output.
func TestFollowerGivesEachTurnsTextOnce(t *testing.T) {
	var got []Event
	f := &follower{fn: func(ev Event) { got = append(got, ev) }, texts: map[int]*turnText{}}
	text := func(turn int) string {
		var b strings.Builder
		for _, ev := range got {
			if ev.Kind == EventTextDelta && ev.Turn == turn {
				b.WriteString(ev.Text)
			}
		}
		return b.String()
	}

	f.progress(ModelProgress{Turn: 1, Attempt: 1, Text: "Hello"})
	f.progress(ModelProgress{Turn: 1, Attempt: 1, Text: "Hello"}) // unchanged
	f.progress(ModelProgress{Turn: 1, Attempt: 1, Offset: 2, Text: "llo, wor"})
	f.event(Event{Kind: EventText, Turn: 1, Text: "Hello, world"})
	f.progress(ModelProgress{Turn: 1, Attempt: 1, Text: "Hello, world!!"}) // stale: the turn is over
	assert.Equal(t, "Hello, world", text(1))
	assert.Equal(t, EventText, got[len(got)-1].Kind, "the event follows its text")

	f.progress(ModelProgress{Turn: 2, Attempt: 1, Text: "Tea"})
	f.progress(ModelProgress{Turn: 2, Attempt: 2, Text: "Coffee"}) // retried: written again
	assert.Equal(t, "TeaCoffee", text(2))

	long := strings.Repeat("é", maxEventText) // 2 bytes a rune
	f.event(Event{Kind: EventText, Turn: 3, Text: cut(long, maxEventText), Cut: true})
	assert.Equal(t, long[:maxEventText], text(3))
	f.last(&RunOutput{Iterations: 3, OutputText: long})
	assert.Equal(t, long, text(3), "the run's output completes the cut text")
}

func TestProgressKeepsTheNewestWindow(t *testing.T) {
	pr := &progress{}
	chunk := strings.Repeat("ü", 1000) // 2000 bytes
	var all strings.Builder
	for range 100 {
		pr.add(chunk)
		all.WriteString(chunk)
	}
	d := pr.details()
	assert.LessOrEqual(t, len(d.Text), maxProgressText)
	assert.Equal(t, all.String()[d.Offset:], d.Text, "the window ends at the newest byte, on a rune boundary")
}
