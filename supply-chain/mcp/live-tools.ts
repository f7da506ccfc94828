import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { errorMessage, WardenError } from "../../policies/errors.ts";
import { readToolDefinitions, type ToolDefinition } from "../../policies/evaluation/tool-pins.ts";
import { McpServerError } from "./errors.ts";

/**
 * Lists the tools an MCP server really exposes: starts it over stdio, initializes an MCP session
 * with the SDK's `Client`, and follows `tools/list` pages. The server under evaluation is
 * untrusted code, so it gets only PATH, HOME and the environment it is given (never the runner's
 * secrets), and it runs in a process group of its own that is killed when listing ends, so
 * launchers such as `npx` leave no orphans behind.
 *
 * It still runs as this process's user, which could read this process's and its ancestors'
 * initial environment in `/proc/<pid>/environ` (a GitHub Action's inputs and tokens live there).
 * So on Linux, where util-linux `unshare` can do it, the server starts in user, PID and mount
 * namespaces of its own with a fresh `/proc`: no process outside the namespace is visible to it.
 * Inside, it runs as an ordinary user without capabilities, so it cannot unmount that `/proc`.
 * It also gets a fresh, empty HOME rather than this process's, unless its environment sets one.
 * Files elsewhere stay readable as before (the filesystem is shared): this is a best effort
 * against the environment of the runner, not a sandbox.
 */

/** How to start a server over stdio. */
export interface StdioCommand {
  command: string;
  args: string[];
  /** Added to PATH and HOME; nothing else of this process's environment reaches the server. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface ListToolsOptions {
  /** One deadline for starting, initializing and listing every page. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** At most this many `tools/list` pages (default 100); a server paging forever is an error. */
  maxPages?: number;
  /**
   * `auto` (the default): run the server in namespaces of its own when this machine allows it
   * (see {@link namespaceSupport}), otherwise without; `required`: fail when it does not; `off`:
   * neither namespaces nor a fresh HOME.
   */
  isolation?: Isolation;
}

export type Isolation = "auto" | "required" | "off";

/** How the server under evaluation was kept apart from this process. */
export interface IsolationReport {
  /** It ran in user, PID and mount namespaces of its own, with a `/proc` of its own. */
  namespaces: boolean;
  /** Why it did not, when it did not. */
  reason?: string;
  /** `fresh`: an empty directory, removed afterwards; `manifest`: the one its env sets; `runner`: this process's. */
  home: "fresh" | "manifest" | "runner";
}

export interface ListedTools {
  tools: ToolDefinition[];
  isolation: IsolationReport;
}

export type NamespaceSupport =
  | {
      available: true;
      /** The `unshare` program and the arguments that come before `-- <command> <args>`. */
      command: string;
      args: string[];
    }
  | { available: false; reason: string };

const STDERR_TAIL = 4096;
const CLIENT_INFO = { name: "mcp-warden", version: "0.1.0" };

/** The environment a server under evaluation starts with. */
export function serverEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

const PROBE_TIMEOUT_MS = 3000;
/** The user a server runs as inside its namespace when this process runs as root. */
const NOBODY = 65534;

let probed: Promise<NamespaceSupport> | undefined;

/**
 * Whether servers can run in namespaces of their own here: Linux, `unshare` on PATH with
 * `--map-user`/`--map-group` (util-linux 2.36 or later), and user namespaces allowed. Tried once
 * per process by running `unshare … true`; the answer is kept.
 */
export function namespaceSupport(): Promise<NamespaceSupport> {
  probed ??= probeNamespaces();
  return probed;
}

async function probeNamespaces(): Promise<NamespaceSupport> {
  if (process.platform !== "linux") {
    return { available: false, reason: `namespaces are Linux-only (this is ${process.platform})` };
  }
  const path = process.env.PATH;
  const command = path === undefined ? undefined : findExecutable("unshare", path);
  if (command === undefined) {
    return { available: false, reason: "util-linux `unshare` was not found on PATH" };
  }
  // As root inside, the server would hold every capability of its namespaces and could unmount
  // its /proc; as another user it holds none once it is executed.
  const root = process.getuid?.() === 0;
  const uid = root ? NOBODY : (process.getuid?.() ?? NOBODY);
  const gid = root ? NOBODY : (process.getgid?.() ?? NOBODY);
  const args = [
    "--user",
    `--map-user=${uid}`,
    `--map-group=${gid}`,
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
  ];
  return new Promise((done) => {
    execFile(
      command,
      [...args, "--", "true"],
      { env: { PATH: path ?? "" }, timeout: PROBE_TIMEOUT_MS, killSignal: "SIGKILL" },
      (error, _stdout, stderr) => {
        if (error === null) {
          done({ available: true, command, args });
          return;
        }
        const said = stderr.trim().split("\n").slice(-1)[0] ?? "";
        const why =
          error.killed === true
            ? `did not finish within ${PROBE_TIMEOUT_MS} ms`
            : said !== ""
              ? said
              : error.message;
        done({
          available: false,
          reason: `\`${command} ${args.join(" ")} -- true\` failed: ${why}`,
        });
      },
    );
  });
}

function isExecutableFile(path: string): "yes" | "not executable" | "missing" {
  try {
    if (!statSync(path).isFile()) return "missing";
  } catch {
    return "missing";
  }
  try {
    accessSync(path, constants.X_OK);
    return "yes";
  } catch {
    return "not executable";
  }
}

/** Where `execvp` would find `command`, as `spawn` looks it up: on PATH, or as a path from cwd. */
function findExecutable(command: string, path: string, cwd = process.cwd()): string | undefined {
  return lookUp(command, path, cwd).found;
}

function lookUp(
  command: string,
  path: string,
  cwd: string,
): { found?: string; error?: "ENOENT" | "EACCES" } {
  const candidates = command.includes("/")
    ? [resolve(cwd, command)]
    : path
        .split(delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => resolve(cwd, dir, command));
  let error: "ENOENT" | "EACCES" = "ENOENT";
  for (const candidate of candidates) {
    const state = isExecutableFile(candidate);
    if (state === "yes") return { found: candidate };
    if (state === "not executable") error = "EACCES";
  }
  return { error };
}

/** How the transport starts the server: the environment, and `unshare` in front when isolated. */
interface Launch {
  env: Record<string, string>;
  wrapper?: { command: string; args: string[] };
}

/**
 * A stdio transport like the SDK's `StdioClientTransport`, except that the environment is exactly
 * the one given and the server runs in its own process group, which `close()` kills as a whole.
 * It also keeps the raw `tools/list` results, before the SDK's own parsing drops fields it does
 * not know, so pins hash exactly what the server sent.
 */
class IsolatedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();
  private stderr = "";
  private readonly toolsListIds = new Set<string | number>();
  private readonly toolsResults: unknown[] = [];
  private exitDescription: string | undefined;
  private spawnError: Error | undefined;
  private readonly params: StdioCommand;
  private readonly launch: Launch;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(params: StdioCommand, launch: Launch) {
    this.params = params;
    this.launch = launch;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** What stopped the server, once it stopped on its own. */
  get exit(): string | undefined {
    return this.spawnError === undefined
      ? this.exitDescription
      : `could not be started (${this.spawnError.message})`;
  }

  get stderrTail(): string {
    return this.stderr;
  }

  takeToolsResult(): unknown {
    return this.toolsResults.shift();
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { env, wrapper } = this.launch;
      let command = this.params.command;
      let args = this.params.args;
      if (wrapper !== undefined) {
        // `unshare` itself would start and then fail to run a missing command; say it as spawn would.
        const { error } = lookUp(
          command,
          env.PATH ?? "/usr/bin:/bin",
          this.params.cwd ?? process.cwd(),
        );
        if (error !== undefined) {
          const spawnError = Object.assign(new Error(`spawn ${command} ${error}`), {
            code: error,
            errno: error === "ENOENT" ? -2 : -13,
            syscall: `spawn ${command}`,
            path: command,
            spawnargs: args,
          });
          this.spawnError = spawnError;
          reject(spawnError);
          this.onerror?.(spawnError);
          return;
        }
        args = [...wrapper.args, "--", command, ...args];
        command = wrapper.command;
      }
      const child = spawn(command, args, {
        env,
        cwd: this.params.cwd,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
        shell: false,
      });
      this.child = child;
      child.on("error", (error) => {
        this.spawnError ??= error;
        reject(error);
        this.onerror?.(error);
      });
      child.on("spawn", () => resolve());
      child.on("exit", (code, signal) => {
        this.exitDescription ??=
          signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`;
      });
      child.on("close", () => {
        this.resolveClosed();
        this.onclose?.();
      });
      child.stdin?.on("error", (error) => this.onerror?.(error));
      child.stdout?.on("data", (chunk: Buffer) => {
        this.buffer.append(chunk);
        this.drain();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        this.stderr = (this.stderr + chunk.toString("utf8")).slice(-STDERR_TAIL);
      });
    });
  }

  private drain(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (error) {
        this.onerror?.(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (message === null) return;
      if ("id" in message && "result" in message && this.toolsListIds.delete(message.id)) {
        this.toolsResults.push(message.result);
      }
      this.onmessage?.(message);
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (stdin === null || stdin === undefined || !stdin.writable)
      return Promise.reject(new Error("not connected"));
    if ("method" in message && "id" in message && message.method === "tools/list") {
      this.toolsListIds.add(message.id);
    }
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once("drain", resolve);
    });
  }

  /** Ends the session and makes sure the server and everything it started are gone. */
  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    const wait = (ms: number) =>
      Promise.race([this.closed, new Promise<void>((r) => setTimeout(r, ms).unref())]);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      await wait(500);
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child.pid, "SIGTERM");
        await wait(1500);
      }
    }
    // Whatever the server left running in its group (an npx launcher's node, a shell's children).
    if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
    if (child.pid !== undefined) await wait(1000);
    child.stdout?.destroy();
    child.stderr?.destroy();
    this.buffer.clear();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function describeCommand(stdio: StdioCommand): string {
  return [stdio.command, ...stdio.args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(" ");
}

function failure(
  stdio: StdioCommand,
  transport: IsolatedStdioTransport,
  what: string,
  cause?: unknown,
  problems?: { path: string; message: string }[],
): McpServerError {
  const tail = transport.stderrTail.trimEnd();
  const lines = tail === "" ? [] : tail.split("\n").slice(-20);
  const message = [
    `MCP server \`${describeCommand(stdio)}\` ${what}`,
    ...(lines.length > 0 ? ["stderr (last lines):", ...lines.map((l) => `  ${l}`)] : []),
  ].join("\n");
  return new McpServerError("MCP_SERVER_FAILED", message, { cause, problems: problems ?? [] });
}

class Stop extends Error {}

/**
 * Starts the server, lists every tool it exposes (following `nextCursor`), and stops it.
 * @throws McpServerError MCP_SERVER_FAILED naming the command, with the tail of the server's stderr:
 *   it could not be started, exited, did not answer in time, answered with an error, or returned
 *   invalid tools (then `problems` lists every bad field under `tools/list`)
 */
export async function listServerTools(
  stdio: StdioCommand,
  opts: ListToolsOptions,
): Promise<ToolDefinition[]> {
  return (await listServerToolsIsolated(stdio, opts)).tools;
}

/**
 * {@link listServerTools}, also saying how the server was isolated, so a caller can warn when it
 * ran without namespaces of its own.
 * @throws McpServerError MCP_SERVER_FAILED as {@link listServerTools} does, and when `isolation` is
 *   `required` and this machine cannot run the server in namespaces of its own
 */
export async function listServerToolsIsolated(
  stdio: StdioCommand,
  opts: ListToolsOptions,
): Promise<ListedTools> {
  const mode = opts.isolation ?? "auto";
  let wrapper: Launch["wrapper"];
  let isolation: IsolationReport;
  const ownHome = stdio.env?.HOME !== undefined;
  if (mode === "off") {
    isolation = {
      namespaces: false,
      reason: "isolation is off",
      home: ownHome ? "manifest" : "runner",
    };
  } else {
    const support = await namespaceSupport();
    if (support.available) wrapper = { command: support.command, args: support.args };
    else if (mode === "required") {
      throw new McpServerError(
        "MCP_SERVER_FAILED",
        `MCP server \`${describeCommand(stdio)}\` could not be started in namespaces of its own: ${support.reason}`,
      );
    }
    isolation = {
      namespaces: support.available,
      ...(support.available ? {} : { reason: support.reason }),
      home: ownHome ? "manifest" : "fresh",
    };
  }
  const home =
    isolation.home === "fresh" ? mkdtempSync(join(tmpdir(), "mcp-warden-home-")) : undefined;
  try {
    const env = serverEnvironment({ ...(home === undefined ? {} : { HOME: home }), ...stdio.env });
    const tools = await listWith(stdio, opts, { env, ...(wrapper ? { wrapper } : {}) });
    return { tools, isolation };
  } finally {
    if (home !== undefined) {
      try {
        rmSync(home, { recursive: true, force: true });
      } catch {
        // A server that made its HOME unremovable leaves that temp dir behind.
      }
    }
  }
}

async function listWith(
  stdio: StdioCommand,
  opts: ListToolsOptions,
  launch: Launch,
): Promise<ToolDefinition[]> {
  const transport = new IsolatedStdioTransport(stdio, launch);
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  const controller = new AbortController();
  let stopped: (reason: Stop) => void = () => {};
  const stop = new Promise<never>((_, reject) => {
    stopped = reject;
  });
  stop.catch(() => {});
  const timer = setTimeout(() => {
    const reason = new Stop(`did not list its tools within ${opts.timeoutMs} ms`);
    stopped(reason);
    controller.abort(reason);
  }, opts.timeoutMs);
  const onAbort = () => {
    const reason = new Stop("was stopped: listing was cancelled");
    stopped(reason);
    controller.abort(reason);
  };
  if (opts.signal?.aborted === true) onAbort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  transport.onclose = () => {
    stopped(new Stop(`${transport.exit ?? "closed its output"} before listing its tools`));
  };
  const requestOptions = { signal: controller.signal, timeout: opts.timeoutMs };

  const session = async (): Promise<ToolDefinition[]> => {
    await client.connect(transport, requestOptions);
    if (client.getServerCapabilities()?.tools === undefined) return [];
    const raw: unknown[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    const maxPages = opts.maxPages ?? 100;
    for (let page = 0; ; page++) {
      if (page >= maxPages) throw new Stop(`returned more than ${maxPages} pages of tools`);
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, requestOptions);
      const rawResult = transport.takeToolsResult();
      const tools =
        typeof rawResult === "object" && rawResult !== null && "tools" in rawResult
          ? rawResult.tools
          : result.tools;
      if (Array.isArray(tools)) for (const t of tools as readonly unknown[]) raw.push(t);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
      if (cursors.has(cursor)) throw new Stop(`repeated the tools/list cursor ${cursor}`);
      cursors.add(cursor);
    }
    const { tools, problems } = readToolDefinitions(raw, "tools/list");
    if (problems.length > 0) {
      throw failure(stdio, transport, "returned invalid tools", undefined, problems);
    }
    return tools;
  };

  try {
    return await Promise.race([session(), stop]);
  } catch (error) {
    if (error instanceof WardenError) throw error;
    // The SDK rejects a malformed tools/list answer with its own parser's message; say which
    // fields are wrong instead.
    const pending = transport.takeToolsResult();
    if (typeof pending === "object" && pending !== null && "tools" in pending) {
      const { problems } = readToolDefinitions(pending.tools, "tools/list");
      if (problems.length > 0)
        throw failure(stdio, transport, "returned invalid tools", error, problems);
    }
    // A stop reason wins over the SDK's own view of it ("Connection closed", "AbortError").
    const reason: unknown =
      error instanceof Stop
        ? error
        : await Promise.race([stop, Promise.resolve(undefined)]).catch((e: unknown) => e);
    if (reason instanceof Stop) throw failure(stdio, transport, reason.message, error);
    if (transport.exit !== undefined)
      throw failure(stdio, transport, `${transport.exit} before listing its tools`, error);
    const detail = errorMessage(error);
    throw failure(stdio, transport, `failed: ${detail}`, error);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    await client.close().catch(() => {});
    await transport.close();
  }
}
