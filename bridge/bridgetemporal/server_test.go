package bridgetemporal_test

// Tests against a real Temporal server (TEMPORAL_ADDRESS; the README's test
// command starts a dev server with rigs/devtemporal). Workers run in
// processes of their own, this test binary started again in worker mode,
// so a test can SIGKILL one.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// Environment of a worker process.
const (
	envWorker = "BRIDGETEMPORAL_TEST_WORKER" // set: this process is a worker
	envQueue  = "BRIDGETEMPORAL_TEST_QUEUE"
	envConfig = "BRIDGETEMPORAL_TEST_CONFIG" // a workerConfig as JSON
	envAPI    = "BRIDGETEMPORAL_TEST_API"
)

// workerConfig is the config a worker process builds its Bridge from: the
// test's MCP servers (over HTTP) and the bridge options under test.
type workerConfig struct {
	Servers    []workerServer
	ToolSearch bridge.ToolSearchMode `json:",omitempty"`
	Namespaces bool                  `json:",omitempty"`
	// Sampling answers the servers' sampling requests with the fake API
	// (model "sampling-model").
	Sampling bool `json:",omitempty"`
	// Tokens are the users' secrets the worker resolves a run's user to
	// (sent as a bearer token to per-user servers).
	Tokens map[string]string `json:",omitempty"`
	// Unstreamed: the worker's API does not stream (plainAPI), so every
	// call is an activity of its own, none runs in the model request.
	Unstreamed bool `json:",omitempty"`
}

type workerServer struct {
	Name, URL  string
	AllowTools []string `json:",omitempty"`
	PerUser    bool     `json:",omitempty"`
}

// bridgeOf builds the worker's Bridge and options from cfg.
func (cfg workerConfig) bridgeOf(ctx context.Context, api *openai.Client) (*bridge.Bridge, bridgetemporal.WorkerOptions, error) {
	var servers []bridge.Server
	for _, s := range cfg.Servers {
		srv := bridge.HTTP(s.Name, s.URL)
		srv.AllowTools = s.AllowTools
		if s.PerUser {
			srv.PerUser = &bridge.UserSessions{}
		}
		servers = append(servers, srv)
	}
	var opts []bridge.Option
	if cfg.ToolSearch != "" {
		opts = append(opts, bridge.WithToolSearch(cfg.ToolSearch))
	}
	if cfg.Namespaces {
		opts = append(opts, bridge.WithNamespaces())
	}
	if cfg.Sampling {
		opts = append(opts, bridge.WithSampling(bridge.SamplingConfig{API: &api.Responses, Model: "sampling-model"}))
	}
	var wo bridgetemporal.WorkerOptions
	if cfg.Tokens != nil {
		wo.Credentials = func(_ context.Context, user string) (bridge.Credentials, error) {
			tok, ok := cfg.Tokens[user]
			if !ok {
				return bridge.Credentials{}, fmt.Errorf("no such user %q", user)
			}
			return bridge.Credentials{ID: user, Headers: map[string]string{"Authorization": "Bearer " + tok}}, nil
		}
	}
	b, err := bridge.New(ctx, servers, opts...)
	return b, wo, err
}

func TestMain(m *testing.M) {
	if os.Getenv(envWorker) != "" {
		os.Exit(workerMain())
	}
	os.Exit(m.Run())
}

// workerMain is a worker process: a Bridge over the test's MCP servers
// (envConfig), the test's fake API, until SIGTERM (or SIGKILL).
func workerMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "worker:", err); return 1 }
	var cfg workerConfig
	if err := json.Unmarshal([]byte(os.Getenv(envConfig)), &cfg); err != nil {
		return fail(err)
	}
	api := openai.NewClient(option.WithBaseURL(os.Getenv(envAPI)), option.WithAPIKey("test"))
	b, wo, err := cfg.bridgeOf(ctx, &api)
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	c, err := bridgetemporal.Dial(ctx, os.Getenv("TEMPORAL_ADDRESS"), client.Options{Logger: quietLogger()})
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	wo.TaskQueue = os.Getenv(envQueue)
	var wapi responses.API = &api.Responses
	if cfg.Unstreamed {
		wapi = plainAPI{wapi}
	}
	w := bridgetemporal.NewWorker(c, b, wapi, wo)
	if err := w.Start(); err != nil {
		return fail(err)
	}
	fmt.Println("worker ready")
	<-ctx.Done()
	w.Stop()
	return 0
}

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// temporalAddress is the server's address; without one the test skips on
// a developer's machine and fails in CI.
func temporalAddress(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("TEMPORAL_ADDRESS")
	if addr == "" {
		msg := "TEMPORAL_ADDRESS is not set: run the tests with `go run ./rigs/devtemporal go test ./bridge/bridgetemporal/` (it starts a Temporal dev server)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return addr
}

// rig is a real-server test: a client, the shop over HTTP, the fake API,
// a task queue of its own and the worker processes it started. Workers
// hold cfg: the shop alone unless the test says otherwise.
type rig struct {
	t     *testing.T
	c     client.Client
	shop  *shop
	mcp   *mcptest.HTTPServer
	api   string
	queue string
	cfg   workerConfig
}

func newRig(t *testing.T, apiURL string, s *shop) *rig {
	t.Helper()
	addr := temporalAddress(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := bridgetemporal.Dial(ctx, addr, client.Options{Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	h := mcptest.NewHTTPServer(t, s.server(), mcptest.KindStreamable)
	cfg := workerConfig{Servers: []workerServer{{Name: "shop", URL: h.URL}}}
	return &rig{t: t, c: c, shop: s, mcp: h, api: apiURL, queue: "test-" + randomID(), cfg: cfg}
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// workerProc is a worker process.
type workerProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startWorker starts a worker process holding r.cfg and waits until it
// polls.
func (r *rig) startWorker() *workerProc {
	r.t.Helper()
	return r.startWorkerWith(r.cfg)
}

// startWorkerWith starts a worker process holding cfg.
func (r *rig) startWorkerWith(cfg workerConfig) *workerProc {
	r.t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(r.t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorker+"=1", envQueue+"="+r.queue, envConfig+"="+string(raw), envAPI+"="+r.api)
	out, err := cmd.StdoutPipe()
	require.NoError(r.t, err)
	cmd.Stderr = os.Stderr
	require.NoError(r.t, cmd.Start())
	p := &workerProc{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := out.Read(buf)
		ready <- strings.Contains(string(buf[:n]), "worker ready")
		for {
			if _, err := out.Read(buf); err != nil {
				break
			}
		}
		_ = cmd.Wait()
		close(p.exited)
	}()
	r.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case ok := <-ready:
		require.True(r.t, ok, "worker did not start")
	case <-time.After(60 * time.Second):
		r.t.Fatal("worker did not start within 60s")
	}
	return p
}

// kill SIGKILLs the worker and waits for it to be gone.
func (p *workerProc) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.exited
}

// start starts a run on the rig's queue; heartbeats are short so a dead
// worker is noticed in seconds.
func (r *rig) start(prompt string, o bridgetemporal.RunOptions) client.WorkflowRun {
	r.t.Helper()
	o.TaskQueue = r.queue
	if o.HeartbeatTimeout == 0 {
		o.HeartbeatTimeout = 2 * time.Second
	}
	run, err := bridgetemporal.Start(context.Background(), r.c, params(prompt), o)
	require.NoError(r.t, err)
	return run
}

// crash starts a worker and a run of prompt; once entered says the run
// reached the point under test (what), it SIGKILLs the worker and starts
// another holding next. It returns the run's id and output.
func (r *rig) crash(prompt string, o bridgetemporal.RunOptions, entered <-chan struct{}, what string, next workerConfig) (string, *bridgetemporal.RunOutput) {
	r.t.Helper()
	w1 := r.startWorker()
	run := r.start(prompt, o)
	waitFor(r.t, entered, what)
	w1.kill(r.t)
	r.startWorkerWith(next)
	return run.GetID(), r.result(run.GetID())
}

func (r *rig) result(id string) *bridgetemporal.RunOutput {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := bridgetemporal.Result(ctx, r.c, id)
	require.NoError(r.t, err)
	return out
}

func clientOptions() client.Options { return client.Options{Logger: quietLogger()} }

// history fetches the whole history of the run of workflow id.
func (r *rig) history(id string) *historypb.History {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it := r.c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(r.t, err)
		hist.Events = append(hist.Events, ev)
	}
	return hist
}

// envRecord, when set, makes the real-server tests write the histories
// they replay into testdata, for TestReplayRecordedHistories: only those
// not there yet, since a recorded history must keep replaying as it ran.
const envRecord = "BRIDGETEMPORAL_RECORD"

// replay fetches the history of the run of workflow id, replays it with
// the workflow code of this build (any nondeterminism fails) and, with
// envRecord set, keeps it as testdata/name.json unless that exists (or
// name is empty).
func (r *rig) replay(id, name string) {
	r.t.Helper()
	hist := r.history(id)
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(bridgetemporal.Workflow, workflow.RegisterOptions{Name: bridgetemporal.WorkflowName})
	require.NoError(r.t, replayer.ReplayWorkflowHistory(quietLogger(), hist))
	path := filepath.Join("testdata", name+".json")
	if _, err := os.Stat(path); name != "" && os.Getenv(envRecord) != "" && errors.Is(err, fs.ErrNotExist) {
		raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(r.t, err)
		require.NoError(r.t, os.WriteFile(path, raw, 0o644))
	}
}
