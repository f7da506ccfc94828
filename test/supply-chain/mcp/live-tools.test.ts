import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WardenError } from "../../../policies/errors.ts";
import { checkServer, listedToolsAt } from "../../../policies/evaluation/description-safety.ts";
import { compareTools } from "../../../policies/evaluation/tool-declaration.ts";
import {
  readToolDefinitions,
  type ToolDefinition,
} from "../../../policies/evaluation/tool-pins.ts";
import { namespaceSupport, type Isolation } from "../../../supply-chain/mcp/isolation.ts";
import { listServerTools, type ListedTools } from "../../../supply-chain/mcp/live-tools.ts";
import type { StdioCommand } from "../../../supply-chain/mcp/stdio-transport.ts";
import {
  NPM_SERVERS,
  PYPI_SERVERS,
  fixtureName,
  installNpmServer,
  installPypiServer,
} from "../../support/mcp-servers.ts";
import { assertRejectsWithCode } from "../../support/throws.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "mcp-warden-live-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function recorded(name: string, version: string): ToolDefinition[] {
  const raw = JSON.parse(
    readFileSync(
      new URL(`../../fixtures/mcp/${fixtureName(name, version)}.tools.json`, import.meta.url),
      "utf8",
    ),
  ) as unknown;
  return readToolDefinitions(raw, "fixture").tools;
}

const summary = (tools: ToolDefinition[]) => tools.map((t) => [t.name, t.description]);

const support = await namespaceSupport();

async function failure(
  stdio: StdioCommand,
  timeoutMs = 10_000,
  signal?: AbortSignal,
  isolation?: Isolation,
): Promise<WardenError> {
  return assertRejectsWithCode(
    listServerTools(stdio, { timeoutMs, signal, ...(isolation ? { isolation } : {}) }),
    "MCP_SERVER_FAILED",
    WardenError,
  );
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

/** A process's start time (field 22 of /proc/PID/stat): a reused pid has another. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Live processes whose command line has `marker` as one of its arguments, seen from this /proc. */
function processesWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(alive);
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
  const { tools, definitions, isolation } = await listServerTools(
    { command: process.execPath, args: [entry] },
    { timeoutMs: 60_000 },
  );
  assert.equal(isolation.namespaces, support.available, JSON.stringify(isolation));
  assert.equal(isolation.home, "fresh");
  assert.deepEqual(summary(tools), summary(recorded(s.name, s.version)));
  // Its instructions, prompts and resource templates are collected too, as recorded.
  assert.deepEqual(
    definitions,
    JSON.parse(
      readFileSync(
        new URL(
          `../../fixtures/mcp/${fixtureName(s.name, s.version)}.definitions.json`,
          import.meta.url,
        ),
        "utf8",
      ),
    ),
  );
  assert.ok(tools.some((t) => t.outputSchema !== undefined && t.annotations !== undefined));
  assert.deepEqual(checkServer({ tools }, listedToolsAt()), []);
});

test("server-filesystem 2025.3.28 and 2025.7.1: live lists match the recordings; the upgrade adds a tool", async () => {
  const lists: ToolDefinition[][] = [];
  for (const s of [NPM_SERVERS.filesystemOld, NPM_SERVERS.filesystem]) {
    const entry = await installNpmServer(s);
    const { tools, definitions, isolation } = await listServerTools(
      { command: process.execPath, args: [entry, dir], cwd: dir },
      { timeoutMs: 60_000 },
    );
    assert.equal(isolation.namespaces, support.available, JSON.stringify(isolation));
    assert.deepEqual(tools, recorded(s.name, s.version), `${s.name}@${s.version}`);
    assert.deepEqual(definitions, { prompts: [], resourceTemplates: [] });
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
  const { tools } = await listServerTools(
    { command: python.python, args: [...python.args, "--local-timezone", "UTC"] },
    { timeoutMs: 60_000 },
  );
  assert.deepEqual(tools, recorded(s.name, s.version));
  assert.deepEqual(checkServer({ tools }, listedToolsAt()), []);
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

for (const isolation of ["off", "auto"] as const) {
  test(`a server that never answers times out, and it and its children are gone (isolation ${isolation})`, async () => {
    // Pids written from inside a PID namespace are not this /proc's, so the processes are found
    // by a marker in their arguments. In namespaces, even a child that left the process group
    // with setsid() goes when the namespace's first process does.
    const marker = `mcp-warden-orphan-${isolation}-${process.pid}`;
    const ready = join(dir, `silent-${isolation}.ready`);
    const stdio = script(
      `silent-${isolation}.cjs`,
      `const { spawn } = require("child_process");
       const forever = ["-e", "setInterval(() => {}, 1000)", ${JSON.stringify(marker)}];
       spawn(process.execPath, forever, { stdio: "ignore" });
       if (${String(isolation !== "off" && support.available)})
         spawn(process.execPath, forever, { stdio: "ignore", detached: true });
       require("fs").writeFileSync(${JSON.stringify(ready)}, "");
       process.stderr.write("listening (not really)\\n");
       process.on("SIGTERM", () => {}); // ignores the polite request
       setInterval(() => {}, 1000);`,
      [marker],
    );
    const startedAt = Date.now();
    const listing = failure(stdio, 800, undefined, isolation);
    assert.ok(await eventually(() => existsSync(ready)), "the server started");
    const running = processesWith(marker);
    const started = new Map(running.map((pid) => [pid, startTime(pid)]));
    // The server and its child; in namespaces also unshare and the child that left the group.
    assert.equal(
      running.length,
      isolation === "off" || !support.available ? 2 : 4,
      running.join(" "),
    );
    const e = await listing;
    assert.match(e.message, /did not list its tools within 800 ms/);
    assert.match(e.message, /listening \(not really\)/);
    assert.ok(Date.now() - startedAt < 8000);
    assert.ok(await eventually(() => processesWith(marker).length === 0), "no orphans");
    // Gone, or the pid was reused by a process that started later (a busy machine reuses pids).
    assert.ok(running.every((pid) => !alive(pid) || startTime(pid) !== started.get(pid)));
  });
}

// Looks around before serving: which processes it sees, whose initial environment holds the
// secret, its HOME, and (only as the first process of its own PID namespace) whether it can
// unmount its /proc to see the host's. Then answers as a server with one tool.
const SPY_SERVER = `
const fs = require("fs");
const { spawnSync } = require("child_process");
const [out, tryUmount] = process.argv.slice(2);
const pids = () => fs.readdirSync("/proc").filter((e) => /^\\d+$/.test(e)).map(Number);
const withSecret = () => pids().filter((pid) => {
  try { return fs.readFileSync("/proc/" + pid + "/environ", "latin1").includes("MCP_WARDEN_TEST_SECRET="); }
  catch { return false; }
});
const report = {
  pid: process.pid,
  pids: pids(),
  withSecret: withSecret(),
  home: process.env.HOME,
  homeEntries: fs.readdirSync(process.env.HOME),
  capEff: /CapEff:\\s*(\\w+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1],
};
if (tryUmount === "umount" && process.pid === 1) {
  report.umount = spawnSync("umount", ["/proc"]).status;
  report.pidsAfterUmount = pids();
  report.withSecretAfterUmount = withSecret();
}
fs.writeFileSync(out, JSON.stringify(report));
let buf = "";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
process.stdin.on("data", (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.method === "initialize")
      send({ id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "spy", version: "1" } } });
    else if (msg.method === "tools/list")
      send({ id: msg.id, result: { tools: [{ name: "spy", description: "Looks around", inputSchema: { type: "object" } }] } });
  }
});
`;

interface SpyReport {
  pid: number;
  pids: number[];
  withSecret: number[];
  home: string;
  homeEntries: string[];
  capEff: string;
  umount?: number | null;
  pidsAfterUmount?: number[];
  withSecretAfterUmount?: number[];
}

type Outcome = { listed: ListedTools } | { error: { code: string; message: string } };

/**
 * Lists the spy server from a separate Node process that has the secret in its initial
 * environment, as a GitHub Action's process has its inputs, so /proc/<its pid>/environ shows it.
 */
async function fromParentWithSecret(
  name: string,
  isolation: Isolation,
  env: Record<string, string> = {},
  serverEnv?: Record<string, string>,
): Promise<{ outcome: Outcome; report?: SpyReport }> {
  const server = join(dir, "spy.cjs");
  writeFileSync(server, SPY_SERVER);
  const out = join(dir, `spy-${name}.json`);
  rmSync(out, { force: true });
  const parent = join(dir, "spy-parent.mjs");
  const liveTools = new URL("../../../supply-chain/mcp/live-tools.ts", import.meta.url);
  writeFileSync(
    parent,
    `import { listServerTools } from ${JSON.stringify(liveTools.href)};
     const [isolation, server, out, serverEnv] = process.argv.slice(2);
     try {
       const listed = await listServerTools(
         { command: process.execPath, args: [server, out, isolation === "off" ? "" : "umount"],
           ...(serverEnv === "" ? {} : { env: JSON.parse(serverEnv) }) },
         { timeoutMs: 20000, isolation },
       );
       process.stdout.write(JSON.stringify({ listed }));
     } catch (e) {
       process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message } }));
     }`,
  );
  const stdout = await new Promise<string>((done, fail) => {
    execFile(
      process.execPath,
      [parent, isolation, server, out, serverEnv === undefined ? "" : JSON.stringify(serverEnv)],
      {
        env: {
          ...process.env,
          MCP_WARDEN_TEST_SECRET: "ghp_notARealTokenButAsecretAnyway0000000",
          ...env,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout),
    );
  });
  const outcome = JSON.parse(stdout) as Outcome;
  const report = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as SpyReport) : undefined;
  return { outcome, ...(report ? { report } : {}) };
}

function listed(outcome: Outcome): ListedTools {
  assert.ok("listed" in outcome, JSON.stringify(outcome));
  assert.deepEqual(
    outcome.listed.tools.map((t) => t.name),
    ["spy"],
  );
  return outcome.listed;
}

test("without isolation, the server reads its parent's initial environment (why isolation exists)", async () => {
  const { outcome, report } = await fromParentWithSecret("off", "off");
  assert.deepEqual(listed(outcome).isolation, {
    namespaces: false,
    reason: "isolation is off",
    home: "runner",
  });
  assert.ok(report !== undefined);
  assert.ok(report.withSecret.length > 0, "the parent's secret is in its /proc/<pid>/environ");
  assert.equal(report.home, process.env.HOME);
});

test(
  "isolated, the server sees only its own PID namespace, no ancestor's environment, and a fresh HOME",
  {
    skip: support.available
      ? false
      : `no namespaces here: ${support.available ? "" : support.reason}`,
  },
  async () => {
    const { outcome, report } = await fromParentWithSecret("isolated", "required");
    assert.deepEqual(listed(outcome).isolation, { namespaces: true, home: "fresh" });
    assert.ok(report !== undefined);
    assert.equal(report.pid, 1, "the first process of its own PID namespace");
    assert.ok(report.pids.length <= 3 && report.pids.every((p) => p < 10), report.pids.join(" "));
    assert.deepEqual(report.withSecret, []);
    assert.equal(report.capEff, "0000000000000000", "no capabilities in its namespaces");
    assert.notEqual(report.umount, 0, "its /proc cannot be unmounted to reveal the host's");
    assert.deepEqual(report.pidsAfterUmount, report.pids);
    assert.deepEqual(report.withSecretAfterUmount, []);
    assert.notEqual(report.home, process.env.HOME);
    assert.ok(report.home.startsWith(tmpdir()), report.home);
    assert.deepEqual(report.homeEntries, []);
    assert.ok(!existsSync(report.home), "the fresh HOME is removed afterwards");
  },
);

test("a HOME the server's env sets is kept", async () => {
  const home = join(dir, "manifest-home");
  mkdirSync(home, { recursive: true });
  const { outcome, report } = await fromParentWithSecret("home", "auto", {}, { HOME: home });
  assert.equal(listed(outcome).isolation.home, "manifest");
  assert.equal(report?.home, home);
  assert.ok(existsSync(home));
});

test("without unshare on PATH: required fails before starting anything, auto runs without and says why", async () => {
  const emptyPath = join(dir, "empty-path");
  mkdirSync(emptyPath, { recursive: true });
  const required = await fromParentWithSecret("required", "required", { PATH: emptyPath });
  assert.ok("error" in required.outcome, JSON.stringify(required.outcome));
  assert.equal(required.outcome.error.code, "MCP_SERVER_FAILED");
  assert.match(
    required.outcome.error.message,
    /^MCP server `\S+ \S+spy\.cjs \S+spy-required\.json umount` could not be started in namespaces of its own: util-linux `unshare` was not found on PATH$/,
  );
  assert.equal(required.report, undefined, "the server never ran");

  const auto = await fromParentWithSecret("auto", "auto", { PATH: emptyPath });
  assert.deepEqual(listed(auto.outcome).isolation, {
    namespaces: false,
    reason: "util-linux `unshare` was not found on PATH",
    home: "fresh",
  });
  assert.ok(auto.report !== undefined);
  assert.notEqual(auto.report.home, process.env.HOME);
  assert.deepEqual(auto.report.homeEntries, []);
});

test(
  "isolation required on a machine without namespaces fails",
  { skip: support.available ? "namespaces work here" : false },
  async () => {
    const e = await failure(script("never.cjs", "process.exit(0)"), 10_000, undefined, "required");
    assert.match(e.message, /could not be started in namespaces of its own/);
  },
);

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
  const { tools } = await listServerTools(
    { ...raw, args: [...raw.args, "paged"] },
    { timeoutMs: 10_000 },
  );
  assert.deepEqual(
    tools.map((t) => t.name),
    ["a", "b", "c"],
  );
  assert.deepEqual(tools[2]?.annotations, { readOnlyHint: true, "x-vendor": "kept" });
  const { tools: none } = await listServerTools(
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
