package mcpclient

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRing(t *testing.T) {
	r := newRing(8)
	_, _ = r.Write([]byte("abc"))
	assert.Equal(t, "abc", r.String())
	_, _ = r.Write([]byte("defgh"))
	assert.Equal(t, "abcdefgh", r.String())
	_, _ = r.Write([]byte("ij"))
	assert.Equal(t, "cdefghij", r.String())
	_, _ = r.Write([]byte("klmnop"))
	assert.Equal(t, "ijklmnop", r.String())
	n, _ := r.Write([]byte("0123456789XYZ"))
	assert.Equal(t, 13, n)
	assert.Equal(t, "56789XYZ", r.String())
	for i := range 100 {
		_, _ = r.Write([]byte{byte('a' + i%26)})
	}
	assert.Len(t, r.String(), 8)
	assert.True(t, strings.HasSuffix(r.String(), "v"))
}

func TestChildEnv(t *testing.T) {
	parent := []string{
		"PATH=/bin", "HOME=/home/me", "OPENAI_API_KEY=sk-secret", "AWS_SECRET_ACCESS_KEY=x",
		"LC_ALL=C", "LANG=en", "HTTPS_PROXY=http://user:pw@proxy", "TZ=UTC", "broken", "=x",
	}
	env := childEnv(parent, false, map[string]string{"TOKEN": "given", "HOME": "/override"})
	assert.Equal(t, []string{"HOME=/override", "LANG=en", "LC_ALL=C", "PATH=/bin", "TOKEN=given", "TZ=UTC"}, env)

	all := childEnv(parent, true, nil)
	assert.Contains(t, all, "OPENAI_API_KEY=sk-secret")
	assert.Contains(t, all, "HTTPS_PROXY=http://user:pw@proxy")
}

func TestConfigDefaults(t *testing.T) {
	_, err := Config{Transport: &Stdio{Command: "x"}}.withDefaults()
	assert.Error(t, err, "name required")
	_, err = Config{Name: "a"}.withDefaults()
	assert.ErrorContains(t, err, `server "a": Config.Transport is nil`, "a target is required")
	_, err = Config{Name: "a", Transport: (*Stdio)(nil)}.withDefaults()
	assert.ErrorContains(t, err, `server "a": Config.Transport is nil`, "a nil *Stdio is no target")
	// One target, of the right kind, is now the type system's job; what
	// each transport needs is checked by the transport, naming the field.
	_, err = Config{Name: "a", Transport: &Stdio{}}.withDefaults()
	assert.ErrorContains(t, err, `server "a": Stdio.Command is empty`)
	_, err = Config{Name: "a", Transport: &HTTP{SSE: true}}.withDefaults()
	assert.ErrorContains(t, err, `server "a": HTTP.URL is empty`)
	_, err = Config{Name: "a", Transport: &InProcess{}}.withDefaults()
	assert.ErrorContains(t, err, `server "a": InProcess.Server is nil`)

	cfg, err := Config{Name: "a", Transport: &HTTP{URL: "http://x"}}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, TransportHTTP, cfg.Transport.Kind())
	assert.Equal(t, mcp.LATEST_PROTOCOL_VERSION, cfg.ProtocolVersion)
	assert.Equal(t, DefaultMaxMessageBytes, cfg.MaxMessageBytes)
	assert.NotNil(t, cfg.Logger)

	given := &Stdio{Command: "x"}
	cfg, err = Config{Name: "a", Transport: given}.withDefaults()
	require.NoError(t, err)
	st := cfg.Transport.(*Stdio)
	assert.Equal(t, DefaultStderrLimit, st.StderrLimit)
	assert.Equal(t, DefaultCloseGrace, st.CloseGrace)
	assert.Equal(t, DefaultMaxRestarts, st.MaxRestarts)
	assert.Equal(t, DefaultRestartBackoff, st.RestartBackoff)
	assert.Equal(t, Stdio{Command: "x"}, *given, "the caller's transport is left as it was")

	cfg, err = Config{Name: "a", Transport: &HTTP{URL: "http://x", SSE: true}}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, TransportSSE, cfg.Transport.Kind())
	cfg, err = Config{Name: "a", Transport: &Stdio{Command: "x", MaxRestarts: -1}}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, -1, cfg.Transport.(*Stdio).MaxRestarts)
}

func TestParseToolsPage(t *testing.T) {
	raw := json.RawMessage(`{"tools":[
		{"name":"a","inputSchema":{"$schema":"x","anyOf":[{"required":["q"]}],"type":"object"},"annotations":{"title":"From annotations"},"_meta":{"k":1}},
		{"name":"b","title":"B","description":"d","inputSchema":null,"outputSchema":{"type":"object"}},
		{"title":"no name"},
		"not an object"
	],"nextCursor":"c2"}`)
	tools, next, skipped, err := parseToolsPage(raw, 10)
	require.NoError(t, err)
	assert.Equal(t, "c2", next)
	assert.Equal(t, []SkippedTool{
		{Index: 12, Reason: "tools/list entry 12 has no name"},
		{Index: 13, Reason: "tools/list entry 13 is not a tool object"},
	}, skipped)
	assert.Equal(t, 11, tools[1].index)
	require.Len(t, tools, 2)
	assert.Equal(t, `{"$schema":"x","anyOf":[{"required":["q"]}],"type":"object"}`, string(tools[0].InputSchema))
	assert.Equal(t, "From annotations", tools[0].Title)
	assert.Equal(t, `{"k":1}`, string(tools[0].Meta))
	assert.Nil(t, tools[0].OutputSchema)
	assert.Nil(t, tools[1].InputSchema)
	assert.Equal(t, "B", tools[1].Title)
	assert.Equal(t, `{"type":"object"}`, string(tools[1].OutputSchema))

	_, _, _, err = parseToolsPage(json.RawMessage(`[]`), 0)
	assert.Error(t, err)
}

func TestLenientCallResult(t *testing.T) {
	raw := json.RawMessage(`{"content":[{"type":"text","text":"hi"},{"type":"hologram","data":"?"}],"structuredContent":{"n":1},"isError":true}`)
	_, err := mcp.ParseCallToolResult(&raw)
	require.Error(t, err, "mcp-go rejects the whole result")
	res, err := lenientCallResult(raw)
	require.NoError(t, err)
	require.Len(t, res.Content, 2)
	assert.Equal(t, "hi", res.Content[0].(mcp.TextContent).Text)
	assert.Contains(t, res.Content[1].(mcp.TextContent).Text, "hologram")
	assert.True(t, res.IsError)
	assert.JSONEq(t, `{"n":1}`, string(res.RawStructuredContent))
}

func TestProgressRouter(t *testing.T) {
	r := newProgressRouter()
	var got []float64
	tok, unregister := r.register(func(p mcp.ProgressNotificationParams) { got = append(got, p.Progress) })
	note := func(token any, progress float64) mcp.JSONRPCNotification {
		return mcp.JSONRPCNotification{Notification: mcp.Notification{
			Method: string(mcp.MethodNotificationProgress),
			Params: mcp.NotificationParams{AdditionalFields: map[string]any{"progressToken": token, "progress": progress}},
		}}
	}
	r.dispatch(note(tok, 1))
	r.dispatch(note("someone-else", 2))
	r.dispatch(note(tok, 3))
	unregister()
	r.dispatch(note(tok, 4))
	assert.Equal(t, []float64{1, 3}, got)
}

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		`Post "http://alice:pw@127.0.0.1:1/mcp?api_key=S3CRET&mode=x": EOF`: `Post "http://REDACTED@127.0.0.1:1/mcp?api_key=REDACTED&mode=REDACTED": EOF`,
		`https://TOKEN@host/sse`:                  `https://REDACTED@host/sse`,
		`see https://host/p?SECRET#frag and more`: `see https://host/p?REDACTED#frag and more`,
		`no url here, only a?b=c`:                 `no url here, only a?b=c`,
		`parse "http://h/%zz?k=v": invalid`:       `parse "http://h/%zz?k=REDACTED": invalid`,
		`http://host:8080/mcp`:                    `http://host:8080/mcp`,
	} {
		assert.Equal(t, want, redactURLs(in), in)
	}
}

func TestNotifyQueueIsBounded(t *testing.T) {
	block := make(chan struct{})
	drops := 0
	q := newNotifyQueue(func(int) { drops++ })
	q.push(func() { <-block })
	for range 5 * maxQueuedNotifications {
		q.push(func() {})
	}
	q.mu.Lock()
	queued := len(q.items)
	q.mu.Unlock()
	close(block)
	q.stop()
	assert.LessOrEqual(t, queued, maxQueuedNotifications)
	assert.Equal(t, 1, drops, "a flood is reported once")
}

func TestPeekID(t *testing.T) {
	huge := strings.Repeat("x", 100)
	for _, tc := range []struct {
		line string
		want peeked
		id   any
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{"a":"` + huge, peekedResponse, int64(7)},
		{`{"jsonrpc":"2.0","result":{"a":"` + huge, peekedUnknown, nil},
		{`{"jsonrpc":"2.0","result":{"a":1},"id":"k"}`, peekedResponse, "k"},
		{`{"id":3,"method":"ping"}`, peekedRequest, nil},
		{`{"method":"notifications/x","params":{`, peekedRequest, nil},
		{`{"jsonrpc":"2.0","id":`, peekedUnknown, nil},
		{`{"id":null,"error":{}}`, peekedUnknown, nil},
		{`[1,2]`, peekedUnknown, nil},
		{`{"id":9,"error":` + strings.Repeat("[", 20000), peekedResponse, int64(9)},
	} {
		id, kind := peekID([]byte(tc.line))
		assert.Equal(t, tc.want, kind, tc.line[:min(len(tc.line), 60)])
		if tc.id != nil {
			assert.Equal(t, tc.id, id.Value())
		}
	}
}

func TestLogDataIsBounded(t *testing.T) {
	long := strings.Repeat("é", maxLogDataBytes) // 2 bytes a rune
	got := logData(long)
	assert.LessOrEqual(t, len(got), maxLogDataBytes+len("…[truncated]"))
	assert.True(t, strings.HasSuffix(got, "…[truncated]"))
	assert.True(t, utf8.ValidString(got))
	assert.Equal(t, `{"a":1}`, logData(map[string]any{"a": 1}))
	assert.Equal(t, "", logData(nil))
	assert.Equal(t, "plain", logData("plain"))
}

func TestSlogLevel(t *testing.T) {
	assert.Equal(t, slog.LevelDebug, SlogLevel(mcp.LoggingLevelDebug))
	assert.Equal(t, slog.LevelInfo, SlogLevel(mcp.LoggingLevelInfo))
	assert.Less(t, SlogLevel(mcp.LoggingLevelNotice), slog.LevelWarn)
	assert.Greater(t, SlogLevel(mcp.LoggingLevelNotice), slog.LevelInfo)
	assert.Equal(t, slog.LevelWarn, SlogLevel(mcp.LoggingLevelWarning))
	assert.Equal(t, slog.LevelError, SlogLevel(mcp.LoggingLevelError))
	assert.Less(t, SlogLevel(mcp.LoggingLevelCritical), SlogLevel(mcp.LoggingLevelAlert))
	assert.Less(t, SlogLevel(mcp.LoggingLevelAlert), SlogLevel(mcp.LoggingLevelEmergency))
	assert.Equal(t, slog.LevelInfo, SlogLevel("shouting"))
}

// A tool's icons are read as listed; icons of the wrong shape are left
// out without losing the tool.
func TestParseToolsPageIcons(t *testing.T) {
	tools, _, skipped, err := parseToolsPage(json.RawMessage(`{"tools":[
		{"name":"a","inputSchema":{"type":"object"},"icons":[{"src":"https://x.example/a.png","mimeType":"image/png","theme":"dark"}]},
		{"name":"b","inputSchema":{"type":"object"},"icons":"not a list"}]}`), 0)
	if err != nil || len(skipped) != 0 || len(tools) != 2 {
		t.Fatalf("tools %v skipped %v err %v", tools, skipped, err)
	}
	if ic := tools[0].Icons; len(ic) != 1 || ic[0].Src != "https://x.example/a.png" || ic[0].Theme != "dark" {
		t.Errorf("icons of a = %+v", ic)
	}
	if tools[1].Icons != nil {
		t.Errorf("icons of b = %+v, want none", tools[1].Icons)
	}
}
