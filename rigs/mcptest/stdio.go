package mcptest

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Modes of the stdio test server (Main's -mode flag).
const (
	// ModeNormal serves NewServer (mcp-go's stdio server).
	ModeNormal = "normal"
	// ModeLegacySilent is a hand-written server speaking only the
	// initialize handshake (protocol 2025-11-25 and older) that never
	// answers methods it does not know, server/discover included.
	ModeLegacySilent = "legacy-silent"
	// ModeCrashOnCall is the legacy server, but any tools/call makes it
	// write a message to stderr and exit with status 3.
	ModeCrashOnCall = "crash-on-call"
	// ModeGarbage is the legacy server writing garbage to stdout before
	// every answer: non-JSON lines, truncated JSON, a huge line, JSON of the
	// wrong shape, answers to ids never sent.
	ModeGarbage = "garbage"
	// ModeHang is the legacy server that never answers tools/call.
	ModeHang = "hang"
	// ModeMute reads its input and never writes anything.
	ModeMute = "mute"
	// ModeLinger does not speak MCP at all: it sleeps until killed (with
	// -ignore-term, SIGTERM does not end it). Used for child processes.
	ModeLinger = "linger"
)

// CrashMessage is what ModeCrashOnCall writes to stderr before exiting.
const CrashMessage = "mcptestserver: crash-on-call: exiting on purpose"

// ServeStdio serves NewServer() over stdin/stdout until stdin ends or the
// process gets SIGTERM/SIGINT.
func ServeStdio() {
	_ = server.ServeStdio(NewServer())
}

// Main runs the stdio test server as the mcptestserver binary does and
// returns the process exit code. Flags:
//
//	-mode normal|legacy-silent|crash-on-call|garbage|hang|mute
//	-tools N          extra tools (WithManyTools), normal mode
//	-page-size N      tools/list page size, normal mode
//	-sleep-tool       also offer "sleep" in the hand-written modes
//	-pidfile PATH     write the process id to PATH at startup
//	-spawn-log PATH   append one line to PATH at every startup
//	-stderr TEXT      write TEXT to stderr at startup
//	-garbage-bytes N  size of the huge garbage line (default 2 MiB)
//	-exit-tool        offer the "exit" tool in normal mode (default true)
//	-child            start a child process (same binary, mode linger,
//	                  ignoring SIGTERM) that stays in the process group and
//	                  keeps stdout open, to test process-group kill
//	-child-pidfile P  where the child writes its pid
//	-ignore-term      linger mode: ignore SIGTERM
//	-startup-delay D  wait D before reading stdin, like a server that loads
//	                  data or connects somewhere before it can answer
func Main(args []string) int {
	fs := flag.NewFlagSet("mcptestserver", flag.ContinueOnError)
	mode := fs.String("mode", ModeNormal, "server behaviour")
	tools := fs.Int("tools", 0, "extra tools")
	pageSize := fs.Int("page-size", 0, "tools/list page size")
	sleepTool := fs.Bool("sleep-tool", false, "offer sleep in hand-written modes")
	pidfile := fs.String("pidfile", "", "write pid here")
	spawnLog := fs.String("spawn-log", "", "append a line here at startup")
	stderrText := fs.String("stderr", "", "write to stderr at startup")
	garbageBytes := fs.Int("garbage-bytes", 2<<20, "size of the huge garbage line")
	exitTool := fs.Bool("exit-tool", true, "offer the exit tool")
	elicitTools := fs.Bool("elicit-tools", false, "offer the ask and ask_url tools (WithElicitTools)")
	child := fs.Bool("child", false, "start a child process in the same group")
	childPidfile := fs.String("child-pidfile", "", "pidfile for the child")
	ignoreTerm := fs.Bool("ignore-term", false, "linger mode: ignore SIGTERM")
	startupDelay := fs.Duration("startup-delay", 0, "wait this long before serving")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pidfile != "" {
		if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if *spawnLog != "" {
		f, err := os.OpenFile(*spawnLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintln(f, os.Getpid())
			_ = f.Close()
		}
	}
	if *stderrText != "" {
		fmt.Fprintln(os.Stderr, *stderrText)
	}
	if *child {
		if err := startChild(*childPidfile); err != nil {
			fmt.Fprintln(os.Stderr, "mcptestserver: child:", err)
			return 1
		}
	}
	time.Sleep(*startupDelay)
	switch *mode {
	case ModeNormal:
		var opts []Option
		if *tools > 0 {
			opts = append(opts, WithManyTools(*tools))
		}
		if *pageSize > 0 {
			opts = append(opts, WithPageSize(*pageSize))
		}
		if *exitTool {
			opts = append(opts, WithExitTool())
		}
		if *elicitTools {
			opts = append(opts, WithElicitTools())
		}
		if err := server.ServeStdio(NewServer(opts...)); err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintln(os.Stderr, "mcptestserver:", err)
		}
		return 0
	case ModeLinger:
		if *ignoreTerm {
			signal.Ignore(syscall.SIGTERM)
		}
		time.Sleep(24 * time.Hour)
		return 0
	case ModeLegacySilent, ModeCrashOnCall, ModeGarbage, ModeHang, ModeMute:
		l := &legacy{mode: *mode, sleepTool: *sleepTool, garbageBytes: *garbageBytes, out: bufio.NewWriter(os.Stdout)}
		l.serve(os.Stdin)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "mcptestserver: unknown mode %q\n", *mode)
		return 2
	}
}

// startChild starts this binary again in linger mode, ignoring SIGTERM,
// without waiting for it. The child inherits the process group and keeps stdout open, as a
// grandchild of an `sh -c` or npx wrapper would.
func startChild(pidfile string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-mode", ModeLinger, "-ignore-term"}
	if pidfile != "" {
		args = append(args, "-pidfile", pidfile)
	}
	p, err := os.StartProcess(exe, append([]string{exe}, args...), &os.ProcAttr{
		Files: []*os.File{nil, os.Stdout, os.Stderr},
	})
	if err != nil {
		return err
	}
	return p.Release()
}

// legacy is a hand-written stdio MCP server for the pre-2026 handshake.
type legacy struct {
	mode         string
	sleepTool    bool
	garbageBytes int

	mu  sync.Mutex
	out *bufio.Writer
}

type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
}

func (l *legacy) serve(in io.Reader) {
	r := bufio.NewReaderSize(in, 64<<10)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		line, err := r.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var msg rpcMessage
			if json.Unmarshal(line, &msg) == nil && msg.Method != "" && len(msg.ID) > 0 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l.handle(msg)
				}()
			}
		}
		if err != nil {
			return
		}
	}
}

func (l *legacy) handle(msg rpcMessage) {
	if l.mode == ModeMute {
		return
	}
	switch msg.Method {
	case "initialize":
		var p struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		version := mcp.LATEST_LEGACY_PROTOCOL_VERSION
		switch p.ProtocolVersion {
		case mcp.ProtocolVersion20241105, mcp.ProtocolVersion20250326, mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125:
			version = p.ProtocolVersion
		}
		l.reply(msg.ID, map[string]any{
			"protocolVersion": version,
			"capabilities":    map[string]any{"tools": map[string]any{}},
			"serverInfo":      map[string]any{"name": ServerName + "-" + l.mode, "version": ServerVersion},
		})
	case "ping":
		l.reply(msg.ID, map[string]any{})
	case "tools/list":
		tools := []any{map[string]any{
			"name":        "echo",
			"description": "Echoes text back.",
			"inputSchema": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}},
		}}
		if l.sleepTool {
			tools = append(tools, map[string]any{
				"name":        "sleep",
				"inputSchema": map[string]any{"type": "object", "properties": map[string]any{"ms": map[string]any{"type": "number"}}},
			})
		}
		l.reply(msg.ID, map[string]any{"tools": tools})
	case "tools/call":
		switch l.mode {
		case ModeCrashOnCall:
			fmt.Fprintln(os.Stderr, CrashMessage)
			os.Exit(3)
		case ModeHang:
			return
		}
		var p struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		switch p.Name {
		case "echo":
			s, _ := p.Arguments["text"].(string)
			l.reply(msg.ID, map[string]any{"content": []any{map[string]any{"type": "text", "text": s}}})
		case "sleep":
			ms, _ := p.Arguments["ms"].(float64)
			time.Sleep(time.Duration(ms) * time.Millisecond)
			l.reply(msg.ID, map[string]any{"content": []any{map[string]any{"type": "text", "text": "slept"}}})
		default:
			l.replyError(msg.ID, -32602, "unknown tool "+p.Name)
		}
	default:
		// Unknown methods, server/discover included, are ignored: no
		// answer at all, as some old servers do.
	}
}

func (l *legacy) reply(id json.RawMessage, result any) {
	l.write(map[string]any{"jsonrpc": "2.0", "id": id, "result": result})
}

func (l *legacy) replyError(id json.RawMessage, code int, message string) {
	l.write(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": message}})
}

func (l *legacy) write(v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mode == ModeGarbage {
		l.garbage()
	}
	_, _ = l.out.Write(raw)
	_ = l.out.WriteByte('\n')
	_ = l.out.Flush()
}

// garbage writes everything a broken server might put on stdout.
func (l *legacy) garbage() {
	lines := []string{
		"this is not json",
		`{"jsonrpc":"2.0","id":`,
		"",
		"\x00\xff\xfe binary junk",
		"null",
		"[1,2,3]",
		`"just a string"`,
		"{}",
		`{"jsonrpc":"2.0","id":987654321,"result":{"content":[]}}`,
		`{"jsonrpc":"2.0","id":{"nested":true},"result":{}}`,
		`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hello"}}`,
	}
	for _, s := range lines {
		_, _ = l.out.WriteString(s)
		_ = l.out.WriteByte('\n')
	}
	if l.garbageBytes > 0 {
		// A huge line answering no request: a reply to a waiting request
		// that the client cannot take fails that request instead.
		_, _ = l.out.WriteString(`{"jsonrpc":"2.0","id":987654322,"result":"`)
		for written := 0; written < l.garbageBytes; {
			n := min(l.garbageBytes-written, 64<<10)
			_, _ = l.out.WriteString(strings.Repeat("x", n))
			written += n
		}
		_ = l.out.WriteByte('\n')
	}
}
