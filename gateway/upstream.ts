import { errorMessage } from "../policies/errors.ts";
import { isRecord } from "../policies/guards.ts";
import { GatewayError } from "./errors.ts";
import { parseEvent } from "./sse.ts";

/**
 * The gateway's own MCP client to the server, to list what the server offers now (at start and
 * on `notifications/tools/list_changed`). Plain JSON-RPC over Streamable HTTP, so the definitions
 * are hashed exactly as the server wrote them, not as a client library re-parsed them.
 */

export const LEGACY_VERSION = "2025-11-25";
export const MODERN_VERSION = "2026-07-28";
const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";
const CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities";
const MAX_PAGES = 100;
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface Listing {
  tools: unknown[];
  prompts: unknown[];
}

interface Session {
  upstream: URL;
  version: string;
  sessionId?: string;
  modern: boolean;
  nextId: number;
  signal: AbortSignal;
}

/** The JSON-RPC answer with `id` from a JSON body, or from an SSE stream as soon as it arrives. */
async function answerOf(res: Response, id: number): Promise<Record<string, unknown>> {
  const type = res.headers.get("content-type") ?? "";
  const found = (m: unknown): Record<string, unknown> | undefined => {
    if (!isRecord(m) || m.id !== id) return undefined;
    if (isRecord(m.error))
      throw new Error(`error ${String(m.error.code)}: ${String(m.error.message)}`);
    return m;
  };
  if (!type.includes("text/event-stream")) {
    const text = await res.text();
    if (text.length > MAX_ANSWER_BYTES) throw new Error(`answer larger than ${MAX_ANSWER_BYTES}`);
    const answer = found(JSON.parse(text));
    if (!answer) throw new Error(`no answer to request ${id} (HTTP ${res.status})`);
    return answer;
  }
  if (!res.body) throw new Error(`no answer to request ${id} (HTTP ${res.status})`);
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > MAX_ANSWER_BYTES)
        throw new Error(`answer larger than ${MAX_ANSWER_BYTES}`);
      const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
      buffer = blocks.pop() ?? "";
      for (const block of blocks) {
        const data = parseEvent(block).data;
        // A priming event carries an empty data line.
        if (data === undefined || data.trim() === "") continue;
        const answer = found(JSON.parse(data));
        if (answer) return answer;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  throw new Error(`no answer to request ${id} (HTTP ${res.status})`);
}

function headersOf(s: Session, method: string): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": s.version,
    ...(s.sessionId ? { "mcp-session-id": s.sessionId } : {}),
    ...(s.modern ? { "mcp-method": method } : {}),
  };
}

async function request(s: Session, method: string, params: Record<string, unknown> = {}) {
  const id = s.nextId++;
  const body = s.modern
    ? {
        ...params,
        _meta: { [PROTOCOL_VERSION_META_KEY]: s.version, [CLIENT_CAPABILITIES_META_KEY]: {} },
      }
    : params;
  const res = await fetch(s.upstream, {
    method: "POST",
    headers: headersOf(s, method),
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: body }),
    signal: s.signal,
  });
  return { res, answer: await answerOf(res, id) };
}

async function listAll(s: Session, method: string, key: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { answer } = await request(s, method, cursor ? { cursor } : {});
    const result = isRecord(answer.result) ? answer.result : {};
    const items = result[key];
    if (!Array.isArray(items)) throw new Error(`${method} answered without ${key}`);
    out.push(...(items as unknown[]));
    cursor = typeof result.nextCursor === "string" ? result.nextCursor : undefined;
    if (!cursor) return out;
  }
  throw new Error(`${method} has more than ${MAX_PAGES} pages`);
}

/**
 * Lists the server's tools and prompts: the 2025 handshake (`initialize`) first, the stateless
 * 2026-07-28 era when the server refuses it.
 * @throws GatewayError UPSTREAM when the server does not answer as an MCP server
 */
export async function listUpstream(upstream: URL, timeoutMs = 10_000): Promise<Listing> {
  const signal = AbortSignal.timeout(timeoutMs);
  const s: Session = { upstream, version: LEGACY_VERSION, modern: false, nextId: 1, signal };
  try {
    let capabilities: Record<string, unknown>;
    try {
      const { res, answer } = await request(s, "initialize", {
        protocolVersion: LEGACY_VERSION,
        capabilities: {},
        clientInfo: { name: "mcp-warden-gateway", version: "1" },
      });
      const result = isRecord(answer.result) ? answer.result : {};
      s.version =
        typeof result.protocolVersion === "string" ? result.protocolVersion : LEGACY_VERSION;
      s.sessionId = res.headers.get("mcp-session-id") ?? undefined;
      capabilities = isRecord(result.capabilities) ? result.capabilities : {};
      await fetch(upstream, {
        method: "POST",
        headers: headersOf(s, "notifications/initialized"),
        body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
        signal,
      }).then((r) => r.body?.cancel());
    } catch (err) {
      if (signal.aborted) throw err;
      Object.assign(s, { version: MODERN_VERSION, modern: true });
      const { answer } = await request(s, "server/discover");
      const result = isRecord(answer.result) ? answer.result : {};
      capabilities = isRecord(result.capabilities) ? result.capabilities : {};
    }
    const tools = isRecord(capabilities.tools) ? await listAll(s, "tools/list", "tools") : [];
    const prompts = isRecord(capabilities.prompts)
      ? await listAll(s, "prompts/list", "prompts")
      : [];
    if (s.sessionId)
      await fetch(upstream, { method: "DELETE", headers: headersOf(s, ""), signal })
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
    return { tools, prompts };
  } catch (err) {
    throw new GatewayError("UPSTREAM", `listing ${upstream.href} failed: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}
