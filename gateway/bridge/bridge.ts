import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { errorClass, errorMessage } from "../../policies/errors.ts";
import { IsolatedStdioTransport } from "../../supply-chain/mcp/stdio-transport.ts";

/**
 * `mcp-warden bridge`: a stdio MCP server exposed as MCP Streamable HTTP (2025-06-18 and
 * 2025-11-25, with sessions), for the gateway in front of it. It decides nothing: no
 * authentication, no filtering; the pod's NetworkPolicy lets only the gateway reach it.
 *
 * A stdio server serves exactly one client, so each session gets its own child process: an
 * `initialize` without `Mcp-Session-Id` starts the command, the session id names it, and the
 * session ends when the client deletes it (the child is killed), when the child exits (every
 * request still waiting gets a JSON-RPC error saying so, and the id is forgotten: later requests
 * get 404), or after `idleTimeoutMs` without a message either way. At most `maxSessions` children
 * run at once; an `initialize` beyond that gets 503.
 */

export type BridgeErrorCode = "LISTEN_FAILED" | "NOT_SELF_CONTAINED";
export class BridgeError extends errorClass<BridgeErrorCode>("BridgeError") {}

/** The JSON-RPC error code of a request the server process can no longer answer. */
export const SERVER_EXITED = -32000;
/** The path the bridge serves MCP on. */
export const MCP_PATH = "/mcp";

export interface BridgeOptions {
  command: string;
  args: readonly string[];
  /** The child's environment: the container's own, since the server reads its settings there. */
  env: Record<string, string>;
  host: string;
  /** 0 picks a free port. */
  port: number;
  maxSessions: number;
  /** Larger request bodies are refused with 413. */
  bodyLimit: number;
  idleTimeoutMs: number;
  /** One JSON object per event (session started or ended, a child's exit). */
  log: (event: Record<string, unknown>) => void;
  /** Where the children's stderr goes (the bridge's own stderr). */
  stderr: (chunk: Buffer) => void;
}

export interface RunningBridge {
  /** `http://host:port/mcp`. */
  url: string;
  port: number;
  sessionCount(): number;
  /** Stops listening and ends every session, killing the children. */
  close(): Promise<void>;
}

interface Pending {
  id: RequestId;
  progressToken: string | number | undefined;
}

/** One client session and the server process that serves it. */
class Session {
  id: string | undefined;
  readonly http: StreamableHTTPServerTransport;
  readonly child: IsolatedStdioTransport;
  /** Requests the child has not answered, oldest first. */
  private readonly pending = new Map<RequestId, Pending>();
  private idle: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly opts: BridgeOptions;
  private readonly forget: (session: Session) => void;

  constructor(opts: BridgeOptions, register: (s: Session) => void, forget: (s: Session) => void) {
    this.opts = opts;
    this.forget = forget;
    this.child = new IsolatedStdioTransport(
      { command: opts.command, args: [...opts.args] },
      { env: opts.env, onStderr: opts.stderr },
    );
    this.http = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.id = id;
        register(this);
      },
    });
    this.http.onmessage = (message) => this.fromClient(message);
    this.http.onclose = () => void this.end("the client ended the session");
    this.child.onmessage = (message) => this.fromServer(message);
    this.child.onclose = () =>
      void this.end(`the MCP server process ${this.child.exit ?? "ended"}`);
    this.touch();
  }

  async start(): Promise<void> {
    await this.child.start();
    await this.http.start();
  }

  touch(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(
      () => void this.end(`idle for ${this.opts.idleTimeoutMs} ms`),
      this.opts.idleTimeoutMs,
    );
    this.idle.unref();
  }

  private fromClient(message: JSONRPCMessage): void {
    this.touch();
    if (isJSONRPCRequest(message)) {
      const token = message.params?._meta?.progressToken;
      this.pending.set(message.id, { id: message.id, progressToken: token });
    }
    this.child.send(message).catch((e: unknown) => {
      // The child is gone; its close handler answers what is pending.
      this.opts.log({ event: "write-failed", session: this.id, error: errorMessage(e) });
    });
  }

  private fromServer(message: JSONRPCMessage): void {
    this.touch();
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) this.pending.delete(message.id);
      this.toClient(message);
      return;
    }
    this.toClient(message, this.relatedRequest(message));
  }

  /**
   * The client request a server notification or request belongs to, so it travels on that
   * request's SSE stream: progress by its token; anything else, said while a request is being
   * answered, with the newest one (stdio carries no relation; one client, so any is theirs).
   */
  private relatedRequest(message: JSONRPCMessage): RequestId | undefined {
    if (isJSONRPCNotification(message) && message.method === "notifications/progress") {
      const token: unknown = message.params?.progressToken;
      for (const p of this.pending.values()) if (p.progressToken === token) return p.id;
    }
    let newest: RequestId | undefined;
    for (const p of this.pending.values()) newest = p.id;
    return newest;
  }

  private toClient(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    const options = relatedRequestId === undefined ? undefined : { relatedRequestId };
    this.http.send(message, options).catch(() => {
      // That request's stream is gone (the client disconnected): try the session's GET stream.
      if (relatedRequestId !== undefined && !("result" in message) && !("error" in message))
        this.http.send(message).catch(() => undefined);
    });
  }

  /** Answers what is pending with an error saying why, then closes both sides. */
  async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idle);
    for (const p of this.pending.values())
      await this.http
        .send({
          jsonrpc: "2.0",
          id: p.id,
          error: { code: SERVER_EXITED, message: `no answer: ${reason}` },
        })
        .catch(() => undefined);
    this.pending.clear();
    this.forget(this);
    this.opts.log({ event: "session-ended", session: this.id, reason });
    await this.http.close().catch(() => undefined);
    await this.child.close();
  }
}

function jsonRpcError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

/** The request body as JSON; undefined after answering 413 or 400 itself. */
async function readJson(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<{ body: unknown } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      jsonRpcError(res, 413, `request body over ${limit} bytes`);
      req.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  try {
    return { body: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    jsonRpcError(res, 400, "Parse error: the body is not JSON");
    return undefined;
  }
}

/**
 * Starts the bridge: the HTTP listener is up when this resolves; each session's child starts on
 * its `initialize`.
 * @throws BridgeError LISTEN_FAILED when the address cannot be bound
 */
export async function startBridge(opts: BridgeOptions): Promise<RunningBridge> {
  const sessions = new Map<string, Session>();
  const live = new Set<Session>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    if (path !== MCP_PATH) {
      res.writeHead(404).end();
      return;
    }
    const header = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (session === undefined) return jsonRpcError(res, 404, "Session not found");
      session.touch();
      if (req.method !== "POST") return await session.http.handleRequest(req, res);
      const parsed = await readJson(req, res, opts.bodyLimit);
      if (parsed !== undefined) await session.http.handleRequest(req, res, parsed.body);
      return;
    }
    if (req.method !== "POST")
      return jsonRpcError(res, 400, "Bad Request: no session; start one with initialize");
    const parsed = await readJson(req, res, opts.bodyLimit);
    if (parsed === undefined) return;
    if (!isInitializeRequest(parsed.body))
      return jsonRpcError(res, 400, "Bad Request: no session; start one with initialize");
    if (live.size >= opts.maxSessions) {
      res.setHeader("retry-after", "5");
      return jsonRpcError(res, 503, `at most ${opts.maxSessions} sessions at once`);
    }
    const session = new Session(
      opts,
      (s) => {
        if (s.id !== undefined) sessions.set(s.id, s);
      },
      (s) => {
        live.delete(s);
        if (s.id !== undefined) sessions.delete(s.id);
      },
    );
    live.add(session);
    try {
      await session.start();
    } catch (e) {
      await session.end("the MCP server could not be started");
      return jsonRpcError(res, 502, `the MCP server could not be started: ${errorMessage(e)}`);
    }
    await session.http.handleRequest(req, res, parsed.body);
    // The session is named only once initialize was answered; one that never got an id is over.
    if (session.id === undefined) await session.end("initialize was not answered");
    else opts.log({ event: "session-started", session: session.id, sessions: live.size });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log({ event: "request-failed", error: errorMessage(e) });
      jsonRpcError(res, 500, "Internal error");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(
        new BridgeError("LISTEN_FAILED", `cannot listen on ${opts.host}:${opts.port}`, {
          cause: e,
        }),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostInUrl}:${port}${MCP_PATH}`,
    port,
    sessionCount: () => live.size,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...live].map((s) => s.end("the bridge is shutting down")));
      server.closeAllConnections();
      await closed;
    },
  };
}
