package hostile_test

import (
	"testing"

	"github.com/mcpbridge/mcpbridge/rigs/hostile"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) {
	// The stdio attackers are this test binary, re-executed.
	hostile.RunStdioIfRequested()
	mcptest.VerifyTestMain(m)
}
