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

// Option configures a Bridge (in New) or a single run (in Bridge.Run and Run).
// Options that shape the tool set (naming, strict mode, descriptions) only take
// effect in New; options that shape the loop may also be given per run.
type Option func(*options)

// ProgressFunc receives progress notifications a server sends while one of
// its tools runs.
type ProgressFunc func(server, tool string, p mcp.ProgressNotificationParams)

type options struct {
	convert convert.Options

	maxIterations     int
	maxConcurrency    int
	serverConcurrency int
	callTimeout       time.Duration
	connectTimeout    time.Duration
	beforeCall        func(context.Context, responses.Call)
	afterCall         func(context.Context, responses.CallRecord)
	approve           func(context.Context, responses.Call) (bool, string)
	arrayOutputs      bool
	maxOutputBytes    int
	refreshOnChange   bool
	skipFailed        bool
	progress          ProgressFunc
	logger            *slog.Logger
	validateArgs      bool
	requestOptions    []option.RequestOption
	sampling          *SamplingConfig // WithSampling (sampling.go)
}

// Defaults used when an option is not given.
const (
	DefaultMaxIterations     = 10
	DefaultMaxConcurrency    = 8
	DefaultServerConcurrency = 8
	DefaultMaxOutputBytes    = 64 << 10
	DefaultConnectTimeout    = 30 * time.Second
)

func defaultOptions() options {
	return options{
		maxIterations:     DefaultMaxIterations,
		maxConcurrency:    DefaultMaxConcurrency,
		serverConcurrency: DefaultServerConcurrency,
		maxOutputBytes:    DefaultMaxOutputBytes,
		connectTimeout:    DefaultConnectTimeout,
		skipFailed:        true,
		refreshOnChange:   true,
	}
}

func buildOptions(base options, opts []Option) options {
	o := base
	// Copy slices so per-run options never alias the bridge's own.
	o.requestOptions = append([]option.RequestOption(nil), base.requestOptions...)
	for _, fn := range opts {
		if fn != nil {
			fn(&o)
		}
	}
	return o
}

// WithSeparator sets the text placed between the server name and the tool
// name in function names. The default is "__", giving "server__tool".
func WithSeparator(sep string) Option {
	return func(o *options) { o.convert.Separator = sep }
}

// WithoutPrefix names functions after the tool alone. Tools with the same name
// on different servers are still told apart by a deterministic suffix.
func WithoutPrefix() Option {
	return func(o *options) { o.convert.NoPrefix = true }
}

// WithNameFunc replaces the naming scheme. The result is still sanitized to
// the pattern the API accepts and made unique across the tool set.
func WithNameFunc(fn func(server, tool string) string) Option {
	return func(o *options) { o.convert.NameFunc = fn }
}

// WithStrict makes every tool whose schema is compatible with strict mode a
// strict function tool. Incompatible tools stay non-strict and are reported
// in Diagnostics. Strict is always sent explicitly, whatever this option says.
func WithStrict(strict bool) Option {
	return func(o *options) { o.convert.Strict = strict }
}

// WithDescriptionPrefix prefixes every tool description with "[server] ".
func WithDescriptionPrefix(on bool) Option {
	return func(o *options) { o.convert.DescriptionPrefix = on }
}

// WithMaxDescriptionBytes caps the length of tool descriptions sent to the model.
func WithMaxDescriptionBytes(n int) Option {
	return func(o *options) { o.convert.MaxDescriptionBytes = n }
}

// WithMaxIterations bounds the number of model turns of a run (default 10).
func WithMaxIterations(n int) Option {
	return func(o *options) { o.maxIterations = n }
}

// WithMaxConcurrency bounds how many function calls of one turn run at the
// same time across all servers (default 8; 1 runs them one after another).
func WithMaxConcurrency(n int) Option {
	return func(o *options) { o.maxConcurrency = n }
}

// WithServerConcurrency bounds how many calls run at the same time on one
// server, across every run that shares the bridge (default 8).
func WithServerConcurrency(n int) Option {
	return func(o *options) { o.serverConcurrency = n }
}

// WithConnectTimeout bounds how long New waits for one server to start,
// complete the handshake and list its tools (default 30s; 0 or less: only
// the context bounds it). A server that takes longer is treated as failed
// (see WithSkipFailedServers); the other servers are not delayed by it.
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) { o.connectTimeout = d }
}

// WithCallTimeout bounds each tool call. A call that runs longer is abandoned
// and the model is told it timed out; its siblings are unaffected.
func WithCallTimeout(d time.Duration) Option {
	return func(o *options) { o.callTimeout = d }
}

// WithBeforeCall registers a hook that runs before each tool call.
func WithBeforeCall(fn func(ctx context.Context, call responses.Call)) Option {
	return func(o *options) { o.beforeCall = fn }
}

// WithAfterCall registers a hook that runs after each tool call with its
// output, error and duration.
func WithAfterCall(fn func(ctx context.Context, rec responses.CallRecord)) Option {
	return func(o *options) { o.afterCall = fn }
}

// WithApproval registers a hook that decides whether a call may run. A denied
// call never reaches its server; the model is told it was denied and why.
func WithApproval(fn func(ctx context.Context, call responses.Call) (ok bool, reason string)) Option {
	return func(o *options) { o.approve = fn }
}

// WithArrayOutputs sends tool outputs as content arrays, so images reach the
// model as input_image parts. When off (the default), images are described
// in text.
func WithArrayOutputs(on bool) Option {
	return func(o *options) { o.arrayOutputs = on }
}

// WithMaxOutputBytes caps the text of each tool output (default 64 KiB). A
// longer output is cut and visibly marked as truncated.
func WithMaxOutputBytes(n int) Option {
	return func(o *options) { o.maxOutputBytes = n }
}

// WithRefreshOnListChanged controls whether the bridge relists a server's
// tools before the next turn after the server announces that its tool list
// changed (default on).
func WithRefreshOnListChanged(on bool) Option {
	return func(o *options) { o.refreshOnChange = on }
}

// WithSkipFailedServers controls what New does when a server cannot be
// connected or listed. On (the default), the server is left out and reported
// by Failed and Diagnostics, and New fails only if every server failed. Off,
// New fails if any server fails.
func WithSkipFailedServers(on bool) Option {
	return func(o *options) { o.skipFailed = on }
}

// WithProgress receives progress notifications from long-running tools.
func WithProgress(fn ProgressFunc) Option {
	return func(o *options) { o.progress = fn }
}

// WithLogger sets the logger. The bridge logs server names, tool names and
// durations, never arguments, headers or keys. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithValidateArguments checks the model's arguments against the tool's input
// schema before calling the server. A violation goes back to the model as
// the call's output and the server is not called. Off by default.
func WithValidateArguments(on bool) Option {
	return func(o *options) { o.validateArgs = on }
}

// WithRequestOptions adds openai-go request options (headers, retries,
// timeouts) to every Responses API request of a run.
func WithRequestOptions(opts ...option.RequestOption) Option {
	return func(o *options) { o.requestOptions = append(o.requestOptions, opts...) }
}
