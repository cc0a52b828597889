package bridgetemporal_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// answer is a long answer, streamed word by word.
var answer = strings.Repeat("the quick brown fox jumps over the lazy dog ", 200)

// heldText answers with answer and holds the terminal event until hold
// is released.
func heldText(hold *holdUntil) responsestest.Handler {
	return func(req *responsestest.Request) responsestest.Reply {
		return responsestest.Text(answer).WithWait(1, hold.ch)
	}
}

// historyBytes is the size of a run's history as the server keeps it.
func historyBytes(t *testing.T, r *rig, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it := r.c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		n += proto.Size(ev)
	}
	return n
}

// Following a run shows the model's text while the request runs (the
// model holds its response until the follower has seen text), and the
// history is the same size as that of a run nobody followed: the text goes
// through the activity's heartbeat details, not history.
func TestFollowStreamsTextWithoutGrowingHistory(t *testing.T) {
	hold := newHold()
	_, url := fakeAPI(t, heldText(hold))
	r := newRig(t, url, &shop{})
	r.startWorker()

	run := r.start("tell me", bridgetemporal.RunOptions{})
	var mu sync.Mutex
	var deltas []string
	live := 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := bridgetemporal.Follow(ctx, r.c, run.GetID(), 50*time.Millisecond, func(ev bridgetemporal.Event) {
		if ev.Kind != bridgetemporal.EventTextDelta {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		deltas = append(deltas, ev.Text)
		select {
		case <-hold.ch:
		default:
			live++ // the response is not over: this text came from the running request
			hold.release()
		}
	})
	require.NoError(t, err)
	assert.False(t, hold.timedOut.Load(), "no text arrived while the model request ran")
	assert.Equal(t, 1, live)
	assert.Equal(t, answer, strings.Join(deltas, ""), "the deltas are the answer, once")
	assert.Equal(t, answer, out.OutputText)
	followed := historyBytes(t, r, run.GetID())

	// The same run, nobody following: the model does not wait.
	open := newHold()
	open.release()
	_, url2 := fakeAPI(t, heldText(open))
	r2 := newRig(t, url2, &shop{})
	r2.startWorker()
	run2 := r2.start("tell me", bridgetemporal.RunOptions{})
	r2.result(run2.GetID())
	alone := historyBytes(t, r2, run2.GetID())
	t.Logf("history: %d bytes followed, %d bytes not followed; answer %d bytes in %d words", followed, alone, len(answer), len(strings.Fields(answer)))
	assert.InDelta(t, alone, followed, 64, "following added nothing to history")
	assert.Less(t, followed, 3*len(answer), "the answer is in history once (the response), never delta by delta")

	// Attaching after the end gives the same text.
	var again []string
	_, err = bridgetemporal.Follow(ctx, r.c, run.GetID(), 0, func(ev bridgetemporal.Event) {
		if ev.Kind == bridgetemporal.EventTextDelta {
			again = append(again, ev.Text)
		}
	})
	require.NoError(t, err)
	assert.Equal(t, answer, strings.Join(again, ""))
}
