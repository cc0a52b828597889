// A server on @modelcontextprotocol/server 2.x (npm alias mcp-server-2),
// which speaks 2026-07-28 as its newest protocol version and still serves
// the 2025 handshake. The argument picks the transport: stdio (serveStdio)
// or http (createMcpHandler on a loopback port). MCP_TOOLS_TTL_MS, when
// set, is the ttlMs of its tools/list results.
import { McpServer, createMcpHandler, fromJsonSchema } from "mcp-server-2";
import { serveStdio, StdioServerTransport } from "mcp-server-2/stdio";
import { tools, grown, call, record, readBody, listen, headersOf } from "./common.mjs";

const [mode] = process.argv.slice(2);
const ttl = process.env.MCP_TOOLS_TTL_MS;

let grew = false;
let onGrow = () => {};

function factory() {
  const options = { capabilities: { tools: { listChanged: true } } };
  if (ttl !== undefined) options.cacheHints = { "tools/list": { ttlMs: Number(ttl) } };
  const server = new McpServer({ name: "versions-mcp-server-2", version: "1.0.0" }, options);
  const register = (t) =>
    server.registerTool(t.name, { description: t.description, inputSchema: fromJsonSchema(t.inputSchema) }, async (args) => {
      if (t.name === "grow") {
        if (!grew) {
          grew = true;
          onGrow(server);
        }
        return { content: [{ type: "text", text: "grew" }] };
      }
      return call(t.name, args);
    });
  for (const t of tools) register(t);
  if (grew) register(grown);
  server.registerGrown = () => register(grown);
  return server;
}

if (mode === "stdio") {
  // The pinned instance registers the new tool itself, which announces it.
  onGrow = (server) => server.registerGrown();
  const inner = new StdioServerTransport();
  const transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    send: (m, o) => inner.send(m, o),
    set onmessage(fn) {
      inner.onmessage = (m, e) => {
        record(m, null);
        fn?.(m, e);
      };
    },
    get onmessage() { return inner.onmessage; },
    set onclose(fn) { inner.onclose = fn; },
    get onclose() { return inner.onclose; },
    set onerror(fn) { inner.onerror = fn; },
    get onerror() { return inner.onerror; },
  };
  serveStdio(factory, { transport });
} else if (mode === "http") {
  const handler = createMcpHandler(factory);
  // Every request gets a fresh instance, which lists grown once grew is
  // set; open subscriptions hear of it through the handler's bus.
  onGrow = () => handler.notify.toolsChanged();
  listen(async (req, res) => {
    const raw = req.method === "POST" ? await readBody(req) : "";
    record(raw ? JSON.parse(raw) : { httpMethod: req.method }, headersOf(req));
    const url = `http://${req.headers.host}${req.url}`;
    const ac = new AbortController();
    res.on("close", () => ac.abort());
    const response = await handler.fetch(
      new Request(url, { method: req.method, headers: req.headers, body: raw || undefined, signal: ac.signal }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return res.end();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
    } catch {
      // the client went away
    }
    res.end();
  });
} else {
  console.error("usage: sdk2.mjs stdio|http");
  process.exit(2);
}
