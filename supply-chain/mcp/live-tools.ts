import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pkg from "../../package.json" with { type: "json" };
import { errorMessage, WardenError } from "../../policies/errors.ts";
import { McpServerError } from "./errors.ts";
import { readToolDefinitions, type ToolDefinition } from "../../policies/evaluation/tool-pins.ts";
import {
  planIsolation,
  serverEnvironment,
  withServerHome,
  type Isolation,
  type IsolationReport,
} from "./isolation.ts";
import { IsolatedStdioTransport, type Launch, type StdioCommand } from "./stdio-transport.ts";

/**
 * Lists the tools an MCP server really exposes: starts it over stdio (`stdio-transport.ts`), kept
 * apart from this process as far as this machine allows (`isolation.ts`), initializes an MCP
 * session with the SDK's `Client`, and follows `tools/list` pages. The server under evaluation is
 * untrusted code: it gets only PATH, HOME and the environment it is given (never the runner's
 * secrets), and it runs in a process group of its own that is killed when listing ends, so
 * launchers such as `npx` leave no orphans behind.
 */

export interface ListToolsOptions {
  /** One deadline for starting, initializing and listing every page. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** At most this many `tools/list` pages (default 100); a server paging forever is an error. */
  maxPages?: number;
  /** `auto` (the default), `required` or `off`: see {@link Isolation}. */
  isolation?: Isolation;
}

export interface ListedTools {
  tools: ToolDefinition[];
  isolation: IsolationReport;
}

/** Who is asking, in `initialize`: this release of mcp-warden. */
const CLIENT_INFO = { name: "mcp-warden", version: pkg.version };

/**
 * Starts the server, lists every tool it exposes (following `nextCursor`), stops it, and says how
 * it was isolated, so a caller can warn when it ran without namespaces of its own.
 * @throws McpServerError MCP_SERVER_FAILED naming the command, with the tail of the server's stderr:
 *   it could not be started (or not in namespaces of its own with `isolation: required`), exited,
 *   did not answer in time, answered with an error, or returned invalid tools (then `problems`
 *   lists every bad field under `tools/list`)
 */
export async function listServerTools(
  stdio: StdioCommand,
  opts: ListToolsOptions,
): Promise<ListedTools> {
  const plan = await planIsolation(opts.isolation ?? "auto", stdio.env?.HOME !== undefined);
  if ("refused" in plan)
    throw new McpServerError(
      "MCP_SERVER_FAILED",
      `MCP server \`${describeCommand(stdio)}\` could not be started in namespaces of its own: ${plan.refused}`,
    );
  const { report, wrapper } = plan;
  const tools = await withServerHome(report.home, (home) => {
    const env = serverEnvironment({ ...(home === undefined ? {} : { HOME: home }), ...stdio.env });
    return listWith(stdio, opts, { env, ...(wrapper ? { wrapper } : {}) });
  });
  return { tools, isolation: report };
}

/** Starts the server with `launch`, lists its tools, and stops it whatever happened. */
async function listWith(
  stdio: StdioCommand,
  opts: ListToolsOptions,
  launch: Launch,
): Promise<ToolDefinition[]> {
  const transport = new IsolatedStdioTransport(stdio, launch);
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  const stops = stopConditions(opts, transport);
  const requestOptions = { signal: stops.signal, timeout: opts.timeoutMs };
  const session = async (): Promise<ToolDefinition[]> => {
    await client.connect(transport, requestOptions);
    if (client.getServerCapabilities()?.tools === undefined) return [];
    const raw = await listPages(client, transport, opts.maxPages ?? 100, requestOptions);
    const { tools, problems } = readToolDefinitions(raw, "tools/list");
    if (problems.length > 0)
      throw failure(stdio, transport, "returned invalid tools", undefined, problems);
    return tools;
  };
  try {
    return await Promise.race([session(), stops.stopped]);
  } catch (error) {
    throw await explain(error, stdio, transport, stops.stopped);
  } finally {
    stops.dispose();
    await client.close().catch(() => {});
    await transport.close();
  }
}

/** Why listing stopped before the session ended: a reason a user can read. */
class Stop extends Error {}

/**
 * What ends a listing early: the deadline, the caller's signal, or the server closing its output.
 * `stopped` rejects with the first {@link Stop}; `signal` aborts the SDK's pending requests.
 */
function stopConditions(
  opts: ListToolsOptions,
  transport: IsolatedStdioTransport,
): { stopped: Promise<never>; signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let reject: (reason: Stop) => void = () => {};
  const stopped = new Promise<never>((_, r) => {
    reject = r;
  });
  stopped.catch(() => {});
  const stop = (reason: Stop) => {
    reject(reason);
    controller.abort(reason);
  };
  const timer = setTimeout(
    () => stop(new Stop(`did not list its tools within ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  const onAbort = () => stop(new Stop("was stopped: listing was cancelled"));
  if (opts.signal?.aborted === true) onAbort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  transport.onclose = () => {
    reject(new Stop(`${transport.exit ?? "closed its output"} before listing its tools`));
  };
  return {
    stopped,
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Every tool of every `tools/list` page, as the server sent it: the transport's raw results, not
 * the SDK's parse, which drops fields it does not know.
 */
async function listPages(
  client: Client,
  transport: IsolatedStdioTransport,
  maxPages: number,
  requestOptions: { signal: AbortSignal; timeout: number },
): Promise<unknown[]> {
  const raw: unknown[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= maxPages) throw new Stop(`returned more than ${maxPages} pages of tools`);
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, requestOptions);
    const tools = toolsOf(transport.takeToolsResult()) ?? result.tools;
    if (Array.isArray(tools)) for (const t of tools as readonly unknown[]) raw.push(t);
    cursor = result.nextCursor;
    if (cursor === undefined) return raw;
    if (cursors.has(cursor)) throw new Stop(`repeated the tools/list cursor ${cursor}`);
    cursors.add(cursor);
  }
}

/** The `tools` field of a raw `tools/list` result, if it has one. */
function toolsOf(result: unknown): unknown {
  return typeof result === "object" && result !== null && "tools" in result
    ? result.tools
    : undefined;
}

/** Any error of a listing as MCP_SERVER_FAILED, with the most telling reason. */
async function explain(
  error: unknown,
  stdio: StdioCommand,
  transport: IsolatedStdioTransport,
  stopped: Promise<never>,
): Promise<WardenError> {
  if (error instanceof WardenError) return error;
  // The SDK rejects a malformed tools/list answer with its own parser's message; say which
  // fields are wrong instead.
  const pending = toolsOf(transport.takeToolsResult());
  if (pending !== undefined) {
    const { problems } = readToolDefinitions(pending, "tools/list");
    if (problems.length > 0)
      return failure(stdio, transport, "returned invalid tools", error, problems);
  }
  // A stop reason wins over the SDK's own view of it ("Connection closed", "AbortError").
  const reason: unknown =
    error instanceof Stop
      ? error
      : await Promise.race([stopped, Promise.resolve(undefined)]).catch((e: unknown) => e);
  if (reason instanceof Stop) return failure(stdio, transport, reason.message, error);
  if (transport.exit !== undefined)
    return failure(stdio, transport, `${transport.exit} before listing its tools`, error);
  const detail = errorMessage(error);
  return failure(stdio, transport, `failed: ${detail}`, error);
}

function describeCommand(stdio: StdioCommand): string {
  return [stdio.command, ...stdio.args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(" ");
}

/** MCP_SERVER_FAILED naming the command, with the last lines of the server's stderr. */
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
