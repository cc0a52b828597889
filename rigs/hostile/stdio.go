package hostile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// StdioMode selects how the stdio server misbehaves.
type StdioMode string

// The stdio attacks. Every mode answers initialize and tools/list (with
// one tool, "attack") like a well-behaved server unless said otherwise.
const (
	// ModePingFlood answers tools/call by sending PingFloodCount ping
	// requests without reading its stdin any more, then the call's result.
	ModePingFlood StdioMode = "ping-flood"
	// ModeOversizedReplyIDFirst answers tools/call with a line of
	// OversizedReplyBytes whose "id" comes first.
	ModeOversizedReplyIDFirst StdioMode = "oversized-id-first"
	// ModeOversizedReplyIDLast answers tools/call with a line of
	// OversizedReplyBytes whose "id" comes last, after the huge result.
	ModeOversizedReplyIDLast StdioMode = "oversized-id-last"
	// ModeDeepReply answers tools/call with a short line nested deeper than
	// encoding/json accepts.
	ModeDeepReply StdioMode = "deep-reply"
	// ModePartialThenReply answers tools/call with a partial JSON line
	// carrying the call's id, then lines of other malformed JSON, then the
	// real reply.
	ModePartialThenReply StdioMode = "partial-then-reply"
	// ModeEchoSecrets writes its arguments and environment to stderr;
	// with EchoSecretsAndExit set it then exits before the handshake,
	// otherwise it exits when called.
	ModeEchoSecrets StdioMode = "echo-secrets"
	// ModeSetsidChild starts a child in a new session (setsid), which
	// writes its pid to the file named by $HOSTILE_PIDFILE and sleeps.
	ModeSetsidChild StdioMode = "setsid-child"
	// ModeBadToolNames lists tools with an empty name, without a name, a
	// non-object entry and a name listed twice, next to a good one.
	ModeBadToolNames StdioMode = "bad-tool-names"
	// ModeEndlessPages declares tools, resources and prompts and answers
	// every list request with one item and a new nextCursor, forever: each
	// page is small and no cursor repeats.
	ModeEndlessPages StdioMode = "endless-pages"
	// modeLinger sleeps: the setsid child.
	modeLinger StdioMode = "linger"
)

// Sizes of the stdio attacks.
const (
	PingFloodCount      = 50_000
	OversizedReplyBytes = 4 << 20
	DeepReplyDepth      = 20_000
)

// EchoSecretsAndExit, set in the environment of a ModeEchoSecrets
// server, makes it exit before the handshake.
const EchoSecretsAndExit = "MCPBRIDGE_HOSTILE_EXIT_EARLY"

// EnvMode, EnvPidfile name the variables that make the test binary a
// hostile stdio server.
const (
	EnvMode    = "MCPBRIDGE_HOSTILE_STDIO"
	EnvPidfile = "HOSTILE_PIDFILE"
)

// RunStdioIfRequested turns this process into a hostile stdio server, and
// exits, when EnvMode is set. Call it first thing in TestMain.
func RunStdioIfRequested() {
	mode := os.Getenv(EnvMode)
	if mode == "" {
		return
	}
	os.Exit(serveStdio(StdioMode(mode), os.Stdin, os.Stdout))
}

// StdioConfig returns an mcpclient.Config that starts this test binary as
// a hostile stdio server in mode. Extra environment goes to the child.
func StdioConfig(name string, mode StdioMode, env map[string]string) mcpclient.Config {
	e := map[string]string{EnvMode: string(mode)}
	for k, v := range env {
		e[k] = v
	}
	return mcpclient.Config{Name: name, Transport: &mcpclient.Stdio{Command: os.Args[0], Env: e}}
}

// goodTool is the one tool of a hostile server.
const goodTool = `{"name":"attack","description":"does something hostile","inputSchema":{"type":"object"}}`

type stdioMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

func serveStdio(mode StdioMode, in io.Reader, out io.Writer) int {
	if mode == modeLinger {
		if p := os.Getenv(EnvPidfile); p != "" {
			_ = os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0o600)
		}
		time.Sleep(time.Hour)
		return 0
	}
	if mode == ModeEchoSecrets {
		fmt.Fprintln(os.Stderr, "starting with", strings.Join(os.Args[1:], " "))
		for _, kv := range os.Environ() {
			fmt.Fprintln(os.Stderr, "env", kv)
		}
		if os.Getenv(EchoSecretsAndExit) != "" {
			return 1
		}
	}
	if mode == ModeSetsidChild {
		if err := startSetsidChild(); err != nil {
			fmt.Fprintln(os.Stderr, "hostile: setsid child:", err)
			return 1
		}
	}
	w := bufio.NewWriterSize(out, 64<<10)
	send := func(s string) {
		_, _ = w.WriteString(s)
		_ = w.WriteByte('\n')
		_ = w.Flush()
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	pages := 0
	for sc.Scan() {
		var m stdioMsg
		if json.Unmarshal(sc.Bytes(), &m) != nil || len(m.ID) == 0 {
			continue // notifications and replies to our requests
		}
		id := string(m.ID)
		switch m.Method {
		case "initialize":
			send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{},"resources":{},"prompts":{}},"serverInfo":{"name":"hostile","version":"0"}}}`)
		case "tools/list", "resources/list", "resources/templates/list", "prompts/list":
			if mode == ModeEndlessPages {
				pages++
				send(endlessPage(m.Method, id, pages))
				continue
			}
			if m.Method != "tools/list" {
				send(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32601,"message":"no"}}`)
				continue
			}
			tools := goodTool
			if mode == ModeBadToolNames {
				tools = `{"name":"","inputSchema":{"type":"object"}},{"description":"no name"},42,` + goodTool + `,` + goodTool
			}
			send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"tools":[` + tools + `]}}`)
		case "tools/call":
			stdioAttack(mode, id, send)
			if mode == ModePingFlood {
				// Never read again: every answer to a ping blocks.
				time.Sleep(time.Hour)
			}
		case "ping":
			send(`{"jsonrpc":"2.0","id":` + id + `,"result":{}}`)
		default:
			send(`{"jsonrpc":"2.0","id":` + id + `,"error":{"code":-32601,"message":"no"}}`)
		}
	}
	return 0
}

// endlessPage is page n of a listing that never ends: one item with a
// 4 KiB description and a cursor no earlier page had.
func endlessPage(method, id string, n int) string {
	desc := strings.Repeat("d", 4<<10)
	name := "item" + strconv.Itoa(n)
	var item, key string
	switch method {
	case "tools/list":
		key, item = "tools", `{"name":"`+name+`","description":"`+desc+`","inputSchema":{"type":"object"}}`
	case "resources/list":
		key, item = "resources", `{"uri":"mem://`+name+`","name":"`+name+`","description":"`+desc+`"}`
	case "resources/templates/list":
		key, item = "resourceTemplates", `{"uriTemplate":"mem://`+name+`/{x}","name":"`+name+`","description":"`+desc+`"}`
	default:
		key, item = "prompts", `{"name":"`+name+`","description":"`+desc+`"}`
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"result":{"` + key + `":[` + item + `],"nextCursor":"c` + strconv.Itoa(n) + `"}}`
}

func stdioAttack(mode StdioMode, id string, send func(string)) {
	okResult := `{"content":[{"type":"text","text":"done"}]}`
	switch mode {
	case ModeEchoSecrets:
		os.Exit(3)
	case ModePingFlood:
		for i := range PingFloodCount {
			send(`{"jsonrpc":"2.0","id":"flood-` + strconv.Itoa(i) + `","method":"ping"}`)
		}
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":` + okResult + `}`)
	case ModeOversizedReplyIDFirst:
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"content":[{"type":"text","text":"` + strings.Repeat("A", OversizedReplyBytes) + `"}]}}`)
	case ModeOversizedReplyIDLast:
		send(`{"jsonrpc":"2.0","result":{"content":[{"type":"text","text":"` + strings.Repeat("A", OversizedReplyBytes) + `"}]},"id":` + id + `}`)
	case ModePartialThenReply:
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"content":[{"type":"text","text":"cut off`)
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":}`)
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"content":[]}}}`)
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":` + okResult + `}`)
	case ModeDeepReply:
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":{"content":[],"deep":` + strings.Repeat("[", DeepReplyDepth) + strings.Repeat("]", DeepReplyDepth) + `}}`)
	default:
		send(`{"jsonrpc":"2.0","id":` + id + `,"result":` + okResult + `}`)
	}
}
