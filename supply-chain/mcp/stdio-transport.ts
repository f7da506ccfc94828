import { spawn, type ChildProcess } from "node:child_process";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { lookUpExecutable } from "./find-executable.ts";
import type { NamespaceWrapper } from "./isolation.ts";

/** How to start a server over stdio. */
export interface StdioCommand {
  command: string;
  args: string[];
  /** Added to PATH and HOME; nothing else of this process's environment reaches the server. */
  env?: Record<string, string>;
  cwd?: string;
}

/** How the transport starts the server: exactly this environment, and `unshare` in front when isolated. */
export interface Launch {
  env: Record<string, string>;
  wrapper?: NamespaceWrapper;
  /** Also given every chunk the server writes to stderr (the bridge passes it on to its own). */
  onStderr?: (chunk: Buffer) => void;
}

/** How much of the server's stderr is kept for error messages. */
const STDERR_TAIL = 4096;

/** The listing methods whose raw results are kept. */
export type ListMethod = "tools/list" | "prompts/list" | "resources/templates/list";
const LIST_METHODS: ReadonlySet<string> = new Set<ListMethod>([
  "tools/list",
  "prompts/list",
  "resources/templates/list",
]);

/**
 * A stdio transport like the SDK's `StdioClientTransport`, except that the environment is exactly
 * the one given and the server runs in its own process group, which `close()` kills as a whole.
 * It also keeps the raw results of the listing methods (`tools/list`, `prompts/list`,
 * `resources/templates/list`), before the SDK's own parsing drops fields it does not know, so pins
 * hash exactly what the server sent.
 */
export class IsolatedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();
  private stderr = "";
  private readonly listIds = new Map<string | number, ListMethod>();
  private readonly listResults = new Map<ListMethod, unknown[]>();
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
    return this.takeListResult("tools/list");
  }

  /** The oldest raw result of `method` not taken yet. */
  takeListResult(method: ListMethod): unknown {
    return this.listResults.get(method)?.shift();
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { env, wrapper } = this.launch;
      let command = this.params.command;
      let args = this.params.args;
      if (wrapper !== undefined) {
        // `unshare` itself would start and then fail to run a missing command; say it as spawn would.
        const { error } = lookUpExecutable(
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
        this.launch.onStderr?.(chunk);
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
      const id = "id" in message ? message.id : undefined;
      const method = id === undefined ? undefined : this.listIds.get(id);
      if (id !== undefined && method !== undefined) {
        this.listIds.delete(id);
        if ("result" in message)
          this.listResults.set(method, [...(this.listResults.get(method) ?? []), message.result]);
      }
      this.onmessage?.(message);
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (stdin === null || stdin === undefined || !stdin.writable)
      return Promise.reject(new Error("not connected"));
    if ("method" in message && "id" in message && LIST_METHODS.has(message.method)) {
      this.listIds.set(message.id, message.method as ListMethod);
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
