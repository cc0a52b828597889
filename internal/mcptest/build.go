package mcptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// ServerPackage is the import path of the stdio test server binary.
const ServerPackage = "github.com/mcpbridge/mcpbridge/internal/mcptest/cmd/mcptestserver"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// BuildServer compiles the mcptestserver binary once per test process (with
// `go build`, into a fresh temporary directory) and returns its path. Call
// RemoveBuilt from TestMain after m.Run to delete it. It fails tb if the
// build fails.
func BuildServer(tb testing.TB) string {
	tb.Helper()
	path, err := Build()
	if err != nil {
		tb.Fatalf("mcptest: building %s: %v", ServerPackage, err)
	}
	return path
}

// Build is BuildServer without testing.TB, for TestMain and benchmarks'
// setup code.
func Build() (string, error) {
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "mcptestserver-")
		if err != nil {
			build.err = err
			return
		}
		name := "mcptestserver"
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		path := filepath.Join(dir, name)
		cmd := exec.Command(goTool(), "build", "-o", path, ServerPackage)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			_ = os.RemoveAll(dir)
			build.err = fmt.Errorf("%w\n%s", err, out)
			return
		}
		build.dir, build.path = dir, path
	})
	return build.path, build.err
}

// VerifyTestMain runs a package's tests, deletes the binary BuildServer or
// Build made for them, and fails the run if goroutines were leaked (checked
// only when the tests passed). Packages that use this package's binary call
// it from their TestMain.
func VerifyTestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		RemoveBuilt()
		os.Exit(code)
	}))
}

// RemoveBuilt deletes the binary made by BuildServer/Build, if any.
func RemoveBuilt() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

// goTool finds the go command: the one of the running toolchain first.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	//lint:ignore SA1019 last resort when go is not on PATH.
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
