package bridge

import (
	"context"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/responses"
)

// Option configures [New]. Options that shape the tool set or the
// connections (names, strict mode, namespaces and tool search, sampling,
// what to do with a server that fails) exist only as Option, so they cannot
// be given where they would do nothing. Every [RunOption] is also an
// Option: given to New, it sets the default of every run of that Bridge.
//
// The options, by concern:
//   - the tool set: [WithNames], [WithStrict], [WithNamespaces],
//     [WithToolSearch];
//   - the servers: [WithConnectTimeout], [WithSkipFailedServers],
//     [WithServerConcurrency], [WithSampling];
//   - a run's limits: [WithMaxIterations], [WithCallTimeout],
//     [WithMaxOutputBytes];
//   - a run's hooks: [WithApproval], [WithBeforeCall], [WithAfterCall], [WithProgress],
//     [WithObserver], [WithLogger];
//   - what calls send and return: [WithValidateArguments],
//     [WithArrayOutputs].
type Option interface {
	applyBridge(*config)
}

// RunOption configures one run ([Bridge.Run], [Bridge.Stream] and their
// Resume forms). It is also an [Option], and the one-shot [Run] takes both
// kinds.
type RunOption interface {
	Option
	applyRun(*runConfig)
}

// bridgeOption is an Option that only New understands.
type bridgeOption func(*config)

func (f bridgeOption) applyBridge(c *config) { f(c) }

// runOption is valid per run and, as a default, in New.
type runOption func(*runConfig)

func (f runOption) applyBridge(c *config) { f(&c.run) }
func (f runOption) applyRun(r *runConfig) { f(r) }

// config is what New was given. Zero values mean "the owning package's
// default" (responses.DefaultMaxIterations, responses.DefaultMaxOutputBytes,
// ...); the defaults the bridge itself owns are set in defaultConfig.
type config struct {
	convert           convert.Options
	serverConcurrency int
	connectTimeout    time.Duration
	refreshOnChange   bool
	skipFailed        bool
	run               runConfig
	sampling          *SamplingConfig // WithSampling (sampling.go)
	elicit            elicitFunc      // WithElicitation (elicitation.go)
	search            searchConfig    // namespaces and tool search (toolsearch.go)
}

// runConfig is what one run uses.
type runConfig struct {
	loop         responses.Options
	arrayOutputs bool
	progress     func(server, tool string, p mcp.ProgressNotificationParams)
	validateArgs bool
	streaming    bool // Bridge.Stream: MCP progress becomes EventCallProgress
}

// Defaults the bridge owns (the loop's are in package responses).
const (
	defaultServerConcurrency = 8                // calls at once on one server, across runs
	defaultConnectTimeout    = 30 * time.Second // to start, handshake and list one server
)

func defaultConfig() config {
	return config{
		serverConcurrency: defaultServerConcurrency,
		connectTimeout:    defaultConnectTimeout,
		refreshOnChange:   true,
	}
}

func buildConfig(opts []Option) config {
	c := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.applyBridge(&c)
		}
	}
	return c
}

// withRun returns base with opts applied.
func withRun(base runConfig, opts []RunOption) runConfig {
	r := base
	for _, o := range opts {
		if o != nil {
			o.applyRun(&r)
		}
	}
	return r
}

// WithNames replaces the naming of functions: name(server, tool) instead of
// "server__tool" (return tool alone for names without the server's prefix,
// or join them with another separator). The result is still made to fit
// the names the API accepts and unique across the tool set: a clash gets a
// deterministic suffix hashed from the server and tool. An empty result
// falls back to the default.
func WithNames(name func(server, tool string) string) Option {
	return bridgeOption(func(c *config) { c.convert.NameFunc = name })
}

// WithStrict makes every tool whose schema is compatible with strict mode a
// strict function tool. Incompatible tools stay non-strict and are reported
// in [Bridge.Diagnostics]. Strict is always sent explicitly, whatever this
// option says.
func WithStrict() Option {
	return bridgeOption(func(c *config) { c.convert.Strict = true })
}

// WithServerConcurrency bounds how many calls run at the same time on one
// server, across every run that shares the bridge (default 8); more wait.
func WithServerConcurrency(n int) Option {
	return bridgeOption(func(c *config) { c.serverConcurrency = n })
}

// WithConnectTimeout bounds how long New waits for one server to start,
// complete the handshake and list its tools (default 30 seconds; 0 or
// less: only the context bounds it). A server that takes longer has failed
// to start; the other servers are not delayed by it.
func WithConnectTimeout(d time.Duration) Option {
	return bridgeOption(func(c *config) { c.connectTimeout = d })
}

// WithSkipFailedServers changes what New does when a server cannot be
// started, connected or listed: without it, New fails with an error naming
// every failed server and why; with it, New leaves those servers out
// (their tools are not offered) and fails only when no server is left;
// [Bridge.MissingServers] names them.
func WithSkipFailedServers() Option {
	return bridgeOption(func(c *config) { c.skipFailed = true })
}

// WithMaxIterations bounds the number of model turns of a run (default 10,
// responses.DefaultMaxIterations). When the last allowed turn still calls
// tools, the run ends with an error matching [ErrMaxIterations] and the
// outputs not delivered are kept for Resume.
func WithMaxIterations(n int) RunOption {
	return runOption(func(r *runConfig) { r.loop.MaxIterations = n })
}

// WithCallTimeout bounds each tool call. A call that runs longer is abandoned
// and the model is told it timed out; its siblings are unaffected.
// [Server].CallTimeout bounds the calls of one server.
func WithCallTimeout(d time.Duration) RunOption {
	return runOption(func(r *runConfig) { r.loop.CallTimeout = d })
}

// WithBeforeCall registers a hook that runs before each tool call is
// approved and run; call.Route names the server and tool.
func WithBeforeCall(fn func(ctx context.Context, call Call)) RunOption {
	return runOption(func(r *runConfig) { r.loop.BeforeCall = fn })
}

// WithAfterCall registers a hook that runs after each tool call with its
// record: the call (with its Route), the output the model receives, the
// error, the duration, whether it was denied. Hooks of one run
// (WithBeforeCall, WithApproval, WithAfterCall) are never called concurrently.
func WithAfterCall(fn func(ctx context.Context, rec CallRecord)) RunOption {
	return runOption(func(r *runConfig) { r.loop.AfterCall = fn })
}

// WithApproval registers a hook that decides whether a call may run, before
// it does; call.Route names the server and tool. A denied call never
// reaches its server; the model is told it was denied and why. Calls to a
// tool in its [Server].AutoApprove list skip the hook.
func WithApproval(fn func(ctx context.Context, call Call) (ok bool, reason string)) RunOption {
	return runOption(func(r *runConfig) { r.loop.Approve = fn })
}

// WithObserver follows each run, turn and call with a context the observer
// may replace, so a tracer can nest spans run > turn > call (see
// [responses.Observer]; package bridgeotel is one).
func WithObserver(o responses.Observer) RunOption {
	return runOption(func(r *runConfig) { r.loop.Observer = o })
}

// WithArrayOutputs sends tool outputs as content arrays, so images reach the
// model as input_image parts, and resource links to images and PDFs at
// public https URLs as parts the API fetches (after the JSON that names
// each link). Without it, images are described in text.
func WithArrayOutputs() RunOption {
	return runOption(func(r *runConfig) { r.arrayOutputs = true })
}

// WithMaxOutputBytes caps every output the model gets in a run (default
// 64 KiB, responses.DefaultMaxOutputBytes): tool results and error outputs,
// denials and timeouts alike, in one place (responses.Deliverable). A
// longer output is cut, visibly marked and flagged Truncated; no output
// goes above the API's 10 MiB (negative: that limit).
func WithMaxOutputBytes(n int) RunOption {
	return runOption(func(r *runConfig) { r.loop.MaxOutputBytes = n })
}

// WithProgress receives the progress notifications servers send while
// their tools run, with the server and MCP tool. [Bridge.Stream] also
// yields them as [EventCallProgress].
func WithProgress(fn func(server, tool string, p mcp.ProgressNotificationParams)) RunOption {
	return runOption(func(r *runConfig) { r.progress = fn })
}

// WithLogger sets the logger: given to New, for the connections and every
// run; given to a run, for that run's loop. The bridge logs server names,
// tool names and durations, never arguments, headers or keys. The default
// discards.
func WithLogger(l *slog.Logger) RunOption {
	return runOption(func(r *runConfig) { r.loop.Logger = l })
}

// WithValidateArguments checks the model's arguments against the tool's
// input schema before calling the server. Every violation goes back to the
// model as the call's output and the server is not called.
func WithValidateArguments() RunOption {
	return runOption(func(r *runConfig) { r.validateArgs = true })
}
