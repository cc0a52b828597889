package mcpclient

// What the server sends outside of a request on a 2026-07-28 connection:
// it arrives only on a subscriptions/listen stream, for the notification
// types the client opted in to. The handshake versions need none of this
// (the standalone GET stream, or the stdio pipe, carries everything).

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// Backoff between attempts to reopen a listen stream the server closed.
const (
	listenBackoffMin = 500 * time.Millisecond
	listenBackoffMax = 30 * time.Second
)

// listenAckTimeout bounds the wait for a server's acknowledgement of a
// listen stream; a server that never sends it is warned about and used
// without.
const listenAckTimeout = 5 * time.Second

// listener is a session's subscriptions/listen stream.
type listener struct {
	mu   sync.Mutex
	stop func() // ends the stream in use and waits for its goroutine; nil when none
	// ready is closed when the open stream was acknowledged, or its first
	// attempt failed; readyOnce guards it.
	ready     chan struct{}
	readyOnce *sync.Once
}

// acknowledged marks the open stream as established (the server's
// notifications/subscriptions/acknowledged arrived).
func (l *listener) acknowledged() {
	l.mu.Lock()
	ready, once := l.ready, l.readyOnce
	l.mu.Unlock()
	if once != nil {
		once.Do(func() { close(ready) })
	}
}

// onAck is the session's handler for the acknowledgement of its stream.
func (s *session) onAck(n mcp.JSONRPCNotification) {
	if n.Method == mcp.MethodNotificationSubscriptionsAcknowledged {
		s.listener.acknowledged()
	}
}

// modern reports whether s speaks the stateless protocol.
func (s *session) modern() bool { return mcp.IsModernProtocol(s.info.ProtocolVersion) }

// listenFilter is what a modern session opts in to: the list changes the
// server declares and someone here hears of (OnToolsChanged or
// OnNotification), and the resources subscribed to with Subscribe.
func (c *Client) listenFilter(s *session) mcp.SubscriptionFilter {
	caps := s.info.Capabilities
	var f mcp.SubscriptionFilter
	hears := c.cfg.OnNotification != nil
	if caps.Tools != nil && caps.Tools.ListChanged && (hears || c.cfg.OnToolsChanged != nil) {
		f.ToolsListChanged = true
	}
	if caps.Prompts != nil && caps.Prompts.ListChanged && hears {
		f.PromptsListChanged = true
	}
	if caps.Resources != nil && caps.Resources.ListChanged && hears {
		f.ResourcesListChanged = true
	}
	c.ext.mu.Lock()
	for uri := range c.ext.subs {
		f.ResourceSubscriptions = append(f.ResourceSubscriptions, uri)
	}
	c.ext.mu.Unlock()
	slices.Sort(f.ResourceSubscriptions)
	return f
}

// listen (re)opens the listen stream of a modern session with the current
// filter, replacing the one open, and waits (bounded by ctx and
// listenAckTimeout) until the server acknowledged it, so that a change
// made after listen returns is heard. With nothing to hear it closes the
// stream. It does nothing on a handshake-version session.
func (c *Client) listen(ctx context.Context, s *session) {
	ready := c.openListen(s)
	if ready == nil {
		return
	}
	t := time.NewTimer(listenAckTimeout)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
		c.cfg.Logger.Warn("mcp server did not acknowledge subscriptions/listen; list changes may go unheard",
			"server", c.cfg.Name, "waited", listenAckTimeout)
	case <-ctx.Done():
	case <-s.life.Done():
	}
}

// openListen starts the stream of listen and returns the channel closed
// once it is established; nil when no stream was opened.
func (c *Client) openListen(s *session) <-chan struct{} {
	if !s.modern() {
		return nil
	}
	f := c.listenFilter(s)
	s.listener.mu.Lock()
	defer s.listener.mu.Unlock()
	if s.listener.stop != nil {
		s.listener.stop()
		s.listener.stop = nil
	}
	if f.IsEmpty() {
		return nil
	}
	ready, once := make(chan struct{}), new(sync.Once)
	s.listener.ready, s.listener.readyOnce = ready, once
	ctx, cancel := context.WithCancel(s.life)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.listenLoop(ctx, s, f, func() { once.Do(func() { close(ready) }) })
	}()
	s.listener.stop = func() {
		cancel()
		<-done
	}
	return ready
}

// listenLoop keeps s's listen stream open until ctx ends or the session
// is lost. A stream the server ends is reopened after a growing pause;
// since changes made in between went unheard, OnToolsChanged is called
// once it is open again, as after a reconnection.
func (c *Client) listenLoop(ctx context.Context, s *session, f mcp.SubscriptionFilter, failed func()) {
	backoff := listenBackoffMin
	for reopened := false; ; reopened = true {
		if reopened && f.ToolsListChanged && c.queue != nil && c.cfg.OnToolsChanged != nil {
			c.queue.push(func() { c.cfg.OnToolsChanged(c.cfg.Name) })
		}
		opened := time.Now()
		err := s.mc.Listen(ctx, f)
		failed() // whoever waits for the acknowledgement waits no more
		if ctx.Err() != nil || !s.alive() {
			return
		}
		why := "closed"
		if err != nil {
			why = c.secrets.scrub(err.Error())
		}
		c.cfg.Logger.Warn("mcp server ended its subscriptions/listen stream; reopening", "server", c.cfg.Name,
			"err", why, "after", backoff)
		if time.Since(opened) > listenBackoffMax {
			backoff = listenBackoffMin // it had been working: start over
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}
