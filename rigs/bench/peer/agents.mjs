// Peer side of the mcpbridge bench (row 6): runs one scenario with the
// OpenAI Agents SDK for JavaScript against the bench's fake Responses server
// and the mcptest stdio server, and prints one JSON line with the timings.
//
// Usage: node agents.mjs '<json config>'
//   {
//     "nodeModules": "/abs/rigs/interop/node_modules", // where @openai/agents lives
//     "baseURL": "http://127.0.0.1:PORT/v1",                 // fake Responses API
//     "apiKey": "sk-fakeapi-not-a-real-key",
//     "command": "/abs/mcptestserver", "args": [],           // MCP server (stdio)
//     "prompt": "peer:loop",                                  // the fake model plans by prompt
//     "maxTurns": 1001,
//     "expectCalls": 1000,                                    // tool outputs per run
//     "reps": 3,
//     "chain": false                                          // previous_response_id chaining
//   }
//
// The fake model decides the tool calls from the prompt, so the Go side and
// this script share one fake server. Only run() is timed: connecting the MCP
// server and the optional seed response are outside the timed section, as
// they are on the Go side.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(process.argv[2] ?? '{}');

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main() {
  const nm = cfg.nodeModules;
  const agentsPkg = join(nm, '@openai', 'agents');
  const version = JSON.parse(readFileSync(join(agentsPkg, 'package.json'), 'utf8')).version;
  const agents = await import(pathToFileURL(join(agentsPkg, 'dist', 'index.mjs')).href);
  const { default: OpenAI } = await import(pathToFileURL(join(nm, 'openai', 'index.mjs')).href);
  const { Agent, run, MCPServerStdio, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled } = agents;

  setTracingDisabled(true);
  setOpenAIAPI('responses');
  const client = new OpenAI({ baseURL: cfg.baseURL, apiKey: cfg.apiKey, maxRetries: 0 });
  setDefaultOpenAIClient(client);

  const server = new MCPServerStdio({
    name: 'mcptest',
    command: cfg.command,
    args: cfg.args ?? [],
    cacheToolsList: true, // the peer's fastest setting: list tools once
  });
  const c0 = performance.now();
  await server.connect();
  const connectMs = performance.now() - c0;
  const runsMs = [];
  let errors = 0;
  let lastError = '';
  try {
    const agent = new Agent({
      name: 'bench',
      instructions: 'Call the tools you are given.',
      model: 'gpt-4.1',
      mcpServers: [server],
    });
    for (let i = 0; i < (cfg.reps ?? 1); i++) {
      const opts = { maxTurns: cfg.maxTurns ?? 10 };
      if (cfg.chain) {
        // A real response to chain to, made outside the timed section.
        const seed = await client.responses.create({ model: 'gpt-4.1', input: 'seed' });
        opts.previousResponseId = seed.id;
      }
      const t0 = performance.now();
      let result;
      try {
        result = await run(agent, cfg.prompt, opts);
      } catch (e) {
        errors++;
        lastError = String(e && e.message ? e.message : e).slice(0, 300);
        continue;
      }
      const ms = performance.now() - t0;
      const outputs = result.newItems.filter((it) => it.type === 'tool_call_output_item').length;
      if (cfg.expectCalls != null && outputs !== cfg.expectCalls) {
        errors++;
        lastError = `expected ${cfg.expectCalls} tool outputs, got ${outputs}`;
        continue;
      }
      runsMs.push(ms);
    }
  } finally {
    await server.close();
  }
  out({ ok: errors === 0, sdk: `@openai/agents ${version}`, node: process.version, connectMs, runsMs, errors, error: lastError });
}

main().catch((e) => {
  out({ ok: false, error: String(e && e.stack ? e.stack : e).slice(0, 2000) });
  process.exitCode = 1;
});
