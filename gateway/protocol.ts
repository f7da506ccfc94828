import { isRecord } from "../policies/guards.ts";

/**
 * Streamable HTTP header rules of the 2026-07-28 era (SEP-2243, as the TypeScript SDK 2.x
 * enforces them): `Mcp-Method` must name the body's method, and `Mcp-Name` the body's
 * `params.name` (tools/call, prompts/get), `params.uri` (resources/read) or `params.taskId`
 * (tasks/*), its value possibly as `=?base64?…?=`. On a 2026-07-28 request both are required. The
 * gateway decides on the body; a server routing on headers that disagree with it would run
 * something else, so a disagreement is refused with -32020 (HTTP 400).
 */

export const JSONRPC = "2.0";
export const FIRST_MODERN_VERSION = "2026-07-28";
const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";

const NAME_SOURCE: Record<string, string> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The value of an `Mcp-Name` (or `Mcp-Param-*`) header; undefined when its base64 is invalid. */
export function decodeHeaderValue(value: string): string | undefined {
  const v = value.trim();
  if (!(v.startsWith("=?base64?") && v.endsWith("?="))) return v;
  const b64 = v.slice(9, -2);
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return undefined;
  const bytes = Buffer.from(b64, "base64");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Whether a message is of the 2026-07-28 era, by its header or its `_meta` envelope. */
export function isModern(
  message: Record<string, unknown>,
  protocolHeader: string | undefined,
): boolean {
  const params = isRecord(message.params) ? message.params : {};
  const meta = isRecord(params._meta) ? params._meta : {};
  const claimed = meta[PROTOCOL_VERSION_META_KEY];
  return (
    (protocolHeader !== undefined && protocolHeader.trim() >= FIRST_MODERN_VERSION) ||
    (typeof claimed === "string" && claimed >= FIRST_MODERN_VERSION)
  );
}

/** Why the headers disagree with the body, or undefined when they agree. */
export function checkHeaders(
  message: Record<string, unknown>,
  header: (name: string) => string | undefined,
): string | undefined {
  const method = typeof message.method === "string" ? message.method : undefined;
  if (method === undefined) return undefined;
  const isRequest = message.id !== undefined;
  const methodHeader = header("mcp-method")?.trim();
  const nameHeader = header("mcp-name");
  const modern = isModern(message, header("mcp-protocol-version"));
  if (methodHeader !== undefined && methodHeader !== method)
    return `the body names method ${method} but Mcp-Method names ${methodHeader}`;
  if (modern && isRequest && methodHeader === undefined)
    return `the body names method ${method} but the Mcp-Method header is absent`;
  const field = NAME_SOURCE[method];
  if (field === undefined) return undefined;
  const params = isRecord(message.params) ? message.params : {};
  const body = typeof params[field] === "string" ? params[field] : undefined;
  if (nameHeader === undefined) {
    return modern && isRequest && body !== undefined
      ? `the body carries params.${field} but the Mcp-Name header is absent`
      : undefined;
  }
  const decoded = decodeHeaderValue(nameHeader);
  if (decoded === undefined) return "the Mcp-Name header carries invalid base64";
  if (body !== decoded)
    return `the body carries params.${field} ${JSON.stringify(body)} but Mcp-Name names ${JSON.stringify(decoded)}`;
  return undefined;
}
