// A server on a release of @modelcontextprotocol/sdk 1.x (the npm alias
// named by the first argument: mcp-sdk-2025-03-26, mcp-sdk-2025-06-18 or
// mcp-sdk-2025-11-25), whose newest protocol version is the one the alias
// names. The second argument picks the transport: stdio or http (stateful
// streamable HTTP on a loopback port).
//
// Built on the low-level Server with JSON schemas, so it runs the same on
// every 1.x release.
import { randomUUID } from "node:crypto";
import { tools, grown, call, record, recordIncoming, readBody, listen, headersOf } from "./common.mjs";

const [pkg, mode] = process.argv.slice(2);
const { Server } = await import(`${pkg}/server/index.js`);
const types = await import(`${pkg}/types.js`);

let grew = false;

function newServer() {
  const server = new Server(
    { name: `versions-${pkg}`, version: "1.0.0" },
    { capabilities: { tools: { listChanged: true } } },
  );
  server.setRequestHandler(types.ListToolsRequestSchema, async () => ({ tools: grew ? [...tools, grown] : tools }));
  server.setRequestHandler(types.CallToolRequestSchema, async (req) => {
    if (req.params.name === "grow") {
      grew = true;
      for (const s of servers) await s.sendToolListChanged().catch(() => {});
      return { content: [{ type: "text", text: "grew" }] };
    }
    return call(req.params.name, req.params.arguments);
  });
  servers.add(server);
  return server;
}
const servers = new Set();

if (mode === "stdio") {
  const { StdioServerTransport } = await import(`${pkg}/server/stdio.js`);
  const transport = new StdioServerTransport();
  await newServer().connect(transport);
  recordIncoming(transport);
} else if (mode === "http") {
  const { StreamableHTTPServerTransport } = await import(`${pkg}/server/streamableHttp.js`);
  const sessions = new Map();
  listen(async (req, res) => {
    const raw = req.method === "POST" ? await readBody(req) : "";
    const body = raw ? JSON.parse(raw) : undefined;
    record(body ?? { httpMethod: req.method }, headersOf(req));
    const id = req.headers["mcp-session-id"];
    let transport = id ? sessions.get(id) : undefined;
    if (!transport) {
      if (req.method !== "POST" || !types.isInitializeRequest(body)) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "Bad Request: no valid session" }, id: body?.id ?? null }));
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
} else {
  console.error(`usage: sdk1.mjs <alias> stdio|http`);
  process.exit(2);
}
