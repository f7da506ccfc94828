import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WardenError } from "../../policies/errors.ts";
import { checkDescriptions, listedToolsAt } from "../../policies/evaluation/description-safety.ts";
import { compareTools } from "../../policies/evaluation/tool-declaration.ts";
import { readToolDefinitions, type ToolDefinition } from "../../policies/evaluation/tool-pins.ts";
import { listServerTools, type StdioCommand } from "../../supply-chain/mcp/live-tools.ts";
import {
  NPM_SERVERS,
  PYPI_SERVERS,
  fixtureName,
  installNpmServer,
  installPypiServer,
} from "../support/mcp-servers.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "mcp-warden-live-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function recorded(name: string, version: string): ToolDefinition[] {
  const raw = JSON.parse(
    readFileSync(
      new URL(`../fixtures/mcp/${fixtureName(name, version)}.tools.json`, import.meta.url),
      "utf8",
    ),
  ) as unknown;
  return readToolDefinitions(raw, "fixture").tools;
}

const summary = (tools: ToolDefinition[]) => tools.map((t) => [t.name, t.description]);

async function failure(
  stdio: StdioCommand,
  timeoutMs = 10_000,
  signal?: AbortSignal,
): Promise<WardenError> {
  try {
    await listServerTools(stdio, { timeoutMs, signal });
  } catch (e) {
    assert.ok(e instanceof WardenError, `expected a WardenError, got ${String(e)}`);
    assert.equal(e.code, "MCP_SERVER_FAILED", e.describe());
    return e;
  }
  assert.fail("expected MCP_SERVER_FAILED");
}

// A process is gone when /proc has no entry for it or it is a zombie waiting to be reaped.
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(stat, "utf8"));
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** A node script in the test directory, run with this Node. */
function script(name: string, source: string, args: string[] = []): StdioCommand {
  const file = join(dir, name);
  writeFileSync(file, source);
  return { command: process.execPath, args: [file, ...args] };
}

// A minimal JSON-RPC peer for paths a published server does not take (bad answers, paging).
const RAW_SERVER = `
const mode = process.argv[2];
let buf = "";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
const tool = (name) => ({ name, description: "Tool " + name, inputSchema: { type: "object" } });
process.stdin.on("data", (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.method === "initialize")
      send({ id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: mode === "no-tools" ? {} : { tools: {} }, serverInfo: { name: "raw", version: "1" } } });
    else if (msg.method === "tools/list") {
      const cursor = msg.params && msg.params.cursor;
      if (mode === "invalid") send({ id: msg.id, result: { tools: [tool("ok"), { name: "bad", description: 3 }] } });
      else if (mode === "paged") send({ id: msg.id, result: cursor === undefined ? { tools: [tool("a")], nextCursor: "p2" } : cursor === "p2" ? { tools: [tool("b")], nextCursor: "p3" } : { tools: [{ ...tool("c"), annotations: { readOnlyHint: true, "x-vendor": "kept" } }] } });
      else if (mode === "loop") send({ id: msg.id, result: { tools: [tool("a")], nextCursor: "same" } });
      else if (mode === "error") send({ id: msg.id, error: { code: -32603, message: "database unavailable" } });
    }
  }
});
`;

test("server-everything: the live tool list is the recorded one, and raises no description findings", async () => {
  const s = NPM_SERVERS.everything;
  const entry = await installNpmServer(s);
  const tools = await listServerTools(
    { command: process.execPath, args: [entry] },
    { timeoutMs: 60_000 },
  );
  assert.deepEqual(summary(tools), summary(recorded(s.name, s.version)));
  assert.ok(tools.some((t) => t.outputSchema !== undefined && t.annotations !== undefined));
  assert.deepEqual(checkDescriptions(tools, listedToolsAt()), []);
});

test("server-filesystem 2025.3.28 and 2025.7.1: live lists match the recordings; the upgrade adds a tool", async () => {
  const lists: ToolDefinition[][] = [];
  for (const s of [NPM_SERVERS.filesystemOld, NPM_SERVERS.filesystem]) {
    const entry = await installNpmServer(s);
    const tools = await listServerTools(
      { command: process.execPath, args: [entry, dir], cwd: dir },
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(tools, recorded(s.name, s.version), `${s.name}@${s.version}`);
    lists.push(tools);
  }
  const [old = [], current = []] = lists;
  const undeclared = compareTools(old, current).filter((f) => /does not declare/.test(f.message));
  assert.deepEqual(
    undeclared.map((f) => f.location),
    ["tools/list:list_directory_with_sizes"],
  );
});

test("mcp-server-time from PyPI, run with python", async (t) => {
  const s = PYPI_SERVERS.time;
  let python: { python: string; args: string[] };
  try {
    python = await installPypiServer(s.name, s.version, s.module);
  } catch (e) {
    t.skip(
      `${s.name}==${s.version} could not be installed with python3 -m venv and pip: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
    );
    return;
  }
  const tools = await listServerTools(
    { command: python.python, args: [...python.args, "--local-timezone", "UTC"] },
    { timeoutMs: 60_000 },
  );
  assert.deepEqual(tools, recorded(s.name, s.version));
  assert.deepEqual(checkDescriptions(tools, listedToolsAt()), []);
});

test("the server gets PATH, HOME and its own env only: the runner's secrets stay out", async () => {
  const envFile = join(dir, "env.json");
  process.env.MCP_WARDEN_TEST_SECRET = "ghp_notARealTokenButAsecretAnyway0000000";
  try {
    const e = await failure(
      script(
        "env.cjs",
        `require("fs").writeFileSync(${JSON.stringify(envFile)}, JSON.stringify(process.env));
         process.stderr.write("starting\\nfatal: missing CONFIG\\n"); process.exit(3);`,
      ),
    );
    assert.match(e.message, /exited with code 3 before listing its tools/);
    assert.match(e.message, /stderr \(last lines\):\n {2}starting\n {2}fatal: missing CONFIG/);
    assert.match(e.message, /env\.cjs/, "names the command");
  } finally {
    delete process.env.MCP_WARDEN_TEST_SECRET;
  }
  const seen = JSON.parse(readFileSync(envFile, "utf8")) as Record<string, string>;
  assert.deepEqual(
    Object.keys(seen).filter((k) => k !== "PATH" && k !== "HOME"),
    [],
  );

  await failure({
    ...script(
      "env2.cjs",
      `require("fs").writeFileSync(${JSON.stringify(envFile)}, JSON.stringify(process.env)); process.exit(1);`,
    ),
    env: { CONFIG: "/etc/app.json" },
  });
  const seen2 = JSON.parse(readFileSync(envFile, "utf8")) as Record<string, string>;
  assert.equal(seen2.CONFIG, "/etc/app.json");
  assert.equal(seen2.MCP_WARDEN_TEST_SECRET, undefined);
});

test("a server that never answers times out, and it and its children are gone", async () => {
  const pids = join(dir, "pids");
  const stdio = script(
    "silent.cjs",
    `const { spawn } = require("child_process");
     const child = spawn("sleep", ["300"], { stdio: "ignore" });
     require("fs").writeFileSync(${JSON.stringify(pids)}, JSON.stringify([process.pid, child.pid]));
     process.stderr.write("listening (not really)\\n");
     process.on("SIGTERM", () => {}); // ignores the polite request
     setInterval(() => {}, 1000);`,
  );
  const started = Date.now();
  const e = await failure(stdio, 800);
  assert.match(e.message, /did not list its tools within 800 ms/);
  assert.match(e.message, /listening \(not really\)/);
  assert.ok(Date.now() - started < 8000);
  const [server, grandchild] = JSON.parse(readFileSync(pids, "utf8")) as [number, number];
  assert.ok(await eventually(() => !alive(server) && !alive(grandchild)), "no orphans");
});

test("a command that does not exist, and one that exits at once", async () => {
  const missing = await failure({ command: join(dir, "no-such-server"), args: ["--stdio"] });
  assert.match(missing.message, /could not be started \(spawn .*ENOENT\)/);
  const exits = await failure({ command: process.execPath, args: ["-e", "process.exit(0)"] });
  assert.match(exits.message, /exited with code 0 before listing its tools/);
});

test("invalid tools are reported field by field; JSON-RPC errors name the server's message", async () => {
  const raw = script("raw.cjs", RAW_SERVER);
  const invalid = await failure({ ...raw, args: [...raw.args, "invalid"] });
  assert.match(invalid.message, /returned invalid tools/);
  assert.deepEqual(invalid.problems, [
    { path: "tools/list[1].inputSchema", message: "is required" },
    { path: "tools/list[1].description", message: "must be string" },
  ]);
  const error = await failure({ ...raw, args: [...raw.args, "error"] });
  assert.match(error.message, /database unavailable/);
  const loop = await failure({ ...raw, args: [...raw.args, "loop"] });
  assert.match(loop.message, /repeated the tools\/list cursor same/);
});

test("pages are followed; fields the SDK does not model are kept for the pin; no tools capability is no tools", async () => {
  const raw = script("raw2.cjs", RAW_SERVER);
  const tools = await listServerTools(
    { ...raw, args: [...raw.args, "paged"] },
    { timeoutMs: 10_000 },
  );
  assert.deepEqual(
    tools.map((t) => t.name),
    ["a", "b", "c"],
  );
  assert.deepEqual(tools[2]?.annotations, { readOnlyHint: true, "x-vendor": "kept" });
  const none = await listServerTools(
    { ...raw, args: [...raw.args, "no-tools"] },
    { timeoutMs: 10_000 },
  );
  assert.deepEqual(none, []);
});

test("a cancelled listing stops the server", async () => {
  const controller = new AbortController();
  const stdio = script("slow.cjs", "setInterval(() => {}, 1000);");
  setTimeout(() => controller.abort(), 200);
  const e = await failure(stdio, 30_000, controller.signal);
  assert.match(e.message, /listing was cancelled/);
});
