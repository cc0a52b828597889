package conformance_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcpbridge/mcpbridge/rigs/conformance"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// suiteTimeout bounds one run of the suite's CLI; it only keeps a broken
// install from hanging the test binary and decides no result.
const suiteTimeout = 3 * time.Minute

// suiteVersion is one pinned release of the conformance suite.
type suiteVersion struct {
	name string // subtest name: the release
	pkg  string // its folder under rigs/interop/node_modules
	// perVersion: the release runs a client scenario at the spec version
	// given by --spec-version (and tells the client through
	// MCP_CONFORMANCE_PROTOCOL_VERSION), so a scenario runs once per spec
	// version it lists. 0.1.16 has one server per scenario whatever the
	// version; --spec-version only filters its --suite runs.
	perVersion bool
}

// suites are the pinned releases whose client scenarios
// TestSuiteClientScenarios runs (rigs/interop/package.json).
var suites = []suiteVersion{
	{name: "0.1.16", pkg: "@modelcontextprotocol/conformance"},
	{name: "0.2.0-alpha.12", pkg: "conformance-0.2", perVersion: true},
}

// suiteRun is one run of one client scenario: at specVersion when the
// suite runs scenarios per version, else at the suite's own choice.
type suiteRun struct {
	scenario    string
	specVersion string // "" lets the suite choose (extensions, 0.1.16)
}

// name is the run's subtest name below the suite's.
func (r suiteRun) name() string {
	if r.specVersion == "" {
		return r.scenario
	}
	return r.scenario + "@" + r.specVersion
}

// TestSuiteClientScenarios runs every client scenario of each pinned
// conformance suite against cmd/conformance-client, one subtest a run:
// <release>/<scenario>@<spec version> for each spec version the scenario
// lists (the suite's extension scenarios list none and run at the wire it
// picks for them). The lists come from the suites themselves, so a new
// scenario in a newer pin shows up here, and fails until Run handles it.
func TestSuiteClientScenarios(t *testing.T) {
	node := interop.Node(t)
	t.Logf("node %s", interop.NodeVersion(t))
	bin := buildClient(t)
	runs := make([][]suiteRun, len(suites))
	for i, sv := range suites {
		runs[i] = listClientRuns(t, node, interop.Script(t, sv.pkg, "dist/index.js"), sv.perVersion)
	}
	checkKnown(t, slices.Concat(runs...))
	for i, sv := range suites {
		t.Run(sv.name, func(t *testing.T) {
			cli := interop.Script(t, sv.pkg, "dist/index.js")
			for _, r := range runs[i] {
				t.Run(r.name(), func(t *testing.T) {
					if reason, ok := conformance.Unsupported[r.scenario]; ok {
						t.Skipf("not supported: %s", reason)
					}
					// The suite runs a --suite's scenarios in parallel;
					// only sse-retry's reconnection-delay check measures
					// time, so it runs alone before the others.
					if r.scenario != conformance.ScenarioSSERetry {
						t.Parallel()
					}
					runScenario(t, node, cli, bin, r)
				})
			}
		})
	}
}

// checkKnown fails when a scenario Run implements is listed by no pinned
// suite (a pin changed).
func checkKnown(t *testing.T, runs []suiteRun) {
	t.Helper()
	listed := map[string]bool{}
	for _, r := range runs {
		listed[r.scenario] = true
	}
	known := append(conformance.Scenarios(), conformance.AuthScenarios()...)
	for _, s := range known {
		if !listed[s] {
			t.Errorf("scenario %q is listed by no pinned suite", s)
		}
	}
}

// runScenario runs r through the suite and reports every failed or
// warning check, the suite's output and the client's stderr on failure.
func runScenario(t *testing.T, node, cli, bin string, r suiteRun) {
	t.Helper()
	res := runSuite(t, node, cli, bin, r)
	// sse-retry's timing check measures, in the suite's own process, how
	// long the client waited before reconnecting (450..700 ms passes). On
	// a loaded two-core machine that can miss by scheduling alone, so a
	// run whose only complaint is that check is repeated; a client that
	// ignores the retry field misses every time.
	for attempt := 2; attempt <= timingAttempts && onlyTimingComplaint(res); attempt++ {
		t.Logf("attempt %d: only the reconnection-timing check complained (%s); running %s again",
			attempt-1, strings.Join(res.bad, "; "), r.name())
		res = runSuite(t, node, cli, bin, r)
	}
	if res.skipped {
		t.Fatalf("the suite skipped %s: not applicable at that spec version\n%s", r.name(), res.output)
	}
	if res.exitCode != 0 || len(res.bad) > 0 {
		t.Errorf("scenario %s failed (suite exit %d)\nfailed/warning checks:\n%s\nsuite output:\n%s\nclient stderr:\n%s",
			r.name(), res.exitCode, strings.Join(res.bad, "\n"), res.output, res.clientStderr)
	}
	if res.passed == 0 {
		t.Errorf("scenario %s: no SUCCESS check recorded; checks:\n%s", r.name(), res.checksJSON)
	}
}

// TestSuiteDetectsFailure is the harness's negative control: a client that
// only lists tools does not satisfy tools_call, and each suite must say so.
func TestSuiteDetectsFailure(t *testing.T) {
	node := interop.Node(t)
	bin := buildClient(t)
	for _, sv := range suites {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			cli := interop.Script(t, sv.pkg, "dist/index.js")
			// The suite splits --command on spaces and appends the URL, so
			// this runs the initialize steps against the tools_call server.
			res := runSuite(t, node, cli, bin+" -scenario "+conformance.ScenarioInitialize,
				suiteRun{scenario: conformance.ScenarioToolsCall})
			if res.exitCode == 0 {
				t.Fatalf("suite passed a client that never called the tool; output:\n%s", res.output)
			}
			if len(res.bad) == 0 {
				t.Fatalf("suite failed but recorded no FAILURE check; checks:\n%s", res.checksJSON)
			}
		})
	}
}

// timingAttempts is how many times a scenario whose only failed check is
// timingCheck runs before the test gives up.
const timingAttempts = 3

// timingCheck is the id of sse-retry's reconnection-delay check.
const timingCheck = "client-sse-retry-timing"

// onlyTimingComplaint reports whether res failed solely on timingCheck.
func onlyTimingComplaint(res suiteResult) bool {
	if len(res.badIDs) == 0 {
		return false
	}
	for _, id := range res.badIDs {
		if id != timingCheck {
			return false
		}
	}
	return true
}

// listClientRuns returns the client scenario runs `conformance list`
// asks for, in its order: with perVersion, one per spec version a scenario
// lists (none for an extension's "[extension]"), else one per scenario.
func listClientRuns(t *testing.T, node, cli string, perVersion bool) []suiteRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), suiteTimeout)
	defer cancel()
	cmd := nodeCommand(ctx, t, node, cli, "list", "--client")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("conformance list: %v\n%s", err, out)
	}
	var runs []suiteRun
	inClient := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Client scenarios"):
			inClient = true
		case strings.HasSuffix(line, ":"):
			inClient = false
		case inClient && strings.HasPrefix(line, "- "):
			// "- name [2025-11-25,2026-07-28]"
			name, tags, _ := strings.Cut(strings.TrimPrefix(line, "- "), " ")
			tags = strings.Trim(tags, "[]")
			if !perVersion || tags == "" || tags == "extension" {
				runs = append(runs, suiteRun{scenario: name})
				continue
			}
			for _, v := range strings.Split(tags, ",") {
				runs = append(runs, suiteRun{scenario: name, specVersion: strings.TrimSpace(v)})
			}
		}
	}
	if len(runs) == 0 {
		t.Fatalf("conformance list printed no client scenarios:\n%s", out)
	}
	return runs
}

// ansiEscape matches the colour codes the suite writes into its output.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// suiteResult is what one `conformance client` run reported.
type suiteResult struct {
	exitCode     int
	output       string   // the suite's stdout+stderr
	checksJSON   string   // checks.json as written
	bad          []string // FAILURE and WARNING checks, one line each
	badIDs       []string // their ids
	passed       int      // SUCCESS checks
	clientStderr string   // the client's stderr as the suite saved it
	skipped      bool     // the suite skipped the scenario at that version
}

// runSuite runs `conformance client` for one scenario run with command as
// the client and reads the checks it saved.
func runSuite(t *testing.T, node, cli, command string, r suiteRun) suiteResult {
	t.Helper()
	scenario := r.scenario
	outDir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), suiteTimeout)
	defer cancel()
	args := []string{cli, "client",
		"--command", command,
		"--scenario", scenario,
		"--timeout", "60000",
		"--output-dir", outDir}
	if r.specVersion != "" {
		args = append(args, "--spec-version", r.specVersion)
	}
	cmd := nodeCommand(ctx, t, node, args...)
	out, err := cmd.CombinedOutput()
	res := suiteResult{output: ansiEscape.ReplaceAllString(string(out), "")}
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("run conformance client: %v\n%s", err, out)
		}
		res.exitCode = exit.ExitCode()
	}
	if ctx.Err() != nil {
		t.Fatalf("conformance client for %s did not finish within %s\n%s", scenario, suiteTimeout, out)
	}
	if strings.Contains(string(out), "SKIPPED: scenario") {
		res.skipped = true
		return res
	}
	// Results land in <outDir>/<scenario>-<timestamp>/.
	dirs, _ := filepath.Glob(filepath.Join(outDir, scenario+"-*"))
	if len(dirs) != 1 {
		t.Fatalf("expected one result folder for %s in %s, found %v; output:\n%s", scenario, outDir, dirs, out)
	}
	raw, err := os.ReadFile(filepath.Join(dirs[0], "checks.json"))
	if err != nil {
		t.Fatalf("read checks: %v; output:\n%s", err, out)
	}
	res.checksJSON = string(raw)
	if b, err := os.ReadFile(filepath.Join(dirs[0], "stderr.txt")); err == nil {
		res.clientStderr = string(b)
	}
	var checks []struct {
		ID, Name, Status, Description, ErrorMessage string
	}
	if err := json.Unmarshal(raw, &checks); err != nil {
		t.Fatalf("decode checks.json: %v\n%s", err, raw)
	}
	for _, c := range checks {
		switch c.Status {
		case "SUCCESS":
			res.passed++
		case "FAILURE", "WARNING":
			res.bad = append(res.bad, c.Status+" "+c.ID+": "+c.Description+" "+c.ErrorMessage)
			res.badIDs = append(res.badIDs, c.ID)
		}
	}
	return res
}

// nodeCommand prepares node with args in its own process group (killed as a
// whole when ctx ends), with the pinned node first in PATH.
func nodeCommand(ctx context.Context, t *testing.T, node string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), "PATH="+interop.PathWithNode(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	t.Cleanup(func() {
		// The suite kills its client on its own timeout; make sure nothing
		// of the group is left whatever happened.
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	return cmd
}

var (
	buildOnce sync.Once
	buildDir  string
	buildOut  []byte
	buildErr  error
)

// buildClient builds cmd/conformance-client once per test binary (with the
// race detector when the tests have it) and returns the executable's path.
// The path must not contain spaces: the suite splits its --command on them.
func buildClient(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "conformance-client-")
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", filepath.Join(buildDir, "conformance-client")}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/conformance-client")
		cmd := exec.Command("go", args...)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build conformance-client: %v\n%s", buildErr, buildOut)
	}
	bin := filepath.Join(buildDir, "conformance-client")
	if strings.ContainsAny(bin, " \t") {
		t.Fatalf("client path %q contains whitespace; the suite cannot run it", bin)
	}
	return bin
}
