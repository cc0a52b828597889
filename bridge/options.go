package bridge

import (
	"context"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/openai/openai-go/v3/option"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/responses"
)

// Option configures New. Options that shape the tool set or the
// connections (naming, strict mode, timeouts for connecting, what to do
// with a server that fails) exist only as Option, so they cannot be given
// where they would do nothing. Every RunOption is also an Option: given to
// New, it sets the default of every run of that Bridge.
type Option interface {
	applyBridge(*config)
}

// RunOption configures one run (Bridge.Run, Bridge.Resume). It is also
// an Option, and the one-shot Run takes both kinds.
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

// ProgressFunc receives progress notifications a server sends while one of
// its tools runs.
type ProgressFunc func(server, tool string, p mcp.ProgressNotificationParams)

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
	elicit            ElicitFunc      // WithElicitation (elicitation.go)
	search            searchConfig    // namespaces and tool search (toolsearch.go)
}

// runConfig is what one run uses.
type runConfig struct {
	loop           responses.Options
	arrayOutputs   bool
	maxOutputBytes int
	progress       ProgressFunc
	validateArgs   bool
	loaded         *loadedSet // what this run's client tool searches loaded (searchindex.go)
	streaming      bool       // Bridge.Stream: MCP progress becomes EventCallProgress
}

// Defaults used when an option is not given. Each is defined once, by the
// package that applies it.
const (
	DefaultServerConcurrency = 8
	DefaultConnectTimeout    = 30 * time.Second
	DefaultMaxIterations     = responses.DefaultMaxIterations
	DefaultMaxConcurrency    = responses.DefaultMaxConcurrency
	DefaultMaxOutputBytes    = responses.DefaultMaxOutputBytes
)

func defaultConfig() config {
	return config{
		serverConcurrency: DefaultServerConcurrency,
		connectTimeout:    DefaultConnectTimeout,
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

// withRun returns base with opts applied, never sharing base's slices.
func withRun(base runConfig, opts []RunOption) runConfig {
	r := base
	r.loop.RequestOptions = append([]option.RequestOption(nil), base.loop.RequestOptions...)
	for _, o := range opts {
		if o != nil {
			o.applyRun(&r)
		}
	}
	return r
}

// WithSeparator sets the text placed between the server name and the tool
// name in function names. The default is "__", giving "server__tool".
func WithSeparator(sep string) Option {
	return bridgeOption(func(c *config) { c.convert.Separator = sep })
}

// WithoutPrefix names functions after the tool alone. Tools with the same name
// on different servers are still told apart by a deterministic suffix.
func WithoutPrefix() Option {
	return bridgeOption(func(c *config) { c.convert.NoPrefix = true })
}

// WithNameFunc replaces the naming scheme. The result is still sanitized to
// the pattern the API accepts and made unique across the tool set.
func WithNameFunc(fn func(server, tool string) string) Option {
	return bridgeOption(func(c *config) { c.convert.NameFunc = fn })
}

// WithStrict makes every tool whose schema is compatible with strict mode a
// strict function tool. Incompatible tools stay non-strict and are reported
// in Diagnostics. Strict is always sent explicitly, whatever this option says.
func WithStrict(strict bool) Option {
	return bridgeOption(func(c *config) { c.convert.Strict = strict })
}

// WithDescriptionPrefix prefixes every tool description with "[server] ".
func WithDescriptionPrefix(on bool) Option {
	return bridgeOption(func(c *config) { c.convert.DescriptionPrefix = on })
}

// WithMaxDescriptionBytes caps the length of tool descriptions sent to the model.
func WithMaxDescriptionBytes(n int) Option {
	return bridgeOption(func(c *config) { c.convert.MaxDescriptionBytes = n })
}

// WithServerConcurrency bounds how many calls run at the same time on one
// server, across every run that shares the bridge (default
// DefaultServerConcurrency).
func WithServerConcurrency(n int) Option {
	return bridgeOption(func(c *config) { c.serverConcurrency = n })
}

// WithConnectTimeout bounds how long New waits for one server to start,
// complete the handshake and list its tools (default DefaultConnectTimeout;
// 0 or less: only the context bounds it). A server that takes longer has
// failed to start; the other servers are not delayed by it.
func WithConnectTimeout(d time.Duration) Option {
	return bridgeOption(func(c *config) { c.connectTimeout = d })
}

// WithRefreshOnListChanged controls whether the bridge relists a server's
// tools before the next turn after the server announces that its tool list
// changed (default on).
func WithRefreshOnListChanged(on bool) Option {
	return bridgeOption(func(c *config) { c.refreshOnChange = on })
}

// WithSkipFailedServers controls what New does when a server cannot be
// started, connected or listed. Off (the default), New fails with a
// *StartError naming every failed server and why. On, New leaves those
// servers out (their tools are not offered) and fails only when no server
// is left; Bridge.MissingServers and Result.MissingServers name them.
func WithSkipFailedServers(on bool) Option {
	return bridgeOption(func(c *config) { c.skipFailed = on })
}

// WithMaxIterations bounds the number of model turns of a run (default
// DefaultMaxIterations).
func WithMaxIterations(n int) RunOption {
	return runOption(func(r *runConfig) { r.loop.MaxIterations = n })
}

// WithMaxConcurrency bounds how many function calls of one turn run at the
// same time across all servers (default DefaultMaxConcurrency; 1
// runs them one after another).
func WithMaxConcurrency(n int) RunOption {
	return runOption(func(r *runConfig) { r.loop.MaxConcurrency = n })
}

// WithCallTimeout bounds each tool call. A call that runs longer is abandoned
// and the model is told it timed out; its siblings are unaffected.
func WithCallTimeout(d time.Duration) RunOption {
	return runOption(func(r *runConfig) { r.loop.CallTimeout = d })
}

// WithBeforeCall registers a hook that runs before each tool call.
func WithBeforeCall(fn func(ctx context.Context, call Call)) RunOption {
	return runOption(func(r *runConfig) { r.loop.BeforeCall = fn })
}

// WithAfterCall registers a hook that runs after each tool call with its
// output, error and duration.
func WithAfterCall(fn func(ctx context.Context, rec CallRecord)) RunOption {
	return runOption(func(r *runConfig) { r.loop.AfterCall = fn })
}

// WithApproval registers a hook that decides whether a call may run. A denied
// call never reaches its server; the model is told it was denied and why.
func WithApproval(fn func(ctx context.Context, call Call) (ok bool, reason string)) RunOption {
	return runOption(func(r *runConfig) { r.loop.Approve = fn })
}

// WithObserver follows each run, turn and call with a context the observer
// may replace, so a tracer can nest spans run > turn > call (see
// responses.Observer).
func WithObserver(o Observer) RunOption {
	return runOption(func(r *runConfig) { r.loop.Observer = o })
}

// WithArrayOutputs sends tool outputs as content arrays, so images reach the
// model as input_image parts. When off (the default), images are described
// in text.
func WithArrayOutputs(on bool) RunOption {
	return runOption(func(r *runConfig) { r.arrayOutputs = on })
}

// WithMaxOutputBytes caps every output the model gets in a run (default
// DefaultMaxOutputBytes, 64 KiB): tool results and error outputs, denials
// and timeouts alike (responses.Options.MaxOutputBytes). A longer output is
// cut and visibly marked as truncated; no output goes above the API's
// 10 MiB (negative: that limit).
func WithMaxOutputBytes(n int) RunOption {
	return runOption(func(r *runConfig) { r.maxOutputBytes, r.loop.MaxOutputBytes = n, n })
}

// WithProgress receives progress notifications from long-running tools.
func WithProgress(fn ProgressFunc) RunOption {
	return runOption(func(r *runConfig) { r.progress = fn })
}

// WithLogger sets the logger: given to New, for the connections and every
// run; given to a run, for that run's loop. The bridge logs server names,
// tool names and durations, never arguments, headers or keys. The default
// discards.
func WithLogger(l *slog.Logger) RunOption {
	return runOption(func(r *runConfig) { r.loop.Logger = l })
}

// WithValidateArguments checks the model's arguments against the tool's input
// schema before calling the server. Every violation goes back to the model
// as the call's output and the server is not called. Off by default.
func WithValidateArguments(on bool) RunOption {
	return runOption(func(r *runConfig) { r.validateArgs = on })
}

// WithRequestOptions adds openai-go request options (headers, retries,
// timeouts) to every Responses API request of a run.
func WithRequestOptions(opts ...option.RequestOption) RunOption {
	return runOption(func(r *runConfig) { r.loop.RequestOptions = append(r.loop.RequestOptions, opts...) })
}
