package mcpclient

// Running a request on a live session: connecting or reconnecting first,
// retrying once on an expired HTTP session, and the *Error of a failure.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
)

// do runs fn on a live session, reconnecting first when needed, and turns
// failures into *Error. A streamable HTTP session the server no longer
// knows is re-initialized and fn retried once.
func (c *Client) do(ctx context.Context, op Op, tool string, fn func(context.Context, *session) error) error {
	ctx, httpFail := withHTTPFailure(ctx)
	retried := false
	ctx, note := withTripNote(ctx)
	for {
		s, err := c.acquire(ctx, op, tool)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Op != op {
				// Reconnecting failed: report it as a failure of this
				// operation, saying which step went wrong.
				return &Error{Server: e.Server, Op: op, Tool: tool, Stderr: e.Stderr, Err: fmt.Errorf("reconnect: %s: %w", e.Op, e.Err), secrets: c.secrets}
			}
			return err
		}
		s.enter()
		err = fn(ctx, s)
		s.leave()
		if err == nil {
			c.mu.Lock()
			if c.sess == s {
				c.restarts = 0
			}
			c.mu.Unlock()
			return nil
		}
		if c.isClosed() {
			return c.newError(op, tool, fmt.Errorf("%w (%w)", ErrClosed, err), nil)
		}
		if tripped := note.get(); tripped != nil && !errors.Is(err, ErrMessageTooLarge) {
			// The reply was cut off at the size limit; mcp-go may not say so.
			err = fmt.Errorf("%w (%w)", tripped, err)
		}
		if errors.Is(err, transport.ErrSessionTerminated) {
			// The server refused the request without running it.
			c.cfg.Logger.Info("mcp server session expired; re-initializing", "server", c.cfg.Name)
			s.retire()
			if !retried {
				retried = true
				continue
			}
		}
		if s.sse && sseSessionGone(err) {
			c.cfg.Logger.Info("mcp server session expired; re-initializing", "server", c.cfg.Name)
			s.markLost(nil)
			if !retried {
				retried = true
				continue
			}
		}
		if s.sse && !s.alive() {
			if cause := s.lostCause(); cause != nil && !errors.Is(err, cause) {
				err = fmt.Errorf("connection lost (%w): %w", cause, err)
			} else {
				err = fmt.Errorf("connection lost: %w", err)
			}
		}
		if c.http != nil && !isContextError(err) {
			// Pooled connections to a server that went away fail the next
			// request that picks them; start afresh instead.
			c.http.HTTPClient.CloseIdleConnections()
		}
		err = c.sessionCause(s, err)
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return httpFail.annotate(c.newError(op, tool, err, s))
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// acquire returns a live session, reconnecting (or restarting the stdio
// server) if the current one is gone. Only one reconnection runs at a time;
// concurrent callers wait for it.
func (c *Client) acquire(ctx context.Context, op Op, tool string) (*session, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, c.newError(op, tool, ErrClosed, nil)
		}
		old := c.sess
		if old != nil && old.alive() {
			c.mu.Unlock()
			return old, nil
		}
		if a := c.attempt; a != nil {
			c.mu.Unlock()
			select {
			case <-a.done:
			case <-ctx.Done():
				return nil, c.newError(op, tool, ctx.Err(), nil)
			}
			if a.err != nil && (ctx.Err() != nil || !isContextError(a.err)) {
				return nil, a.err
			}
			continue
		}
		var delay time.Duration
		stdio := c.stdio != nil
		if stdio && old != nil {
			if c.stdio.MaxRestarts < 0 || c.restarts >= c.stdio.MaxRestarts {
				n := c.restarts
				c.mu.Unlock()
				cause := old.stdio.Err()
				if cause == nil {
					cause = ErrProcessExited
				}
				return nil, c.newError(op, tool, fmt.Errorf("%w after %d restarts: %w", ErrRestartLimit, n, cause), old)
			}
			c.restarts++
			if c.restarts > 1 {
				delay = min(c.stdio.RestartBackoff<<(c.restarts-2), maxRestartBackoff)
			}
		}
		a := &attempt{done: make(chan struct{})}
		c.attempt = a
		c.dials.Add(1)
		c.mu.Unlock()

		s, err := c.reconnect(ctx, old, delay)

		c.mu.Lock()
		c.attempt = nil
		var discard *session
		switch {
		case err == nil && c.closed:
			err = c.newError(op, tool, ErrClosed, nil)
			discard = s
		case err == nil:
			c.sess = s
		case stdio && old != nil && isContextError(err) && ctx.Err() != nil:
			c.restarts-- // the caller gave up; this attempt does not count
		}
		a.err = err
		close(a.done)
		c.mu.Unlock()
		if discard != nil {
			_ = discard.close()
		}
		c.dials.Done()
		if err != nil {
			return nil, err
		}
		c.cfg.Logger.Info("mcp server reconnected", "server", c.cfg.Name)
		if c.queue != nil && c.cfg.OnToolsChanged != nil {
			c.queue.push(func() { c.cfg.OnToolsChanged(c.cfg.Name) })
		}
		return s, nil
	}
}

func (c *Client) reconnect(ctx context.Context, old *session, delay time.Duration) (*session, error) {
	if old != nil && !old.isRetired() {
		if err := old.close(); err != nil {
			c.cfg.Logger.Debug("closing the old connection failed", "server", c.cfg.Name, "err", err)
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, c.newError(OpSpawn, "", ctx.Err(), nil)
		case <-c.life.Done():
			return nil, c.newError(OpSpawn, "", ErrClosed, nil)
		}
	}
	return c.dial(ctx)
}

// sseSessionGone recognises mcp-go's error for a message POST the SSE
// server rejected because it no longer knows the session (mcp-go has no
// sentinel for it).
func sseSessionGone(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Invalid session ID") ||
		strings.Contains(msg, "request failed with status 404") ||
		// The stream dropped and the transport was closed before this
		// request was sent (after sending, mcp-go says "connection has been
		// closed" instead, and the request is not repeated).
		strings.Contains(msg, "transport has been closed")
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// newError builds an *Error; s (optional) supplies the stderr tail when
// the process failed or the connection could not be set up.
func (c *Client) newError(op Op, tool string, err error, s *session) *Error {
	e := &Error{Server: c.cfg.Name, Op: op, Tool: tool, Err: err, secrets: c.secrets}
	if s != nil && (op == OpSpawn || op == OpHandshake || errors.Is(err, ErrProcessExited)) {
		e.Stderr = c.secrets.scrub(s.stderr())
	}
	return e
}
