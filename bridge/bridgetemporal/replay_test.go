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
// worker's death, a read-only call retried, tool search) with this build's
// workflow: a change that makes the workflow decide differently on the
// same history fails here, before it breaks runs in flight. Such a change
// is guarded by workflow.GetVersion, never made to pass by recording the
// histories again: BRIDGETEMPORAL_RECORD=1 with a Temporal server only
// adds the histories not recorded yet. The v0_ histories were recorded
// before a guarded change (v0_toolsearch_rolling_deploy: by a workflow
// from before changeLoadedSet, its activities on a newer worker).
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
