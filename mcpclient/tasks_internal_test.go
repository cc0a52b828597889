package mcpclient

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// createdTask tells a task from a tool result: 2025-11-25's {"task":...}
// only when a task was asked for, the extension's resultType "task"
// always; a task without an id fails the call.
func TestCreatedTask(t *testing.T) {
	for _, tc := range []struct {
		raw       string
		augmented bool
		ok, ext   bool
		err       bool
	}{
		{`{"content":[]}`, true, false, false, false},
		{`{"task":{"taskId":"a","status":"working"}}`, true, true, false, false},
		{`{"task":{"taskId":"a","status":"working"},"content":[]}`, false, false, false, false},
		{`{"resultType":"task","taskId":"b","status":"working"}`, false, true, true, false},
		{`{"resultType":"task","status":"working"}`, false, true, true, true},
		{`{"task":{"status":"working"}}`, true, true, false, true},
		{`{"task":"nonsense"}`, true, true, false, true},
		{`[1,2]`, true, false, false, false},
	} {
		_, ext, ok, err := createdTask(json.RawMessage(tc.raw), tc.augmented)
		if ok != tc.ok || ext != tc.ext || (err != nil) != tc.err {
			t.Errorf("%s (augmented %v): ok %v ext %v err %v", tc.raw, tc.augmented, ok, ext, err)
		}
	}
}

// pollWait follows the server within [minTaskPoll, ceiling], whatever it
// sends.
func TestTaskPollWait(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		task wireTask
		want time.Duration
	}{
		{wireTask{}, defaultTaskPoll},
		{wireTask{PollInterval: f(0)}, minTaskPoll},
		{wireTask{PollInterval: f(-3)}, minTaskPoll},
		{wireTask{PollInterval: f(250)}, 250 * time.Millisecond},
		{wireTask{PollIntervalMs: f(300), PollInterval: f(9)}, 300 * time.Millisecond},
		{wireTask{PollInterval: f(1e300)}, 2 * time.Second},
		{wireTask{PollInterval: f(3000)}, 2 * time.Second},
	} {
		if got := tc.task.pollWait(2 * time.Second); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.task, got, tc.want)
		}
	}
}

// A task's status is for a person: a huge statusMessage or status is cut.
func TestTaskDescribeIsBounded(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, w := range []wireTask{{Status: "working", StatusMessage: long}, {Status: mcp.TaskStatus(long)}} {
		if d := w.describe(); len(d) > 3*maxStatusMessage {
			t.Errorf("describe: %d bytes", len(d))
		}
	}
	if d := (wireTask{Status: "working", StatusMessage: " Gathering "}).describe(); d != "working: Gathering" {
		t.Errorf("describe = %q", d)
	}
}
