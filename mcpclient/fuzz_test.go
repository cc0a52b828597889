package mcpclient

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzStdioLine feeds one stdout line of a stdio server through the
// parsing the reader does: a complete line, and the same line dropped as
// oversized. Nothing may panic, and a waiting call gets at most one reply.
func FuzzStdioLine(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}`,
		`{"jsonrpc":"2.0","id":"1","result":{}}`,
		`{"jsonrpc":"2.0","result":{"a":[1,2]},"id":1}`,
		`{"jsonrpc":"2.0","id":2,"method":"ping"}`,
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}`,
		`{"jsonrpc":"2.0","id":1,"result":` + strings.Repeat("[", 10001),
		`{"id":`, `[]`, `null`, "\x00\xff", `{"id":{"x":1},"result":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		tr := newStdioTransport(stdioOptions{server: "fuzz", maxLine: 1 << 10, stderr: 16, log: slog.New(slog.DiscardHandler)})
		waiting := make(chan reply, 1)
		tr.pending["int64:1"] = waiting
		tr.handleLine(line)
		tr.dropOversized(line[:min(len(line), peekBytes)], len(line)+1<<10)
		tr.SetNotificationHandler(nil)
		if len(waiting) > 1 {
			t.Fatal("two replies for one call")
		}
		peekID(line)
	})
}

// FuzzRedactURLs: a secret put into a URL's user info or query never
// survives redaction (secrets holding URL delimiters are out of scope:
// they end the URL early in any reading).
func FuzzRedactURLs(f *testing.F) {
	f.Add("error: ", "S3CRET", "Post \"")
	f.Add("", "a", "http://")
	f.Add("x://y?", "tok", "\"")
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		withSecret := func(v string) string {
			return before + "https://" + v + ":" + v + "@host.example/p?key=" + v + "&" + v + after
		}
		out := redactURLs(withSecret(secret))
		// A secret used as a query key with a value ("&secret=x") is kept
		// by design: keys name parameters.
		param := secret + after
		if end := strings.IndexAny(param, " \t\r\n\f\v\"'<>&#"); end >= 0 {
			param = param[:end]
		}
		valueFollows := strings.Contains(param, "=")
		// Nor is one followed by "://": it reads as the scheme of a URL.
		schemeFollows := strings.HasPrefix(after, ":") || strings.Contains(param, "://")
		if secret == "" || valueFollows || schemeFollows || strings.ContainsAny(secret, " \t\r\n\f\v\"'<>&#?/@=:") {
			return
		}
		// The secret's text may also be made by what surrounds it ("0" and
		// "https" make "0h"): the same string with a neutral stand-in in
		// the secret's places says how often it occurs without leaking.
		standIn := "QQQQ"
		if strings.Contains(standIn, secret) {
			standIn = "§§§§"
		}
		if got, base := strings.Count(out, secret), strings.Count(redactURLs(withSecret(standIn)), secret); got > base {
			t.Fatalf("secret %q survives in %q", secret, out)
		}
	})
}

// FuzzLimitedBody: a limited body never hands on more than the limit (a
// whole body) or an event longer than the limit (an event stream).
func FuzzLimitedBody(f *testing.F) {
	f.Add([]byte("data: abc\n\ndata: 0123456789abcdef\n\n"), true, uint8(8))
	f.Add([]byte("0123456789"), false, uint8(4))
	f.Add([]byte("data: a\r\n\r\ndata: b\ndata: c\n\n"), true, uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, stream bool, limit uint8) {
		lim := int64(limit) + 1
		b := &limitedBody{rc: io.NopCloser(iotest.OneByteReader(bytes.NewReader(body))), limit: lim, stream: stream, server: "fuzz"}
		got, err := io.ReadAll(b)
		if !stream {
			if int64(len(got)) > lim {
				t.Fatalf("read %d bytes past the limit %d", len(got), lim)
			}
			if int64(len(body)) > lim && err == nil {
				t.Fatal("no error for a body over the limit")
			}
			return
		}
		var event int64
		for _, line := range bytes.Split(got, []byte("\n")) {
			line = bytes.ReplaceAll(line, []byte("\r"), nil)
			if len(line) == 0 {
				event = 0
				continue
			}
			event += int64(len(line))
			if event > lim {
				t.Fatalf("an event of %d bytes passed the limit %d", event, lim)
			}
		}
	})
}
