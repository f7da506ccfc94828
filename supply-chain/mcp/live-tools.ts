import { spawn, type ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { WardenError } from "../../policies/errors.ts";
import { readToolDefinitions, type ToolDefinition } from "../../policies/evaluation/tool-pins.ts";

/**
 * Lists the tools an MCP server really exposes: starts it over stdio, initializes an MCP session
 * with the SDK's `Client`, and follows `tools/list` pages. The server under evaluation is
 * untrusted code, so it gets only PATH, HOME and the environment it is given (never the runner's
 * secrets), and it runs in a process group of its own that is killed when listing ends, so
 * launchers such as `npx` leave no orphans behind.
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
}

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
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(params: StdioCommand) {
    this.params = params;
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
      const child = spawn(this.params.command, this.params.args, {
        env: serverEnvironment(this.params.env),
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
): WardenError {
  const tail = transport.stderrTail.trimEnd();
  const lines = tail === "" ? [] : tail.split("\n").slice(-20);
  const message = [
    `MCP server \`${describeCommand(stdio)}\` ${what}`,
    ...(lines.length > 0 ? ["stderr (last lines):", ...lines.map((l) => `  ${l}`)] : []),
  ].join("\n");
  return new WardenError("MCP_SERVER_FAILED", message, { cause, problems: problems ?? [] });
}

class Stop extends Error {}

/**
 * Starts the server, lists every tool it exposes (following `nextCursor`), and stops it.
 * @throws WardenError MCP_SERVER_FAILED naming the command, with the tail of the server's stderr:
 *   it could not be started, exited, did not answer in time, answered with an error, or returned
 *   invalid tools (then `problems` lists every bad field under `tools/list`)
 */
export async function listServerTools(
  stdio: StdioCommand,
  opts: ListToolsOptions,
): Promise<ToolDefinition[]> {
  const transport = new IsolatedStdioTransport(stdio);
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
    const detail = error instanceof Error ? error.message : String(error);
    throw failure(stdio, transport, `failed: ${detail}`, error);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    await client.close().catch(() => {});
    await transport.close();
  }
}
