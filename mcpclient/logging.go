package mcpclient

import (
	"context"
	"encoding/json"
	"log/slog"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// maxLogDataBytes bounds the data of one server log line passed to the
// Logger, so a server cannot make the program's logs hold megabytes.
const maxLogDataBytes = 8 << 10

// SlogLevel maps an MCP (syslog) log level to a slog level: debug and info
// map to their namesakes, notice sits between info and warn, warning is
// Warn, error is Error, and critical, alert and emergency rise above Error.
// An unknown level maps to Info.
func SlogLevel(l mcp.LoggingLevel) slog.Level {
	switch l {
	case mcp.LoggingLevelDebug:
		return slog.LevelDebug
	case mcp.LoggingLevelInfo:
		return slog.LevelInfo
	case mcp.LoggingLevelNotice:
		return slog.LevelInfo + 2
	case mcp.LoggingLevelWarning:
		return slog.LevelWarn
	case mcp.LoggingLevelError:
		return slog.LevelError
	case mcp.LoggingLevelCritical:
		return slog.LevelError + 1
	case mcp.LoggingLevelAlert:
		return slog.LevelError + 2
	case mcp.LoggingLevelEmergency:
		return slog.LevelError + 3
	}
	return slog.LevelInfo
}

// SetLogLevel asks the server to send log notifications at level and
// above (logging/setLevel), and remembers the level for later sessions.
// A server that does not declare logging is not asked; the level is still
// kept.
func (c *Client) SetLogLevel(ctx context.Context, level mcp.LoggingLevel) error {
	c.ext.mu.Lock()
	c.ext.logLevel = level
	c.ext.mu.Unlock()
	return c.do(ctx, OpLogging, "", func(ctx context.Context, s *session) error {
		if s.info.Capabilities.Logging == nil {
			return nil
		}
		return setLevel(ctx, s, level)
	})
}

func setLevel(ctx context.Context, s *session, level mcp.LoggingLevel) error {
	req := mcp.SetLevelRequest{}
	req.Params.Level = level
	//lint:ignore SA1019 logging/setLevel is the way to set the level on the legacy protocol Connect negotiates.
	return s.mc.SetLevel(ctx, req)
}

// routeExtension handles the notifications of the client features beyond
// tools: server log lines and resource updates.
func (c *Client) routeExtension(n mcp.JSONRPCNotification) {
	switch n.Method {
	case string(mcp.MethodNotificationMessage):
		c.logServerMessage(n.Params.AdditionalFields)
	case string(mcp.MethodNotificationResourceUpdated):
		if fn := c.cfg.OnResourceUpdated; fn != nil && c.queue != nil {
			uri, _ := n.Params.AdditionalFields["uri"].(string)
			c.queue.push(func() { fn(c.cfg.Name, uri) })
		}
	}
}

// logServerMessage writes one notifications/message to the Logger, with
// the server's name, its level and logger name, and the data as text.
func (c *Client) logServerMessage(fields map[string]any) {
	// An in-process server's fields never went through JSON, so the level
	// may still be typed.
	var level string
	switch l := fields["level"].(type) {
	case string:
		level = l
	case mcp.LoggingLevel:
		level = string(l)
	}
	lvl := SlogLevel(mcp.LoggingLevel(level))
	if !c.cfg.Logger.Enabled(context.Background(), lvl) {
		return
	}
	attrs := []slog.Attr{slog.String("server", c.cfg.Name), slog.String("level_mcp", level)}
	if name, ok := fields["logger"].(string); ok && name != "" {
		attrs = append(attrs, slog.String("logger", name))
	}
	attrs = append(attrs, slog.String("data", logData(fields["data"])))
	c.cfg.Logger.LogAttrs(context.Background(), lvl, "mcp server log", attrs...)
}

// logData renders a log notification's data (any JSON value) as text, cut
// to maxLogDataBytes.
func logData(v any) string {
	var s string
	switch d := v.(type) {
	case string:
		s = d
	case nil:
		return ""
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return "(unprintable data)"
		}
		s = string(b)
	}
	if len(s) <= maxLogDataBytes {
		return s
	}
	cut := maxLogDataBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[truncated]"
}
