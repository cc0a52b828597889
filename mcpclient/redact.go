package mcpclient

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Server URLs may carry credentials (https://user:pass@host/mcp,
// ?api_key=...), and URLs end up in error messages: net/http names the URL
// of a failed request, mcp-go logs it. Every *Error message and every log
// line of a Client goes through redactURLs, which keeps scheme, host and
// path (where the failure happened) and replaces the user info and the
// value of every query parameter with "REDACTED".

// redacted replaces secrets in messages.
const redacted = "REDACTED"

// urlPattern finds absolute URLs in free text: up to a space, a quote or
// an angle bracket, which is how URLs are delimited in Go's error messages
// (url.Error quotes them).
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)

// redactURLs returns s with the user info and the query values of every
// URL in it replaced.
func redactURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlPattern.ReplaceAllStringFunc(s, redactURL)
}

// redactURL works on the text alone, so that a URL that does not parse
// (and whose parse error would quote it) is redacted too. A URL nested in
// another (a://b/https://user:pw@c) is redacted on its own.
func redactURL(u string) string {
	i := strings.Index(u, "://") + 3
	if j := strings.Index(u[i:], "://"); j >= 0 {
		k := i + j
		for k > i && isSchemeByte(u[k-1]) {
			k--
		}
		// "x" gives the nested URL a scheme even when it has none.
		return redactOneURL(u[:k]) + strings.TrimPrefix(redactURL("x"+u[k:]), "x")
	}
	return redactOneURL(u)
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}

// redactOneURL redacts a URL with no other URL inside.
func redactOneURL(u string) string {
	i := strings.Index(u, "://") + 3
	rest := u[i:]
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	auth := rest[:authEnd]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = redacted + auth[at:]
	}
	tail := rest[authEnd:]
	if q := strings.IndexByte(tail, '?'); q >= 0 {
		path, query, fragment := tail[:q], tail[q+1:], ""
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query, fragment = query[:h], query[h:]
		}
		params := strings.Split(query, "&")
		for j, p := range params {
			k, _, hasValue := strings.Cut(p, "=")
			switch {
			case hasValue && plainKey(k) && len(p) > len(k)+1:
				params[j] = k + "=" + redacted
			case p != "":
				params[j] = redacted
			}
		}
		tail = path + "?" + strings.Join(params, "&") + fragment
	}
	return u[:i] + auth + tail
}

// plainKey reports whether a query key is a plain name worth keeping
// (api_key, token, ...); anything else (a URL nested in the query, say)
// is redacted with its value, and so is a key without a value (it may be
// a token itself). A key that is a secret with a value after it is kept:
// keys name things, values carry them.
func plainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.[]", c)) {
			return false
		}
	}
	return true
}

// redactingHandler is a slog.Handler that redacts URLs in the message and
// in every attribute before passing the record on.
type redactingHandler struct {
	next    slog.Handler
	secrets *scrubber // values handed to the server, or nil
}

// redactLogger wraps l so that nothing it logs carries URL credentials.
func redactLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(*redactingHandler); ok {
		return l
	}
	return slog.New(&redactingHandler{next: l.Handler()})
}

func (h *redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.secrets.scrub(redactURLs(r.Message)), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.clean(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.clean(a)
	}
	return &redactingHandler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

// scrubLogger returns l (made by redactLogger) also scrubbing the values
// handed to one server.
func scrubLogger(l *slog.Logger, secrets *scrubber) *slog.Logger {
	h, ok := l.Handler().(*redactingHandler)
	if !ok {
		h = &redactingHandler{next: l.Handler()}
	}
	return slog.New(&redactingHandler{next: h.next, secrets: secrets})
}

// clean redacts URLs in a and scrubs the secrets from it.
func (h *redactingHandler) clean(a slog.Attr) slog.Attr {
	a = redactAttr(a)
	if h.secrets == nil {
		return a
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.secrets.scrub(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		clean := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			clean[i] = h.clean(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		text := fmt.Sprint(v.Any())
		if e, ok := v.Any().(error); ok {
			text = e.Error()
		}
		if scrubbed := h.secrets.scrub(text); scrubbed != text {
			return slog.String(a.Key, scrubbed)
		}
	}
	return a
}

// redactAttr redacts strings, errors and other values that render as
// text containing a URL.
func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redactURLs(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		clean := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			clean[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		var text string
		switch x := v.Any().(type) {
		case error:
			text = x.Error()
		case fmt.Stringer:
			text = x.String()
		default:
			text = fmt.Sprint(x)
		}
		if redactURLs(text) != text {
			return slog.String(a.Key, redactURLs(text))
		}
		return slog.Attr{Key: a.Key, Value: v}
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}
