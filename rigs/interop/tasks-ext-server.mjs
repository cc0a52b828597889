// A test server for the tasks extension of protocol 2026-07-28
// (io.modelcontextprotocol/tasks, SEP-2663), on the TypeScript SDK's v2
// server package (@modelcontextprotocol/server 2.4.0, installed as
// mcp-server-2). The SDK speaks 2026-07-28 but leaves the extension to the
// server, so this file implements it: tools/call answers a task-supporting
// tool with a flat CreateTaskResult (resultType "task"), tasks/get reports
// the task and inlines its outcome, tasks/cancel cancels it.
//
// Usage: node tasks-ext-server.mjs            (stdio)
//        node tasks-ext-server.mjs http PORT  (streamable HTTP on /mcp)
//
// Tools:
//   greet {name}        plain tool, answered at once
//   research {topic}    task (taskSupport "required"): three "working"
//                       polls with a statusMessage each, then completed
//                       with "Report on <topic>"
//   failing_job {}      task that ends failed with a JSON-RPC error
//   forever {}          task that never ends unless cancelled
//   confirm {file}      task that asks the client (input_required, one
//                       elicitation/create in inputRequests) whether to
//                       delete file, and completes with the answer once
//                       tasks/update brings it
//   cancelled {}        plain tool: the ids of the tasks tasks/cancel reached
import http from "node:http";
import { Server, createMcpHandler } from "mcp-server-2";
import { serveStdio } from "mcp-server-2/stdio";
import * as z from "zod";

const EXT = "io.modelcontextprotocol/tasks";
const tasks = new Map(); // shared by every server instance of the process
const cancelledIds = [];
let seq = 0;

const POLL_MS = 50;
const TTL_MS = 60000;

function stamp(task) {
  return {
    taskId: task.id,
    status: task.status,
    ...(task.message ? { statusMessage: task.message } : {}),
    createdAt: task.createdAt,
    lastUpdatedAt: new Date().toISOString(),
    ttlMs: TTL_MS,
    pollIntervalMs: POLL_MS,
  };
}

function advance(task) {
  if (task.status !== "working") return;
  task.polls++;
  switch (task.kind) {
    case "research":
      if (task.polls <= 3) {
        task.message = `stage ${task.polls} of 3`;
      } else {
        task.status = "completed";
        task.message = "";
        task.result = { content: [{ type: "text", text: `Report on ${task.topic}` }] };
      }
      break;
    case "failing_job":
      task.status = "failed";
      task.error = { code: -32603, message: "the job broke" };
      break;
    case "forever":
      task.message = `still going (${task.polls})`;
      break;
    case "confirm":
      task.status = "input_required";
      task.message = "waiting for the user";
      task.inputRequests = {
        "confirm-1": {
          method: "elicitation/create",
          params: {
            mode: "form",
            message: `Delete ${task.file}?`,
            requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
          },
        },
      };
      break;
  }
}

const tools = [
  { name: "greet", description: "Says hello.", inputSchema: { type: "object", properties: { name: { type: "string" } } } },
  { name: "research", description: "Researches a topic, as a task.", inputSchema: { type: "object", properties: { topic: { type: "string" } }, required: ["topic"] }, execution: { taskSupport: "required" } },
  { name: "failing_job", description: "A task that fails.", inputSchema: { type: "object" }, execution: { taskSupport: "required" } },
  { name: "forever", description: "A task that never ends.", inputSchema: { type: "object" }, execution: { taskSupport: "required" } },
  { name: "confirm", description: "Deletes a file once the user agrees, as a task.", inputSchema: { type: "object", properties: { file: { type: "string" } } }, execution: { taskSupport: "required" } },
  { name: "cancelled", description: "Lists the tasks cancelled so far.", inputSchema: { type: "object" } },
];

function newServer() {
  const server = new Server(
    { name: "tasks-ext", version: "1.0.0" },
    { capabilities: { tools: {}, extensions: { [EXT]: {} } } },
  );
  server.setRequestHandler("tools/list", () => ({ tools }));
  server.setRequestHandler("tools/call", async (req) => {
    const { name, arguments: args = {} } = req.params;
    switch (name) {
      case "greet":
        return { content: [{ type: "text", text: `Hello, ${args.name ?? "you"}!` }] };
      case "cancelled":
        return { content: [{ type: "text", text: JSON.stringify(cancelledIds) }] };
      case "research":
      case "failing_job":
      case "forever":
      case "confirm": {
        const task = { id: `task-${++seq}`, kind: name, topic: args.topic, file: args.file, status: "working", message: "accepted", polls: 0, createdAt: new Date().toISOString() };
        tasks.set(task.id, task);
        return { resultType: "task", ...stamp(task) };
      }
      default:
        return { content: [{ type: "text", text: `unknown tool ${name}` }], isError: true };
    }
  });
  const byId = z.object({ taskId: z.string() }).passthrough();
  server.setRequestHandler("tasks/get", { params: byId }, async ({ taskId }) => {
    const task = tasks.get(taskId);
    if (!task) throw Object.assign(new Error(`unknown task ${taskId}`), { code: -32602 });
    advance(task);
    return {
      ...stamp(task),
      ...(task.status === "input_required" ? { inputRequests: task.inputRequests } : {}),
      ...(task.status === "completed" ? { result: task.result } : {}),
      ...(task.status === "failed" ? { error: task.error } : {}),
    };
  });
  // The SDK lifts inputResponses out of the params (they are the
  // multi-round-trip vocabulary) into ctx.mcpReq.inputResponses.
  server.setRequestHandler("tasks/update", { params: byId }, async ({ taskId }, ctx) => {
    const task = tasks.get(taskId);
    if (!task) throw Object.assign(new Error(`unknown task ${taskId}`), { code: -32602 });
    const answer = ctx.mcpReq.inputResponses?.["confirm-1"];
    if (task.status === "input_required" && answer) {
      const ok = answer.action === "accept" && answer.content?.ok === true;
      task.status = "completed";
      task.message = "";
      delete task.inputRequests;
      task.result = { content: [{ type: "text", text: ok ? `deleted ${task.file}` : `kept ${task.file} (${answer.action})` }] };
    }
    return {};
  });
  server.setRequestHandler("tasks/cancel", { params: byId }, async ({ taskId }) => {
    const task = tasks.get(taskId);
    if (!task) throw Object.assign(new Error(`unknown task ${taskId}`), { code: -32602 });
    cancelledIds.push(taskId);
    if (task.status === "working" || task.status === "input_required") {
      task.status = "cancelled";
      task.message = "cancelled by the client";
    }
    return {};
  });
  return server;
}

if (process.argv[2] === "http") {
  const handler = createMcpHandler(newServer);
  const port = Number(process.argv[3]);
  http.createServer(async (req, res) => {
    if (!req.url.startsWith("/mcp")) {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      for await (const chunk of response.body) res.write(chunk);
    }
    res.end();
  }).listen(port, "127.0.0.1");
} else {
  serveStdio(newServer);
}
