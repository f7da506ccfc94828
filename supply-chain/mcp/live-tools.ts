import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import pkg from "../../package.json" with { type: "json" };
import { errorMessage, WardenError, type FieldProblem } from "../../policies/errors.ts";
import { isRecord } from "../../policies/guards.ts";
import { McpServerError } from "./errors.ts";
import { readToolDefinitions, type ToolDefinition } from "../../policies/evaluation/tool-pins.ts";
import {
  readPromptDefinitions,
  readResourceTemplateDefinitions,
  type ServerDefinitions,
} from "../../policies/evaluation/server-definitions.ts";
import {
  planIsolation,
  serverEnvironment,
  withServerHome,
  type Isolation,
  type IsolationReport,
} from "./isolation.ts";
import {
  IsolatedStdioTransport,
  type Launch,
  type ListMethod,
  type StdioCommand,
} from "./stdio-transport.ts";

/**
 * Lists the tools an MCP server really exposes: starts it over stdio (`stdio-transport.ts`), kept
 * apart from this process as far as this machine allows (`isolation.ts`), initializes an MCP
 * session with the SDK's `Client`, and follows `tools/list` pages; it also collects what else a model
 * reads from the server: its `instructions`, and its prompts and resource templates when it declares
 * those capabilities. The server under evaluation is
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
  /** Instructions, prompts and resource templates (empty lists for capabilities not declared). */
  definitions: ServerDefinitions;
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
  const listed = await withServerHome(report.home, (home) => {
    const env = serverEnvironment({ ...(home === undefined ? {} : { HOME: home }), ...stdio.env });
    return listWithLaunch(stdio, opts, { env, ...(wrapper ? { wrapper } : {}) });
  });
  return { ...listed, isolation: report };
}

/**
 * Starts the server with `launch`, lists its tools, and stops it whatever happened. Errors name
 * the server as `name` (default: its command line).
 */
export async function listWithLaunch(
  stdio: StdioCommand,
  opts: Omit<ListToolsOptions, "isolation">,
  launch: Launch,
  name = describeCommand(stdio),
): Promise<Omit<ListedTools, "isolation">> {
  const transport = new IsolatedStdioTransport(stdio, launch);
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  const stops = stopConditions(opts, transport);
  const requestOptions = { signal: stops.signal, timeout: opts.timeoutMs };
  const maxPages = opts.maxPages ?? 100;
  const session = async (): Promise<Omit<ListedTools, "isolation">> => {
    await client.connect(transport, requestOptions);
    const capabilities = client.getServerCapabilities();
    const definitions: ServerDefinitions = { prompts: [], resourceTemplates: [] };
    const instructions = client.getInstructions();
    if (instructions !== undefined) definitions.instructions = instructions;
    // Every page of one listing, read by `read`; invalid items fail the listing, naming them.
    const list = async <T>(
      method: ListMethod,
      field: string,
      what: string,
      request: (params: { cursor?: string }) => Promise<{ nextCursor?: string | undefined }>,
      read: (raw: unknown[], base: string) => { items: T[]; problems: FieldProblem[] },
    ): Promise<T[]> => {
      const raw = await listPages(transport, method, field, maxPages, request);
      const { items, problems } = read(raw, method);
      if (problems.length > 0)
        throw failure(name, transport, `returned invalid ${what}`, undefined, problems);
      return items;
    };
    const tools =
      capabilities?.tools === undefined
        ? []
        : await list(
            "tools/list",
            "tools",
            "tools",
            (c) => client.listTools(c, requestOptions),
            (raw, base) => {
              const r = readToolDefinitions(raw, base);
              return { items: r.tools, problems: r.problems };
            },
          );
    if (capabilities?.prompts !== undefined)
      definitions.prompts = await list(
        "prompts/list",
        "prompts",
        "prompts",
        (c) => client.listPrompts(c, requestOptions),
        (raw, base) => {
          const r = readPromptDefinitions(raw, base);
          return { items: r.prompts, problems: r.problems };
        },
      );
    if (capabilities?.resources !== undefined)
      definitions.resourceTemplates = await list(
        "resources/templates/list",
        "resourceTemplates",
        "resource templates",
        (c) => client.listResourceTemplates(c, requestOptions),
        (raw, base) => {
          const r = readResourceTemplateDefinitions(raw, base);
          return { items: r.resourceTemplates, problems: r.problems };
        },
      );
    return { tools, definitions };
  };
  try {
    return await Promise.race([session(), stops.stopped]);
  } catch (error) {
    throw await explain(error, name, transport, stops.stopped);
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
  opts: Omit<ListToolsOptions, "isolation">,
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
 * Every item of every page of a listing method, as the server sent it: the transport's raw
 * results, not the SDK's parse, which drops fields it does not know.
 */
async function listPages(
  transport: IsolatedStdioTransport,
  method: ListMethod,
  field: string,
  maxPages: number,
  request: (params: { cursor?: string }) => Promise<{ nextCursor?: string | undefined }>,
): Promise<unknown[]> {
  const raw: unknown[] = [];
  const cursors = new Set<string>();
  const what = method.replace(/\/list$/, "").replace("resources/templates", "resource templates");
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= maxPages) throw new Stop(`returned more than ${maxPages} pages of ${what}`);
    const result = await request(cursor === undefined ? {} : { cursor });
    const items = fieldOf(transport.takeListResult(method), field) ?? fieldOf(result, field);
    if (Array.isArray(items)) for (const t of items as readonly unknown[]) raw.push(t);
    cursor = result.nextCursor;
    if (cursor === undefined) return raw;
    if (cursors.has(cursor)) throw new Stop(`repeated the ${method} cursor ${cursor}`);
    cursors.add(cursor);
  }
}

/** A field of a raw listing result, if it has one. */
function fieldOf(result: unknown, field: string): unknown {
  return isRecord(result) ? result[field] : undefined;
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
  name: string,
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
      return failure(name, transport, "returned invalid tools", error, problems);
  }
  // A stop reason wins over the SDK's own view of it ("Connection closed", "AbortError").
  const reason: unknown =
    error instanceof Stop
      ? error
      : await Promise.race([stopped, Promise.resolve(undefined)]).catch((e: unknown) => e);
  if (reason instanceof Stop) return failure(name, transport, reason.message, error);
  if (transport.exit !== undefined)
    return failure(name, transport, `${transport.exit} before listing its tools`, error);
  const detail = errorMessage(error);
  return failure(name, transport, `failed: ${detail}`, error);
}

function describeCommand(stdio: StdioCommand): string {
  return [stdio.command, ...stdio.args]
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(" ");
}

/** MCP_SERVER_FAILED naming the server, with the last lines of its stderr. */
function failure(
  name: string,
  transport: IsolatedStdioTransport,
  what: string,
  cause?: unknown,
  problems?: { path: string; message: string }[],
): McpServerError {
  const tail = transport.stderrTail.trimEnd();
  const lines = tail === "" ? [] : tail.split("\n").slice(-20);
  const message = [
    `MCP server \`${name}\` ${what}`,
    ...(lines.length > 0 ? ["stderr (last lines):", ...lines.map((l) => `  ${l}`)] : []),
  ].join("\n");
  return new McpServerError("MCP_SERVER_FAILED", message, { cause, problems: problems ?? [] });
}
