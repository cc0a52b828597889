package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

// testCtx bounds a test's blocking calls so a bug fails instead of hanging.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
