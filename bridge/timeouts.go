package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// ErrConnectTimeout matches the error of a server that did not start,
// answer the handshake and list its tools within the connect timeout
// (WithConnectTimeout), and of a per-user session that did not open within
// its own ([UserSessions].ConnectTimeout, by default the same). The error
// also matches context.DeadlineExceeded; the caller's own deadline does not
// match it. It is [mcpclient.ErrConnectTimeout].
var ErrConnectTimeout = mcpclient.ErrConnectTimeout

// connectTimeoutError replaces the bare "context deadline exceeded" of a
// server that never answered: it says which limit ran out and how to
// change it. The original cause stays reachable for errors.Is/As.
type connectTimeoutError struct {
	limit time.Duration
	cause error
}

func (e *connectTimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s (the connect timeout; bridge.WithConnectTimeout changes it)", e.limit)
}

func (e *connectTimeoutError) Unwrap() []error { return []error{ErrConnectTimeout, e.cause} }

// errConnectDeadline is the cause of the context that bounds one connect,
// so a failure can be told apart from the caller's own deadline.
var errConnectDeadline = errors.New("bridge: connect timeout")

// boundConnect bounds ctx by the connect timeout d (none when d <= 0). The
// returned blame rewrites an error caused by that bound into one that says
// so; any other error is returned as it is.
func boundConnect(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, func(error) error) {
	if d <= 0 {
		return ctx, func() {}, func(err error) error { return err }
	}
	tctx, cancel := context.WithTimeoutCause(ctx, d, errConnectDeadline)
	blame := func(err error) error {
		if err == nil || ctx.Err() != nil || !errors.Is(context.Cause(tctx), errConnectDeadline) {
			return err
		}
		var se *ServerError
		if errors.As(err, &se) {
			c := *se
			c.Err = &connectTimeoutError{limit: d, cause: se.Err}
			return &c
		}
		return &connectTimeoutError{limit: d, cause: err}
	}
	return tctx, cancel, blame
}
