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
const ServerPackage = "github.com/mcpbridge/mcpbridge/rigs/mcptest/cmd/mcptestserver"

// Binary is a Go command built once per test process into a fresh
// temporary directory; Remove deletes it, and a later Build builds it again
// (go test -count=N runs a package's tests N times in one process). The
// test servers of several packages (this one's, the corpus replay server)
// are built this way.
type Binary struct {
	Package string // import path of the command
	Name    string // file name, without ".exe"

	mu   sync.Mutex
	dir  string
	path string
	err  error
}

// Build compiles the command unless it is built already and returns its
// path. A failed build is not retried until Remove.
func (b *Binary) Build() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.path != "" || b.err != nil {
		return b.path, b.err
	}
	dir, err := os.MkdirTemp("", b.Name+"-")
	if err != nil {
		b.err = err
		return "", err
	}
	name := b.Name
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command(goTool(), "build", "-o", path, b.Package)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		b.err = fmt.Errorf("%w\n%s", err, out)
		return "", b.err
	}
	b.dir, b.path = dir, path
	return path, nil
}

// Remove deletes the built binary, if any.
func (b *Binary) Remove() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
	b.dir, b.path, b.err = "", "", nil
}

var serverBinary = &Binary{Package: ServerPackage, Name: "mcptestserver"}

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
func Build() (string, error) { return serverBinary.Build() }

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
func RemoveBuilt() { serverBinary.Remove() }

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
