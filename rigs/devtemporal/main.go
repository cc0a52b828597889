// Command devtemporal runs a command with a local Temporal dev server: it
// installs the Temporal CLI into $(go env GOPATH)/bin when it is missing
// (a one-time build of about 15 minutes on 2 cores), starts
// `temporal server start-dev` on free local ports, runs the command with
// TEMPORAL_ADDRESS set to the server's address, stops the server and exits
// with the command's status.
//
//	go run ./rigs/devtemporal go test -race -timeout 30m ./...
//
// When TEMPORAL_ADDRESS is already set, the command runs against that
// server and nothing is installed or started.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cliVersion is the Temporal CLI the tests are run with.
const cliVersion = "v1.5.1"

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: devtemporal COMMAND [ARG...]")
		os.Exit(2)
	}
	code, err := run(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devtemporal:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run(args []string) (int, error) {
	if os.Getenv("TEMPORAL_ADDRESS") != "" {
		return command(args, nil)
	}
	cli, err := temporalCLI()
	if err != nil {
		return 1, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return 1, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	dir, err := os.MkdirTemp("", "devtemporal")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return 1, err
	}
	defer logf.Close()
	srv := exec.Command(cli, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]), "--metrics-port", strconv.Itoa(ports[2]),
		"--log-level", "warn",
		// The server hands an activity to the worker that schedules it in the
		// reply to its workflow task (the SDK asks for it); off by default.
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		// The history service reads a shard's new transfer tasks (a workflow
		// task to dispatch) at most 20 times a second by default, so every
		// workflow task waited about 40 ms before a worker could take it:
		// most of a durable turn's time (BENCH.md row 9a). The dev server
		// has one shard; reading as soon as a task is written costs nothing.
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=10000")
	srv.Stdout, srv.Stderr = logf, logf
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		return 1, fmt.Errorf("starting the Temporal dev server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stop := func() {
		_ = syscall.Kill(-srv.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	if err := waitReady(addr, exited, 60*time.Second); err != nil {
		stop()
		out, _ := os.ReadFile(logf.Name())
		return 1, fmt.Errorf("the Temporal dev server did not start on %s: %w\n%s", addr, err, tail(string(out), 2000))
	}
	fmt.Fprintf(os.Stderr, "devtemporal: Temporal dev server on %s (TEMPORAL_ADDRESS)\n", addr)
	code, err := command(args, []string{"TEMPORAL_ADDRESS=" + addr})
	stop()
	return code, err
}

// command runs args with env added, passing on SIGINT and SIGTERM.
func command(args, env []string) (int, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	go func() {
		for s := range sig {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// temporalCLI finds the temporal command on PATH or in GOPATH/bin, and
// installs it there when it is in neither.
func temporalCLI() (string, error) {
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPATH: %w", err)
	}
	gopath := strings.TrimSpace(strings.Split(string(out), string(os.PathListSeparator))[0])
	bin := filepath.Join(gopath, "bin", "temporal")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	fmt.Fprintf(os.Stderr, "devtemporal: installing the Temporal CLI %s into %s (once; about 15 minutes on 2 cores)\n", cliVersion, filepath.Dir(bin))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	install := exec.CommandContext(ctx, "go", "install", "github.com/temporalio/cli/cmd/temporal@"+cliVersion)
	install.Env = append(os.Environ(), "GOFLAGS=", "GOBIN="+filepath.Dir(bin))
	install.Stdout, install.Stderr = os.Stderr, os.Stderr
	if err := install.Run(); err != nil {
		return "", fmt.Errorf("installing the Temporal CLI: %w", err)
	}
	return bin, nil
}

// freePorts returns n distinct free local TCP ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// waitReady waits until addr accepts connections, the server exits or
// the time is up.
func waitReady(addr string, exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("it exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not listening after %s", limit)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
