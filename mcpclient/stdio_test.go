//go:build unix

package mcpclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// alive reports whether pid is a live process (zombies count as dead).
func alive(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	fields := strings.Fields(s[i+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// groupAlive reports whether any live process is in process group pgid.
func groupAlive(t *testing.T, pgid int) bool {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		err := syscall.Kill(-pgid, 0)
		return err == nil
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" && fields[0] != "X" {
			t.Logf("process %d still in group %d (state %s)", pid, pgid, fields[0])
			return true
		}
	}
	return false
}

func TestStdioCloseKillsProcessGroup(t *testing.T) {
	childPid := tempPath(t, "child.pid")
	cfg := stdioConfig("grouped", "-child", "-child-pidfile", childPid)
	stdioOf(cfg).CloseGrace = 200 * time.Millisecond // the child ignores SIGTERM: SIGKILL must follow
	c := connect(t, cfg)
	pid := c.Pid()
	require.NotZero(t, pid)
	child := readPid(t, childPid)
	require.True(t, alive(pid))
	require.True(t, alive(child))
	require.True(t, groupAlive(t, pid))

	require.NoError(t, c.Close())
	assert.False(t, alive(pid), "server process survived Close")
	assert.False(t, alive(child), "grandchild survived Close")
	assert.False(t, groupAlive(t, pid), "process group survived Close")
}

func TestStdioShellWrapper(t *testing.T) {
	pidfile := tempPath(t, "server.pid")
	// sh forks the server (it has more to do afterwards), like npx or a
	// wrapper script would.
	c := connect(t, mcpclient.Config{
		Name:      "wrapped",
		Transport: &mcpclient.Stdio{Command: "sh", Args: []string{"-c", `"$0" -pidfile "$1"; echo done`, serverBin, pidfile}},
	})
	shPid := c.Pid()
	serverPid := readPid(t, pidfile)
	require.NotEqual(t, shPid, serverPid)
	assert.Equal(t, "hi", textOf(t, call(t, c, "echo", map[string]any{"text": "hi"})))
	require.NoError(t, c.Close())
	assert.False(t, alive(shPid))
	assert.False(t, alive(serverPid), "server behind sh -c survived Close")
	assert.False(t, groupAlive(t, shPid))
}

func TestStdioCancelMidCall(t *testing.T) {
	c := connect(t, stdioConfig("cancel", "-child"))
	pid := c.Pid()
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.CallTool(ctx, "rendezvous", json.RawMessage(`{"key":"never","n":2}`))
		errc <- err
	}()
	// The rendezvous never completes; cancel while it waits. Whether the
	// request is already written or not, the call must end with the
	// context's error.
	cancel()
	err := <-errc
	e := requireMCPError(t, err, mcpclient.OpCall)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "rendezvous", e.Tool)

	// The connection is still good, and it is the same process.
	assert.Equal(t, "ok", textOf(t, call(t, c, "echo", map[string]any{"text": "ok"})))
	assert.Equal(t, pid, c.Pid())

	require.NoError(t, c.Close())
	assert.False(t, alive(pid))
	assert.False(t, groupAlive(t, pid), "process group survived Close after a cancelled call")
}

func TestStdioDeadlineOnHangingServer(t *testing.T) {
	c := connect(t, stdioConfig("hang", "-mode", mcptest.ModeHang))
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	_, err := c.CallTool(ctx, "echo", json.RawMessage(`{"text":"x"}`))
	requireMCPError(t, err, mcpclient.OpCall)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// Listing still works: only calls hang.
	tools, err := c.ListTools(testCtx(t))
	require.NoError(t, err)
	assert.Len(t, tools, 1)
}

func TestStdioConnectToMuteServer(t *testing.T) {
	pidfile := tempPath(t, "mute.pid")
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	_, err := mcpclient.Connect(ctx, stdioConfig("mute", "-mode", mcptest.ModeMute, "-pidfile", pidfile))
	requireMCPError(t, err, mcpclient.OpHandshake)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	pid := readPid(t, pidfile)
	assert.False(t, alive(pid), "a failed Connect left the process running")
}

func TestStdioLegacySilentServer(t *testing.T) {
	for _, version := range []string{"", mcp.ProtocolVersion20250326} {
		t.Run("version="+version, func(t *testing.T) {
			cfg := stdioConfig("legacy", "-mode", mcptest.ModeLegacySilent)
			cfg.ProtocolVersion = version
			c := connect(t, cfg)
			want := version
			if want == "" {
				want = mcp.LATEST_LEGACY_PROTOCOL_VERSION
			}
			assert.Equal(t, want, c.ProtocolVersion())
			assert.Equal(t, mcptest.ServerName+"-"+mcptest.ModeLegacySilent, c.ServerInfo().Name)
			assert.Equal(t, "x", textOf(t, call(t, c, "echo", map[string]any{"text": "x"})))
		})
	}
}

func TestStdioGarbageOnStdout(t *testing.T) {
	for _, limit := range []int{0, 1 << 20} {
		t.Run("limit="+strconv.Itoa(limit), func(t *testing.T) {
			cfg := stdioConfig("garbage", "-mode", mcptest.ModeGarbage, "-garbage-bytes", strconv.Itoa(3<<20))
			cfg.MaxMessageBytes = limit
			c := connect(t, cfg)
			tools, err := c.ListTools(testCtx(t))
			require.NoError(t, err)
			require.Len(t, tools, 1)
			for i := range 3 {
				text := "round " + strconv.Itoa(i)
				assert.Equal(t, text, textOf(t, call(t, c, "echo", map[string]any{"text": text})))
			}
		})
	}
}

func TestStdioCrashMidCallRestarts(t *testing.T) {
	changed := make(chan struct{}, 8)
	cfg := stdioConfig("crashy")
	cfg.OnToolsChanged = func(string) { changed <- struct{}{} }
	c := connect(t, cfg)
	firstPid := c.Pid()

	_, err := c.CallTool(testCtx(t), "exit", json.RawMessage(`{"code":7,"message":"fatal: disk on fire"}`))
	e := requireMCPError(t, err, mcpclient.OpCall)
	assert.ErrorIs(t, err, mcpclient.ErrProcessExited)
	assert.Equal(t, "exit", e.Tool)
	assert.Contains(t, e.Stderr, "fatal: disk on fire")
	assert.Contains(t, err.Error(), "fatal: disk on fire")
	assert.Contains(t, err.Error(), "exit status 7")
	assert.False(t, alive(firstPid))

	// The next call restarts the server.
	assert.Equal(t, "back", textOf(t, call(t, c, "echo", map[string]any{"text": "back"})))
	assert.NotEqual(t, firstPid, c.Pid())
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Fatal("no OnToolsChanged after the restart")
	}
}

func TestStdioRestartCountResetsAfterSuccess(t *testing.T) {
	cfg := stdioConfig("flappy")
	stdioOf(cfg).MaxRestarts = 1
	c := connect(t, cfg)
	for range 3 {
		_, err := c.CallTool(testCtx(t), "exit", json.RawMessage(`{"code":1}`))
		require.ErrorIs(t, err, mcpclient.ErrProcessExited)
		assert.Equal(t, "ok", textOf(t, call(t, c, "echo", map[string]any{"text": "ok"})))
	}
}

func TestStdioRestartLimit(t *testing.T) {
	spawns := tempPath(t, "spawns.log")
	cfg := stdioConfig("doomed", "-mode", mcptest.ModeCrashOnCall, "-spawn-log", spawns)
	stdioOf(cfg).MaxRestarts = 2
	stdioOf(cfg).RestartBackoff = time.Millisecond
	c := connect(t, cfg)
	for i := range 3 { // the first crash, then two restarts that crash again
		_, err := c.CallTool(testCtx(t), "echo", json.RawMessage(`{"text":"x"}`))
		e := requireMCPError(t, err, mcpclient.OpCall)
		require.ErrorIs(t, err, mcpclient.ErrProcessExited, "call %d", i)
		assert.NotErrorIs(t, err, mcpclient.ErrRestartLimit)
		assert.Contains(t, e.Stderr, mcptest.CrashMessage)
	}
	_, err := c.CallTool(testCtx(t), "echo", json.RawMessage(`{"text":"x"}`))
	requireMCPError(t, err, mcpclient.OpCall)
	assert.ErrorIs(t, err, mcpclient.ErrRestartLimit)
	assert.ErrorIs(t, err, mcpclient.ErrProcessExited)
	_, err = c.ListTools(testCtx(t))
	requireMCPError(t, err, mcpclient.OpList)
	assert.ErrorIs(t, err, mcpclient.ErrRestartLimit)

	raw, err := os.ReadFile(spawns)
	require.NoError(t, err)
	assert.Len(t, strings.Fields(string(raw)), 3, "one start and two restarts")
}

func TestStdioRestartsDisabled(t *testing.T) {
	cfg := stdioConfig("once", "-mode", mcptest.ModeCrashOnCall)
	stdioOf(cfg).MaxRestarts = -1
	c := connect(t, cfg)
	_, err := c.CallTool(testCtx(t), "echo", json.RawMessage(`{}`))
	require.ErrorIs(t, err, mcpclient.ErrProcessExited)
	_, err = c.CallTool(testCtx(t), "echo", json.RawMessage(`{}`))
	require.ErrorIs(t, err, mcpclient.ErrRestartLimit)
}

func TestStdioConcurrentCallsDuringCrash(t *testing.T) {
	c := connect(t, stdioConfig("crash-many"))
	errc := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := c.CallTool(testCtx(t), "rendezvous", json.RawMessage(`{"key":"gate","n":99}`))
			errc <- err
		}()
	}
	// Wait until the server holds all four calls.
	for textOf(t, call(t, c, "waiting", map[string]any{"key": "gate"})) != "4" {
		time.Sleep(5 * time.Millisecond)
	}
	_, err := c.CallTool(testCtx(t), "exit", json.RawMessage(`{"code":2}`))
	require.ErrorIs(t, err, mcpclient.ErrProcessExited)
	// Every call in flight fails with the exit.
	for range 4 {
		err := <-errc
		requireMCPError(t, err, mcpclient.OpCall)
		assert.ErrorIs(t, err, mcpclient.ErrProcessExited)
	}
}

func TestStdioSpawnFailure(t *testing.T) {
	_, err := mcpclient.Connect(testCtx(t), mcpclient.Config{Name: "ghost", Transport: &mcpclient.Stdio{Command: "/nonexistent/mcp-server"}})
	e := requireMCPError(t, err, mcpclient.OpSpawn)
	assert.Equal(t, "ghost", e.Server)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), `"ghost"`)
}

func TestStdioExitDuringHandshake(t *testing.T) {
	_, err := mcpclient.Connect(testCtx(t), stdioConfig("broken", "-stderr", "boom: bad config", "-mode", "nonsense"))
	e := requireMCPError(t, err, mcpclient.OpHandshake)
	assert.ErrorIs(t, err, mcpclient.ErrProcessExited)
	assert.Contains(t, e.Stderr, "boom: bad config")
	assert.Contains(t, err.Error(), "boom: bad config")
}

func TestStdioEnvironment(t *testing.T) {
	t.Setenv("MCPBRIDGE_TEST_SECRET", "s3cret")
	t.Setenv("LC_MCPBRIDGE_TEST", "fr")
	lookup := func(c *mcpclient.Client, name string) (bool, string) {
		var v struct {
			Set   bool   `json:"set"`
			Value string `json:"value"`
		}
		require.NoError(t, json.Unmarshal([]byte(textOf(t, call(t, c, "env", map[string]any{"name": name}))), &v))
		return v.Set, v.Value
	}

	cfg := stdioConfig("env")
	stdioOf(cfg).Env = map[string]string{"GIVEN": "yes", "HOME": "/custom/home"}
	c := connect(t, cfg)
	set, _ := lookup(c, "MCPBRIDGE_TEST_SECRET")
	assert.False(t, set, "a parent variable outside the safe set leaked to the child")
	set, v := lookup(c, "GIVEN")
	assert.True(t, set)
	assert.Equal(t, "yes", v)
	_, v = lookup(c, "HOME")
	assert.Equal(t, "/custom/home", v, "Env wins over inherited variables")
	set, _ = lookup(c, "PATH")
	assert.Equal(t, os.Getenv("PATH") != "", set)
	_, v = lookup(c, "LC_MCPBRIDGE_TEST")
	assert.Equal(t, "fr", v)

	cfg = stdioConfig("env-all")
	stdioOf(cfg).InheritEnv = true
	c = connect(t, cfg)
	_, v = lookup(c, "MCPBRIDGE_TEST_SECRET")
	assert.Equal(t, "s3cret", v)
}

func TestStdioWorkingDir(t *testing.T) {
	dir := t.TempDir()
	cfg := stdioConfig("cwd", "-pidfile", "relative.pid")
	stdioOf(cfg).Dir = dir
	c := connect(t, cfg)
	assert.Equal(t, c.Pid(), readPid(t, dir+"/relative.pid"))
}

func TestStdioStderrIsBounded(t *testing.T) {
	cfg := stdioConfig("chatty", "-stderr", strings.Repeat("a", 5000)+"TAIL")
	stdioOf(cfg).StderrLimit = 1000
	c := connect(t, cfg)
	call(t, c, "echo", map[string]any{"text": "x"}) // stderr was written before serving
	tail := c.Stderr()
	assert.LessOrEqual(t, len(tail), 1000)
	assert.Contains(t, tail, "TAIL")
}

func TestErrorType(t *testing.T) {
	cause := errors.New("boom")
	e := &mcpclient.Error{Server: "s", Op: mcpclient.OpCall, Tool: "t", Stderr: "last words\n", Err: cause}
	assert.Equal(t, `mcp server "s": call tool "t": boom; stderr: last words`, e.Error())
	assert.ErrorIs(t, e, cause)
	long := &mcpclient.Error{Server: "s", Op: mcpclient.OpSpawn, Stderr: strings.Repeat("x", 10000) + "END", Err: cause}
	assert.Less(t, len(long.Error()), 3000)
	assert.True(t, strings.HasSuffix(long.Error(), "END"))
}
