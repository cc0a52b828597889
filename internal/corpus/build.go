package corpus

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// ReplayPackage is the import path of the replay server command.
const ReplayPackage = "github.com/mcpbridge/mcpbridge/internal/corpus/cmd/replay"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// BuildReplay compiles the replay server once per test process, into a
// fresh temporary directory, and returns its path. RemoveBuilt deletes it.
func BuildReplay(tb testing.TB) string {
	tb.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "corpus-replay-")
		if err != nil {
			build.err = err
			return
		}
		name := "replay"
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		path := filepath.Join(dir, name)
		cmd := exec.Command(goTool(), "build", "-o", path, ReplayPackage)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			build.err = fmt.Errorf("%w\n%s", err, out)
			return
		}
		build.dir, build.path = dir, path
	})
	if build.err != nil {
		tb.Fatalf("corpus: building %s: %v", ReplayPackage, build.err)
	}
	return build.path
}

// RemoveBuilt deletes the binary BuildReplay made, if any.
func RemoveBuilt() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

// goTool finds the go command: $GOROOT/bin/go (set by go test), then PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}
