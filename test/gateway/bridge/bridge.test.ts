import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import {
  SERVER_EXITED,
  startBridge,
  type BridgeOptions,
  type RunningBridge,
} from "../../../gateway/bridge/bridge.ts";
import {
  installNpmServer,
  installPypiServer,
  NPM_SERVERS,
  PYPI_SERVERS,
} from "../../support/mcp-servers.ts";

// Published stdio servers behind the bridge, talked to with the SDK 1.x Streamable HTTP client,
// compared with the same servers talked to over stdio.

let everything: string;
const dir = mkdtempSync(join(tmpdir(), "bridge-test-"));
const bridges: RunningBridge[] = [];
const events: Record<string, unknown>[] = [];

before(async () => {
  everything = await installNpmServer(NPM_SERVERS.everything);
});

after(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  rmSync(dir, { recursive: true, force: true });
});

function env(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

async function bridge(over: Partial<BridgeOptions> & Pick<BridgeOptions, "command" | "args">) {
  const running = await startBridge({
    env: env(),
    host: "127.0.0.1",
    port: 0,
    maxSessions: 4,
    bodyLimit: 1024 * 1024,
    idleTimeoutMs: 60_000,
    log: (e) => events.push(e),
    stderr: () => undefined,
    ...over,
  });
  bridges.push(running);
  return running;
}

async function httpClient(
  url: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: "bridge-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

async function stdioTools(command: string, args: string[]) {
  const client = new Client({ name: "bridge-test", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(condition(), what);
}

test("server-everything: the tools listed through the bridge are those it lists over stdio, and calls work", async () => {
  const running = await bridge({ command: process.execPath, args: [everything] });
  const { client } = await httpClient(running.url);
  const overHttp = (await client.listTools()).tools;
  const overStdio = await stdioTools(process.execPath, [everything]);
  assert.ok(overHttp.length > 5);
  assert.deepEqual(overHttp, overStdio);

  const echo = await client.callTool({
    name: "echo",
    arguments: { message: "through the bridge" },
  });
  assert.deepEqual(echo.content, [{ type: "text", text: "Echo: through the bridge" }]);
  // The server process gets the bridge's environment (in a pod: the container's).
  const got = await client.callTool({ name: "get-env", arguments: {} });
  const text = (got.content as { type: string; text: string }[])[0]?.text ?? "";
  assert.equal((JSON.parse(text) as Record<string, string>).PATH, process.env.PATH);

  // Progress notifications travel on the call's own stream while it runs.
  const progress: number[] = [];
  const long = await client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } },
    undefined,
    { onprogress: (p) => progress.push(p.progress) },
  );
  assert.equal(long.isError ?? false, false);
  assert.deepEqual(progress, [1, 2, 3]);
  await client.close();
});

test("mcp-server-time from PyPI: listed and called through the bridge", async (t) => {
  const s = PYPI_SERVERS.time;
  let python: { python: string; args: string[] };
  try {
    python = await installPypiServer(s.name, s.version, s.module);
  } catch (e) {
    t.skip(`python or PyPI is not available here: ${String(e)}`);
    return;
  }
  const running = await bridge({ command: python.python, args: python.args });
  const { client } = await httpClient(running.url);
  const overHttp = (await client.listTools()).tools;
  assert.deepEqual(overHttp, await stdioTools(python.python, python.args));
  const result = await client.callTool({
    name: "get_current_time",
    arguments: { timezone: "Europe/Paris" },
  });
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? "";
  assert.equal((JSON.parse(text) as { timezone: string }).timezone, "Europe/Paris");
  await client.close();
});

test("a server that dies mid-call: the call gets a JSON-RPC error naming the exit, and the session is gone", async () => {
  const pidFile = join(dir, "everything.pid");
  // The shell writes its pid and becomes the server, so the test can kill the real server process.
  const running = await bridge({
    command: "/bin/sh",
    args: ["-c", `echo $$ > ${pidFile}; exec "$0" "$1"`, process.execPath, everything],
  });
  const { client, transport } = await httpClient(running.url);
  const pid = Number(readFileSync(pidFile, "utf8"));
  assert.ok(alive(pid));
  const call = client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 20, steps: 20 } },
    undefined,
    { onprogress: () => process.kill(pid, "SIGKILL"), timeout: 30_000 },
  );
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof McpError);
    assert.equal(e.code, SERVER_EXITED);
    assert.match(e.message, /the MCP server process was killed by SIGKILL/);
    return true;
  });
  await until("the session ends", () => running.sessionCount() === 0);
  // The session id is forgotten: the next request on it is refused as the spec says, with 404.
  const again = await fetch(running.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": transport.sessionId ?? "",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
  });
  assert.equal(again.status, 404);
  await client.close();
});

test("sessions are bounded, each has its own server process, and DELETE kills it", async () => {
  const pidDir = mkdtempSync(join(dir, "pids-"));
  const running = await bridge({
    command: "/bin/sh",
    args: ["-c", `echo $$ > ${pidDir}/$$; exec "$0" "$1"`, process.execPath, everything],
    maxSessions: 2,
  });
  const a = await httpClient(running.url);
  const b = await httpClient(running.url);
  assert.equal(running.sessionCount(), 2);
  assert.notEqual(a.transport.sessionId, b.transport.sessionId);
  const { readdirSync } = await import("node:fs");
  const pids = readdirSync(pidDir).map(Number);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));

  // A third client is refused while two sessions run.
  await assert.rejects(httpClient(running.url), /503|at most 2 sessions/);
  assert.equal(running.sessionCount(), 2);

  // Each session talks to its own process: both answer.
  assert.ok((await a.client.listTools()).tools.length > 0);
  assert.ok((await b.client.listTools()).tools.length > 0);

  // DELETE ends a's session and its process; then there is room for another.
  await a.transport.terminateSession();
  await until(
    "the deleted session's server process is gone",
    () => pids.filter(alive).length === 1,
  );
  assert.equal(running.sessionCount(), 1);
  const c = await httpClient(running.url);
  assert.ok((await c.client.listTools()).tools.length > 0);
  await b.client.close();
  await c.client.close();
});

test("requests that start no session are refused, and bodies over the limit get 413", async () => {
  const running = await bridge({
    command: process.execPath,
    args: [everything],
    bodyLimit: 1000,
  });
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const notInit = await fetch(running.url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  assert.equal(notInit.status, 400);
  const big = await fetch(running.url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { pad: "x".repeat(2000) },
    }),
  });
  assert.equal(big.status, 413);
  assert.equal((await fetch(running.url.replace("/mcp", "/other"))).status, 404);
  assert.equal(running.sessionCount(), 0);
});

test("a command that cannot be started answers initialize with 502 and leaves no session", async () => {
  const running = await bridge({ command: join(dir, "no-such-server"), args: [] });
  await assert.rejects(httpClient(running.url), /502|could not be started/);
  assert.equal(running.sessionCount(), 0);
});
