package bridgeotel_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCoreDoesNotImportOpenTelemetry: tracing stays optional; only
// programs that import this package link OpenTelemetry.
func TestCoreDoesNotImportOpenTelemetry(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	core := []string{"../../bridge", "../../responses", "../../responses/responsestest", "../../mcpclient", "../../convert"}
	out, err := exec.Command(goTool, append([]string{"list", "-deps"}, core...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, pkg := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(pkg, "go.opentelemetry.io/"), "a core package depends on %s", pkg)
	}
	require.Contains(t, string(out), "github.com/mcpbridge/mcpbridge/bridge\n", "the list covers the core packages")
}
