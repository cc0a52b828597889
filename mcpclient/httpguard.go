package mcpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// This file holds the defences of the HTTP transports against the server
// at the other end: every response body is read through a bound (a whole
// body, or one event of an event stream, may not exceed MaxMessageBytes),
// configured headers go only to the configured origin, and redirects to
// another origin are refused.

// guardTransport limits the response bodies of the wrapped transport.
type guardTransport struct {
	base   http.RoundTripper
	server string
	limit  int64
	strays *strayResponses // offered the events of GET streams, when set
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *guardTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip sends req and wraps the response body in a limit: an event
// stream of a successful response may go on for ever, but each of its
// events is bounded; any other body (a JSON reply, an error page) is
// bounded as a whole.
func (t *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	resp.Body = &limitedBody{
		rc:     resp.Body,
		limit:  t.limit,
		stream: resp.StatusCode/100 == 2 && mediaType == "text/event-stream",
		server: t.server,
		status: resp.StatusCode,
		note:   tripNoteFrom(req.Context()),
	}
	if t.strays != nil && req.Method == http.MethodGet && resp.StatusCode/100 == 2 && mediaType == "text/event-stream" {
		resp.Body = &strayTee{rc: resp.Body, strays: t.strays}
	}
	return resp, nil
}

// limitedBody fails reads once the body, or the current event of an event
// stream, passes the limit. The bytes past the limit are never handed on.
type limitedBody struct {
	rc     io.ReadCloser
	limit  int64
	stream bool
	server string
	status int
	note   *tripNote

	n         int64 // bytes of the body, or of the current event
	lineEmpty bool  // no byte but '\r' since the last '\n' (stream only)
	joinCost  int64 // bytes copied to join the current event's lines
	err       error
}

// maxJoinFactor bounds the work of joining one event's lines: mcp-go
// appends each data line to the event's text so far, so an event of many
// short lines costs the square of its size in copying (a 64 MiB event of
// one-byte lines: hours of CPU). An event is refused once that copying
// would exceed maxJoinFactor times the size limit; an event on one line,
// the way MCP servers send them, costs its size once.
const maxJoinFactor = 16

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if !b.stream {
		b.n += int64(n)
		if b.n > b.limit {
			return 0, b.trip("an HTTP body")
		}
		return n, err
	}
	for _, c := range p[:n] {
		switch c {
		case '\n':
			if b.lineEmpty {
				b.n, b.joinCost = 0, 0 // a blank line ends the event
			} else {
				b.joinCost += b.n
			}
			b.lineEmpty = true
		case '\r':
		default:
			b.lineEmpty = false
			b.n++
		}
	}
	if b.n > b.limit {
		return 0, b.trip("an event-stream event")
	}
	if b.joinCost > maxJoinFactor*b.limit {
		return 0, b.trip("an event-stream event of so many lines that joining them costs")
	}
	return n, err
}

func (b *limitedBody) trip(what string) error {
	b.err = &tooLargeError{server: b.server, what: what, limit: b.limit, status: b.status}
	b.note.set(b.err)
	// Closing ends the transfer instead of leaving it to drain.
	_ = b.rc.Close()
	return b.err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// tooLargeError is the error of a message over MaxMessageBytes.
type tooLargeError struct {
	server string
	what   string // "an HTTP body", "an event-stream event", "a line"
	limit  int64
	size   int64 // known size, or 0
	status int   // HTTP status, or 0
}

func (e *tooLargeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: mcp server %q sent %s", ErrMessageTooLarge, e.server, e.what)
	if e.status != 0 {
		fmt.Fprintf(&b, " (HTTP status %d)", e.status)
	}
	if e.size > 0 {
		fmt.Fprintf(&b, " of %d bytes, %d bytes", e.size, e.size-e.limit)
	} else {
		b.WriteString(" more than allowed,")
	}
	fmt.Fprintf(&b, " over the limit of %d bytes", e.limit)
	return b.String()
}

func (e *tooLargeError) Is(target error) bool { return target == ErrMessageTooLarge }

// tripNote records the size error of a request's response, if any: mcp-go
// does not always pass on a body's read error (a broken event stream ends
// its request with "unexpected nil response"), so do() reads it from here.
type tripNote struct {
	mu  sync.Mutex
	err error
}

type tripKey struct{}

func withTripNote(ctx context.Context) (context.Context, *tripNote) {
	n := &tripNote{}
	return context.WithValue(ctx, tripKey{}, n), n
}

func tripNoteFrom(ctx context.Context) *tripNote {
	n, _ := ctx.Value(tripKey{}).(*tripNote)
	return n
}

func (n *tripNote) set(err error) {
	if n == nil {
		return
	}
	n.mu.Lock()
	if n.err == nil {
		n.err = err
	}
	n.mu.Unlock()
}

func (n *tripNote) get() error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// origin is scheme://host[:port] of u, lower-cased, with default ports
// made explicit, so that equal origins compare equal.
func origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + host + ":" + port
}

// configuredOrigin is the origin of the configured server URL ("" if it
// does not parse, which Connect reports elsewhere).
func configuredOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return origin(u)
}

// errCrossOriginRedirect is why a redirect to another origin is refused.
var errCrossOriginRedirect = errors.New("redirect to another origin refused")

// sameOriginRedirects returns a CheckRedirect that follows redirects
// within the configured origin only (then defers to next, the caller's
// own policy, or net/http's limit of 10): an MCP endpoint that moved to
// another host is a configuration change, and following it would hand
// that host the request (tool arguments included).
func sameOriginRedirects(server, want string, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if origin(req.URL) != want {
			return fmt.Errorf("mcp server %q: %w: %s", server, errCrossOriginRedirect, origin(req.URL))
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}
