package bridgetemporal_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (a worker killed during a call with side effects, an approval across a
// worker's death, a read-only call retried) with this build's workflow: a
// change that makes the workflow decide differently on the same history
// fails here, before it breaks runs in flight. Record them again with
// BRIDGETEMPORAL_RECORD=1 and a Temporal server when a change is meant.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(bridgetemporal.Workflow, workflow.RegisterOptions{Name: bridgetemporal.WorkflowName})
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(quietLogger(), f))
		})
	}
}
