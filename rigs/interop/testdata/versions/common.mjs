// Shared pieces of the version test servers: the tool definitions every
// server exposes, the recorder and the HTTP plumbing.
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

// The tools every version server lists: echo, add, and grow (which adds
// the tool "grown" at run time and announces the change).
export const tools = [
  {
    name: "echo",
    description: "Returns its text.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  },
  {
    name: "add",
    description: "Adds a and b.",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
  },
  {
    name: "grow",
    description: "Adds the tool grown and announces the change.",
    inputSchema: { type: "object", properties: {} },
  },
];

export const grown = {
  name: "grown",
  description: "Exists after grow ran.",
  inputSchema: { type: "object", properties: {} },
};

// call answers the common tools; grow is the caller's.
export function call(name, args) {
  switch (name) {
    case "echo":
      return { content: [{ type: "text", text: String(args?.text ?? "") }] };
    case "add":
      return { content: [{ type: "text", text: String(Number(args?.a) + Number(args?.b)) }] };
    case "grown":
      return { content: [{ type: "text", text: "grown" }] };
  }
  return { content: [{ type: "text", text: `unknown tool ${name}` }], isError: true };
}

// record appends what the client sent (one JSON line per message, with
// the HTTP headers when there are any) to $MCP_RECORD, for the test to
// check that nothing of a newer protocol reached an older server.
export function record(message, headers) {
  const file = process.env.MCP_RECORD;
  if (!file) return;
  const line = JSON.stringify({ message, headers: headers ?? null });
  appendFileSync(file, line + "\n");
}

// recordingTransport wraps a transport's onmessage once it is connected.
export function recordIncoming(transport) {
  const inner = transport.onmessage;
  transport.onmessage = (message, extra) => {
    record(message, null);
    inner?.(message, extra);
  };
}

export async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

// listen starts an HTTP server on a loopback port and prints
// "listening http://127.0.0.1:PORT/mcp" on stdout once it accepts.
export function listen(handler) {
  const server = createServer((req, res) => {
    handler(req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    console.log(`listening http://127.0.0.1:${server.address().port}/mcp`);
  });
  return server;
}

export function headersOf(req) {
  const h = {};
  for (const [k, v] of Object.entries(req.headers)) h[k] = v;
  return h;
}
