// Package hostile holds MCP servers that attack their client, and the
// scenarios (in its tests) that keep mcpbridge's defences in place. A
// scenario starts a hostile server on loopback or as a child process, points
// an mcpclient or a bridge at it and checks that memory, goroutines,
// processes and secrets stay within bounds.
//
// Servers:
//
//   - Stdio / StdioConfig: a stdio server that runs as a child process (the
//     test binary itself, re-executed; TestMain must call
//     RunStdioIfRequested first). Its behaviour is chosen by a StdioMode.
//   - NewHTTP: a streamable HTTP server that answers the handshake and
//     tools/list correctly and then runs an HTTPAttack on tools/call.
//   - NewSSE: a legacy HTTP+SSE server that does the same over its event
//     stream.
//
// To add a scenario, add a mode or an attack here and a test next to the
// others; keep every attack capped (e.g. EndlessBody's cap) so that a test
// without the defence fails by measurement instead of exhausting the host.
package hostile
