package corpus

import (
	"testing"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// ReplayPackage is the import path of the replay server command.
const ReplayPackage = "github.com/mcpbridge/mcpbridge/rigs/corpus/cmd/replay"

var replay = &mcptest.Binary{Package: ReplayPackage, Name: "replay"}

// BuildReplay compiles the replay server once per test process, into a
// fresh temporary directory, and returns its path. RemoveBuilt deletes it.
func BuildReplay(tb testing.TB) string {
	tb.Helper()
	path, err := replay.Build()
	if err != nil {
		tb.Fatalf("corpus: building %s: %v", ReplayPackage, err)
	}
	return path
}

// RemoveBuilt deletes the binary BuildReplay made, if any.
func RemoveBuilt() { replay.Remove() }
